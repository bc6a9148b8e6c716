"""By-hand check (not part of `make test`) that files fmcib writes load in Python's PyTorch 1.13.
Needs Debian's python3-torch. From the repository root, after building test_io and test_models:
    FMCIB_WRITE_ROUNDTRIP_TO=/tmp/rt.pt build-io/tests/test_io --gtest_filter='*RoundTrip*'
    FMCIB_WRITE_EXPORT_TO=/tmp/mw.torch build-io/tests/test_models --gtest_filter='ExportWeights.Fixture*'
    /usr/bin/python3 tests/io/data/check_python_load.py /tmp/rt.pt /tmp/mw.torch
"""
import sys

import torch

rt_path, export_path = sys.argv[1], sys.argv[2]

# 1. The round-trip structure of tests/io/torch_file_test_util.hpp (richValue), plain torch.load.
d = torch.load(rt_path)
names = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool"]
assert list(d["dtypes"].keys()) == names
for name in names:
    dt = getattr(torch, name)
    assert d["dtypes"][name].dtype == dt
    assert torch.equal(d["dtypes"][name], ((torch.arange(12) % 5 - 2).to(dt)).reshape(3, 4)), name
v = d["views"]
base = v["base"]
assert torch.equal(v["t"], base.t()) and v["t"].stride() == (1, 6)
assert torch.equal(v["slice"], base[1:, 2:5]) and v["slice"].storage_offset() == 8
assert torch.equal(v["step"], base[:, 1::2]) and v["step"].stride() == (6, 2)
assert torch.equal(v["row"], base[3]) and v["row"].storage_offset() == 18
for k in ["t", "slice", "step", "row"]:
    assert v[k].storage().data_ptr() == base.storage().data_ptr(), k  # one shared storage
s = d["scalars"]
assert s[:11] == [0, 255, 256, 65535, 65536, -1, -2**31, 2**31 - 1, 2**40, -2**63, 2**63 - 1]
assert s[11:15] == [3.25, -0.0, 1e300, -1e-300] and str(s[12]) == "-0.0"
assert s[15:20] == ["h\u00e9llo", "", True, False, None]
assert s[20][:2] == (1, "a") and torch.equal(s[20][2], torch.ones(2)) and s[21] == ()
assert d["nested"] == [{0: "zero", 7: "seven"}, {}]
assert d["zero_dim"].dim() == 0 and float(d["zero_dim"]) == 5.5 and d["empty"].shape == (0, 3)
assert d["device"] == torch.device("cpu")
print("round trip: OK (plain torch.load)")

# 2. export-weights output: what Python fmcib's LoadModel does (torch.load(..., weights_only=True)).
w = torch.load(export_path, map_location="cpu", weights_only=True)
ref = torch.load("tests/fixtures/resnet50_w0125_s2.weights.pt")["state_dict"]
assert list(w.keys()) == ["trunk_state_dict"]
assert list(w["trunk_state_dict"].keys()) == [k[len("model.trunk."):] for k in ref]
assert all(torch.equal(w["trunk_state_dict"][k[len("model.trunk."):]], t) for k, t in ref.items())
print("export-weights: OK (torch.load weights_only=True, %d tensors equal to the fixture)" % len(ref))
