"""Writes random FMCIB trunk weights in the published layout, {"trunk_state_dict": ...} of MONAI's
resnet50(widen_factor=2, n_input_channels=1, feed_forward=False), as torch.save writes them — the
file fmcib's LoadModel reads in experiments/inference/extract_features.yaml.

BatchNorm running statistics are set from a few train-mode forward passes (cumulative average),
so that the eval-mode network keeps activations at a trained-like scale: the features of the
GPU and CPU runs are then compared on values of order one, not on the tiny or huge ones that
unit running statistics give after 16 residual blocks.

Usage: python3 scripts/gpu/write_weights.py OUT [--widen 2] [--seed 0] [--calibration-size 32]
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
    p.add_argument("--calibration-size", type=int, default=32, help="edge of the calibration crops")
    args = p.parse_args()
    torch.manual_seed(args.seed)
    # conv1_t_stride does not change the parameters; stride 2 makes the calibration cheap.
    trunk = ResNet(Bottleneck, [3, 4, 6, 3], widen=args.widen, stride=2)
    for m in trunk.modules():
        if isinstance(m, torch.nn.BatchNorm3d):
            m.momentum = None  # cumulative average over the calibration passes
    trunk.train()
    s = args.calibration_size
    with torch.no_grad():
        for _ in range(2):
            # CT-like inputs after NormalizeIntensity(-1024, 3072): mostly in [0, 0.5].
            trunk(0.33 + 0.1 * torch.randn(2, 1, s, s, s))
    state = {k: v.detach().clone() for k, v in trunk.state_dict().items()}
    params = sum(v.numel() for k, v in state.items() if "running" not in k and "num_batches" not in k)
    tmp = args.out + ".tmp"
    torch.save({"trunk_state_dict": state}, tmp)
    os.replace(tmp, args.out)
    print(f"wrote {args.out}: {len(state)} tensors, {params / 1e6:.1f} M parameters, "
          f"{os.path.getsize(args.out) / 2**20:.0f} MiB", flush=True)


if __name__ == "__main__":
    main()
