"""Writes python_saved.pt: what Python's torch.save (PyTorch 1.13) emits for the structures the
C++ reader must understand. Run by hand with Debian's python3-torch:
    /usr/bin/python3 tests/io/data/make_python_saved.py tests/io/data/python_saved.pt
tests/io/torch_file_test.cpp rebuilds the same values analytically (arange-based) and compares."""
import sys

import torch

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32,
          torch.int16, torch.int8, torch.uint8, torch.bool]

base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
module = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
with torch.no_grad():
    module[0].weight.copy_(torch.arange(6, dtype=torch.float32).reshape(2, 3))
    module[0].bias.fill_(-1.0)
obj = {
    "state_dict": module.state_dict(),  # an OrderedDict carrying _metadata (set by BUILD)
    "dtypes": {str(dt).replace("torch.", ""): (torch.arange(6) % 3).to(dt).reshape(2, 3) for dt in DTYPES},
    "views": {"base": base, "t": base.t(), "slice": base[1:, 2:5], "step": base[:, ::2], "row": base[2]},
    "scalars": [1, -7, 2**40, -(2**40), 3.25, "h\u00e9llo", True, False, None, (1, "a"), ()],
    "int_keys": {0: "zero", 7: "seven"},
    "param": torch.nn.Parameter(torch.ones(2)),
    "zero_dim": torch.tensor(5.5),
    "empty": torch.zeros(0, 3),
    "device": torch.device("cpu"),
}
torch.save(obj, sys.argv[1])
