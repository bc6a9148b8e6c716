#!/usr/bin/env bash
# Builds and runs tests/dist/gpu/nccl_check.cpp against the machine's CUDA PyTorch (its LibTorch).
# spdlog/fmt/gloo headers come from INC (default .devcheck/include), made on the Debian machine with
#   mkdir -p .devcheck/include && cp -r /usr/include/{spdlog,fmt,gloo} .devcheck/include
# (pip's PyTorch ships no gloo headers; fmt is used header-only). Passed on an H100, PyTorch 2.11.
set -euo pipefail
INC=${INC:-.devcheck/include}
TORCH=$(python3 -c "import torch, os; print(os.path.dirname(torch.__file__))")
ABI=$(python3 -c "import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))")
# CUDA runtime and NCCL headers: the CUDA toolkit when installed, else PyTorch's nvidia-* wheels.
SITE=$(dirname "$TORCH")
EXTRA=""
for h in cuda_runtime.h nccl.h; do
  d=$( (test -f /usr/local/cuda/include/$h && echo /usr/local/cuda/include; find "$SITE/nvidia" -name "$h" -printf '%h\n' 2>/dev/null) | head -1 || true)
  if [ -n "$d" ]; then EXTRA="$EXTRA -I$d"; fi
done
echo "extra includes:$EXTRA"
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"
g++ -std=c++17 -O1 -D_GLIBCXX_USE_CXX11_ABI=$ABI -DFMCIB_WITH_NCCL -DFMT_HEADER_ONLY \
  -Iinclude -I"$INC" $EXTRA -I"$TORCH/include" -I"$TORCH/include/torch/csrc/api/include" \
  tests/dist/gpu/nccl_check.cpp src/dist/c10d_communicator.cpp src/dist/world.cpp src/dist/all_gather.cpp \
  src/dist/communicator.cpp src/dist/launcher.cpp src/models/batch_norm.cpp \
  -L"$TORCH/lib" -ltorch -ltorch_cuda -ltorch_cpu -lc10 -lc10_cuda -Wl,-rpath,"$TORCH/lib" -o /tmp/nccl_check
/tmp/nccl_check
