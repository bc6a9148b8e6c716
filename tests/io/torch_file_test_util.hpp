#pragma once
// Helpers shared by the torch.save reader/writer tests.
#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "fmcib/config/error.hpp"
#include "fmcib/io/torch_file.hpp"
#include "support/paths.hpp"

namespace fmcib::io::test_util {

inline std::vector<std::string> keysOf(const c10::IValue& dict) {
  std::vector<std::string> keys;
  for (const auto& e : dict.toGenericDict()) keys.push_back(e.key().toStringRef());
  return keys;
}

inline std::vector<char> readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}
inline std::string readBytesString(const std::string& path) {
  auto b = readBytes(path);
  return std::string(b.begin(), b.end());
}
inline void writeBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

inline std::vector<std::string> filesIn(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

/// Python's names (str(dtype) without "torch.") of the dtypes the issue lists.
inline std::vector<std::pair<std::string, c10::ScalarType>> allDtypes() {
  return {{"float32", torch::kFloat},     {"float64", torch::kDouble}, {"float16", torch::kHalf},
          {"bfloat16", torch::kBFloat16}, {"int64", torch::kLong},     {"int32", torch::kInt},
          {"int16", torch::kShort},       {"int8", torch::kChar},      {"uint8", torch::kByte},
          {"bool", torch::kBool}};
}

/// Deep equality: kinds, order of dict keys, scalars exactly, tensors by dtype/sizes/strides/offset/values.
inline void expectSame(const c10::IValue& a, const c10::IValue& b, const std::string& path) {
  SCOPED_TRACE(path);
  ASSERT_EQ(a.tagKind(), b.tagKind());
  if (a.isTensor()) {
    const at::Tensor x = a.toTensor(), y = b.toTensor();
    ASSERT_EQ(x.scalar_type(), y.scalar_type());
    ASSERT_EQ(x.sizes(), y.sizes());
    EXPECT_EQ(x.strides(), y.strides());
    EXPECT_EQ(x.storage_offset(), y.storage_offset());
    EXPECT_TRUE(torch::equal(x.to(torch::kDouble), y.to(torch::kDouble)));
  } else if (a.isGenericDict()) {
    const auto da = a.toGenericDict(), db = b.toGenericDict();
    ASSERT_EQ(da.size(), db.size());
    auto ib = db.begin();
    for (auto ia = da.begin(); ia != da.end(); ++ia, ++ib) {
      ASSERT_EQ(ia->key(), ib->key());
      const auto& k = ia->key();
      expectSame(ia->value(), ib->value(), path + "." + (k.isString() ? k.toStringRef() : k.tagKind()));
    }
  } else if (a.isList() || a.isTuple()) {
    const auto ea = a.isList() ? a.toListRef() : a.toTupleRef().elements();
    const auto eb = b.isList() ? b.toListRef() : b.toTupleRef().elements();
    ASSERT_EQ(ea.size(), eb.size());
    for (size_t i = 0; i < ea.size(); ++i) expectSame(ea[i], eb[i], path + "[" + std::to_string(i) + "]");
  } else if (a.isDouble()) {
    EXPECT_EQ(a.toDouble(), b.toDouble());
  } else {
    EXPECT_EQ(a, b);
  }
}

/// A nested structure with every dtype, views (non-contiguous, offsets, one shared storage), and
/// every scalar kind including integers at each pickle width boundary.
inline c10::IValue richValue() {
  auto root = makeStringDict();
  auto dtypes = makeStringDict();
  for (const auto& [name, dtype] : allDtypes())
    dtypes.insert(name, (torch::arange(12) % 5 - 2).to(dtype).reshape({3, 4}));
  root.insert("dtypes", dtypes);
  torch::manual_seed(3);
  const at::Tensor base = torch::randn({4, 6});
  auto views = makeStringDict();
  views.insert("base", base);
  views.insert("t", base.t());
  views.insert("slice", base.slice(0, 1).slice(1, 2, 5));
  views.insert("step", base.slice(1, 1, 6, 2));
  views.insert("row", base[3]);
  root.insert("views", views);
  c10::impl::GenericList scalars(c10::AnyType::get());
  for (int64_t v :
       {int64_t{0}, int64_t{255}, int64_t{256}, int64_t{65535}, int64_t{65536}, int64_t{-1},
        int64_t{std::numeric_limits<int32_t>::min()}, int64_t{std::numeric_limits<int32_t>::max()},
        int64_t{1} << 40, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()})
    scalars.push_back(v);
  for (double d : {3.25, -0.0, 1e300, -1e-300}) scalars.push_back(d);
  scalars.push_back(std::string("h\xc3\xa9llo"));
  scalars.push_back(std::string());
  scalars.push_back(true);
  scalars.push_back(false);
  scalars.push_back(c10::IValue());
  scalars.push_back(
      c10::ivalue::Tuple::create({c10::IValue(1), c10::IValue("a"), c10::IValue(torch::ones({2}))}));
  scalars.push_back(c10::ivalue::Tuple::create(std::vector<c10::IValue>{}));
  root.insert("scalars", scalars);
  c10::impl::GenericDict intKeys(c10::IntType::get(), c10::AnyType::get());
  intKeys.insert(0, "zero");
  intKeys.insert(7, "seven");
  c10::impl::GenericList nested(c10::AnyType::get());
  nested.push_back(intKeys);
  nested.push_back(makeStringDict());
  root.insert("nested", nested);
  root.insert("zero_dim", torch::tensor(5.5));
  root.insert("empty", torch::zeros({0, 3}));
  root.insert("device", c10::Device("cpu"));
  return root;
}

/// Reads `path` and returns the InputError message (fails the test when nothing or something else is thrown).
inline std::string readError(const std::string& path) {
  try {
    readTorchFile(path);
  } catch (const InputError& e) {
    if (std::getenv("FMCIB_TEST_VERBOSE")) std::cerr << "InputError: " << e.what() << "\n";
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected InputError, got: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected InputError for " << path;
  return "";
}

/// A zip archive in torch.save's layout with a hand-written data.pkl.
inline std::string craft(const std::string& name, const std::string& pickle,
                         const std::map<std::string, std::string>& records = {}) {
  const auto path = (test::tempDir("torch_file_craft") / name).string();
  caffe2::serialize::PyTorchStreamWriter writer(path);
  writer.writeRecord("data.pkl", pickle.data(), pickle.size());
  for (const auto& [key, bytes] : records) writer.writeRecord("data/" + key, bytes.data(), bytes.size());
  writer.writeEndOfFile();
  return path;
}

inline std::string ustr(const std::string& s) {  // BINUNICODE
  const uint32_t n = s.size();
  return "X" + std::string(reinterpret_cast<const char*>(&n), 4) + s;
}

/// {'x': FloatStorage tensor over `numel` elements with the given view}.
inline std::string tensorPickle(int numel, int offset, int size, int stride) {
  auto i1 = [](int v) { return "K" + std::string(1, static_cast<char>(v)); };
  return std::string("\x80\x02}(") + ustr("x") + "ctorch._utils\n_rebuild_tensor_v2\n((" + ustr("storage") +
         "ctorch\nFloatStorage\n" + ustr("0") + ustr("cpu") + i1(numel) + "tQ" + i1(offset) + i1(size) +
         "\x85" + i1(stride) + "\x85\x89" + "ccollections\nOrderedDict\n)RtRu.";
}

/// Lowers RLIMIT_FSIZE for the scope (SIGXFSZ ignored, so write() fails with EFBIG instead).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    oldHandler_ = signal(SIGXFSZ, SIG_IGN);
    rlimit lowered = saved_;
    lowered.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &lowered);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    signal(SIGXFSZ, oldHandler_);
  }

 private:
  rlimit saved_{};
  sighandler_t oldHandler_;
};

}  // namespace fmcib::io::test_util
