# Shared by the MPI command-line tests (tests/cli/*mpi*.sh); not a test itself.
#   source "$(dirname "$0")/mpi_testlib.bash" "$@"
# Skips the test (exit 0 with a reason) when the binary was built without MPI
# or no mpirun is installed. mpi2 ARGS... runs `astrocnn ARGS` on 2 ranks.
source "$(dirname "${BASH_SOURCE[0]}")/testlib.bash" "$@"
grep -q 'libmpi' <<<"$(ldd "$bin" 2>/dev/null)" || { echo "SKIP: this astrocnn was built without MPI (install libopenmpi-dev and re-run cmake)"; exit 77; }
command -v mpirun >/dev/null 2>&1 || { echo "SKIP: no mpirun on PATH (Debian: openmpi-bin)"; exit 77; }

# CI runs as root; 2 ranks may be more than the cores; containers often
# forbid the cross-memory attach of Open MPI's shared-memory transport.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
# Under `make test-asan`: Open MPI's plugins keep allocations until exit and
# are unloaded before LeakSanitizer reports them (as "<unknown module>"), so
# leaks are not checked in MPI runs; AddressSanitizer's other checks are, and
# the single-process tests check astrocnn's own leaks.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# mpi2 LOG ARGS...: `mpirun -np 2 astrocnn ARGS` (at most 60 s), output to LOG;
# fails the test unless it exits 0.
mpi2() {
  local log="$1"; shift
  timeout 60 mpirun -np 2 "$bin" "$@" >"$log" 2>&1 || fail "'mpirun -np 2 astrocnn $*' exited $?: $(tail -15 "$log")"
}

# same_weights A.h5 B.h5 TOLERANCE: every parameter and optimiser buffer of
# two checkpoints agrees within TOLERANCE relative (max |a-b| / max |a|; 0:
# identical); fails the test otherwise. Needs python3 with h5py (Debian:
# python3-h5py); without it, says so and returns 1.
same_weights() {
  local py
  py=$(h5py_python)
  [ -n "$py" ] || { echo "note: no python3 with h5py, weights not compared"; return 1; }
  "$py" - "$@" >"$tmp/weights" 2>&1 <<'PY' || fail "weights of $1 and $2 differ: $(cat "$tmp/weights")"
import sys, h5py, numpy as np
one, two, tolerance = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r"), float(sys.argv[3])
names = []
one.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) and o.ndim > 0 and not n.startswith("meta") else None)
assert len(names) >= 8, names
for n in names:
    a, b = one[n][()], two[n][()]
    rel = np.max(np.abs(a - b)) / max(np.max(np.abs(a)), 1e-30)
    print(n, rel)
    assert rel <= tolerance, f"{n}: relative difference {rel} > {tolerance}"
PY
}
