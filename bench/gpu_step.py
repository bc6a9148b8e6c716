"""GPU step time of FMCIB pre-training (issue 8, benchmark 4): ExNegSimCLR(ResNet-50 widen 2,
conv1 stride 2) + projection head, one SSL step as the trainer runs it — 4 views per item
(positive and negative, two augmented views each), each view a [B, 1, 50, 50, 50] forward through
the model, an InfoNCE-like loss over the embeddings, backward, SGD(momentum) step — in fp32
(TF32 off), TF32 and bf16 autocast, with cudnn.benchmark on. The model is bench/models_step.py's.

Usage: python3 bench/gpu_step.py [batch=32] [iterations=10]
"""
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from models_step import Bottleneck, ExNegSimCLR, ResNet  # noqa: E402


def run(mode, batch, iterations):
    torch.backends.cuda.matmul.allow_tf32 = mode == "tf32"
    torch.backends.cudnn.allow_tf32 = mode == "tf32"
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(0)
    model = ExNegSimCLR(ResNet(Bottleneck, [3, 4, 6, 3], widen=2, stride=2), 4096, 128).cuda().train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    views = [torch.randn(batch, 1, 50, 50, 50, device="cuda") for _ in range(4)]

    def step():
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=mode == "bf16"):
            z = [F.normalize(model(v).float(), dim=1) for v in views]
        logits = torch.cat([z[0] @ z[1].T, z[0] @ z[3].T], dim=1) / 0.1
        loss = F.cross_entropy(logits, torch.arange(batch, device="cuda"))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        step()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    times.sort()
    med = times[len(times) // 2]
    print(f"{mode:5} B={batch}: step median {med * 1e3:.1f} ms, min {times[0] * 1e3:.1f} ms, "
          f"{batch / med:.0f} items/s, peak GPU memory {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB",
          flush=True)


def main():
    batch = int(sys.argv[1]) if len(sys.argv) > 1 else 32
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    print(f"PyTorch {torch.__version__}, {torch.cuda.get_device_name()}", flush=True)
    for mode in ("fp32", "tf32", "bf16"):
        run(mode, batch, iterations)


if __name__ == "__main__":
    main()
