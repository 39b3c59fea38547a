#!/usr/bin/env bash
# A full disk: synth, predict (--gallery), eval --plots and train writing to
# a small tmpfs, at several amounts of free space. Each run either succeeds
# or exits 2 with one error line naming the option and the file ("-o
# 'x.h5': ... No space left on device"): never a crash (status 139: HDF5
# once segfaulted at exit after a failed close), the files written before
# untouched, no temporary left. train's run directory also keeps
# checkpoint.h5 and metrics.csv at the same epoch, which --resume continues.
# Mounting a tmpfs needs root: elsewhere the test is skipped.
# Usage: full_disk.sh PATH/TO/astrocnn
source "$(dirname "$0")/testlib.bash" "$@"
have_hdf5 || { echo "SKIP: this astrocnn has no HDF5 (no data files, no checkpoints)"; exit 77; }
disk="$tmp/disk"
mkdir "$disk"
mount -t tmpfs -o size=1m tmpfs "$disk" 2>/dev/null \
  || { echo "SKIP: cannot mount a tmpfs here (needs root)"; exit 77; }
trap 'umount "$disk" 2>/dev/null; rm -rf "$tmp"' EXIT

run_ok "$tmp/log" synth -n 20 --size 16 -o "$tmp/data.h5"
run_ok "$tmp/log" train --model small -f "$tmp/data.h5" --epochs 1 --batch-size 10 --threads 2 --out "$tmp/run"
ckpt="$tmp/run/checkpoint.h5"

# fill_leaving KIB: empties the disk, puts the "earlier" files back, then
# fills it up but KIB kibibytes.
fill_leaving() {
  rm -rf "${disk:?}"/*
  echo "earlier csv" >"$disk/keep.csv"
  mkdir "$disk/plots"
  echo "earlier png" >"$disk/plots/confusion.png"
  echo "earlier data" >"$disk/keep.h5"
  find "$disk" -type f -exec cp {} {}.orig \;
  dd if=/dev/zero of="$disk/fill" bs=4k 2>/dev/null
  [ "$1" -eq 0 ] || truncate -s "-$1K" "$disk/fill"
}

# check_run KIB NAMED ARGS...: runs the binary on the nearly full disk; a
# failure must name NAMED (the option and its file).
check_run() {
  local kib="$1" named="$2"; shift 2
  timeout 120 "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  local status=$?
  case "$status" in
    0) ;;
    2) [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "'$*' with ${kib}K free printed $(wc -l <"$tmp/err") stderr lines: $(cat "$tmp/err")"
       grep -q "No space left on device" "$tmp/err" || fail "'$*' with ${kib}K free: $(cat "$tmp/err")"
       grep -q -- "^astrocnn: error: $named" "$tmp/err" || fail "'$*' with ${kib}K free does not name $named: $(cat "$tmp/err")"
       # A failed command changes no file.
       local f
       for f in "$disk"/keep.csv "$disk"/plots/confusion.png "$disk"/keep.h5; do
         cmp -s "$f" "$f.orig" || fail "'$*' failed with ${kib}K free and changed $f"
       done ;;
    *) fail "'$*' with ${kib}K free exited $status (139: a crash); stderr: $(cat "$tmp/err")" ;;
  esac
  if find "$disk" -name '*.tmp' | grep -q .; then
    fail "'$*' with ${kib}K free left temporaries: $(find "$disk" -name '*.tmp')"
  fi
}

gallery=()
have_cairo && gallery=(--gallery "$disk/g.png")
for kib in 0 4 8 16 32 64 128; do
  fill_leaving "$kib"
  check_run "$kib" "-o '$disk/keep.h5'" synth -n 200 --size 32 -o "$disk/keep.h5"
  fill_leaving "$kib"
  check_run "$kib" "\(-o '$disk/keep.csv'\|--gallery '$disk/g.png'\)" \
    predict --checkpoint "$ckpt" -f "$tmp/data.h5" -o "$disk/keep.csv" "${gallery[@]}"
  if have_cairo; then
    fill_leaving "$kib"
    check_run "$kib" "--plots '$disk/plots" eval --checkpoint "$ckpt" -f "$tmp/data.h5" --plots "$disk/plots"
    fill_leaving "$kib"
    check_run "$kib" "--plots '$disk/new/plots" eval --checkpoint "$ckpt" -f "$tmp/data.h5" --plots "$disk/new/plots"
    [ "$(cat "$tmp/err")" = "" ] || [ ! -e "$disk/new" ] || fail "a failed eval left its new --plots directory"
  fi
done

# train: the run directory on disks of several sizes (each epoch writes
# checkpoint.h5, best.h5, metrics.csv, curves.png, config.json). A failure
# names --out and the file; whatever it stopped at, checkpoint.h5 and
# metrics.csv agree, and once the disk has room --resume goes on from there.
train=(train --model small -f "$tmp/data.h5" --epochs 2 --batch-size 10 --threads 2)
run_dir_is_clean() {  # WHAT: no temporary, no probe file left in the run directory
  local left
  left=$(find "$disk/run" -name '*.tmp' -o -name '.astrocnn-write-test')
  [ -z "$left" ] || fail "$1 left $left"
}
umount "$disk"
for size in 16k 100k 330k 500k 700k 1000k; do
  mount -t tmpfs -o "size=$size" tmpfs "$disk" || fail "cannot mount a tmpfs of $size"
  timeout 120 "$bin" "${train[@]}" --out "$disk/run" >"$tmp/out" 2>"$tmp/err"
  status=$?
  [ "$status" -eq 0 ] || [ "$status" -eq 2 ] || fail "train on a $size disk exited $status: $(cat "$tmp/err")"
  run_dir_is_clean "train on a $size disk"
  if [ "$status" -eq 2 ]; then
    [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "train on a $size disk printed $(wc -l <"$tmp/err") stderr lines: $(cat "$tmp/err")"
    grep -q "^astrocnn: error: --out '$disk/run': cannot write '\?$disk/run/[a-z0-9._]*'\?: No space left on device" "$tmp/err" \
      || fail "train on a $size disk: $(cat "$tmp/err")"
    if [ -e "$disk/run/checkpoint.h5" ]; then
      epoch=$(tail -1 "$disk/run/metrics.csv" | cut -d, -f1)
      mount -o remount,size=4m "$disk" || fail "cannot grow the tmpfs"
      run_ok "$tmp/resume.log" train --out "$disk/run" --resume
      grep -q "^resuming $disk/run after epoch $epoch of 2" "$tmp/resume.log" \
        || fail "on a $size disk metrics.csv stopped at epoch $epoch, but: $(grep -m1 resuming "$tmp/resume.log")"
    fi
  fi
  umount "$disk"
done

# A disk full before the run starts: one error, and nothing left but the lock file.
mount -t tmpfs -o size=64k tmpfs "$disk" || fail "cannot mount a tmpfs"
mkdir "$disk/run"
dd if=/dev/zero of="$disk/fill" bs=4k 2>/dev/null
expect_error 2 "\-\-out '$disk/run': cannot write '\?$disk/run/.*No space left on device" -- "${train[@]}" --out "$disk/run"
run_dir_is_clean "train on a full disk"
umount "$disk"
echo "full disk: OK"
