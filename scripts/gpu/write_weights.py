"""Writes random FMCIB trunk weights in the published layout, {"trunk_state_dict": ...} of MONAI's
resnet50(widen_factor=2, n_input_channels=1, feed_forward=False), as torch.save writes them — the
file fmcib's LoadModel reads in experiments/inference/extract_features.yaml.

BatchNorm running statistics are set from train-mode forward passes over CT-like crops (cumulative
average; on the GPU when there is one), so that the eval-mode network keeps activations at a
trained-like scale and the GPU and CPU features are compared on values of order one — not on the
huge ones that unit running statistics, or statistics of 1-voxel deep layers, give after 16
residual blocks. The calibration uses conv1 stride 1, as the inference config does, on 40^3 crops
(layer4 then sees 3^3 voxels per crop).

Usage: python3 scripts/gpu/write_weights.py OUT [--widen 2] [--seed 0] [--calibration-size 40]
"""
import argparse
import os
import sys

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "bench"))
from models_step import Bottleneck, ResNet  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--widen", type=float, default=2.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--calibration-size", type=int, default=40, help="edge of the calibration crops")
    args = p.parse_args()
    torch.manual_seed(args.seed)
    # conv1_t_stride does not change the parameters: the inference config's stride 1.
    trunk = ResNet(Bottleneck, [3, 4, 6, 3], widen=args.widen, stride=1)
    for m in trunk.modules():
        if isinstance(m, torch.nn.BatchNorm3d):
            m.momentum = None  # cumulative average over the calibration passes
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    trunk.to(dev).train()
    s = args.calibration_size
    g = torch.Generator().manual_seed(args.seed)
    with torch.no_grad():
        for _ in range(2):
            # CT-like crops after NormalizeIntensity(-1024, 3072): air near 0, soft tissue near 0.33.
            x = torch.where(torch.rand(2, 1, s, s, s, generator=g) < 0.3, 0.0, 0.33)
            trunk((x + 0.05 * torch.randn(x.shape, generator=g)).to(dev))
    state = {k: v.detach().cpu().clone() for k, v in trunk.state_dict().items()}
    params = sum(v.numel() for k, v in state.items() if "running" not in k and "num_batches" not in k)
    tmp = args.out + ".tmp"
    torch.save({"trunk_state_dict": state}, tmp)
    os.replace(tmp, args.out)
    print(f"wrote {args.out}: {len(state)} tensors, {params / 1e6:.1f} M parameters, "
          f"{os.path.getsize(args.out) / 2**20:.0f} MiB", flush=True)


if __name__ == "__main__":
    main()
