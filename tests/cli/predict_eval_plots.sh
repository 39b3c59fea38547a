#!/usr/bin/env bash
# eval --plots (confusion.png, predicted_vs_true.png), predict --gallery and
# predict --tta on built-in data of each kind, and their bad values.
# Usage: predict_eval_plots.sh PATH/TO/astrocnn
source "$(dirname "$0")/testlib.bash" "$@"
have_hdf5 || { echo "SKIP: this astrocnn has no HDF5 (no data files, no checkpoints)"; exit 77; }

# png_size FILE: "WIDTH HEIGHT" from the PNG header; fails unless FILE is a PNG.
png_size() {
  expect_png_signature "$1"
  od -An -tu1 -j16 -N8 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4, $5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }'
}
# expect_png FILE MIN_W MIN_H MAX_W MAX_H
expect_png() {
  [ -s "$1" ] || fail "$1 was not written"
  read -r w h <<<"$(png_size "$1")"
  [ "$w" -ge "$2" ] && [ "$h" -ge "$3" ] && [ "$w" -le "$4" ] && [ "$h" -le "$5" ] \
    || fail "$1 is ${w}x${h}, expected between $2x$3 and $4x$5"
}

# morphology: vote fractions, so both a confusion matrix and predicted-vs-true.
run_ok "$tmp/synth" synth --kind morphology -n 96 --size 16 --seed 2 -o "$tmp/m.h5"
run_ok "$tmp/train" train --model small -f "$tmp/m.h5" --epochs 2 --batch-size 16 --lr 0.02 --threads 2 --out "$tmp/run"
run_ok "$tmp/plain" predict --checkpoint "$tmp/run/best.h5" -f "$tmp/m.h5" -o "$tmp/plain.csv"
run_ok "$tmp/tta" predict --checkpoint "$tmp/run/best.h5" -f "$tmp/m.h5" -o "$tmp/tta.csv" --tta
grep -q "mean over 8 views" "$tmp/tta" || fail "predict --tta did not say so: $(cat "$tmp/tta")"
[ "$(wc -l <"$tmp/tta.csv")" -eq 97 ] || fail "tta.csv has $(wc -l <"$tmp/tta.csv") lines"
[ "$(head -1 "$tmp/tta.csv")" = "$(head -1 "$tmp/plain.csv")" ] || fail "--tta changed the CSV header"
cut -d, -f7- "$tmp/tta.csv" >"$tmp/a"
cut -d, -f7- "$tmp/plain.csv" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || fail "--tta changed the labels"
cmp -s "$tmp/tta.csv" "$tmp/plain.csv" && fail "--tta gave the plain predictions (the net is not symmetric)"

if have_cairo; then
  run_ok "$tmp/eval" eval --checkpoint "$tmp/run/best.h5" -f "$tmp/m.h5" --plots "$tmp/plots/m"
  grep -q "^wrote $tmp/plots/m/confusion.png" "$tmp/eval" || fail "eval --plots said: $(tail -3 "$tmp/eval")"
  grep -q "^accuracy: " "$tmp/eval" || fail "eval --plots lost the metrics: $(cat "$tmp/eval")"
  expect_png "$tmp/plots/m/confusion.png" 400 400 1200 1200
  expect_png "$tmp/plots/m/predicted_vs_true.png" 900 700 1400 1000  # 5 panels: 3 x 2
  run_ok "$tmp/gallery" predict --checkpoint "$tmp/run/best.h5" -f "$tmp/m.h5" -o "$tmp/g.csv" \
    --gallery "$tmp/gallery.png" --gallery-count 6
  expect_png "$tmp/gallery.png" 400 300 800 700  # 3 x 2 cutouts of 128 px
  [ "$(wc -l <"$tmp/g.csv")" -eq 97 ] || fail "--gallery changed the CSV"

  # fakereal: 6 channels as an RGB composite, class ids: a confusion matrix only.
  run_ok "$tmp/synth" synth --kind fakereal -n 48 --size 16 --seed 3 -o "$tmp/fr.h5"
  run_ok "$tmp/train" train --model small -f "$tmp/fr.h5" --epochs 1 --batch-size 16 --lr 0.01 --threads 2 --out "$tmp/run_fr"
  run_ok "$tmp/eval" eval --checkpoint "$tmp/run_fr/best.h5" -f "$tmp/fr.h5" --plots "$tmp/plots/fr"
  expect_png "$tmp/plots/fr/confusion.png" 300 250 900 900
  [ -e "$tmp/plots/fr/predicted_vs_true.png" ] && fail "class ids got a predicted_vs_true.png"
  run_ok "$tmp/gallery" predict --checkpoint "$tmp/run_fr/best.h5" -f "$tmp/fr.h5" -o "$tmp/fr.csv" \
    --gallery "$tmp/fr.png" --bands 2,1,0 --tta
  expect_png "$tmp/fr.png" 500 500 1000 1100  # 16 cutouts, 4 x 4
  awk -F, 'NR > 1 { d = $2 + $3 - 1; if (d > 1e-5 || d < -1e-5) exit 1 }' "$tmp/fr.csv" \
    || fail "averaged probabilities do not sum to 1"
  expect_error 2 "\-\-bands: band 6 is not among the 6 channels" -- \
    predict --checkpoint "$tmp/run_fr/best.h5" -f "$tmp/fr.h5" -o "$tmp/x.csv" --gallery "$tmp/x.png" --bands 6
  expect_error 2 "\-\-bands takes one band (greyscale) or three" -- \
    predict --checkpoint "$tmp/run_fr/best.h5" -f "$tmp/fr.h5" -o "$tmp/x.csv" --gallery "$tmp/x.png" --bands 0,1
  expect_error 2 "\-\-gallery-count: must be an integer in \[1, 1024\]" -- \
    predict --checkpoint "$tmp/run_fr/best.h5" -f "$tmp/fr.h5" -o "$tmp/x.csv" --gallery "$tmp/x.png" --gallery-count 0
  [ -e "$tmp/x.csv" ] || [ -e "$tmp/x.png" ] && fail "a failed predict wrote files"

  # merger: physical parameters, no classes: predicted_vs_true only.
  run_ok "$tmp/synth" synth --kind merger -n 48 --size 16 --seed 4 -o "$tmp/mg.h5"
  run_ok "$tmp/train" train --model small -f "$tmp/mg.h5" --epochs 1 --batch-size 16 --lr 0.02 --threads 2 --out "$tmp/run_mg"
  run_ok "$tmp/eval" eval --checkpoint "$tmp/run_mg/best.h5" -f "$tmp/mg.h5" --plots "$tmp/plots/mg"
  expect_png "$tmp/plots/mg/predicted_vs_true.png" 900 350 1400 600  # 3 panels in a row
  [ -e "$tmp/plots/mg/confusion.png" ] && fail "merger parameters got a confusion matrix"

  : >"$tmp/not_a_dir"
  expect_error 2 "\-\-plots '$tmp/not_a_dir/plots': '$tmp/not_a_dir' is not a directory" -- \
    eval --checkpoint "$tmp/run_mg/best.h5" -f "$tmp/mg.h5" --plots "$tmp/not_a_dir/plots"
else
  expect_error 2 "\-\-gallery: this astrocnn was built without cairo" -- \
    predict --checkpoint "$tmp/run/best.h5" -f "$tmp/m.h5" -o "$tmp/x.csv" --gallery "$tmp/x.png"
  expect_error 2 "\-\-plots: this astrocnn was built without cairo" -- \
    eval --checkpoint "$tmp/run/best.h5" -f "$tmp/m.h5" --plots "$tmp/plots"
fi
echo "cli: predict/eval picture and --tta checks passed"
