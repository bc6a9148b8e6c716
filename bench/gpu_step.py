"""GPU step time of FMCIB pre-training (issue 8, benchmark 4): ExNegSimCLR(ResNet-50 widen 2,
conv1 stride 2) + projection head, one SSL step as the trainer runs it — 4 views per item
(positive and negative, two augmented views each), each view a [B, 1, 50, 50, 50] forward through
the model, an InfoNCE-like loss over the embeddings, backward, optimizer step — with cudnn.benchmark
on. The model is bench/models_step.py's.

Modes: fp32 (TF32 off everywhere), tf32 (TF32 on for convolutions and matmuls), bf16 (autocast to
bfloat16), default (PyTorch's and LibTorch's defaults: TF32 for cuDNN convolutions, not for
matmuls — what fmcib's precision 32 runs).

Usage: python3 bench/gpu_step.py [batch=32] [iterations=10] [--modes fp32,tf32,bf16]
           [--optimizer sgd|lars] [--arch resnet50|resnet18] [--widen 2] [--out-dim 128]
           [--size 50] [--device cuda|cpu] [--threads N] [--warmup 3] [--json FILE]
--optimizer lars is fmcib.optimizers.LARS as fmcib runs it (two norms and a host sync per
parameter). The trunk always has conv1_t_stride 2; --arch resnet50 --widen 0.25 is
experiments/pretraining/cpu_small.yaml's model (for CPU runs). --json appends one JSON object per
mode.
"""
import argparse
import json
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from models_step import Block, Bottleneck, ExNegSimCLR, ResNet  # noqa: E402

MODES = ("fp32", "tf32", "bf16", "default")


class Lars(torch.optim.Optimizer):
    """fmcib.optimizers.LARS (src/optim/lars.cpp): SGD with layer-wise trust ratio."""

    def __init__(self, params, lr, momentum=0.9, weight_decay=1e-6, trust_coefficient=0.001, eps=1e-8):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay,
                                      trust_coefficient=trust_coefficient, eps=eps))

    @torch.no_grad()
    def step(self):
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is None:
                    continue
                dp = p.grad
                if g["weight_decay"] != 0:
                    p_norm, g_norm = torch.norm(p), torch.norm(dp)
                    if p_norm.item() != 0 and g_norm.item() != 0:
                        lars_lr = p_norm / (g_norm + p_norm * g["weight_decay"] + g["eps"])
                        dp = dp.add(p, alpha=g["weight_decay"]) * (lars_lr * g["trust_coefficient"])
                state = self.state[p]
                if "momentum_buffer" not in state:
                    buf = state["momentum_buffer"] = torch.clone(dp).detach()
                else:
                    buf = state["momentum_buffer"]
                    buf.mul_(g["momentum"]).add_(dp)
                p.add_(buf, alpha=-g["lr"])


def build_model(arch, widen, out_dim):
    """ExNegSimCLR over MONAI's resnet50 / resnet18 with conv1_t_stride 2 (num_ftrs follows the width)."""
    if arch == "resnet50":
        trunk, ftrs = ResNet(Bottleneck, [3, 4, 6, 3], widen=widen, stride=2), int(512 * widen) * 4
    elif arch == "resnet18":
        trunk, ftrs = ResNet(Block, [2, 2, 2, 2], widen=widen, stride=2), int(512 * widen)
    else:
        raise SystemExit(f"unknown --arch {arch} (resnet50, resnet18)")
    return ExNegSimCLR(trunk, ftrs, out_dim)


def run(mode, args):
    dev = torch.device(args.device)
    on_cuda = dev.type == "cuda"
    tf32_conv = mode in ("tf32", "default")
    tf32_matmul = mode == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32_matmul
    torch.backends.cudnn.allow_tf32 = tf32_conv
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(0)
    model = build_model(args.arch, args.widen, args.out_dim)
    model = model.to(dev).train()
    if args.optimizer == "lars":
        opt = Lars(model.parameters(), lr=0.0375)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    b, s = args.batch, args.size
    views = [torch.randn(b, 1, s, s, s, device=dev) for _ in range(4)]
    autocast_dtype = torch.bfloat16 if mode == "bf16" else None

    def step():
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=autocast_dtype is not None):
            z = [F.normalize(model(v).float(), dim=1) for v in views]
        logits = torch.cat([z[0] @ z[1].T, z[0] @ z[3].T], dim=1) / 0.1
        loss = F.cross_entropy(logits, torch.arange(b, device=dev))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def sync():
        if on_cuda:
            torch.cuda.synchronize()

    for _ in range(args.warmup):
        step()
    sync()
    if on_cuda:
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(args.iterations):
        t0 = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - t0)
    times.sort()
    med = times[len(times) // 2]
    result = dict(mode=mode, arch=args.arch, widen=args.widen, batch=b, size=s, optimizer=args.optimizer,
                  device=str(dev), torch=torch.__version__, step_median_s=med, step_min_s=times[0],
                  items_per_s=b / med, iterations=args.iterations)
    mem = ""
    if on_cuda:
        result["peak_allocated_gib"] = torch.cuda.max_memory_allocated() / 2**30
        result["peak_reserved_gib"] = torch.cuda.max_memory_reserved() / 2**30
        mem = (f", peak GPU memory {result['peak_allocated_gib']:.1f} GiB allocated, "
               f"{result['peak_reserved_gib']:.1f} GiB reserved")
    print(f"{mode:7} B={b}: step median {med * 1e3:.1f} ms, min {times[0] * 1e3:.1f} ms, "
          f"{b / med:.0f} items/s{mem}", flush=True)
    if args.json:
        with open(args.json, "a") as f:
            f.write(json.dumps(result) + "\n")
    del model, opt, views
    if on_cuda:
        torch.cuda.empty_cache()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("batch", type=int, nargs="?", default=32)
    p.add_argument("iterations", type=int, nargs="?", default=10)
    p.add_argument("--modes", default="fp32,tf32,bf16")
    p.add_argument("--optimizer", choices=("sgd", "lars"), default="sgd")
    p.add_argument("--arch", choices=("resnet50", "resnet18"), default="resnet50")
    p.add_argument("--widen", type=float, default=2.0)
    p.add_argument("--out-dim", type=int, default=128)
    p.add_argument("--size", type=int, default=50)
    p.add_argument("--device", default="cuda")
    p.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--json", default="")
    args = p.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    for m in modes:
        if m not in MODES:
            raise SystemExit(f"unknown mode {m} ({', '.join(MODES)})")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise SystemExit("no CUDA device (use --device cpu)")
        print(f"PyTorch {torch.__version__}, {torch.cuda.get_device_name()}", flush=True)
    else:
        print(f"PyTorch {torch.__version__}, CPU, {torch.get_num_threads()} threads", flush=True)
    for m in modes:
        run(m, args)


if __name__ == "__main__":
    main()
