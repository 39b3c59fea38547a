#!/usr/bin/python3
"""Training throughput of astrocnn vs PyTorch on the same machine, back to back.

For each network (Huertas-Company morphology net on 1x64x64, the LeNet-style
fake/real net on 6x64x64, ResNet18 on 3x64x64) it times full training steps
(forward + backward + SGD with momentum) at the same batch size and thread
count, each framework in its own process so that peak RSS is measured per run,
and prints one table:

    model | astrocnn img/s | PyTorch img/s | ratio | peak RSS astrocnn | peak RSS PyTorch

Usage:
    python3 bench/compare_pytorch.py --bench build/bench/bench_train_step --threads 2
    python3 bench/compare_pytorch.py ... --precision bf16 --models huertas,lenet,resnet18,resnet50,alexnet

--precision bf16 runs astrocnn with bfloat16 convolutions and dense layers
(`--precision=bf16`) and PyTorch under torch.autocast("cpu", torch.bfloat16),
its own mixed precision. resnet50 and alexnet on the PyTorch side come from
torchvision (needed only for them).

PyTorch comes from Debian's python3-torch (with libopenblas0-pthread installed
so that its dense layers do not run on the reference BLAS).
"""
import argparse
import json
import os
import sys
import time

MODELS = ["huertas", "lenet", "resnet18"]


# ---------------------------------------------------------------- PyTorch side
def build_torch_model(name):
    import torch.nn as nn

    if name == "huertas":
        class Maxout(nn.Module):
            def __init__(self, k):
                super().__init__()
                self.k = k

            def forward(self, x):  # consecutive groups, as astrocnn's maxout
                return x.view(x.shape[0], -1, self.k).max(dim=2).values

        return nn.Sequential(
            nn.Conv2d(1, 32, 6), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3), nn.ReLU(),
            nn.Conv2d(128, 128, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(2048, 4096), Maxout(2), nn.Dropout(0.5),
            nn.Linear(2048, 4096), Maxout(2), nn.Dropout(0.5),
            nn.Linear(2048, 5)), (1, 64, 64), "rmse", 5
    if name == "lenet":
        return nn.Sequential(
            nn.Conv2d(6, 18, 7, padding=3), nn.ReLU(), nn.AvgPool2d(7, 2, 3, count_include_pad=False),
            nn.Conv2d(18, 36, 7, padding=3), nn.ReLU(), nn.AvgPool2d(7, 2, 3, count_include_pad=False),
            nn.Conv2d(36, 54, 7, padding=3), nn.ReLU(), nn.AvgPool2d(7, 2, 3, count_include_pad=False),
            nn.Flatten(), nn.Linear(54 * 8 * 8, 64), nn.ReLU(), nn.Linear(64, 2)), (6, 64, 64), "xent", 2
    if name == "resnet18":
        class Block(nn.Module):
            def __init__(self, cin, cout, stride):
                super().__init__()
                self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
                self.bn1 = nn.BatchNorm2d(cout)
                self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
                self.bn2 = nn.BatchNorm2d(cout)
                self.relu = nn.ReLU()
                self.downsample = None
                if stride != 1 or cin != cout:
                    self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                                    nn.BatchNorm2d(cout))

            def forward(self, x):
                idt = x if self.downsample is None else self.downsample(x)
                y = self.relu(self.bn1(self.conv1(x)))
                return self.relu(self.bn2(self.conv2(y)) + idt)

        layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                  nn.MaxPool2d(3, 2, 1)]
        cin = 64
        for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
            layers += [Block(cin, cout, stride), Block(cout, cout, 1)]
            cin = cout
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 5)]
        return nn.Sequential(*layers), (3, 64, 64), "xent", 5
    if name in ("resnet50", "alexnet"):
        return torchvision_model(name)
    raise SystemExit(f"unknown model {name}")


def torchvision_model(name):
    import torchvision
    return getattr(torchvision.models, name)(weights=None, num_classes=5), (3, 64, 64), "xent", 5


def torch_worker(name, batch, threads, seconds, precision):
    import contextlib
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model, shape, loss_kind, outputs = build_torch_model(name)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, *shape)
    if loss_kind == "xent":
        y = torch.randint(0, outputs, (batch,))
        loss_fn = torch.nn.CrossEntropyLoss()
    else:
        y = torch.rand(batch, outputs)
        loss_fn = lambda out, t: torch.sqrt(torch.nn.functional.mse_loss(out, t))

    def autocast():
        if precision == "bf16":
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def step():
        opt.zero_grad()
        with autocast():
            out = model(x)
        loss = loss_fn(out.float(), y)  # the loss in float32, as astrocnn's
        loss.backward()
        opt.step()

    for _ in range(3):  # warm-up
        step()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        steps += 1
    elapsed = time.perf_counter() - start
    print(json.dumps({"images_per_second": steps * batch / elapsed}))


# ---------------------------------------------------------------- harness
def run_with_rss(cmd, env):
    """Runs cmd and returns (stdout, peak RSS MiB) using wait4 on that process alone."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.dup2(w, 1)
        os.execvpe(cmd[0], cmd, env)
    os.close(w)
    chunks = []
    while True:
        data = os.read(r, 65536)
        if not data:
            break
        chunks.append(data)
    os.close(r)
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {os.waitstatus_to_exitcode(status)}")
    return b"".join(chunks).decode(), usage.ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default="build/bench/bench_train_step", help="astrocnn's bench_train_step binary")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=5.0, help="timed seconds per framework and model")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                    help="bf16: astrocnn --precision=bf16 against PyTorch autocast(bfloat16)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        torch_worker(a.worker, a.batch, a.threads, a.seconds, a.precision)
        return

    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    rows = []
    for name in a.models.split(","):
        out, rss_a = run_with_rss([a.bench, f"--benchmark_filter=^TrainStep/{name}/",
                                   f"--benchmark_min_time={a.seconds}", "--benchmark_format=json",
                                   f"--threads={a.threads}", f"--batch={a.batch}", f"--precision={a.precision}"], env)
        bench = json.loads(out)["benchmarks"][0]
        ips_a = bench["items_per_second"]
        out, rss_t = run_with_rss([sys.executable, __file__, "--worker", name, "--threads", str(a.threads),
                                   "--batch", str(a.batch), "--seconds", str(a.seconds),
                                   "--precision", a.precision], env)
        ips_t = json.loads(out.strip().splitlines()[-1])["images_per_second"]
        rows.append((name, ips_a, ips_t, rss_a, rss_t))

    import torch
    print(f"batch {a.batch}, {a.threads} threads, {a.seconds:g} s timed per run, precision {a.precision}, "
          f"PyTorch {torch.__version__}")
    print("| model | astrocnn img/s | PyTorch img/s | ratio | peak RSS astrocnn | peak RSS PyTorch |")
    print("|---|---|---|---|---|---|")
    for name, ia, it, ra, rt in rows:
        print(f"| {name} | {ia:.1f} | {it:.1f} | {ia / it:.2f} | {ra:.0f} MiB | {rt:.0f} MiB |")


if __name__ == "__main__":
    main()
