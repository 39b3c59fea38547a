#!/usr/bin/env bash
# --precision (kernels/precision.h) on the command line: bf16 training is
# recorded in config.json, a run switches precision on --resume (checkpoints
# are float32 either way), eval and predict take any precision for any
# checkpoint, and what a backend lacks is refused with one line.
source "$(dirname "$0")/testlib.bash" "$@"
cd "$tmp" || exit 1

have_hdf5 || { echo "SKIP: this build has no HDF5 (checkpoints)"; exit 77; }

# Errors first: an unknown name, and tf32 on the CPU (a GPU format).
expect_error 2 "unknown precision 'fp16'" -- train --model small -n 40 --size 16 --epochs 1 --precision fp16 --out bad
expect_error 2 "tf32" -- train --model small -n 40 --size 16 --epochs 1 --precision tf32 --out bad
[ ! -e bad ] || fail "a refused --precision left a run directory"

# oneDNN's code path, not the CPU's flags: ONEDNN_MAX_CPU_ISA may cap it below AVX-512.
"$bin" info | grep "cpu-onednn (" | grep -q "avx512" ||
  { echo "SKIP: oneDNN runs no AVX-512 code path here, so no bf16"; exit 77; }

common=(--model small -n 120 --size 16 --batch-size 20 --seed 3)
run_ok fp32.log train "${common[@]}" --epochs 2 --out run
grep -q "precision fp32" run/train_log.txt || fail "train_log.txt does not state the precision"

# Resume the fp32 run in bf16: allowed, and recorded.
run_ok bf16.log train --out run --resume --epochs 3 --precision bf16
grep -q "precision bf16" run/train_log.txt || fail "the resumed run's log does not say bf16"
grep -q '"precision": "bf16"' run/config.json || fail "config.json does not record bf16: $(grep precision run/config.json)"
[ "$(metric_column run/metrics.csv validation 1 | wc -l)" -eq 3 ] || fail "the resumed run does not have 3 validation epochs"
# Another option still may not change on --resume; the message lists --precision among those that may.
expect_error 2 "only --epochs, --threads, --device and --precision may change" -- train --out run --resume --epochs 4 --lr 0.5

# A fresh bf16 run from the start: its loss falls like the fp32 run's.
run_ok bf16_fresh.log train "${common[@]}" --epochs 3 --precision bf16 --out run_bf16
first=$(awk -F, '$2 == "train" { print $3; exit }' run_bf16/metrics.csv)
last=$(awk -F, '$2 == "train" { v = $3 } END { print v }' run_bf16/metrics.csv)
awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a) }' || fail "bf16 training loss did not fall: $first -> $last"

# eval and predict in either precision on the same checkpoint: close, not equal.
"$bin" synth --kind morphology -n 30 --size 16 --seed 9 -o test.h5 >/dev/null || fail "synth"
run_ok p32.log predict --checkpoint run/best.h5 -f test.h5 -o p32.csv
run_ok p16.log predict --checkpoint run/best.h5 -f test.h5 -o p16.csv --precision bf16
expect_error 2 "tf32" -- predict --checkpoint run/best.h5 -f test.h5 -o p_tf32.csv --precision tf32
[ ! -e p_tf32.csv ] || fail "a refused predict wrote its output"
paste -d, p32.csv p16.csv | awk -F, -v half="$(($(head -1 p32.csv | tr ',' '\n' | wc -l)))" '
  NR > 1 { for (i = 2; i <= half; ++i) if ($i ~ /^-?[0-9.eE+-]+$/) {
             d = $i - $(i + half); if (d < 0) d = -d; if (d > max) max = d; if ($i != $(i + half)) differ = 1 } }
  END { if (max > 0.02) { print "bf16 predictions differ from fp32 by " max; exit 1 }
        if (!differ) { print "bf16 predictions equal fp32 ones exactly: was bf16 used?"; exit 1 } }' \
  || fail "predict in bf16 against fp32"
run_ok e16.log eval --checkpoint run/best.h5 -f test.h5 --precision bf16
echo "ok"
