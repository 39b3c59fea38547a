#!/usr/bin/env python3
"""The PyTorch peer of an `astrocnn train` classification run on a native
HDF5 file: torchvision's ResNet with the same recipe (SGD with momentum 0.9,
cosine schedule, batch 32, an 80/20 split, optional flips and quarter turns),
then the test accuracy and ROC AUC on a second file. docs/REPRODUCING.md uses
it for the lens finder, to tell what the recipe does from what astrocnn does.

  python3 bench/pytorch_resnet_peer.py lens_train.h5 lens_test.h5 \
      --model resnet50 --epochs 15 --lr 0.003 --dihedral --zero-init-residual --threads 2

Needs h5py, numpy, torch and torchvision (`make python-peers`).
"""
import argparse
import time

import h5py
import numpy as np
import torch
import torchvision


def roc_auc(scores, positive):
    """Mann-Whitney U / (n+ n-), ties counted one half (as astrocnn eval)."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    for v in np.unique(scores):
        ranks[scores == v] = ranks[scores == v].mean()
    n_pos, n_neg = positive.sum(), (~positive).sum()
    return (ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("train")
    ap.add_argument("test")
    ap.add_argument("--model", choices=["resnet18", "resnet50"], default="resnet50")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--lr", type=float, default=0.003)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--dihedral", action="store_true", help="random flips and quarter turns")
    ap.add_argument("--zero-init-residual", action="store_true",
                    help="torchvision's zero_init_residual (astrocnn train --zero-init-residual)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    with h5py.File(a.train, "r") as f:
        x, y = torch.tensor(f["images"][:]), torch.tensor(f["labels"][:])
    with h5py.File(a.test, "r") as f:
        x_test, y_test = torch.tensor(f["images"][:]), torch.tensor(f["labels"][:])
    classes = int(max(y.max(), y_test.max())) + 1
    perm = torch.randperm(len(x))
    n_val = round(0.2 * len(x))
    val, train = perm[:n_val], perm[n_val:]

    model = getattr(torchvision.models, a.model)(num_classes=classes,
                                                 zero_init_residual=a.zero_init_residual)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, a.epochs)

    def outputs(images):
        model.eval()
        with torch.no_grad():
            return torch.cat([model(images[i:i + 128]) for i in range(0, len(images), 128)])

    start = time.time()
    for epoch in range(a.epochs):
        model.train()
        t0, total, steps = time.time(), 0.0, 0
        order = train[torch.randperm(len(train))]
        for i in range(0, len(order), a.batch_size):
            idx = order[i:i + a.batch_size]
            if len(idx) < 2:  # batch norm needs two values per channel
                continue
            xb = x[idx]
            if a.dihedral:
                if torch.rand(1) < 0.5:
                    xb = xb.flip(3)
                xb = torch.rot90(xb, int(torch.randint(4, (1,))), (2, 3))
            loss = torch.nn.functional.cross_entropy(model(xb), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, steps = total + loss.item(), steps + 1
        schedule.step()
        out = outputs(x[val])
        print(f"epoch {epoch + 1}/{a.epochs}  train loss {total / steps:.4f}  val loss "
              f"{torch.nn.functional.cross_entropy(out, y[val]).item():.4f} acc "
              f"{100 * (out.argmax(1) == y[val]).float().mean().item():.1f}%  {time.time() - t0:.1f} s",
              flush=True)
    out = outputs(x_test)
    print(f"test accuracy {100 * (out.argmax(1) == y_test).float().mean().item():.2f}%", end="")
    if classes == 2:
        p = torch.softmax(out, 1)[:, 1].numpy()
        print(f"  ROC AUC {roc_auc(p, y_test.numpy() == 1):.4f}", end="")
    print(f"  ({time.time() - start:.0f} s)")


if __name__ == "__main__":
    main()
