#!/usr/bin/env bash
# eval on two classes (synth --kind lens): the images per class and the
# accuracy baseline, the ROC AUC line (checked against the Mann-Whitney
# statistic of predict's probabilities), eval --tta against predict --tta,
# --plots roc.png; one class only:
# the AUC is not defined but eval succeeds; five classes: no ROC line.
# Usage: roc.sh PATH/TO/astrocnn
source "$(dirname "$0")/testlib.bash" "$@"
have_hdf5 || { echo "SKIP: this astrocnn has no HDF5 (no data files, no checkpoints)"; exit 77; }

run_ok "$tmp/synth" synth --kind lens -n 40 --size 16 --seed 3 -o "$tmp/l.h5"
run_ok "$tmp/train" train --model small --epochs 1 -f "$tmp/l.h5" --threads 2 --out "$tmp/run"
run_ok "$tmp/eval" eval --checkpoint "$tmp/run/best.h5" -f "$tmp/l.h5" --threads 2
grep -Eq "^images per class: [0-9]+ non-lens, [0-9]+ lens; always answering the most common class \([01] (non-)?lens\) scores [0-9.]+% \(the accuracy baseline\)$" \
  "$tmp/eval" || fail "no base-rate line: $(cat "$tmp/eval")"
auc=$(sed -n 's/^ROC AUC: \([0-9.]*\) (chance: 0\.5), ranking the images by the probability of class 1 lens$/\1/p' "$tmp/eval")
[ -n "$auc" ] || fail "no ROC AUC line: $(cat "$tmp/eval")"
awk -v a="$auc" 'BEGIN { exit !(a >= 0 && a <= 1) }' || fail "ROC AUC $auc is not in [0, 1]"
# The lines come in order: accuracy, base rate, ROC AUC, then the table per class.
[ "$(grep -nE '^(accuracy|images per class|ROC AUC|per class):' "$tmp/eval" | cut -d: -f2 | tr '\n' ,)" = \
  "accuracy,images per class,ROC AUC,per class," ] || fail "the metrics' order: $(cat "$tmp/eval")"

# The same AUC from predict's probabilities, pair by pair (ties 1/2); the CSV
# rounds them to 7 digits, hence the tolerance.
run_ok "$tmp/predict" predict --checkpoint "$tmp/run/best.h5" -f "$tmp/l.h5" -o "$tmp/p.csv" --threads 2
awk -F, -v a="$auc" 'NR > 1 { if ($4 == 1) pos[++np] = $3; else neg[++nn] = $3 }
  END { for (i = 1; i <= np; ++i) for (j = 1; j <= nn; ++j) u += pos[i] > neg[j] ? 1 : pos[i] == neg[j] ? 0.5 : 0
        d = u / (np * nn) - a; exit !(np > 0 && nn > 0 && d < 0.002 && d > -0.002) }' "$tmp/p.csv" \
  || fail "eval's ROC AUC $auc differs from the Mann-Whitney statistic of predict's probabilities"

# eval --tta: the accuracy, AUC and cross-entropy of predict --tta's mean probabilities.
run_ok "$tmp/eval_tta" eval --checkpoint "$tmp/run/best.h5" -f "$tmp/l.h5" --tta --threads 2
grep -q "^test-time augmentation: every figure below is of the mean output over the 8 flips and quarter turns of each image (of the probabilities)$" \
  "$tmp/eval_tta" || fail "eval --tta did not say so: $(cat "$tmp/eval_tta")"
run_ok "$tmp/predict_tta" predict --checkpoint "$tmp/run/best.h5" -f "$tmp/l.h5" -o "$tmp/pt.csv" --tta --threads 2
acc=$(sed -nE 's/^accuracy: ([0-9.]+)%.*/\1/p' "$tmp/eval_tta")
auc=$(sed -nE 's/^ROC AUC: ([0-9.]+) .*/\1/p' "$tmp/eval_tta")
xent=$(sed -nE 's/^loss \(xent\): ([0-9.]+)$/\1/p' "$tmp/eval_tta")
awk -F, -v acc="$acc" -v a="$auc" -v x="$xent" 'NR > 1 { right += ($3 > $2) == ($4 == 1); n++; loss -= log($4 == 1 ? $3 : $2)
    if ($4 == 1) pos[++np] = $3; else neg[++nn] = $3 }
  END { for (i = 1; i <= np; ++i) for (j = 1; j <= nn; ++j) u += pos[i] > neg[j] ? 1 : pos[i] == neg[j] ? 0.5 : 0
        da = 100 * right / n - acc; du = u / (np * nn) - a; dx = loss / n - x
        exit !(acc != "" && da * da < 1e-4 && du * du < 4e-6 && dx * dx < 1e-8) }' "$tmp/pt.csv" \
  || fail "eval --tta (accuracy $acc%, AUC $auc, cross-entropy $xent) disagrees with predict --tta's probabilities"

# One class only: the AUC is not defined, and eval still reports the rest.
run_ok "$tmp/synth0" synth --kind lens -n 12 --size 16 --lens-fraction 0 -o "$tmp/none.h5"
run_ok "$tmp/eval0" eval --checkpoint "$tmp/run/best.h5" -f "$tmp/none.h5"
grep -qx "ROC AUC: not defined (every image is of class 0 non-lens; it needs both classes)" "$tmp/eval0" \
  || fail "one class: $(cat "$tmp/eval0")"

# Five classes: no ROC line, the base rate still.
run_ok "$tmp/synth5" synth --kind morphology -n 20 --size 16 -o "$tmp/m.h5"
run_ok "$tmp/train5" train --model small --epochs 1 -f "$tmp/m.h5" --threads 2 --out "$tmp/run5"
run_ok "$tmp/eval5" eval --checkpoint "$tmp/run5/best.h5" -f "$tmp/m.h5" --threads 2
grep -q "^ROC" "$tmp/eval5" && fail "five classes got a ROC line: $(cat "$tmp/eval5")"
grep -q "^images per class: " "$tmp/eval5" || fail "five classes: no base-rate line: $(cat "$tmp/eval5")"

if have_cairo; then
  run_ok "$tmp/plots_out" eval --checkpoint "$tmp/run/best.h5" -f "$tmp/l.h5" --plots "$tmp/plots"
  for png in confusion.png roc.png; do
    grep -q "^wrote $tmp/plots/$png" "$tmp/plots_out" || fail "eval --plots did not write $png: $(cat "$tmp/plots_out")"
    expect_png_signature "$tmp/plots/$png"
  done
  # No curve, no picture: one class, and five classes.
  run_ok "$tmp/plots0_out" eval --checkpoint "$tmp/run/best.h5" -f "$tmp/none.h5" --plots "$tmp/plots0"
  run_ok "$tmp/plots5_out" eval --checkpoint "$tmp/run5/best.h5" -f "$tmp/m.h5" --plots "$tmp/plots5"
  [ -e "$tmp/plots0/roc.png" ] && fail "one class got a roc.png"
  [ -e "$tmp/plots5/roc.png" ] && fail "five classes got a roc.png"
  # roc.png in the way (a directory): one error, and the other picture is left as it was.
  mkdir -p "$tmp/blocked/roc.png"
  echo "old" >"$tmp/blocked/confusion.png"
  expect_error 2 "\-\-plots" -- eval --checkpoint "$tmp/run/best.h5" -f "$tmp/l.h5" --plots "$tmp/blocked"
  [ "$(cat "$tmp/blocked/confusion.png")" = "old" ] || fail "a failed eval --plots replaced a picture"
else
  echo "note: no cairo; roc.png is not checked"
fi
echo "PASS"
