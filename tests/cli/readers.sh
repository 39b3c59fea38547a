#!/usr/bin/env bash
# The data formats of docs/DATA.md through the command line: a DeepGalaxy
# file, obiwan shards and per-brick cutouts, a directory of FITS images, each
# written here in its layout (with Python's h5py and numpy) and trained on
# for one epoch; eval and predict on them; --resume keeps the data options;
# and misdirected options or files give one error line.
# Usage: readers.sh PATH/TO/astrocnn
source "$(dirname "$0")/testlib.bash" "$@"

py=$(h5py_python)
if [ -z "$py" ] || ! have_hdf5; then
  echo "SKIP: needs a Python with h5py and numpy, and an astrocnn with HDF5"
  exit 77
fi
"$py" - "$tmp" <<'EOF' || fail "could not write the data files"
import os, sys
import h5py, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(0)

# DeepGalaxy: simulations x cameras 00-02 x 6 snapshots, float16 [T, H, W, 1].
with h5py.File(f"{d}/dg.hdf5", "w") as f:
    for name in ["s_1_m_1", "s_1.5_m_1", "s_0.5_m_1"]:
        for c in range(3):
            f[f"{name}/images_camera_{c:02d}"] = rng.random((6, 16, 16, 1)).astype(np.float16)
            f[f"{name}/t_myr_camera_{c:02d}"] = (100 + 5 * np.arange(6) + c).astype(np.float32)

# obiwan shards: testtrain/<bri>/<brick>/[xy](train|test)_N.npy, channels last, 0 real / 1 fake.
brick = f"{d}/shards/testtrain/121/1211p060"
os.makedirs(brick)
for split, n, count in [("train", 1, 8), ("train", 2, 8), ("train", 3, 8), ("test", 1, 6)]:
    np.save(f"{brick}/x{split}_{n}.npy", rng.random((count, 16, 16, 6)).astype(np.float32))
    np.save(f"{brick}/y{split}_{n}.npy", (np.arange(count) % 2).astype(np.float64))

# obiwan cutouts: /<tractor id>/img and /ivar [16, 16, 3] per brick, real and simulated.
for name, ids in [("real.hdf5", [3, 1, 2, 9, 7, 5, 13]), ("sim.hdf5", [4, 8, 6, 10, 11, 12])]:
    with h5py.File(f"{d}/{name}", "w") as f:
        for i in ids:
            f[f"{i}/img"] = rng.random((16, 16, 3)).astype(np.float32)
            f[f"{i}/ivar"] = rng.random((16, 16, 3)).astype(np.float32)

# FITS: a directory of 3-extension files (an empty primary HDU, then g, r, z) and labels.csv.
def card(key, value):
    return f"{key:<8}= {value:>20}".ljust(80)
def hdu(lines, data=b""):
    head = "".join(lines + ["END".ljust(80)])
    head += " " * (-len(head) % 2880)
    return head.encode() + data + b"\0" * (-len(data) % 2880)
def fits(path, planes):
    out = hdu([card("SIMPLE", "T"), card("BITPIX", 8), card("NAXIS", 0), card("EXTEND", "T")])
    for p in planes:
        out += hdu(["XTENSION= 'IMAGE   '".ljust(80), card("BITPIX", -32), card("NAXIS", 2),
                    card("NAXIS1", p.shape[1]), card("NAXIS2", p.shape[0]), card("PCOUNT", 0),
                    card("GCOUNT", 1)], p.astype(">f4").tobytes())
    open(path, "wb").write(out)
os.makedirs(f"{d}/fits")
with open(f"{d}/fits/labels.csv", "w") as csv:
    csv.write("filename,class\n")
    for i in range(10):
        fits(f"{d}/fits/g{i}.fits", list(rng.random((3, 16, 16))))
        csv.write(f"g{i}.fits,{['spiral', 'elliptical'][i % 2]}\n")
EOF

train() { run_ok "$tmp/log" train --model small --epochs 1 --batch-size 8 --lr 0.01 --threads 2 "$@"; }
data_line() { grep "^data: " "$1/train_log.txt"; }

# DeepGalaxy: 2 simulations (s_1*) x 2 cameras x 6 snapshots; classes of (time bin, camera).
train -f "$tmp/dg.hdf5" -d 's_1*' --num-camera 2 --out "$tmp/dg"
data_line "$tmp/dg" | grep -q "24 images 1x16x16, class ids (0_0, 0_1, 1_0, 1_1, .*, 5_1); DeepGalaxy HDF5" \
  || fail "DeepGalaxy run: $(data_line "$tmp/dg")"
grep -q '"datasets": "s_1\*"' "$tmp/dg/config.json" || fail "config.json lacks -d: $(grep datasets "$tmp/dg/config.json")"
run_ok "$tmp/log" eval --checkpoint "$tmp/dg/best.h5" -f "$tmp/dg.hdf5" -d 's_1*' --num-camera 2
grep -q "^images: 24 " "$tmp/log" || fail "DeepGalaxy eval: $(cat "$tmp/log")"
train -f "$tmp/dg.hdf5" --num-camera 1 --dg-labels time --out "$tmp/dg_time"
data_line "$tmp/dg_time" | grep -q "18 images 1x16x16, class ids (0, 1, 2, 3, 4, 5)" \
  || fail "DeepGalaxy time labels: $(data_line "$tmp/dg_time")"

# obiwan shards: train on the 24 train examples; eval and predict take the 6 test ones.
train -f "$tmp/shards" --out "$tmp/sh"
data_line "$tmp/sh" | grep -q "24 images 6x16x16, class ids (real, fake); obiwan .npy shards (train)" \
  || fail "shards run: $(data_line "$tmp/sh")"
run_ok "$tmp/log" eval --checkpoint "$tmp/sh/best.h5" -f "$tmp/shards"
grep -q "^images: 6 " "$tmp/log" || fail "shards eval: $(cat "$tmp/log")"
run_ok "$tmp/log" predict --checkpoint "$tmp/sh/best.h5" -f "$tmp/shards" --split train -o "$tmp/p.csv"
[ "$(wc -l <"$tmp/p.csv")" -eq 25 ] || fail "predict on 24 train examples: $(wc -l <"$tmp/p.csv") lines"
head -1 "$tmp/p.csv" | grep -q "^index,p_real,p_fake,label$" || fail "predict header: $(head -1 "$tmp/p.csv")"
# --resume reads the same shards again from the stored options.
run_ok "$tmp/log" train --out "$tmp/sh" --resume --epochs 2
[ "$(wc -l <"$tmp/sh/metrics.csv")" -eq 5 ] || fail "resumed shards run: $(cat "$tmp/sh/metrics.csv")"

# obiwan cutouts: 6 real + 6 fake (the 7th real one is left out: as many of each).
train -f "$tmp/real.hdf5" --fake "$tmp/sim.hdf5" --out "$tmp/cut"
data_line "$tmp/cut" | grep -q "12 images 6x16x16, class ids (real, fake); obiwan HDF5 cutouts" \
  || fail "cutouts run: $(data_line "$tmp/cut")"

# FITS: -f DIR (its labels.csv), eval through -f DIR/labels.csv.
if "$bin" info | grep -q "^fits: *yes"; then
  train -f "$tmp/fits" --out "$tmp/fits_run"
  data_line "$tmp/fits_run" | grep -q "10 images 3x16x16, class ids (elliptical, spiral); FITS" \
    || fail "FITS run: $(data_line "$tmp/fits_run")"
  run_ok "$tmp/log" eval --checkpoint "$tmp/fits_run/best.h5" -f "$tmp/fits/labels.csv"
  grep -q "^images: 10 " "$tmp/log" || fail "FITS eval: $(cat "$tmp/log")"
  cp "$tmp/fits/labels.csv" "$tmp/fits/missing.csv"
  echo "g99.fits,spiral" >>"$tmp/fits/missing.csv"
  expect_error 2 "missing.csv', line 12: the image '$tmp/fits/g99.fits' does not exist" -- \
    train -f "$tmp/fits" --labels "$tmp/fits/missing.csv" --out "$tmp/never"
  expect_error 2 "FITS images are read as a directory with a labels CSV" -- \
    train -f "$tmp/fits/g1.fits" --out "$tmp/never"
else
  expect_error 2 "built without cfitsio" -- train -f "$tmp/fits" --out "$tmp/never"
  echo "note: this astrocnn has no cfitsio; the FITS runs were skipped"
fi

# Options meant for another format, and files of no known format.
run_ok "$tmp/log" synth --kind fakereal -n 8 --size 16 -o "$tmp/native.h5"
expect_error 2 "\-d applies to DeepGalaxy files, but '$tmp/native.h5' is a native astrocnn HDF5 file" -- \
  train -f "$tmp/native.h5" -d 's_*' --out "$tmp/never"
expect_error 2 "\-\-fake applies to obiwan cutout files" -- train -f "$tmp/shards" --fake "$tmp/sim.hdf5" --out "$tmp/never"
expect_error 2 "no group matches -d 's_9\*'" -- train -f "$tmp/dg.hdf5" -d 's_9*' --out "$tmp/never"
expect_error 2 "\-\-num-camera 4 needs cameras 00 to 03" -- train -f "$tmp/dg.hdf5" --num-camera 4 --out "$tmp/never"
rm "$tmp/shards/testtrain/121/1211p060/xtest_1.npy" "$tmp/shards/testtrain/121/1211p060/ytest_1.npy"
expect_error 2 "no xtest_N.npy files under '$tmp/shards'.*--split" -- eval --checkpoint "$tmp/sh/best.h5" -f "$tmp/shards"
mkdir -p "$tmp/nothing"
expect_error 2 "'$tmp/nothing' is a directory without labels.csv" -- train -f "$tmp/nothing" --out "$tmp/never"
[ -e "$tmp/never" ] && fail "a failed run created its --out directory"
echo "cli: reader checks passed"
