#!/usr/bin/env python3
"""PyTorch weights -> an astrocnn checkpoint (docs/DATA.md, "Checkpoints").

Converts a PyTorch state_dict (a .pt/.pth file written by
torch.save(model.state_dict()), a training checkpoint dict holding one, or,
with --trust-pickle, a whole pickled model), or a torchvision model built here
(--torchvision resnet18 [--weights IMAGENET1K_V1]), into an HDF5 checkpoint
that `astrocnn predict/eval --checkpoint` and `astrocnn train --init-from` read:

    python3 tools/scripts/torch2h5.py resnet18_6band.pt -o resnet18.h5 --image-size 64
    python3 tools/scripts/torch2h5.py --torchvision resnet50 --weights IMAGENET1K_V2 -o r50.h5
    astrocnn train --model resnet50 -f lenses.h5 --init-from r50.h5 ...

The file holds one dataset per state_dict entry (float32; num_batches_tracked
int64) and the /meta attributes astrocnn rebuilds the model from: `model`
and `config`, whose "model" section has the name, in_channels, outputs,
image_size, small_input_stem, dropout and activation
(tools/run/run_config.h). What the tensors fix is read from them: the model
(resnet18, resnet50 and alexnet are told by their names), the input channels
(the first convolution's weight), the outputs (the last dense weight:
fc.weight, classifier.6.weight), the small ResNet stem (a 3x3 conv1) and, for
small and alexnet, the image size. Options override; ResNets take any image
size (default 224: give yours). No tensor tells the activation: give
--activation for a network with torch.nn.SiLU or torch.nn.LeakyReLU(0.01)
where astrocnn's models have ReLU (not the ResNets).

The names and shapes are checked against the model astrocnn builds, as
`astrocnn info --model NAME ...` lists them (--astrocnn PATH, else $ASTROCNN,
astrocnn on PATH or the repository's build/tools/astrocnn): a state_dict that
does not fit is refused here, naming the entries, rather than written and
refused later. --no-check skips this (astrocnn's loader checks the same when
the file is used).

Errors: one line `torch2h5: error: ...` on stderr, exit status 2; an existing
output file is then left as it was (the file is written beside it and
renamed into place).
"""
import argparse
import json
import math
import os
import shlex
import shutil
import subprocess
import zipfile
from collections import OrderedDict

from script_common import Parser, Refused, run_main, write_atomically

MODELS = ["small", "huertas", "lenet", "resnet18", "resnet50", "alexnet"]
# astrocnn's activations (models/models.h, ModelOptions::activation) and their
# PyTorch modules: relu torch.nn.ReLU, leaky_relu torch.nn.LeakyReLU(0.01),
# silu torch.nn.SiLU.
ACTIVATIONS = ["relu", "leaky_relu", "silu"]
TORCHVISION_MODELS = ["resnet18", "resnet50", "alexnet"]
CHECKPOINT_FORMAT = 1
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_args(argv):
    p = Parser(prog="torch2h5", description=__doc__.split("\n\n")[0],
               formatter_class=argparse.RawDescriptionHelpFormatter,
               epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    p.add_argument("state", nargs="?", help="PyTorch .pt/.pth file (a state_dict, a dict holding "
                   "one under state_dict/model_state_dict/model, or a whole model with --trust-pickle)")
    p.add_argument("--torchvision", metavar="NAME", choices=TORCHVISION_MODELS,
                   help="convert torchvision.models.NAME instead of a file: " + ", ".join(TORCHVISION_MODELS))
    p.add_argument("--weights", metavar="W", help="with --torchvision: its weights (e.g. DEFAULT, "
                   "IMAGENET1K_V1), which must be in torch's cache unless --download; without: "
                   "random initialisation")
    p.add_argument("--download", action="store_true", help="with --weights: let torchvision "
                   "download weights missing from the cache")
    p.add_argument("-o", "--output", required=True, help="the astrocnn checkpoint (.h5) to write")
    p.add_argument("--model", choices=MODELS, help="astrocnn model (default: told from the names)")
    p.add_argument("--in-channels", type=int, help="input channels (default: from the first convolution)")
    p.add_argument("--outputs", type=int, help="outputs (default: from the last dense layer)")
    p.add_argument("--image-size", type=int, help="image height = width (default: from the "
                   "shapes for small and alexnet, 224 for the ResNets)")
    p.add_argument("--small-stem", action="store_true", default=None,
                   help="ResNets: 3x3 stride-1 stem without max-pool (default: from conv1's kernel)")
    p.add_argument("--dropout", type=float, default=0.5, help="dropout of huertas/alexnet dense layers")
    p.add_argument("--activation", choices=ACTIVATIONS, default="relu", help="the model's activation: "
                   "relu (torch.nn.ReLU), leaky_relu (torch.nn.LeakyReLU(0.01)) or silu (torch.nn.SiLU); "
                   "the ResNets take relu only")
    p.add_argument("--task", choices=["classification", "regression"], default="classification",
                   help="what the outputs are: class scores (predict prints softmax "
                   "probabilities) or regression values (printed as they are)")
    p.add_argument("--label-names", help="comma-separated names of the outputs: the classes, "
                   "or the regression targets (predict's column names)")
    p.add_argument("--astrocnn", metavar="PATH", help="the astrocnn binary that lists the names to expect")
    p.add_argument("--no-check", action="store_true", help="do not check the names against astrocnn")
    p.add_argument("--trust-pickle", action="store_true", help="allow a file holding Python objects "
                   "other than tensors (a whole model): loading it runs its code, so only for files you trust")
    a = p.parse_args(argv)
    if (a.state is None) == (a.torchvision is None):
        raise Refused("give either a PyTorch file or --torchvision NAME")
    if a.weights and not a.torchvision:
        raise Refused("--weights goes with --torchvision")
    for name in ("in_channels", "outputs", "image_size"):
        value = getattr(a, name)
        if value is not None and value < 1:
            raise Refused(f"--{name.replace('_', '-')} must be >= 1, got {value}")
    if not 0 <= a.dropout < 1:
        raise Refused(f"--dropout must be in [0, 1), got {a.dropout}")
    return a


# ------------------------------------------------------------------ reading
def first_line(error):
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def check_torch_file(path):
    if not os.path.isfile(path):
        raise Refused(f"'{path}' does not exist or is not a file")
    # torch.save writes a zip archive (a pickle in its oldest format):
    # anything else would reach the unpickler and be misreported.
    with open(path, "rb") as f:
        magic = f.read(1)
    if not zipfile.is_zipfile(path) and magic != b"\x80":
        raise Refused(f"'{path}' is not a PyTorch file (neither the zip archive of torch.save nor a pickle)")


def load_torch_file(path, trust_pickle):
    """The state_dict in `path`, and a note on where in the file it was."""
    import pickle
    import torch

    try:
        obj = torch.load(path, map_location="cpu", weights_only=not trust_pickle)
    except pickle.UnpicklingError:
        raise Refused(f"'{path}' holds Python objects other than tensors (a whole model?), which "
                      "loading rebuilds by running code from the file: give --trust-pickle if you "
                      "trust it")
    except Exception as e:  # not a torch file, truncated, ...
        raise Refused(f"'{path}' is not a PyTorch file torch.load reads: {first_line(e)}")
    note = ""
    if isinstance(obj, torch.nn.Module):
        obj, note = obj.state_dict(), " (the model's state_dict)"
    elif isinstance(obj, dict) and not all(torch.is_tensor(v) for v in obj.values()):
        for key in ("state_dict", "model_state_dict", "model"):
            inner = obj.get(key)
            if isinstance(inner, torch.nn.Module):
                inner = inner.state_dict()
            if isinstance(inner, dict) and inner and all(torch.is_tensor(v) for v in inner.values()):
                obj, note = inner, f" (its '{key}')"
                break
        else:
            raise Refused(f"'{path}' holds a dict that is not a state_dict (keys: "
                          f"{', '.join(map(str, list(obj)[:6]))}) and has no state_dict, "
                          "model_state_dict or model entry")
    if not isinstance(obj, dict) or not obj:
        raise Refused(f"'{path}' holds {type(obj).__name__}, not a state_dict")
    state = OrderedDict(obj)
    # nn.DataParallel / DistributedDataParallel wrap every name in "module.".
    if all(k.startswith("module.") for k in state):
        state = OrderedDict((k[len("module."):], v) for k, v in state.items())
        note += " (the 'module.' prefix removed)"
    return state, note


def torchvision_state(name, weights, download):
    import torch
    import torchvision

    builder = getattr(torchvision.models, name)
    if not weights:
        return builder(weights=None).state_dict(), f"torchvision.models.{name}(weights=None)"
    try:
        w = torchvision.models.get_model_weights(name)[weights]
    except KeyError:
        known = ", ".join(["DEFAULT"] + [m.name for m in torchvision.models.get_model_weights(name)])
        raise Refused(f"--weights: {name} has no weights '{weights}' (known: {known})")
    cached = os.path.join(torch.hub.get_dir(), "checkpoints", os.path.basename(w.url))
    if not download and not os.path.exists(cached):
        raise Refused(f"--weights {weights}: {cached} is not there (torch's cache); give "
                      "--download to let torchvision fetch it, or copy it there")
    return builder(weights=w).state_dict(), f"torchvision.models.{name}(weights={w})"


# --------------------------------------------------------------- inference
def guess_model(state):
    names = set(state)
    if "layer4.0.conv3.weight" in names:
        return "resnet50"
    if "layer4.1.conv2.weight" in names:
        return "resnet18"
    if "features.0.weight" in names and "classifier.6.weight" in names:
        return "alexnet"
    raise Refused("cannot tell the model from the state_dict's names (torchvision's resnet18, "
                  "resnet50 and alexnet are recognised): give --model, one of " + ", ".join(MODELS))


def first_conv(state):
    for name, t in state.items():
        if t.dim() == 4:
            return name, t
    raise Refused("the state_dict has no convolution weight (4-D entry) to take the input channels from")


def last_dense(state):
    for name, t in reversed(state.items()):
        if t.dim() == 2 and name.endswith(".weight"):
            return name, t
    raise Refused("the state_dict has no dense weight (2-D entry) to take the outputs from")


def alexnet_feature_size(n):
    conv = lambda n, k, s, p: (n + 2 * p - k) // s + 1 if n + 2 * p >= k else 0
    pool = lambda n: conv(n, 3, 2, 0)
    n = pool(conv(n, 11, 4, 2))
    n = pool(conv(n, 5, 1, 2))
    return pool(n)


def inferred_image_size(model, state):
    """The image size the shapes fix, or None when they do not (ResNets: any size)."""
    if model == "small" and "7.weight" in state:
        side = math.isqrt(state["7.weight"].shape[1] // 32)
        return 4 * side if 32 * side * side == state["7.weight"].shape[1] else None
    if model == "alexnet" and "classifier.1.weight" in state:
        inputs = state["classifier.1.weight"].shape[1]
        side = math.isqrt(inputs // 256)
        if 256 * side * side != inputs:
            return None
        if side == 6:
            return 224  # torchvision's size (223 to 254 give 6x6 too)
        return next((n for n in range(63, 4097) if alexnet_feature_size(n) == side), None)
    return None


def model_description(a, state):
    model = a.model or a.torchvision or guess_model(state)
    small_stem = a.small_stem
    if small_stem is None:
        small_stem = model.startswith("resnet") and tuple(first_conv(state)[1].shape[2:]) == (3, 3)
    if model.startswith("resnet") and a.activation != "relu":
        raise Refused(f"--activation {a.activation}: astrocnn's {model} uses ReLU in its "
                      "residual blocks; only relu")
    image_size = a.image_size or inferred_image_size(model, state)
    if image_size is None:
        if model in ("huertas", "lenet"):
            raise Refused(f"--image-size: the {model} model's shapes depend on the image size; give it")
        image_size = 224
    return {"name": model,
            "in_channels": a.in_channels or int(first_conv(state)[1].shape[1]),
            "outputs": a.outputs or int(last_dense(state)[1].shape[0]),
            "image_size": int(image_size),
            "small_input_stem": bool(small_stem),
            "dropout": a.dropout,
            "activation": a.activation,
            "parameters": 0}  # set from the tensors below


# ------------------------------------------------------------------ checking
def find_astrocnn(given):
    candidates = [given] if given else [os.environ.get("ASTROCNN"), shutil.which("astrocnn"),
                                        os.path.join(REPO, "build", "tools", "astrocnn")]
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    if given:
        raise Refused(f"--astrocnn: '{given}' is not an executable file")
    raise Refused("cannot find astrocnn to check the names against (not in $ASTROCNN, on PATH nor "
                  "in build/tools): give --astrocnn PATH, or --no-check to leave the check to "
                  "astrocnn's loader")


def expected_entries(astrocnn, m):
    cmd = [astrocnn, "info", "--model", m["name"], "--in-channels", str(m["in_channels"]),
           "--outputs", str(m["outputs"]), "--image-size", str(m["image_size"])]
    if m["small_input_stem"]:
        cmd.append("--small-stem")
    if m["activation"] != "relu":  # (an astrocnn from before --activation takes relu alone)
        cmd += ["--activation", m["activation"]]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        why = (r.stderr.strip().splitlines() or ["exit status %d" % r.returncode])[-1]
        raise Refused(f"astrocnn cannot build {m['name']} with in_channels {m['in_channels']}, "
                      f"outputs {m['outputs']}, image size {m['image_size']}: {why}")
    try:
        return OrderedDict((e["name"], (tuple(e["shape"]), e["dtype"]))
                           for e in json.loads(r.stdout)["state_dict"])
    except (ValueError, KeyError, TypeError):
        raise Refused(f"'{' '.join(cmd)}' did not print a state_dict (an astrocnn without "
                      "`info --model`?): give a newer --astrocnn, or --no-check")


def listed(names, limit=4):
    names = list(names)
    text = ", ".join(f"'{n}'" for n in names[:limit])
    return text + (f" and {len(names) - limit} more" if len(names) > limit else "")


def check_against(expected, state, m, source):
    missing = [n for n in expected if n not in state]
    unexpected = [n for n in state if n not in expected]
    shapes = [f"'{n}' is {list(state[n].shape)}, astrocnn's {list(expected[n][0])}"
              for n in expected if n in state and tuple(state[n].shape) != expected[n][0]]
    kinds = [f"'{n}' holds {'integers' if is_integer(state[n]) else 'floats'}"
             for n in expected if n in state and is_integer(state[n]) != (expected[n][1] == "int64")]
    problems = ([f"missing {listed(missing)}"] if missing else []) + \
               ([f"unexpected {listed(unexpected)}"] if unexpected else []) + shapes[:3] + kinds[:3]
    if problems:
        raise Refused(f"{source} does not match astrocnn's {m['name']} (in_channels "
                      f"{m['in_channels']}, outputs {m['outputs']}, image size {m['image_size']}"
                      f"{', small stem' if m['small_input_stem'] else ''}): " + "; ".join(problems))


def is_integer(t):
    import torch
    return not (t.is_floating_point() or t.is_complex()) and t.dtype != torch.bool


# ------------------------------------------------------------------ writing
def as_arrays(state, source):
    """numpy arrays: float32 for floating entries, int64 for integer ones."""
    import numpy as np
    import torch

    arrays = OrderedDict()
    for name, t in state.items():
        if not torch.is_tensor(t):
            raise Refused(f"{source}: entry '{name}' is a {type(t).__name__}, not a tensor")
        if "/" in name or name in ("", ".", "meta", "optimizer"):
            raise Refused(f"{source}: entry name '{name}' cannot be an astrocnn checkpoint entry")
        t = t.detach().cpu()
        if t.is_complex() or t.dtype == torch.bool:
            raise Refused(f"{source}: entry '{name}' holds {t.dtype}")
        if is_integer(t):
            arrays[name] = t.to(torch.int64).numpy()
            continue
        a = t.to(torch.float32).numpy()
        if not np.isfinite(a).all():
            raise Refused(f"{source}: entry '{name}' holds non-finite values (as float32)")
        arrays[name] = a
    return arrays


def write_checkpoint(path, arrays, model, config):
    import h5py
    import numpy as np

    def write(tmp):
        # Links in creation order, as astrocnn writes them: entries list in state_dict order.
        with h5py.File(tmp, "w", track_order=True) as f:
            for name, a in arrays.items():
                f.create_dataset(name, data=a)
            meta = f.create_group("meta", track_order=True)
            meta.attrs["epoch"] = np.int64(0)
            meta.attrs["model"] = model["name"]
            meta.attrs["config"] = json.dumps(config)
            meta.attrs["astrocnn_version"] = config["converted"]["astrocnn_version"]
            meta.attrs["best_metric"] = np.float64("nan")
            f.attrs["astrocnn_format"] = np.int64(CHECKPOINT_FORMAT)

    write_atomically(path, write)


def astrocnn_version(astrocnn):
    if not astrocnn:
        return "unknown"
    r = subprocess.run([astrocnn, "info"], capture_output=True, text=True)
    first = r.stdout.splitlines()[0] if r.returncode == 0 and r.stdout else ""
    return first.split()[-1] if first.startswith("astrocnn ") else "unknown"


def main(argv):
    a = parse_args(argv)
    if a.state:  # checked before the slow import of torch
        check_torch_file(a.state)
    out_dir = os.path.dirname(os.path.abspath(a.output))
    if not os.path.isdir(out_dir):
        raise Refused(f"-o: the directory '{out_dir}' does not exist")
    if os.path.isdir(a.output):
        raise Refused(f"-o: '{a.output}' is a directory")
    if a.state and os.path.exists(a.output) and os.path.samefile(a.state, a.output):
        raise Refused(f"-o '{a.output}' is the input file")
    try:
        import h5py  # noqa: F401
        import numpy  # noqa: F401
        import torch
    except ImportError as e:
        raise Refused(f"this converter needs torch, numpy and h5py: {e}")

    if a.torchvision:
        state, source = torchvision_state(a.torchvision, a.weights, a.download)
        note = ""
    else:
        state, note = load_torch_file(a.state, a.trust_pickle)
        source = f"'{a.state}'"
    m = model_description(a, state)
    astrocnn = None if a.no_check else find_astrocnn(a.astrocnn)
    if astrocnn:
        check_against(expected_entries(astrocnn, m), state, m, source)
    arrays = as_arrays(state, source)
    m["parameters"] = int(sum(v.size for k, v in arrays.items()
                              if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))))
    classes = a.task == "classification"
    names = [n.strip() for n in a.label_names.split(",")] if a.label_names else []
    if names and len(names) != m["outputs"]:
        raise Refused(f"--label-names gives {len(names)} names; the model has {m['outputs']} outputs")
    config = {
        "command": " ".join(shlex.quote(x) for x in ["tools/scripts/torch2h5.py"] + argv),
        "converted": {"from": os.path.abspath(a.state) if a.state else source, "note": note.strip(" ()"),
                      "torch": torch.__version__, "astrocnn_version": astrocnn_version(astrocnn),
                      "checked_against_astrocnn": bool(astrocnn)},
        "model": m,
        "loss": "xent" if classes else "rmse",
        "data": {"source": source, "class_labels": classes, "label_names": names,
                 "label_width": 1 if classes else m["outputs"], "task": a.task},
    }
    write_checkpoint(a.output, arrays, m, config)
    print(f"{a.output}: {m['name']}, in_channels {m['in_channels']}, outputs {m['outputs']}, "
          f"image size {m['image_size']}{', small stem' if m['small_input_stem'] else ''}"
          f"{'' if m['activation'] == 'relu' else ', activation ' + m['activation']}, "
          f"{len(arrays)} entries from {source}{note}"
          f"{'' if astrocnn else ' (names not checked: --no-check)'}")
    return 0


if __name__ == "__main__":
    run_main("torch2h5", main)
