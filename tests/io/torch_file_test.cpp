// Reader and writer of torch.save archives: the committed fixtures, a file Python wrote
// (tests/io/data/python_saved.pt, see make_python_saved.py), round trips, and hostile/broken files.
#include "fmcib/io/torch_file.hpp"

#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "fmcib/config/error.hpp"
#include "support/paths.hpp"
#include "torch_file_test_util.hpp"

namespace fmcib::io {
namespace {

namespace fs = std::filesystem;
using test::fixture;
using namespace test_util;

TEST(TorchFileRead, PublishedLayoutFixture) {
  const auto path = fixture("resnet18_w0125.weights.pt");
  c10::IValue root = readTorchFile(path);
  ASSERT_TRUE(root.isGenericDict());
  EXPECT_EQ(keysOf(root), std::vector<std::string>{"trunk_state_dict"});
  const c10::IValue sd = root.toGenericDict().at("trunk_state_dict");
  ASSERT_TRUE(sd.isGenericDict());
  EXPECT_EQ(*sd.toGenericDict().keyType(), *c10::StringType::get());
  EXPECT_EQ(*sd.toGenericDict().valueType(), *c10::TensorType::get());
  const auto keys = keysOf(sd);
  ASSERT_EQ(keys.size(), 123u);
  const std::vector<std::string> head{
      "conv1.weight",          "bn1.weight",         "bn1.bias",
      "bn1.running_mean",      "bn1.running_var",    "bn1.num_batches_tracked",
      "layer1.0.conv1.weight", "layer1.0.bn1.weight"};
  EXPECT_EQ(std::vector<std::string>(keys.begin(), keys.begin() + head.size()), head);
  EXPECT_EQ(keys.back(), "layer4.1.bn2.num_batches_tracked");

  const auto tensors = flattenStateDict(sd);
  ASSERT_EQ(tensors.size(), 123u);
  int64_t numel = 0, longs = 0;
  for (const auto& [name, t] : tensors) {
    numel += t.numel();
    if (t.scalar_type() == torch::kLong) {
      ++longs;
      EXPECT_EQ(t.dim(), 0) << name;
      EXPECT_NE(name.find("num_batches_tracked"), std::string::npos) << name;
    } else {
      EXPECT_EQ(t.scalar_type(), torch::kFloat) << name;
    }
  }
  EXPECT_EQ(numel, 522908);
  EXPECT_EQ(longs, 20);
  const at::Tensor conv1 = tensors[0].second;
  EXPECT_EQ(conv1.sizes(), (std::vector<int64_t>{8, 1, 7, 7, 7}));
  EXPECT_EQ(conv1.strides(), (std::vector<int64_t>{343, 343, 49, 7, 1}));
  EXPECT_NEAR(conv1.sum().item<double>(), 1.7654467280807467, 1e-4);
}

TEST(TorchFileRead, LightningLayoutFixture) {
  c10::IValue root = readTorchFile(fixture("resnet50_w0125_s2.weights.pt"));
  EXPECT_EQ(keysOf(root), (std::vector<std::string>{"state_dict", "epoch"}));
  const auto dict = root.toGenericDict();
  ASSERT_TRUE(dict.at("epoch").isInt());
  EXPECT_EQ(dict.at("epoch").toInt(), 3);
  const auto tensors = flattenStateDict(dict.at("state_dict"));
  ASSERT_EQ(tensors.size(), 322u);
  int64_t numel = 0, longs = 0;
  for (const auto& [name, t] : tensors) {
    EXPECT_EQ(name.rfind("model.trunk.", 0), 0u) << name;
    numel += t.numel();
    longs += t.scalar_type() == torch::kLong;
  }
  EXPECT_EQ(numel, 736557);
  EXPECT_EQ(longs, 53);
  EXPECT_EQ(tensors.front().first, "model.trunk.conv1.weight");
  EXPECT_EQ(tensors.back().first, "model.trunk.layer4.2.bn3.num_batches_tracked");
  // flattening the whole file prefixes the nested names and skips the non-tensor `epoch`
  const auto all = flattenStateDict(root, "ckpt");
  ASSERT_EQ(all.size(), 322u);
  EXPECT_EQ(all.front().first, "ckpt.state_dict.model.trunk.conv1.weight");
}

// On plain dicts LibTorch's own reader works: both must agree exactly.
TEST(TorchFileRead, AgreesWithLibTorchOnPlainDicts) {
  for (const char* name : {"resnet18_w0125.io.pt", "losses.pt", "lars.pt"}) {
    const auto path = fixture(name);
    const c10::IValue ours = readTorchFile(path);
    const c10::IValue theirs = torch::pickle_load(readBytes(path));
    expectSame(theirs, ours, name);
  }
}

TEST(TorchFileRead, WhatPythonWrites) {
  const c10::IValue root = readTorchFile((test::sourceDir() / "tests/io/data/python_saved.pt").string());
  const auto dict = root.toGenericDict();

  // nn.Module.state_dict(): an OrderedDict with `_metadata` (BUILD) — the attribute is dropped.
  const auto sd = dict.at("state_dict");
  EXPECT_EQ(keysOf(sd),
            (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                      "1.running_var", "1.num_batches_tracked"}));
  const auto sdd = sd.toGenericDict();
  EXPECT_TRUE(torch::equal(sdd.at("0.weight").toTensor(), torch::arange(6, torch::kFloat).reshape({2, 3})));
  EXPECT_TRUE(torch::equal(sdd.at("0.bias").toTensor(), torch::full({2}, -1.0f)));
  EXPECT_EQ(sdd.at("1.num_batches_tracked").toTensor().scalar_type(), torch::kLong);

  const auto dtypes = dict.at("dtypes").toGenericDict();
  ASSERT_EQ(dtypes.size(), allDtypes().size());
  for (const auto& [dtypeName, dtype] : allDtypes()) {
    SCOPED_TRACE(dtypeName);
    const at::Tensor t = dtypes.at(dtypeName).toTensor();
    EXPECT_EQ(t.scalar_type(), dtype);
    EXPECT_TRUE(torch::equal(t.to(torch::kDouble),
                             (torch::arange(6) % 3).to(dtype).reshape({2, 3}).to(torch::kDouble)));
  }

  const auto views = dict.at("views").toGenericDict();
  const at::Tensor base = torch::arange(24, torch::kFloat).reshape({4, 6});
  const at::Tensor b = views.at("base").toTensor();
  EXPECT_TRUE(torch::equal(b, base));
  const std::vector<std::pair<std::string, at::Tensor>> expected{{"t", base.t()},
                                                                 {"slice", base.slice(0, 1).slice(1, 2, 5)},
                                                                 {"step", base.slice(1, 0, 6, 2)},
                                                                 {"row", base[2]}};
  for (const auto& [name, want] : expected) {
    SCOPED_TRACE(name);
    const at::Tensor got = views.at(name).toTensor();
    EXPECT_EQ(got.sizes(), want.sizes());
    EXPECT_EQ(got.strides(), want.strides());
    EXPECT_EQ(got.storage_offset(), want.storage_offset());
    EXPECT_TRUE(torch::equal(got, want));
    EXPECT_TRUE(got.is_alias_of(b));  // one storage, as in Python
  }

  const auto scalars = dict.at("scalars").toListRef();
  ASSERT_EQ(scalars.size(), 11u);
  EXPECT_EQ(scalars[0].toInt(), 1);
  EXPECT_EQ(scalars[1].toInt(), -7);
  EXPECT_EQ(scalars[2].toInt(), int64_t{1} << 40);
  EXPECT_EQ(scalars[3].toInt(), -(int64_t{1} << 40));
  EXPECT_EQ(scalars[4].toDouble(), 3.25);
  EXPECT_EQ(scalars[5].toStringRef(), "h\xc3\xa9llo");
  EXPECT_TRUE(scalars[6].toBool());
  EXPECT_FALSE(scalars[7].toBool());
  EXPECT_TRUE(scalars[8].isNone());
  ASSERT_TRUE(scalars[9].isTuple());
  EXPECT_EQ(scalars[9].toTupleRef().elements()[1].toStringRef(), "a");
  EXPECT_EQ(scalars[10].toTupleRef().elements().size(), 0u);

  const auto intKeys = dict.at("int_keys").toGenericDict();
  EXPECT_EQ(*intKeys.keyType(), *c10::IntType::get());
  EXPECT_EQ(intKeys.at(7).toStringRef(), "seven");
  EXPECT_TRUE(torch::equal(dict.at("param").toTensor(), torch::ones({2})));
  EXPECT_EQ(dict.at("zero_dim").toTensor().dim(), 0);
  EXPECT_EQ(dict.at("zero_dim").toTensor().item<float>(), 5.5f);
  EXPECT_EQ(dict.at("empty").toTensor().sizes(), (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(dict.at("device").toDevice(), c10::Device("cpu"));
}

TEST(TorchFileWrite, RoundTripKeepsEverything) {
  const c10::IValue value = richValue();
  const auto path = (test::tempDir("torch_file_rt") / "rt.pt").string();
  writeTorchFile(path, value);
  const c10::IValue back = readTorchFile(path);
  expectSame(value, back, "root");
  const auto views = back.toGenericDict().at("views").toGenericDict();
  const at::Tensor base = views.at("base").toTensor();
  for (const char* name : {"t", "slice", "step", "row"})
    EXPECT_TRUE(views.at(name).toTensor().is_alias_of(base)) << name;
  EXPECT_EQ(torchFileBytes(value), readBytesString(path));  // deterministic: the same bytes as on disk
  // Also readable by LibTorch's own loader for the parts it supports (plain dicts).
  const c10::IValue plain = torch::pickle_load(readBytes(path));
  EXPECT_TRUE(plain.isGenericDict());
  if (const char* out = std::getenv("FMCIB_WRITE_ROUNDTRIP_TO"))
    writeTorchFile(out, value);  // for python check
}

TEST(TorchFileWrite, AtomicReplaceLeavesNoTempFile) {
  const fs::path dir = test::tempDir("torch_file_atomic");
  const auto path = (dir / "w.pt").string();
  writeTorchFile(path, toStateDict({{"a", torch::ones({3})}}));
  writeTorchFile(path, toStateDict({{"b", torch::zeros({2})}}));
  EXPECT_EQ(filesIn(dir), std::vector<std::string>{"w.pt"});
  EXPECT_EQ(keysOf(readTorchFile(path)), std::vector<std::string>{"b"});
}

TEST(TorchFileWrite, UnsupportedValueLeavesExistingFile) {
  const fs::path dir = test::tempDir("torch_file_unsupported");
  const auto path = (dir / "w.pt").string();
  writeTorchFile(path, toStateDict({{"a", torch::ones({3})}}));
  const std::string before = readBytesString(path);
  auto bad = makeStringDict();
  bad.insert("sparse", torch::eye(3).to_sparse());
  EXPECT_THROW(writeTorchFile(path, bad), RuntimeError);
  EXPECT_EQ(readBytesString(path), before);
  EXPECT_EQ(filesIn(dir), std::vector<std::string>{"w.pt"});
}

TEST(TorchFileWrite, FailingWriteLeavesExistingFile) {
  const fs::path dir = test::tempDir("torch_file_efbig");
  const auto path = (dir / "w.pt").string();
  writeTorchFile(path, toStateDict({{"a", torch::ones({3})}}));
  const std::string before = readBytesString(path);
  {
    // The kernel refuses to grow any file past 64 KiB: the write fails half-way (EFBIG).
    FileSizeLimit limit(64 * 1024);
    EXPECT_THROW(writeTorchFile(path, toStateDict({{"big", torch::ones({1 << 16})}})), RuntimeError);
  }
  EXPECT_EQ(readBytesString(path), before);
  EXPECT_EQ(filesIn(dir), std::vector<std::string>{"w.pt"});
  EXPECT_THROW(writeTorchFile((dir / "no_such_dir" / "x.pt").string(), toStateDict({})), RuntimeError);
}

TEST(TorchFileWrite, FlattenAndToStateDict) {
  auto inner = makeStringDict();
  inner.insert("w", torch::ones({2}));
  inner.insert("lr", 0.1);
  auto root = makeStringDict();
  root.insert("layer", inner);
  root.insert("list", c10::impl::GenericList(c10::AnyType::get()));
  root.at("list").toList().push_back(torch::zeros({1}));
  const auto flat = flattenStateDict(root);
  ASSERT_EQ(flat.size(), 2u);
  EXPECT_EQ(flat[0].first, "layer.w");
  EXPECT_EQ(flat[1].first, "list.0");
  EXPECT_EQ(keysOf(toStateDict(flat)), (std::vector<std::string>{"layer.w", "list.0"}));
}

}  // namespace
}  // namespace fmcib::io
