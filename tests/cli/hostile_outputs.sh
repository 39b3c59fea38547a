#!/usr/bin/env bash
# Hostile outputs: -o, --gallery, --plots, --trace and the files of train's
# run directory (--out) aimed at a device, a
# FIFO, a directory, symlinks (to a file, dangling, to a directory, a loop),
# a missing or read-only directory, or an input of the same command. astrocnn
# writes regular files only: a symlink is written through (the target gets
# the new content, the link stays), anything else that is not a regular file
# is refused with one error line, exit status 2, and a failed command leaves
# every file as it was (no temporary left either). The full-disk cases are
# in full_disk.sh (they need to mount a tmpfs).
# Usage: hostile_outputs.sh PATH/TO/astrocnn
source "$(dirname "$0")/testlib.bash" "$@"
have_hdf5 || { echo "SKIP: this astrocnn has no HDF5 (no data files, no checkpoints)"; exit 77; }

# expect_refused PATTERN -- ARGS...: expect_error 2 with a time limit, so that
# a command opening a FIFO (which blocks until a reader comes, deaf to
# SIGTERM) fails the test instead of hanging it.
expect_refused() {
  local pattern="$1"; shift 2
  timeout -s KILL 20 "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  local status=$?
  [ "$status" -ne 137 ] || fail "'$*' hung (opened a FIFO?)"
  [ "$status" -eq 2 ] || fail "'$*' exited $status, expected 2; stderr: $(cat "$tmp/err")"
  [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "'$*' printed $(wc -l <"$tmp/err") stderr lines: $(cat "$tmp/err")"
  grep -q -- "$pattern" "$tmp/err" || fail "'$*' stderr lacks '$pattern': $(cat "$tmp/err")"
}
no_temporaries() { ! ls -A "$1" | grep -q '\.tmp$' || fail "temporaries left in $1: $(ls -A "$1")"; }
is_hdf5() { [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = "211HDF" ]; }

run_ok "$tmp/log" synth -n 20 --size 16 -o "$tmp/data.h5"
run_ok "$tmp/log" train --model small -f "$tmp/data.h5" --epochs 1 --batch-size 10 --threads 2 --out "$tmp/run"
ckpt="$tmp/run/checkpoint.h5"
w="$tmp/w"  # the playground, checked for temporaries at the end
mkdir "$w"

# Each command that writes one file, by the option that names it.
synth_to() { echo synth -n 20 --size 16 -o "$1"; }
predict_to() { echo predict --checkpoint "$ckpt" -f "$tmp/data.h5" -o "$1"; }

for writer in synth_to predict_to; do
  # ---- Special files are refused and left as they were ----
  # A character device of our own (never a real /dev node: a regression would replace it).
  if mknod "$w/chardev" c 1 3 2>/dev/null; then
    expect_refused "-o '$w/chardev': is a character device" -- $($writer "$w/chardev")
    [ -c "$w/chardev" ] || fail "$writer replaced a character device"
    rm -f "$w/chardev"
  fi
  mkfifo "$w/fifo"
  expect_refused "-o '$w/fifo': is a FIFO" -- $($writer "$w/fifo")
  [ -p "$w/fifo" ] || fail "$writer replaced a FIFO"
  mkdir -p "$w/dir/inside"
  expect_refused "-o '$w/dir': is a directory" -- $($writer "$w/dir")
  expect_refused "names a directory" -- $($writer "$w/dir/")
  ln -sfn dir "$w/to_dir"
  expect_refused "(a symlink to '$w/dir'): is a directory" -- $($writer "$w/to_dir")
  [ -d "$w/dir/inside" ] && [ -L "$w/to_dir" ] || fail "$writer changed a directory or its link"
  ln -sfn loop_b "$w/loop_a"; ln -sfn loop_a "$w/loop_b"
  expect_refused "too many levels of symbolic links" -- $($writer "$w/loop_a")
  echo "a file" >"$w/plain"
  expect_refused "'$w/plain' is not a directory" -- $($writer "$w/plain/out")
  expect_refused "the directory '$w/no/such' does not exist" -- $($writer "$w/no/such/out")
  [ "$(cat "$w/plain")" = "a file" ] || fail "$writer changed a file it refused"
  rm -rf "$w/fifo" "$w/dir" "$w/to_dir" "$w/loop_a" "$w/loop_b" "$w/plain"

  # ---- A symlink is written through: the target changes, the link stays a link ----
  mkdir -p "$w/real"
  echo "old" >"$w/real/target"
  ln -sfn real/target "$w/link"
  run_ok "$tmp/log" $($writer "$w/link")
  [ -L "$w/link" ] && [ "$(readlink "$w/link")" = real/target ] || fail "$writer replaced the symlink"
  echo "old" | cmp -s - "$w/real/target" && fail "$writer left the symlink's target stale"
  no_temporaries "$w/real"
  # A dangling link creates its target (as a shell's > would); one into a missing directory is refused.
  ln -sfn real/new "$w/dangling"
  run_ok "$tmp/log" $($writer "$w/dangling")
  [ -L "$w/dangling" ] && [ -s "$w/real/new" ] || fail "$writer did not write through a dangling link"
  ln -sfn nowhere/x "$w/lost"
  expect_refused "the directory '$w/nowhere' does not exist" -- $($writer "$w/lost")
  [ ! -e "$w/nowhere" ] || fail "$writer created the directory of a dangling link"
  rm -rf "$w/real" "$w/link" "$w/dangling" "$w/lost"
done
is_hdf5 "$w/out" 2>/dev/null && fail "a refused synth wrote $w/out"

# ---- A read-only directory (root ignores permissions: a read-only mount then) ----
mkdir "$w/ro"
if [ "$(id -u)" -ne 0 ]; then
  chmod 555 "$w/ro"
  expect_refused "cannot create files in the directory '$w/ro'" -- synth -n 20 --size 16 -o "$w/ro/x.h5"
  chmod 755 "$w/ro"
elif mount -t tmpfs -o ro,size=64k tmpfs "$w/ro" 2>/dev/null; then
  expect_refused "cannot create files in the directory '$w/ro': Read-only file system" -- \
    synth -n 20 --size 16 -o "$w/ro/x.h5"
  umount "$w/ro"
else
  echo "note: root without mount: the read-only directory case is not run"
fi

# ---- predict: every output checked before anything is written ----
echo "keep me" >"$w/keep.csv"
cp "$w/keep.csv" "$w/keep.orig"
unchanged() { cmp -s "$w/keep.csv" "$w/keep.orig" || fail "a failed predict changed keep.csv"; }
predict=(predict --checkpoint "$ckpt" -f "$tmp/data.h5" -o "$w/keep.csv")
if have_cairo; then
  expect_refused "\-\-gallery '$w/no/such/dir/g.png': the directory '$w/no/such/dir' does not exist" -- \
    "${predict[@]}" --gallery "$w/no/such/dir/g.png"
  unchanged
  mkfifo "$w/g.fifo"
  expect_refused "\-\-gallery '$w/g.fifo': is a FIFO" -- "${predict[@]}" --gallery "$w/g.fifo"
  unchanged
  expect_refused "are the same file" -- "${predict[@]}" --gallery "$w/keep.csv"
  unchanged
  rm -f "$w/g.fifo"
fi
# An output must not replace an input.
cp "$ckpt" "$w/ckpt.orig"
expect_refused "\-o '$ckpt' and \-\-checkpoint '$ckpt' are the same file" -- \
  predict --checkpoint "$ckpt" -f "$tmp/data.h5" -o "$ckpt"
ln -sfn "$tmp/data.h5" "$w/data_link.csv"
expect_refused "are the same file" -- predict --checkpoint "$ckpt" -f "$tmp/data.h5" -o "$w/data_link.csv"
cmp -s "$ckpt" "$w/ckpt.orig" && is_hdf5 "$tmp/data.h5" || fail "predict replaced one of its inputs"
# A bad checkpoint fails before -o is touched.
expect_error 2 "does not exist" -- predict --checkpoint "$w/none.h5" -f "$tmp/data.h5" -o "$w/keep.csv"
unchanged

# ---- eval --plots: checked first, nothing made when the command fails ----
if have_cairo; then
  echo "a file" >"$w/plots_file"
  expect_refused "\-\-plots '$w/plots_file': is a regular file, not a directory" -- \
    eval --checkpoint "$ckpt" -f "$tmp/data.h5" --plots "$w/plots_file"
  expect_refused "is not a directory" -- eval --checkpoint "$ckpt" -f "$tmp/data.h5" --plots "$w/plots_file/sub"
  mkdir -p "$w/plots"
  mkfifo "$w/plots/confusion.png"
  expect_refused "\-\-plots '$w/plots/confusion.png': is a FIFO" -- \
    eval --checkpoint "$ckpt" -f "$tmp/data.h5" --plots "$w/plots"
  [ "$(ls "$w/plots")" = confusion.png ] || fail "a refused eval --plots wrote: $(ls "$w/plots")"
  rm -rf "$w/plots" "$w/plots_file"
  expect_error 2 "does not exist" -- eval --checkpoint "$w/none.h5" -f "$tmp/data.h5" --plots "$w/new/plots"
  [ ! -e "$w/new" ] || fail "a failed eval created its --plots directory"
fi

# ---- train --trace ----
mkfifo "$w/trace.fifo"
expect_refused "\-\-trace '$w/trace.fifo': is a FIFO" -- \
  train --model small -n 20 --size 16 --epochs 1 --trace "$w/trace.fifo"
rm -f "$w/trace.fifo"

# ---- train --out: every file of the run directory is checked first ----
# A FIFO, a device, a directory or a symlink to one in the place of any of
# them fails the run before anything is written or opened (a FIFO as
# train_log.txt once hung train for good), and stays as it was.
train=(train --model small -f "$tmp/data.h5" --epochs 1 --batch-size 10 --threads 2)
only_left() {  # DIR NAME: DIR holds NAME alone (the refused run wrote nothing)
  [ "$(ls -A "$1")" = "$2" ] || fail "a refused train wrote into $1: $(ls -A "$1")"
}
for name in train_log.txt metrics.csv config.json checkpoint.h5 best.h5 curves.png .lock; do
  d="$w/run-fifo"
  mkdir "$d"
  mkfifo "$d/$name"
  expect_refused "\-\-out '$d': file '$d/$name': is a FIFO" -- "${train[@]}" --out "$d"
  [ -p "$d/$name" ] || fail "train replaced the FIFO $name"
  only_left "$d" "$name"
  rm -rf "$d"
done
d="$w/run-special"
mkdir "$d"
if mknod "$d/metrics.csv" c 1 3 2>/dev/null; then
  expect_refused "file '$d/metrics.csv': is a character device" -- "${train[@]}" --out "$d"
  [ -c "$d/metrics.csv" ] || fail "train replaced a character device"
  rm -f "$d/metrics.csv"
fi
ln -s /dev/null "$d/best.h5"
expect_refused "file '$d/best.h5' (a symlink to '/dev/null'): is a character device" -- "${train[@]}" --out "$d"
[ "$(readlink "$d/best.h5")" = /dev/null ] || fail "train replaced a symlink to /dev/null"
rm -f "$d/best.h5"
mkdir "$d/curves.png"
expect_refused "file '$d/curves.png': is a directory" -- "${train[@]}" --out "$d"
rmdir "$d/curves.png"
# Two run files through links to one file would overwrite each other.
ln -s same.h5 "$d/checkpoint.h5"
ln -s same.h5 "$d/best.h5"
expect_refused "'$d/checkpoint.h5' and '$d/best.h5' are the same file" -- "${train[@]}" --out "$d"
rm -f "$d/checkpoint.h5" "$d/best.h5"
expect_refused "\-\-trace '$d/metrics.csv' and \-\-out '$d/metrics.csv' are the same file" -- \
  "${train[@]}" --out "$d" --trace "$d/metrics.csv"
[ -z "$(ls -A "$d")" ] || fail "a refused train wrote into $d: $(ls -A "$d")"
rm -rf "$d"

# --resume checks them too, and leaves the run as it was.
d="$w/run-resume"
run_ok "$tmp/log" "${train[@]}" --out "$d"
cp "$d/checkpoint.h5" "$w/resume-ckpt.orig"
rm "$d/train_log.txt"
mkfifo "$d/train_log.txt"
expect_refused "\-\-out '$d': file '$d/train_log.txt': is a FIFO" -- train --out "$d" --resume --epochs 2
cmp -s "$d/checkpoint.h5" "$w/resume-ckpt.orig" || fail "a refused --resume changed checkpoint.h5"
rm -rf "$d" "$w/resume-ckpt.orig"

# A directory a run stopped in before its first checkpoint is reused: its
# stale regular files are replaced, its symlinks written through (never
# removed, nor their targets), as every output is.
d="$w/run-links"
mkdir -p "$d" "$w/elsewhere"
echo "a user's file" >"$w/elsewhere/metrics.csv"
ln -s ../elsewhere/metrics.csv "$d/metrics.csv"
ln -s ../elsewhere/new-config.json "$d/config.json"  # dangling: made through the link
echo "stale" >"$d/best.h5"
run_ok "$tmp/log" "${train[@]}" --out "$d"
grep -q "held a run stopped before its first checkpoint" "$tmp/log" || fail "no note on the reused $d"
[ -L "$d/metrics.csv" ] && [ -L "$d/config.json" ] || fail "train replaced a symlinked run file"
head -1 "$w/elsewhere/metrics.csv" | grep -q "^epoch,split,loss" || fail "metrics.csv not written through its link"
grep -q '"astrocnn_version"' "$w/elsewhere/new-config.json" || fail "config.json not made through its link"
is_hdf5 "$d/best.h5" || fail "the stale best.h5 was not replaced"
no_temporaries "$w/elsewhere"
no_temporaries "$d"
rm -rf "$d" "$w/elsewhere"

# ---- train: class ids the model has no output for ----
# (needs a data file without label_names: written with h5py where there is one)
py=$(h5py_python)
if [ -n "$py" ]; then
  "$py" - "$w/ids7.h5" <<'EOF'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    f["images"] = np.random.default_rng(0).normal(size=(8, 1, 16, 16)).astype(np.float32)
    f["labels"] = np.array([0, 1, 0, 1, 0, 7, 0, 1], np.int64)
EOF
  expect_refused "'$w/ids7.h5': row 5 has class id 7 but the model (\-\-outputs 2) has 2 outputs" -- \
    train --model small -f "$w/ids7.h5" --outputs 2 --val-fraction 0 --batch-size 8 --epochs 1 --out "$w/ids7-run"
  rm -rf "$w/ids7.h5" "$w/ids7-run"
else
  echo "note: no python3 with h5py: the class-id case is not run"
fi

no_temporaries "$w"
no_temporaries "$tmp/run"
echo "hostile outputs: OK"

