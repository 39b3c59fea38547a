#!/usr/bin/env bash
# `make test-fresh`: what a newcomer gets from `git clone ...; make demo; make test`
# on a fresh Debian 12 machine.
#
# Builds a throw-away bookworm root with mmdebstrap (variant `apt`: the
# Essential packages and apt, plus make and git, which the newcomer used to
# get this far), copies a clean clone of the committed HEAD into it (not the
# working tree: uncommitted edits are not tested), bind-mounts the CUDA
# toolkit read-only at /usr/local/cuda, and runs `make demo` and `make test`
# there as root. Every other package must come from tools/scripts/install-deps.sh.
#
# Then it checks that the build has every feature and skipped no test but the
# GPU ones (and the full-disk one, which needs mount): CMake looks for the optional libraries QUIET, so a package missing
# from DEBIAN_PACKAGES often turns a feature off instead of failing the build.
#
# Needs root and mmdebstrap. The root lives under ${TMPDIR:-/var/tmp} and is
# removed on exit, failed or not; the mounts live in a private mount
# namespace, so they vanish with this script even if it is killed.
# Environment: JOBS (default 2), DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR.
set -euo pipefail

# Mounts made from here on stay in a namespace of our own.
if [ -z "${ASTROCNN_FRESH_NAMESPACE:-}" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "test-fresh: needs root (mmdebstrap --mode=root, chroot, mount)" >&2; exit 1; }
  # mmdebstrap is the one tool this needs that the build does not: install it like the build's packages.
  command -v mmdebstrap >/dev/null || bash "$(dirname "$0")/install-deps.sh" mmdebstrap
  ASTROCNN_FRESH_NAMESPACE=1 exec unshare --mount --propagation private bash "$0" "$@"
fi

jobs=${JOBS:-2}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
cuda=/usr/local/cuda
repo=$(git -C "$(dirname "$0")/../.." rev-parse --show-toplevel)
commit=$(git -C "$repo" rev-parse HEAD)
root=$(mktemp -d -p "${TMPDIR:-/var/tmp}" astrocnn-fresh.XXXXXX)
chmod 755 "$root"

# ---- Timing and clean-up -------------------------------------------------------
started=$SECONDS
current_phase="setup"
phase_started=$SECONDS
timings=()
mounted=()

minutes() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# phase NAME COMMAND...: runs COMMAND, then says how long it took.
phase() {
  local name="$1"
  shift
  current_phase="$name"
  phase_started=$SECONDS
  echo "==> $name"
  "$@"
  timings+=("$(printf '  %-10s %s' "$name" "$(minutes $((SECONDS - phase_started)))")")
  echo "==> $name: done in $(minutes $((SECONDS - phase_started)))"
}

# Whether anything is still mounted inside the root (then it must not be deleted:
# rm -rf would reach through a bind mount into the host's /dev or CUDA toolkit).
mounts_left() { awk -v r="$root/" 'index($5, r) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; }

finish() {
  local status=$?
  set +e
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[i]}" 2>/dev/null || umount --lazy "${mounted[i]}"
  done
  if mounts_left; then
    echo "test-fresh: something is still mounted under $root; not deleting it" >&2
  else
    rm -rf "$root"
  fi
  [ "$status" -eq 0 ] ||
    timings+=("$(printf '  %-10s %s (failed)' "$current_phase" "$(minutes $((SECONDS - phase_started)))")")
  echo "==> time per phase (commit ${commit:0:12}, JOBS=$jobs)"
  printf '%s\n' "${timings[@]}"
  echo "  total      $(minutes $((SECONDS - started)))"
  if [ "$status" -eq 0 ]; then
    echo "==> test-fresh: PASSED"
  else
    echo "==> test-fresh: FAILED in phase '$current_phase' (exit status $status)"
  fi
  exit "$status"
}
trap finish EXIT
trap 'exit 130' INT TERM HUP

# ---- The phases --------------------------------------------------------------------
bootstrap() {
  mmdebstrap --mode=root --variant=apt --include=make,git bookworm "$root" \
    "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
    "deb $security_mirror bookworm-security main"
  # The installer writes /etc/hosts on a real machine; no package does.
  printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n' "$(cat "$root/etc/hostname")" >"$root/etc/hosts"
}

# mount_in PATH MOUNT-ARGS...: mounts onto PATH inside the root.
mount_in() {
  local target="$root$1"
  shift
  mkdir -p "$target"
  mount "$@" "$target"
  mounted+=("$target")
}

mount_system() {
  mount_in /proc -t proc proc
  mount_in /sys -t sysfs -o ro sysfs
  mount_in /dev --bind /dev
  mount_in /dev/pts --bind /dev/pts
  mount_in /dev/shm -t tmpfs -o mode=1777 shm  # Open MPI's shared-memory transport
  if [ -x "$cuda/bin/nvcc" ]; then
    mount_in "$cuda" --bind -o ro "$cuda"
  else
    echo "note: no CUDA toolkit in $cuda; the build will be CPU-only"
  fi
}

clone() {
  git clone --quiet --no-checkout --no-hardlinks "$repo" "$root/root/astrocnn"
  git -C "$root/root/astrocnn" checkout --quiet --detach "$commit"
  echo "commit $(git -C "$root/root/astrocnn" log -1 --format='%h %s')"
  [ -z "$(git -C "$repo" status --porcelain --untracked-files=no)" ] ||
    echo "note: $repo has uncommitted changes; they are not in this test"
}

# in_root COMMAND: runs COMMAND in the clone, as root with a login's bare environment.
in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c "cd /root/astrocnn && $1"
}

make_test() {
  in_root "make test JOBS=$jobs" | tee "$root/make-test.log"
}

# Every feature of `astrocnn info` is on, and no test was skipped but the GPU
# ones, cli:full_disk, which needs to mount a small tmpfs and is skipped
# wherever mounting is not allowed (as inside this root), and the two that
# need Python packages from PyPI (onnxruntime, PyTorch: `make python-peers`),
# which `make test` does not install: none says anything about the package list.
check_complete() {
  local info problems=()
  info=$(in_root "build/tools/astrocnn info")
  echo "$info"
  grep -q 'cpu-onednn (oneDNN' <<<"$info" || problems+=("oneDNN backend not built (libdnnl-dev)")
  grep -q '^hdf5: *yes' <<<"$info" || problems+=("no HDF5 (libhdf5-dev)")
  grep -q '^fits: *yes' <<<"$info" || problems+=("no FITS (libcfitsio-dev)")
  grep -q '^mpi: *yes' <<<"$info" || problems+=("no MPI (libopenmpi-dev)")
  grep -q '^plots: *curves.png' <<<"$info" || problems+=("no plots (libcairo2-dev)")
  grep -q '^onnx: *yes' <<<"$info" || problems+=("no ONNX export (libonnx-dev, libprotobuf-dev)")
  if [ -x "$cuda/bin/nvcc" ] && grep -q 'cuda: not built' <<<"$info"; then
    problems+=("CUDA backend not built although $cuda/bin/nvcc exists")
  fi
  local skipped
  skipped=$(grep -E '\(Skipped\)$' "$root/make-test.log" | grep -v -e ' - cuda:' -e ' - cli:full_disk ' \
             -e ' - cli:onnx_export ' -e ' - cli:torch_weights ' || true)
  [ -z "$skipped" ] || problems+=("tests skipped: $(tr -s '[:space:]' ' ' <<<"$skipped")")
  # Partial skips inside passing tests: worth a look, but timing can cause some.
  grep -h -E '^(note|SKIP):' "$root/root/astrocnn/build/Testing/Temporary/LastTest.log" 2>/dev/null |
    sort -u | sed 's/^/warning: a test said: /' || true
  [ ${#problems[@]} -eq 0 ] || { printf 'test-fresh: %s\n' "${problems[@]}" >&2; return 1; }
}

echo "==> test-fresh: commit ${commit:0:12} on a fresh Debian 12 root in $root"
phase bootstrap bootstrap
phase mount mount_system
phase clone clone
phase demo in_root "make demo JOBS=$jobs"
phase test make_test
phase check check_complete
