#!/usr/bin/env bash
# The built-in orientation set: synth --kind orientation, a model trained on
# it with the default (cosine) loss, eval's angle errors next to the chance
# baseline, eval --plots orientation.png, and bad inputs.
# Usage: orientation.sh PATH/TO/astrocnn
source "$(dirname "$0")/testlib.bash" "$@"
have_hdf5 || { echo "SKIP: this astrocnn has no HDF5 (no data files, no checkpoints)"; exit 77; }

run_ok "$tmp/synth" synth --kind orientation -n 64 --size 32 --seed 3 -o "$tmp/o.h5"
grep -q "wrote .*o.h5: 64 images 1x32x32, 2 float labels (cos_2theta, sin_2theta) synthetic orientation set" \
  "$tmp/synth" || fail "synth said: $(cat "$tmp/synth")"

# The labels' default loss is cosine (vectors that are not vote fractions).
run_ok "$tmp/train" train --model small -f "$tmp/o.h5" --epochs 1 --batch-size 16 --lr 0.01 --threads 2 --out "$tmp/run"
grep -q "loss cosine" "$tmp/train" || fail "train did not pick the cosine loss: $(cat "$tmp/train")"

# eval: the angle errors of the model and of a constant guess, in degrees within [0, 90].
run_ok "$tmp/eval" eval --checkpoint "$tmp/run/best.h5" -f "$tmp/o.h5"
number='[0-9]+\.[0-9]{2}'
grep -Eq "^angle error: mean $number deg, median $number deg " "$tmp/eval" \
  || fail "eval printed no angle errors: $(cat "$tmp/eval")"
grep -Eq "^angle error of a constant guess \(chance\): mean $number deg, median $number deg " "$tmp/eval" \
  || fail "eval printed no chance baseline: $(cat "$tmp/eval")"
grep '^angle error' "$tmp/eval" | grep -Eo "(mean|median) $number deg" | awk '{ if (!($2 >= 0 && $2 <= 90)) exit 1 }' \
  || fail "angle errors outside [0, 90]: $(cat "$tmp/eval")"

# Other real-valued labels get no angle errors.
run_ok "$tmp/synth" synth --kind merger -n 32 --size 16 --seed 4 -o "$tmp/mg.h5"
run_ok "$tmp/train" train --model small -f "$tmp/mg.h5" --epochs 1 --batch-size 16 --threads 2 --out "$tmp/run_mg"
run_ok "$tmp/eval_mg" eval --checkpoint "$tmp/run_mg/best.h5" -f "$tmp/mg.h5"
grep -q "angle" "$tmp/eval_mg" && fail "merger parameters got angle errors: $(cat "$tmp/eval_mg")"

if have_cairo; then
  run_ok "$tmp/plots_out" eval --checkpoint "$tmp/run/best.h5" -f "$tmp/o.h5" --plots "$tmp/plots"
  for png in orientation.png predicted_vs_true.png; do
    grep -q "^wrote $tmp/plots/$png" "$tmp/plots_out" || fail "eval --plots did not write $png: $(cat "$tmp/plots_out")"
    expect_png_signature "$tmp/plots/$png"
  done
  [ -e "$tmp/plots/confusion.png" ] && fail "orientation labels got a confusion matrix"
  # orientation.png in the way (a directory): one error, and the other picture is left as it was.
  mkdir -p "$tmp/blocked/orientation.png"
  echo "old" >"$tmp/blocked/predicted_vs_true.png"
  expect_error 2 "\-\-plots" -- eval --checkpoint "$tmp/run/best.h5" -f "$tmp/o.h5" --plots "$tmp/blocked"
  [ "$(cat "$tmp/blocked/predicted_vs_true.png")" = "old" ] || fail "a failed eval --plots replaced a picture"
fi

# Learnable: a few epochs on 384 small images beat the constant guess on images never seen.
run_ok "$tmp/synth" synth --kind orientation -n 384 --size 16 --seed 11 -o "$tmp/train16.h5"
run_ok "$tmp/synth" synth --kind orientation -n 200 --size 16 --seed 12 -o "$tmp/test16.h5"
run_ok "$tmp/train" train --model small -f "$tmp/train16.h5" --epochs 4 --batch-size 16 --lr 0.01 --threads 2 --out "$tmp/run16"
run_ok "$tmp/eval16" eval --checkpoint "$tmp/run16/best.h5" -f "$tmp/test16.h5"
model=$(sed -nE 's/^angle error: mean ([0-9.]+) deg.*/\1/p' "$tmp/eval16")
chance=$(sed -nE 's/^angle error of a constant guess \(chance\): mean ([0-9.]+) deg.*/\1/p' "$tmp/eval16")
awk -v m="$model" -v c="$chance" 'BEGIN { exit !(m != "" && c > 35 && m < 0.7 * c) }' \
  || fail "the model (mean $model deg) is not clearly better than chance ($chance deg): $(cat "$tmp/eval16")"

# predict gives the angles too, and --tta turns each view's orientation back
# before averaging: averaged as they come, the 8 views' (cos 2θ, sin 2θ)
# cancel and the angles become noise (~45 deg off).
run_ok "$tmp/pred16" predict --checkpoint "$tmp/run16/best.h5" -f "$tmp/test16.h5" -o "$tmp/p16.csv" --tta
[ "$(head -1 "$tmp/p16.csv")" = "index,cos_2theta,sin_2theta,angle_deg,label_cos_2theta,label_sin_2theta,label_angle_deg" ] \
  || fail "predict's header on orientation data: $(head -1 "$tmp/p16.csv")"
tta=$(awk -F, 'NR > 1 { d = $4 - $7; if (d < 0) d = -d; if (d > 90) d = 180 - d; s += d; n++ } END { if (n) printf "%.2f", s / n }' "$tmp/p16.csv")
awk -v t="$tta" -v m="$model" -v c="$chance" 'BEGIN { exit !(t != "" && t < 0.7 * c && t < m + 5) }' \
  || fail "predict --tta: mean angle error $tta deg, against $model deg without it and $chance deg for chance"
# eval --tta reports the same angle error as predict --tta's angles give.
run_ok "$tmp/eval16tta" eval --checkpoint "$tmp/run16/best.h5" -f "$tmp/test16.h5" --tta
eval_tta=$(sed -nE 's/^angle error: mean ([0-9.]+) deg.*/\1/p' "$tmp/eval16tta")
awk -v e="$eval_tta" -v p="$tta" 'BEGIN { exit !(e != "" && (e - p) * (e - p) < 1e-4) }' \
  || fail "eval --tta's mean angle error ($eval_tta deg) differs from predict --tta's ($tta deg)"

# Bad inputs: one line naming the option, exit status 2, no file.
expect_error 2 "\-\-kind.*unknown kind \"orientations\".*orientation" -- \
  synth --kind orientations -n 4 --size 16 -o "$tmp/bad.h5"
expect_error 2 "\-\-size: must be an integer in \[8, 4096\]" -- synth --kind orientation -n 4 --size 4 -o "$tmp/bad.h5"
expect_error 2 "\-\-images: must be an integer in \[1, " -- synth --kind orientation -n 0 --size 16 -o "$tmp/bad.h5"
[ -e "$tmp/bad.h5" ] && fail "a failed synth wrote its output"
expect_error 2 "\-\-kind" -- train --kind orientatio -n 16 --size 16 --epochs 1 --out "$tmp/run_bad"
[ -e "$tmp/run_bad" ] && fail "a failed train made its run directory"
# Turning or mirroring would change the angles the labels give: refused.
for turn in --flip --rot90 "--rotate 30"; do
  # shellcheck disable=SC2086
  expect_error 2 "orientations (cos 2θ, sin 2θ)" -- train --kind orientation -n 16 --size 16 --epochs 1 $turn --out "$tmp/run_turned"
  [ -e "$tmp/run_turned" ] && fail "a refused $turn made its run directory"
done
echo "cli: orientation checks passed"
