#!/usr/bin/env bash
# Portable on every CPU (issue 21). oneDNN picks its kernels at run time by
# the CPU's instruction set, and ONEDNN_MAX_CPU_ISA caps that choice. Under
# the lowest cap (sse41) and under avx2, what an AVX2-only laptop runs:
# `info` names the code path and the cap, a short training run works, and
# bf16 is refused naming the instruction set it needs. A portable build
# (ASTROCNN_MARCH empty, the default) has no AVX instruction in its own code,
# so it starts on any x86-64.
source "$(dirname "$0")/testlib.bash" "$@"
cd "$tmp" || exit 1

"$bin" info >info.txt || fail "astrocnn info failed"
grep -q "cpu-onednn (oneDNN" info.txt || { echo "SKIP: this build has no oneDNN backend"; exit 77; }

common=(--model small -n 64 --size 16 --batch-size 16 --epochs 2 --seed 5)
for cap in sse41 avx2; do
  export ONEDNN_MAX_CPU_ISA=$cap
  "$bin" info >"info_$cap.txt" || fail "info under ONEDNN_MAX_CPU_ISA=$cap failed"
  grep -q "$cap code path, capped by ONEDNN_MAX_CPU_ISA=$cap" "info_$cap.txt" ||
    fail "info does not name the capped code path $cap: $(grep cpu-onednn "info_$cap.txt")"
  run_ok "train_$cap.log" train "${common[@]}" --out "run_$cap"
  [ "$(metric_column "run_$cap/metrics.csv" validation 1 | wc -l)" -eq 2 ] ||
    fail "the run under $cap does not have 2 validation epochs: $(cat "run_$cap/metrics.csv")"
  # Loss columns must be numbers, not nan or inf.
  awk -F, 'NR > 1 && $3 !~ /^[0-9.e+-]+$/ { bad = 1 } END { exit bad }' "run_$cap/metrics.csv" ||
    fail "the run under $cap has a non-finite loss: $(cat "run_$cap/metrics.csv")"
  expect_error 2 "bf16 kernels need AVX-512 (avx512_core), and this CPU's code path is $cap, capped by ONEDNN_MAX_CPU_ISA=$cap" \
    -- train "${common[@]}" --precision bf16 --out bad
  [ ! -e bad ] || fail "a refused --precision bf16 left a run directory"
done
unset ONEDNN_MAX_CPU_ISA

if grep -q "^build: *portable" info.txt; then
  command -v objdump >/dev/null || { echo "no objdump: the portable-build check is left out"; exit 0; }
  avx=$(objdump -d --no-show-raw-insn "$bin" | grep -cE '%[yz]mm[0-9]')
  [ "$avx" -eq 0 ] || fail "a portable build (no ASTROCNN_MARCH) has $avx AVX instructions in astrocnn itself: some flag adds -mavx or -march"
fi
