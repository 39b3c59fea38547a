#!/usr/bin/env python3
"""An astrocnn checkpoint -> a PyTorch state_dict (.pt), the reverse of tools/scripts/torch2h5.py.

    python3 tools/scripts/h52torch.py runs/resnet18-.../best.h5 -o resnet18.pt

writes torch.save(OrderedDict(name -> tensor)) with the checkpoint's entries
in their order (float32; num_batches_tracked int64 scalars), and prints the
model the checkpoint describes (its /meta config) with the PyTorch module
whose load_state_dict(strict=True) takes it, e.g. for a 6-band ResNet18 with
2 outputs:

    m = torchvision.models.resnet18(num_classes=2)
    m.conv1 = torch.nn.Conv2d(6, 64, 7, 2, 3, bias=False)
    m.load_state_dict(torch.load("resnet18.pt"))

astrocnn's ResNets and AlexNet have torchvision's names; small, huertas and
lenet are the nn.Sequential / named modules described in models/models.h.
A network trained with `--activation leaky_relu` or `silu` takes
torch.nn.LeakyReLU(0.01) or torch.nn.SiLU() where these have torch.nn.ReLU()
(the recipe says so; a checkpoint without an activation is a ReLU network).
The optimiser's state (/optimizer) is not converted: PyTorch's SGD state is
keyed by parameter order, not name.

Errors: one line `h52torch: error: ...` on stderr, exit status 2; an existing
output file is then left as it was (written beside it, renamed into place).
"""
import argparse
import json
import os
from collections import OrderedDict

from script_common import Parser, Refused, run_main, write_atomically


def read_checkpoint(path):
    """The root datasets of `path` in the order astrocnn wrote them, and the /meta config (or {})."""
    import h5py

    if not os.path.isfile(path):
        raise Refused(f"'{path}' does not exist or is not a file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise Refused(f"'{path}' is not an HDF5 file h5py reads ({e})")
    with f:
        # h5py lists in creation order where the file records it (astrocnn's
        # and torch2h5's files: state_dict order), else in the names' order.
        state = OrderedDict()
        for name, obj in f.items():
            if isinstance(obj, h5py.Dataset):  # not the meta and optimizer groups
                state[name] = obj[()]
        config = {}
        if "meta" in f and "config" in f["meta"].attrs:
            text = f["meta"].attrs["config"]
            try:
                config = json.loads(text.decode() if isinstance(text, bytes) else text)
            except ValueError:
                config = {}
    if not state:
        raise Refused(f"'{path}' holds no datasets at its root: not an astrocnn checkpoint")
    if not config and set(state) == {"images", "labels"}:
        raise Refused(f"'{path}' is a data set (/images, /labels), not a checkpoint")
    return state, config if isinstance(config, dict) else {}


def as_tensors(arrays, path):
    import numpy as np
    import torch

    state = OrderedDict()
    for name, a in arrays.items():
        a = np.asarray(a)
        if a.dtype.kind in "iu":
            state[name] = torch.from_numpy(a.astype(np.int64))
        elif a.dtype.kind == "f":
            if not np.isfinite(a).all():
                raise Refused(f"'{path}': entry '{name}' holds non-finite values")
            state[name] = torch.from_numpy(a.astype(np.float32))
        else:
            raise Refused(f"'{path}': entry '{name}' holds {a.dtype}, not numbers")
    return state


# The PyTorch module of each activation astrocnn builds networks with
# (models/models.h, ModelOptions::activation).
TORCH_ACTIVATIONS = {"relu": "torch.nn.ReLU()", "leaky_relu": "torch.nn.LeakyReLU(0.01)",
                     "silu": "torch.nn.SiLU()"}


def activation_lines(name, activation):
    """Lines that give a torchvision AlexNet the checkpoint's activation, or a comment."""
    if activation == "relu":
        return []
    module = TORCH_ACTIVATIONS.get(activation)
    if module is None:
        known = ", ".join(TORCH_ACTIVATIONS)
        return [f"# activation '{activation}': not one astrocnn builds ({known})"]
    if name != "alexnet":
        return [f"# with {module} where it has torch.nn.ReLU()"]
    return ["for part in (m.features, m.classifier):",
            "    for i, layer in enumerate(part):",
            "        if isinstance(layer, torch.nn.ReLU):",
            f"            part[i] = {module}"]


def pytorch_recipe(model):
    """Python lines that build the module whose strict load_state_dict takes the file."""
    name, c, k = model.get("name"), model.get("in_channels", 3), model.get("outputs")
    activation = model.get("activation", "relu")
    if name in ("resnet18", "resnet50"):
        lines = [f"m = torchvision.models.{name}(num_classes={k})"]
        if model.get("small_input_stem"):
            lines += [f"m.conv1 = torch.nn.Conv2d({c}, 64, 3, 1, 1, bias=False)",
                      "m.maxpool = torch.nn.Identity()"]
        elif c != 3:
            lines.append(f"m.conv1 = torch.nn.Conv2d({c}, 64, 7, 2, 3, bias=False)")
        return lines
    if name == "alexnet":
        lines = [f"m = torchvision.models.alexnet(num_classes={k}, dropout={model.get('dropout', 0.5)})"]
        if c != 3:
            lines.append(f"m.features[0] = torch.nn.Conv2d({c}, 64, 11, 4, 2)")
        if not 223 <= model.get("image_size", 224) <= 254:
            lines.append("# classifier.1 takes the flattened feature map: see models/alexnet.cpp")
        return lines + activation_lines(name, activation)
    if name:
        return [f"# {name}: the module of models/models.h with the same names"] + \
            activation_lines(name, activation)
    return []


def write(path, state):
    import torch

    write_atomically(path, lambda tmp: torch.save(state, tmp))


def main(argv):
    p = Parser(prog="h52torch", description=__doc__.split("\n\n")[0],
               formatter_class=argparse.RawDescriptionHelpFormatter,
               epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    p.add_argument("checkpoint", help="astrocnn checkpoint (.h5)")
    p.add_argument("-o", "--output", required=True, help="the PyTorch state_dict file (.pt) to write")
    a = p.parse_args(argv)
    out_dir = os.path.dirname(os.path.abspath(a.output))
    if not os.path.isdir(out_dir):
        raise Refused(f"-o: the directory '{out_dir}' does not exist")
    if os.path.isdir(a.output):
        raise Refused(f"-o: '{a.output}' is a directory")
    if os.path.exists(a.output) and os.path.exists(a.checkpoint) and os.path.samefile(a.checkpoint, a.output):
        raise Refused(f"-o '{a.output}' is the input file")
    try:
        import h5py  # noqa: F401
        import numpy  # noqa: F401
    except ImportError as e:
        raise Refused(f"this converter needs torch, numpy and h5py: {e}")
    arrays, config = read_checkpoint(a.checkpoint)  # checked before the slow import of torch
    try:
        import torch  # noqa: F401
    except ImportError as e:
        raise Refused(f"this converter needs torch, numpy and h5py: {e}")
    state = as_tensors(arrays, a.checkpoint)
    write(a.output, state)
    model = config.get("model") if isinstance(config.get("model"), dict) else {}
    what = (f"{model.get('name')}, in_channels {model.get('in_channels')}, outputs "
            f"{model.get('outputs')}, image size {model.get('image_size')}, activation "
            f"{model.get('activation', 'relu')}") if model else \
        "no model description in /meta"
    print(f"{a.output}: {len(state)} entries of {a.checkpoint} ({what})")
    for line in pytorch_recipe(model):
        print("  " + line)
    return 0


if __name__ == "__main__":
    run_main("h52torch", main)
