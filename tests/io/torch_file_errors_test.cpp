// Broken and hostile torch.save files: each must be a clear InputError naming the file, never a
// crash, and never execute anything.
#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>

#include "fmcib/config/error.hpp"
#include "fmcib/io/torch_file.hpp"
#include "support/paths.hpp"
#include "torch_file_test_util.hpp"

namespace fmcib::io {
namespace {

namespace fs = std::filesystem;
using namespace test_util;

TEST(TorchFileErrors, CraftedTensorPickleIsValid) {  // the builder above is right: the errors below are real
  const auto path = craft("ok.pt", tensorPickle(4, 1, 3, 1), {{"0", std::string(16, '\0')}});
  const c10::IValue v = readTorchFile(path);
  EXPECT_EQ(v.toGenericDict().at("x").toTensor().sizes(), (std::vector<int64_t>{3}));
}

TEST(TorchFileErrors, MissingFile) {
  const std::string path = (test::tempDir("torch_file_missing") / "absent.pt").string();
  EXPECT_NE(readError(path).find(path), std::string::npos);
}

TEST(TorchFileErrors, NotAZipFile) {
  const auto path = (test::tempDir("torch_file_nonzip") / "notes.txt").string();
  writeBytes(path, "this is not a checkpoint\n");
  const std::string msg = readError(path);
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a torch.save zip archive"), std::string::npos) << msg;
  writeBytes(path, "");
  EXPECT_NE(readError(path).find(path), std::string::npos);
}

TEST(TorchFileErrors, LegacyFormatIsNamed) {
  const auto path = (test::tempDir("torch_file_legacy") / "old.pt").string();
  writeBytes(path, std::string("\x80\x02\x8a\x0a") + std::string(40, '\x01'));
  EXPECT_NE(readError(path).find("legacy"), std::string::npos);
}

TEST(TorchFileErrors, Truncated) {
  const std::string whole = readBytesString(test::fixture("resnet18_w0125.weights.pt"));
  const fs::path dir = test::tempDir("torch_file_truncated");
  for (double fraction : {0.0001, 0.01, 0.5, 0.99, 0.99999}) {
    const auto path = (dir / ("cut_" + std::to_string(fraction) + ".pt")).string();
    writeBytes(path, whole.substr(0, static_cast<size_t>(whole.size() * fraction)));
    const std::string msg = readError(path);
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
  }
}

TEST(TorchFileErrors, CorruptedPickle) {
  const auto source = test::fixture("resnet18_w0125.weights.pt");
  size_t offset = 0;
  {
    caffe2::serialize::PyTorchStreamReader reader(source);
    offset = reader.getRecordOffset("data.pkl");
  }
  std::string bytes = readBytesString(source);
  for (size_t i = offset + 100; i < offset + 164; ++i) bytes[i] = '\xff';
  const auto path = (test::tempDir("torch_file_corrupt") / "corrupt.pt").string();
  writeBytes(path, bytes);
  const std::string msg = readError(path);
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\xff'), std::string::npos) << "raw bytes echoed";  // escaped as \xff
}

TEST(TorchFileErrors, DisallowedGlobalsNeverRun) {
  const fs::path dir = test::tempDir("torch_file_evil");
  const std::string marker = (dir / "pwned").string();
  // os.system("touch <marker>"), as pickle.dumps(...) of a __reduce__ returning it would write.
  const auto evil = craft("evil.pt",
                          "\x80\x02"
                          "cos\nsystem\n" +
                              ustr("touch " + marker) + "\x85R.");
  std::string msg = readError(evil);
  EXPECT_NE(msg.find(evil), std::string::npos) << msg;
  EXPECT_NE(msg.find("disallowed global 'os.system'"), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(marker));
  // builtins.eval through protocol 4's STACK_GLOBAL
  const auto eval =
      craft("eval.pt", "\x80\x04" + ustr("builtins") + ustr("eval") + "\x93" + ustr("1") + "\x85R.");
  msg = readError(eval);
  EXPECT_NE(msg.find("builtins.eval"), std::string::npos) << msg;
  // an arbitrary pickled class instance
  const auto cls = craft("class.pt",
                         "\x80\x02"
                         "c__main__\nModel\n)\x81}b.");
  EXPECT_NE(readError(cls).find("__main__.Model"), std::string::npos);
  // a torch global outside the allow-list
  const auto load = craft("load.pt",
                          "\x80\x02"
                          "ctorch\nload\n" +
                              ustr("x") + "\x85R.");
  EXPECT_NE(readError(load).find("torch.load"), std::string::npos);
}

TEST(TorchFileErrors, MalformedPrograms) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"underflow", "\x80\x02s."},
      {"no_stop", "\x80\x02}"},
      {"bad_opcode", "\x80\x02\xfe."},
      {"memo", "\x80\x02h\x05."},
      {"string_past_end",
       "\x80\x02X\xff\xff\xff\x7f"
       "abc."},
      {"setitem_on_list", "\x80\x02](K\x01K\x02u."},
      {"reduce_non_callable", "\x80\x02K\x01)R."},
      {"unhashable_key", "\x80\x02}(NK\x01u."},
  };
  for (const auto& [name, pickle] : cases) {
    const auto path = craft(name + ".pt", pickle);
    const std::string msg = readError(path);
    EXPECT_NE(msg.find(path), std::string::npos) << name << ": " << msg;
  }
}

TEST(TorchFileErrors, StorageProblems) {
  // view reaching past its storage: 4 elements, offset 2, size 3
  EXPECT_NE(readError(craft("extent.pt", tensorPickle(4, 2, 3, 1), {{"0", std::string(16, '\0')}}))
                .find("exceeds its storage"),
            std::string::npos);
  // record shorter than the persistent id says
  EXPECT_NE(
      readError(craft("short.pt", tensorPickle(4, 0, 4, 1), {{"0", std::string(8, '\0')}})).find("bytes"),
      std::string::npos);
  // record absent
  EXPECT_NE(readError(craft("absent.pt", tensorPickle(4, 0, 4, 1))).find("missing storage record"),
            std::string::npos);
}

}  // namespace
}  // namespace fmcib::io
