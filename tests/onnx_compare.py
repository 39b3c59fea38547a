#!/usr/bin/env python3
"""Runs an `astrocnn export` model in onnxruntime (CPU) on the images of an
astrocnn HDF5 file and compares its outputs with what `astrocnn predict`
wrote for the same file (tests/cli/onnx_export.sh).

    onnx_compare.py MODEL.onnx DATA.h5 PREDICT.csv [MODEL.onnx DATA.h5 PREDICT.csv ...]
                    [--tolerance 1e-5]

The error is relative to the largest output: max |onnx - predict| / max |predict|
over every output of every image (one number per model). predict's CSV holds
7 significant digits, so its own rounding stays below 5e-7 of that scale.
The outputs must differ between images and, for a classifier, not all be
saturated at 0 or 1. The images go through in two batches of different
sizes, which also checks that the batch dimension is free. When the `onnx` package is importable, the
file first passes onnx.checker.check_model(full_check=True).
Exit status 0 when every model's error is within the tolerance, 1 otherwise.
"""
import argparse
import csv
import sys

import h5py
import numpy as np
import onnxruntime


def check_with_onnx(path):
    try:
        import onnx
    except ImportError:
        print(f"{path}: onnx not importable, checker skipped")
        return
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    opsets = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    meta = {p.key: p.value for p in model.metadata_props}
    for key in ("astrocnn_version", "model", "task", "outputs", "opset"):
        if key not in meta:
            sys.exit(f"{path}: metadata_props lacks '{key}'")
    print(f"{path}: onnx.checker passed (opsets {opsets}, model {meta['model']}, task {meta['task']})")


def predict_outputs(path, k):
    """The k output columns (after 'index') of predict's CSV, as float64 [N, k]."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    if header[0] != "index" or len(header) < 1 + k:
        sys.exit(f"{path}: unexpected header {header}")
    return np.array([[float(v) for v in row[1:1 + k]] for row in body], dtype=np.float64)


def check_informative(outputs, task):
    """A comparison proves little when every output is the same, or when every
    probability is saturated at 0 or 1: refuse those (the test's data and
    learning rate are chosen to avoid them)."""
    if np.ptp(outputs, axis=0).max() <= 1e-6 * np.abs(outputs).max():
        sys.exit("predict gives the same outputs for every image: nothing to compare")
    if task == "classification" and not ((outputs > 1e-3) & (outputs < 1 - 1e-3)).any():
        sys.exit("every probability is saturated at 0 or 1: nothing to compare")


def compare(model, data, predictions, tolerance):
    """Returns True when `model` gives predict's outputs on `data`'s images."""
    check_with_onnx(model)
    session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
    (inp,), (out,) = session.get_inputs(), session.get_outputs()
    if inp.name != "images" or out.name != "outputs":
        sys.exit(f"{model}: input '{inp.name}', output '{out.name}'; expected images, outputs")
    k = out.shape[1]

    with h5py.File(data, "r") as f:
        images = np.asarray(f["images"], dtype=np.float32)  # float32 files are read as stored
    split = max(1, len(images) // 3)
    ours = np.concatenate([session.run(["outputs"], {"images": images[:split]})[0],
                           session.run(["outputs"], {"images": images[split:]})[0]])
    theirs = predict_outputs(predictions, k)
    if ours.shape != theirs.shape:
        sys.exit(f"{model}: onnxruntime gives {ours.shape}, predict wrote {theirs.shape}")
    check_informative(theirs, session.get_modelmeta().custom_metadata_map.get("task", ""))

    scale = max(np.abs(theirs).max(), np.finfo(np.float32).tiny)
    error = np.abs(ours.astype(np.float64) - theirs).max() / scale
    ok = error <= tolerance
    print(f"{model}: {len(images)} images x {k} outputs, max |onnx - predict| / max |predict| "
          f"= {error:.2e} (tolerance {tolerance:g}) {'ok' if ok else 'FAIL'}")
    return ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("triples", nargs="+", metavar="MODEL.onnx DATA.h5 PREDICT.csv")
    parser.add_argument("--tolerance", type=float, default=1e-5)
    args = parser.parse_args()
    if len(args.triples) % 3:
        parser.error("give MODEL.onnx DATA.h5 PREDICT.csv, once per model")
    triples = [args.triples[i:i + 3] for i in range(0, len(args.triples), 3)]
    results = [compare(*triple, args.tolerance) for triple in triples]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
