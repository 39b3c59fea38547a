#!/usr/bin/env bash
# Hostile inputs: numbers that would size allocations, NaN and infinity,
# empty values, unknown commands, format options given for another format,
# damaged or hostile data files and checkpoints. Each is one error line
# naming the option or the file, exit status 2.
# Usage: hostile_inputs.sh PATH/TO/astrocnn
source "$(dirname "$0")/testlib.bash" "$@"

# ---- The command line ----
expect_error 2 "unknown command 'trian'; the commands are info, synth, train, eval, predict" -- trian
for v in nan inf -1 1e9; do
  expect_error 2 "\-\-lr: must be a number in \[0, 1000\], got '$v'" -- train --lr "$v"
done
expect_error 2 "\-\-momentum: must be a number in \[0, 1), got 'nan'" -- train --momentum nan
expect_error 2 "\-\-weight-decay: must be a number in \[0, 1000\], got '-inf'" -- train --weight-decay -inf
expect_error 2 "\-\-step-size: must be an integer in \[1, 1e+06\], got '0'" -- train --step-size 0
expect_error 2 "\-\-dropout: must be a number in \[0, 1), got '1.5'" -- train --dropout 1.5
expect_error 2 "\-\-noise: must be a number in \[0, 1e+06\], got 'nan'" -- train --noise nan
expect_error 2 "\-\-val-fraction: must be a number in \[0, 1), got 'nan'" -- train --val-fraction nan
expect_error 2 "\-\-zoom: must be a number in (0, 100\], got 'nan'" -- train --zoom nan,1
expect_error 2 "\-\-rotate: must be a number in \[0, 180\], got '-5'" -- train --rotate -5
expect_error 2 "\-\-seed: must be an integer in \[0, 18446744073709551615\], got '-1'" -- train --seed -1
expect_error 2 "\-\-seed: must be an integer in \[0, 18446744073709551615\], got '-1'" -- synth --seed -1 -o "$tmp/x.h5"
expect_error 2 "\-\-images: must be an integer in \[1, 1e+07\], got '0'" -- synth -n 0 -o "$tmp/x.h5"
expect_error 2 "\-\-images: must be an integer in \[1, 1e+07\], got '1000000000'" -- train -n 1000000000
expect_error 2 "\-\-size: must be an integer in \[8, 4096\], got '1048576'" -- train --size 1048576
expect_error 2 "\-\-batch-size: must be an integer in \[1, 65536\], got '0'" -- train --batch-size 0
expect_error 2 "\-\-batch-size: must be an integer in \[1, 65536\], got '1000000000'" -- \
  eval --checkpoint "$tmp/c.h5" -f "$tmp/d.h5" --batch-size 1000000000
expect_error 2 "\-\-outputs: must be an integer in \[1, 65536\], got '1000000000'" -- train --outputs 1000000000
expect_error 2 "\-\-epochs: must be an integer in \[1, 1e+06\], got '-3'" -- train --epochs -3
expect_error 2 "\-\-threads: must be an integer in \[0, 1024\], got '-2'" -- train --threads -2
expect_error 2 "\-\-num-camera: must be an integer in \[1, 14\], got '99'" -- train --num-camera 99
expect_error 2 "\-\-gallery-count: must be an integer in \[1, 1024\], got '100000000'" -- \
  predict --checkpoint "$tmp/c.h5" -f "$tmp/d.h5" -o "$tmp/p.csv" --gallery-count 100000000
expect_error 2 "\-\-merger-channels: must be an integer in \[1, 3\], got '7'" -- synth --merger-channels 7 -o "$tmp/x.h5"
# In range but not a value: named as typed, not as the library's field (merger_channels).
expect_error 2 "^astrocnn: error: \-\-merger-channels must be 1 (one band) or 3 (g, r, z), got 2$" -- \
  synth --kind merger --merger-channels 2 -n 4 -o "$tmp/x.h5"
expect_error 2 "\-\-lens-fraction: must be a number in \[0, 1\], got '2'" -- synth --kind lens --lens-fraction 2 -o "$tmp/x.h5"
[ -e "$tmp/x.h5" ] && fail "a refused synth wrote its -o file"
expect_error 2 "Could not convert: --epochs = many" -- train --epochs many
expect_error 2 "\-\-out: the value is empty" -- train --out ''
expect_error 2 "\-\-checkpoint: the value is empty" -- eval --checkpoint '' -f "$tmp/d.h5"
expect_error 2 "\-\-split: train not in {train,test}\|\-\-split: .*train.*test" -- train --split valid

# ---- Labels CSV (no FITS images are opened: the table fails first) ----
mkdir -p "$tmp/fits"
printf 'filename,class\na.fits,0\nb.fits,1000000000\n' >"$tmp/fits/labels.csv"
if "$bin" info | grep -q "^fits: *yes"; then
  expect_error 2 "labels CSV '$tmp/fits/labels.csv', line 3: class id 1000000000 is outside \[0, 65536)" -- \
    train --model small -f "$tmp/fits" --out "$tmp/never"
  printf 'filename,class\na.fits,0\nb.fits,-1\n' >"$tmp/fits/labels.csv"
  expect_error 2 "labels CSV '$tmp/fits/labels.csv', line 3: class id -1 is outside \[0, 65536)" -- \
    train --model small -f "$tmp/fits" --out "$tmp/never"
fi

if ! have_hdf5; then
  echo "SKIP: the data-file and checkpoint checks (this astrocnn has no HDF5)"
  exit 0
fi
py=$(h5py_python)
if [ -z "$py" ]; then
  echo "SKIP: the crafted-file checks (no python3 with h5py and numpy)"
  exit 0
fi

# ---- Crafted data files ----
"$py" - "$tmp" <<'EOF'
import sys, h5py, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(0)
x = rng.normal(size=(8, 1, 16, 16)).astype(np.float32)
def native(name, images, labels, **attrs):
    with h5py.File(f"{d}/{name}", "w") as f:
        f["images"] = images
        f["labels"] = labels
        for k, v in attrs.items(): f.attrs[k] = v
cls = np.array([0, 1, 0, 1, 0, 1, 0, 1], np.int64)
native("cls.h5", x, cls, task="classification", label_names=["a", "b"])
native("ids7.h5", x, np.array([0, 1, 0, 1, 0, 7, 0, 1], np.int64))
bad = x.copy(); bad[5, 0, 3, 4] = np.nan
native("nanpixel.h5", bad, cls, task="classification", label_names=["a", "b"])
with h5py.File(f"{d}/huge.h5", "w") as f:  # declared, never written: chunked fill values
    f.create_dataset("images", shape=(2**40, 1, 2**20, 2**20), dtype="f4", chunks=(1, 1, 64, 64))
    f.create_dataset("labels", shape=(2**40,), dtype="i8", chunks=(1024,))
# obiwan shards: a header that declares far more than the file holds
import os
os.makedirs(f"{d}/shards", exist_ok=True)
np.save(f"{d}/shards/xtrain_0.npy", rng.normal(size=(4, 16, 16, 6)).astype(np.float32))
np.save(f"{d}/shards/ytrain_0.npy", np.array([0., 1., 0., 1.]))
with open(f"{d}/shards/xtrain_1.npy", "wb") as f:
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 16, 16, 6), }"
    header += " " * (118 - len(header)) + "\n"
    f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode())
np.save(f"{d}/shards/ytrain_1.npy", np.array([0., 1.]))
EOF

expect_error 2 "'$tmp/huge.h5' (native HDF5) declares images of \[1,1048576,1048576\]" -- \
  train --model small -f "$tmp/huge.h5" --out "$tmp/never"
expect_error 2 "npy file '$tmp/shards/xtrain_1.npy': its header declares the shape" -- \
  train --model small -f "$tmp/shards" --out "$tmp/never"
expect_error 2 "\-\-split applies to obiwan shards, but '$tmp/cls.h5' is a native astrocnn HDF5 file" -- \
  train --model small -f "$tmp/cls.h5" --split test --out "$tmp/never"

# ---- A run to attack ----
run="$tmp/run"
run_ok "$tmp/train.log" train --model small -f "$tmp/cls.h5" --epochs 1 --batch-size 4 --lr 0.01 \
  --val-fraction 0 --out "$run"
ckpt="$run/checkpoint.h5"
expect_error 2 "\-\-split applies to obiwan shards, but '$tmp/cls.h5' is a native astrocnn HDF5 file" -- \
  eval --checkpoint "$ckpt" -f "$tmp/cls.h5" --split train
expect_error 2 "HDF5 file '$tmp/nanpixel.h5', object '/images': row 5 holds a non-finite pixel (nan at channel 0, y 3, x 4)" -- \
  eval --checkpoint "$ckpt" -f "$tmp/nanpixel.h5"
expect_error 2 "HDF5 file '$tmp/nanpixel.h5', object '/images': row 5 holds a non-finite pixel" -- \
  predict --checkpoint "$ckpt" -f "$tmp/nanpixel.h5" -o "$tmp/p.csv"
[ -e "$tmp/p.csv" ] && fail "a failed predict wrote its -o file"
expect_error 2 "'$tmp/ids7.h5': row 5 has class id 7 but the model 'small' of checkpoint '$ckpt' has 2 outputs" -- \
  eval --checkpoint "$ckpt" -f "$tmp/ids7.h5"

# Damaged checkpoints: NaN weights, integer weights, a missing momentum buffer.
"$py" - "$ckpt" "$tmp" <<'EOF'
import sys, shutil, h5py, numpy as np
src, d = sys.argv[1], sys.argv[2]
def variant(name, change):
    shutil.copy(src, f"{d}/{name}")
    with h5py.File(f"{d}/{name}", "r+") as f: change(f)
weights = lambda f: sorted(k for k in f if isinstance(f[k], h5py.Dataset) and k.endswith(".weight"))[0]
def nan_weight(f):
    k = weights(f); w = f[k][()]; w.flat[0] = np.nan; f[k][...] = w
def int_weight(f):
    k = weights(f); w = f[k][()]; del f[k]; f[k] = w.astype(np.int32)
def no_momentum(f):
    k = sorted(n for n in f["optimizer"] if n.endswith(".momentum_buffer"))[0]; del f["optimizer"][k]
variant("nan.h5", nan_weight)
variant("int.h5", int_weight)
variant("nomomentum.h5", no_momentum)
EOF
expect_error 2 "HDF5 file '$tmp/nan.h5', object '/.*weight'.*non-finite value (nan at element 0)" -- \
  eval --checkpoint "$tmp/nan.h5" -f "$tmp/cls.h5"
expect_error 2 "HDF5 file '$tmp/int.h5', object '/.*weight'.*holds integers but the model's" -- \
  predict --checkpoint "$tmp/int.h5" -f "$tmp/cls.h5" -o "$tmp/p.csv"
cp -r "$run" "$tmp/run2" && cp "$tmp/nomomentum.h5" "$tmp/run2/checkpoint.h5"
expect_error 2 "HDF5 file '$tmp/run2/checkpoint.h5', object '/optimizer/.*momentum_buffer'.*missing" -- \
  train --resume --out "$tmp/run2" --epochs 2

# Damaged run descriptions (/meta/config): eval, predict and --resume name
# the checkpoint, and leave it (and the run directory) as it was.
"$py" - "$ckpt" "$tmp" <<'EOF'
import sys, json, shutil, h5py
src, d = sys.argv[1], sys.argv[2]
def config(name, change):
    shutil.copy(src, f"{d}/{name}")
    with h5py.File(f"{d}/{name}", "r+") as f:
        c = json.loads(f["meta"].attrs["config"])
        change(c)
        f["meta"].attrs["config"] = json.dumps(c)
config("model42.h5", lambda c: c.update(model=42))
config("noname.h5", lambda c: c["model"].pop("name"))
config("labelsflag.h5", lambda c: c["data"].update(class_labels="yes"))
config("threads.h5", lambda c: c["options"].update(threads=100000))
shutil.copy(src, f"{d}/notjson.h5")
with h5py.File(f"{d}/notjson.h5", "r+") as f: f["meta"].attrs["config"] = '{"model": {'
EOF
for bad in model42 noname threads; do
  cp -r "$run" "$tmp/run_$bad" && cp "$tmp/$bad.h5" "$tmp/run_$bad/checkpoint.h5"
done
damaged() { md5sum "$tmp"/{model42,noname,labelsflag,notjson}.h5 "$tmp"/run_{model42,noname,threads}/*; }
damaged >"$tmp/damaged.before"
not_object="the model description in /meta/config is not a JSON object (42)"
no_name="the model description in /meta/config has no \"name\""
expect_error 2 "checkpoint '$tmp/model42.h5': $not_object" -- eval --checkpoint "$tmp/model42.h5" -f "$tmp/cls.h5"
expect_error 2 "checkpoint '$tmp/model42.h5': $not_object" -- \
  predict --checkpoint "$tmp/model42.h5" -f "$tmp/cls.h5" -o "$tmp/p.csv"
expect_error 2 "checkpoint '$tmp/run_model42/checkpoint.h5': $not_object" -- \
  train --resume --out "$tmp/run_model42" --epochs 2
expect_error 2 "checkpoint '$tmp/noname.h5': $no_name" -- eval --checkpoint "$tmp/noname.h5" -f "$tmp/cls.h5"
expect_error 2 "checkpoint '$tmp/noname.h5': $no_name" -- \
  predict --checkpoint "$tmp/noname.h5" -f "$tmp/cls.h5" -o "$tmp/p.csv"
expect_error 2 "checkpoint '$tmp/run_noname/checkpoint.h5': $no_name" -- \
  train --resume --out "$tmp/run_noname" --epochs 2
# A field of the wrong type: not an internal JSON error (exit 1). A stored
# option out of its range: refused as on the command line (100000 threads
# crashed the thread pool).
expect_error 2 "checkpoint '$tmp/labelsflag.h5': \"/data/class_labels\" in /meta/config must be true or false, got \"yes\"" -- \
  eval --checkpoint "$tmp/labelsflag.h5" -f "$tmp/cls.h5"
expect_error 2 "checkpoint '$tmp/notjson.h5': /meta/config is not valid JSON" -- \
  predict --checkpoint "$tmp/notjson.h5" -f "$tmp/cls.h5" -o "$tmp/p.csv"
expect_error 2 "checkpoint '$tmp/run_threads/checkpoint.h5': the run's options in /meta/config: \"threads\" must be an integer in \[0, 1024\], got 100000" -- \
  train --resume --out "$tmp/run_threads" --epochs 2
[ -e "$tmp/p.csv" ] && fail "a failed predict wrote its -o file"
damaged >"$tmp/damaged.after"
cmp -s "$tmp/damaged.before" "$tmp/damaged.after" || \
  fail "refusing a damaged checkpoint changed files: $(diff "$tmp/damaged.before" "$tmp/damaged.after")"
ls "$tmp"/run_*/*.tmp >/dev/null 2>&1 && fail "temporary files left in a run directory"
exit 0
