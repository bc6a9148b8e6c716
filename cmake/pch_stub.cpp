// Translation unit that only carries the shared precompiled <torch/torch.h>.
