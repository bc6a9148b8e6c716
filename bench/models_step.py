"""Forward+backward time of the FMCIB pre-training model and of a ResNet-18 in PyTorch eager,
the Python side of bench/models_step.cpp (same architecture, input, threads and step).

The model is written here (MONAI is not a Debian package): MONAI 1.2's 3D ResNet layout and
lightly's SimCLR head. Usage: python3 bench/models_step.py [threads=2] [iterations=5]
"""
import sys
import time

import torch
from torch import nn


class Block(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv3d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm3d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv3d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm3d(planes)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += x if self.downsample is None else self.downsample(x)
        return self.relu(out)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv3d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm3d(planes)
        self.conv2 = nn.Conv3d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm3d(planes)
        self.conv3 = nn.Conv3d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm3d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += x if self.downsample is None else self.downsample(x)
        return self.relu(out)


class ResNet(nn.Module):
    def __init__(self, block, layers, widen=1.0, stride=1, cin=1):
        super().__init__()
        planes = [int(p * widen) for p in (64, 128, 256, 512)]
        self.in_planes = planes[0]
        self.conv1 = nn.Conv3d(cin, planes[0], 7, stride, 3, bias=False)
        self.bn1 = nn.BatchNorm3d(planes[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool3d(3, 2, 1)
        self.layer1 = self._make(block, planes[0], layers[0], 1)
        self.layer2 = self._make(block, planes[1], layers[1], 2)
        self.layer3 = self._make(block, planes[2], layers[2], 2)
        self.layer4 = self._make(block, planes[3], layers[3], 2)
        self.avgpool = nn.AdaptiveAvgPool3d(1)

    def _make(self, block, planes, blocks, stride):
        down = None
        if stride != 1 or self.in_planes != planes * block.expansion:
            down = nn.Sequential(nn.Conv3d(self.in_planes, planes * block.expansion, 1, stride, bias=True),
                                 nn.BatchNorm3d(planes * block.expansion))
        layers = [block(self.in_planes, planes, stride, down)]
        self.in_planes = planes * block.expansion
        layers += [block(self.in_planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.avgpool(x).view(x.size(0), -1)


class ExNegSimCLR(nn.Module):
    def __init__(self, backbone, num_ftrs, out_dim):
        super().__init__()
        self.backbone = backbone
        self.projection_head = nn.Sequential(nn.Linear(num_ftrs, num_ftrs // 2), nn.ReLU(),
                                             nn.Linear(num_ftrs // 2, out_dim))

    def forward(self, x):
        return self.projection_head(self.backbone(x).flatten(start_dim=1))


def time_case(name, model, batch, iterations):
    torch.manual_seed(0)
    x = torch.randn(batch, 1, 50, 50, 50)
    model.train()

    def step():
        model.zero_grad()
        model(x).pow(2).mean().backward()

    step()  # warm-up
    secs, cpu = [], []
    for _ in range(iterations):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        cpu.append(time.process_time() - c0)
        secs.append(time.perf_counter() - t0)
    secs.sort()
    cpu.sort()
    print(f"{name:<28} B={batch:<3} median {secs[len(secs) // 2]:.3f} s  min {secs[0]:.3f} s  "
          f"cpu median {cpu[len(cpu) // 2]:.3f} s  ({iterations} iterations)", flush=True)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    torch.set_num_threads(threads)
    print(f"PyTorch {torch.__version__} eager, {threads} threads")
    simclr = ExNegSimCLR(ResNet(Bottleneck, [3, 4, 6, 3], widen=2, stride=2), 4096, 128)
    time_case("ExNegSimCLR(resnet50 w2 s2)", simclr, 2, iterations)
    time_case("resnet18", ResNet(Block, [2, 2, 2, 2]), 8, iterations)


if __name__ == "__main__":
    main()
