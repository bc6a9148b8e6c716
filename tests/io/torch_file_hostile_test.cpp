// torch.save files built to exhaust the reader: deep nesting, cycles, exponential sharing, huge
// counts, and zip directories that alias records. Each must be a prompt InputError naming the file
// (not a crash, a hang or gigabytes of memory), and files just inside the limits must still read.
#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <torch/torch.h>

#include <cstring>
#include <filesystem>

#include "fmcib/config/error.hpp"
#include "fmcib/io/torch_file.hpp"
#include "support/errors.hpp"
#include "support/memory.hpp"
#include "support/paths.hpp"
#include "torch_file_test_util.hpp"

namespace fmcib::io {
namespace {

namespace fs = std::filesystem;
using namespace test_util;

std::string u32(uint32_t v) {
  return std::string(reinterpret_cast<const char*>(&v), 4);
}
std::string memoPut(uint32_t i) {  // LONG_BINPUT
  return "r" + u32(i);
}
std::string memoGet(uint32_t i) {  // LONG_BINGET
  return "j" + u32(i);
}
std::string k0() {  // BININT1 0 (a NUL byte: never inside a string literal)
  return std::string("K") + '\0';
}
std::string repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

/// The InputError message for a crafted pickle, asserting it names the file and needed little memory.
std::string refusal(const std::string& name, const std::string& pickle,
                    const std::map<std::string, std::string>& records = {}) {
  const std::string path = craft(name + ".pt", pickle, records);
  test::resetPeakMemory();
  const std::string msg = readError(path);
  EXPECT_LT(test::peakMemoryBytes(), test::kRefusalMemoryBudget) << name;
  if (std::getenv("FMCIB_TEST_VERBOSE"))
    std::cerr << name << ": peak " << (test::peakMemoryBytes() >> 20) << " MiB\n";
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  return msg;
}

/// `depth` lists, each holding the next: `[[[...]]]`.
std::string nestedLists(size_t depth) {
  return repeat("]", depth) + repeat("a", depth - 1);
}

TEST(TorchFileHostile, DeepNestingIsRefused) {
  // 100,000 nested lists overflowed the stack when flattened or destroyed, even under a key no one reads.
  EXPECT_NE(refusal("lists", "\x80\x02" + nestedLists(100000) + ".").find("nest deeper than 1000 levels"),
            std::string::npos);
  EXPECT_NE(refusal("unused_key", "\x80\x02}" + ustr("unused") + nestedLists(100000) + "s.")
                .find("nest deeper than 1000 levels"),
            std::string::npos);
  // tuples (TUPLE1 around an empty tuple) and dicts ({0: {0: ...}}) the same way
  EXPECT_NE(refusal("tuples", "\x80\x02)" + repeat("\x85", 100000) + ".").find("nest deeper"),
            std::string::npos);
  EXPECT_NE(refusal("dicts", "\x80\x02" + repeat("}" + k0(), 100000) + "}" + repeat("s", 100000) + ".")
                .find("nest deeper"),
            std::string::npos);
  // tuples holding a storage class are interpreter-internal; they nest no deeper
  EXPECT_NE(refusal("raw_tuples",
                    "\x80\x02"
                    "ctorch\nFloatStorage\n" +
                        repeat("\x85", 100000) + ".")
                .find("nest deeper"),
            std::string::npos);
}

TEST(TorchFileHostile, NestingWithinTheLimitReads) {
  const auto path = craft("deep_ok.pt", "\x80\x02" + nestedLists(1000) + ".");
  c10::IValue v = readTorchFile(path);
  size_t depth = 0;
  while (v.isList() && v.toListRef().size() == 1) {
    v = v.toListRef()[0];
    ++depth;
  }
  EXPECT_EQ(depth, 999u);
  EXPECT_TRUE(flattenStateDict(readTorchFile(path)).empty());
}

TEST(TorchFileHostile, CyclesAreRefused) {
  // d = {}; d["self"] = d — plain torch.save writes this
  EXPECT_NE(refusal("self_dict", "\x80\x02}" + memoPut(0) + ustr("self") + memoGet(0) + "s.")
                .find("contains itself"),
            std::string::npos);
  // a = []; a.append(a)
  EXPECT_NE(refusal("self_list", "\x80\x02]" + memoPut(0) + memoGet(0) + "a.").find("contains itself"),
            std::string::npos);
  // a = []; b = [a]; a.append(b)
  EXPECT_NE(refusal("cycle", "\x80\x02]" + memoPut(0) + "]" + memoPut(1) + memoGet(0) + "aa.")
                .find("cyclic structure"),
            std::string::npos);
}

TEST(TorchFileHostile, ExponentialSharingIsRefused) {
  // L0 = []; L(i+1) = [Li, Li]: 800 bytes of pickle, 2^100 values when walked as a tree.
  std::string p = "\x80\x02]" + memoPut(0);
  for (uint32_t i = 0; i < 100; ++i) p += "0](" + memoGet(i) + memoGet(i) + "e" + memoPut(i + 1);
  EXPECT_NE(refusal("doubling", p + ".").find("a container holds more than 4194304 values"),
            std::string::npos);
  // Sharing that stays small is fine: {"a": t, "b": t} twice the same tensor, and a list twice.
  const std::string shared = "\x80\x02}(" + ustr("a") + "]" + memoPut(0) +
                             "(K\x01K\x02"
                             "e" +
                             ustr("b") + memoGet(0) + "u.";
  const c10::IValue v = readTorchFile(craft("shared_ok.pt", shared));
  EXPECT_EQ(v.toGenericDict().at("b").toListRef().size(), 2u);
}

TEST(TorchFileHostile, CountsAreCapped) {
  // 5M one-byte ints in one list: 10 MB of pickle
  EXPECT_NE(refusal("many_values", "\x80\x02](" + repeat("K\x01", 5000000) + "e.")
                .find("builds more than 4194304 values"),
            std::string::npos);
  // the memo: one dict memoized 5M times
  EXPECT_NE(refusal("memo", "\x80\x02}" + repeat("\x94", 5000000) + ".").find("more than 4194304 values"),
            std::string::npos);
  // 300,000 tensors over one 4-byte storage, each a fresh view (11 bytes of pickle per tensor)
  const std::string storage =
      "(" + ustr("storage") + "ctorch\nFloatStorage\n" + ustr("0") + ustr("cpu") + "K\x01tQ";
  const std::string args = "(" + storage + k0() + "))\x89" + "ccollections\nOrderedDict\n)Rt";
  std::string p =
      "\x80\x02"
      "ctorch._utils\n_rebuild_tensor_v2\n" +
      memoPut(0) + args + memoPut(1) + "0";
  p += "]" + repeat(memoGet(0) + memoGet(1) + "Ra", 300000) + ".";
  EXPECT_NE(refusal("tensors", p, {{"0", std::string(4, '\0')}}).find("more than 262144 tensors"),
            std::string::npos);
}

TEST(TorchFileHostile, FlattenedNamesAreCapped) {
  // a 60 KB key above 8192 references to one tensor: 500 MB of names
  const std::string key(60000, 'k');
  const std::string p = "\x80\x02}" + ustr(key) + "](" + "ctorch._utils\n_rebuild_tensor_v2\n((" +
                        ustr("storage") + "ctorch\nFloatStorage\n" + ustr("0") + ustr("cpu") + "K\x01tQ" +
                        k0() + "))\x89" + "ccollections\nOrderedDict\n)RtR" + memoPut(0) +
                        repeat(memoGet(0), 8191) + "es.";
  const c10::IValue v = readTorchFile(craft("names.pt", p, {{"0", std::string(4, '\0')}}));
  test::resetPeakMemory();
  const std::string msg = test::errorOf([&] { flattenStateDict(v); });
  EXPECT_LT(test::peakMemoryBytes(), test::kRefusalMemoryBudget);
  EXPECT_NE(msg.find("state dict names take more than 256 MiB"), std::string::npos) << msg;
}

/// Offset of the central directory header naming `suffix` in a zip's bytes.
size_t centralEntry(const std::string& zip, const std::string& suffix) {
  for (size_t p = zip.find("PK\x01\x02"); p != std::string::npos; p = zip.find("PK\x01\x02", p + 1)) {
    uint16_t nameLen;
    std::memcpy(&nameLen, zip.data() + p + 28, 2);
    const std::string name = zip.substr(p + 46, nameLen);
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      return p;
  }
  ADD_FAILURE() << "no entry " << suffix;
  return 0;
}
void put32(std::string& bytes, size_t at, uint32_t v) {
  std::memcpy(bytes.data() + at, &v, 4);
}
uint32_t get32(const std::string& bytes, size_t at) {
  uint32_t v;
  std::memcpy(&v, bytes.data() + at, 4);
  return v;
}

TEST(TorchFileHostile, AliasedZipEntriesAreRefused) {
  const fs::path dir = test::tempDir("torch_zip_alias");
  // data/0's directory entry pointed at data.pkl made a tensor of pickle bytes.
  const std::string good = craft("alias.pt", tensorPickle(4, 0, 4, 1), {{"0", std::string(16, '\x01')}});
  const std::string bytes = readBytesString(good);
  {
    std::string b = bytes;
    const size_t pkl = centralEntry(b, "data.pkl"), rec = centralEntry(b, "data/0");
    put32(b, rec + 42, get32(b, pkl + 42));  // local header offset
    put32(b, rec + 20, get32(b, pkl + 20));  // sizes and CRC of data.pkl
    put32(b, rec + 24, get32(b, pkl + 24));
    put32(b, rec + 16, get32(b, pkl + 16));
    const std::string path = (dir / "aliased.pt").string();
    writeBytes(path, b);
    const std::string msg = readError(path);
    EXPECT_NE(msg.find(path + ": cannot read torch.save archive: zip directory: "), std::string::npos) << msg;
  }
  {
    // an entry whose bytes run into the central directory
    std::string b = bytes;
    const size_t rec = centralEntry(b, "data/0");
    put32(b, rec + 20, 4096);
    put32(b, rec + 24, 4096);
    const std::string path = (dir / "past_end.pt").string();
    writeBytes(path, b);
    EXPECT_NE(readError(path).find("reaches past the archive's data"), std::string::npos);
  }
  {
    // data/0's entry moved to a local header (right name, right size) hidden inside data.pkl's bytes
    const std::string pickle = tensorPickle(4, 0, 4, 1);
    const std::map<std::string, std::string> records{{"0", std::string(16, '\x01')}};
    std::string name;
    {
      const std::string b = readBytesString(craft("hidden.pt", pickle, records));
      const size_t rec = centralEntry(b, "data/0");
      uint16_t nameLen;
      std::memcpy(&nameLen, b.data() + rec + 28, 2);
      name = b.substr(rec + 46, nameLen);
    }
    const uint16_t nameLen = static_cast<uint16_t>(name.size());
    const std::string fake = "PK\x03\x04" + std::string(22, '\0') +
                             std::string(reinterpret_cast<const char*>(&nameLen), 2) + std::string(2, '\0') +
                             name + std::string(16, '\x02');
    const std::string withFake = pickle.substr(0, pickle.size() - 1) + ustr(fake) + "0.";
    const std::string path0 = craft("hidden.pt", withFake, records);
    size_t dataPkl = 0;
    {
      caffe2::serialize::PyTorchStreamReader reader(path0);
      dataPkl = reader.getRecordOffset("data.pkl");
    }
    std::string b = readBytesString(path0);
    put32(b, centralEntry(b, "data/0") + 42, static_cast<uint32_t>(dataPkl + withFake.find("PK\x03\x04")));
    const std::string path = (dir / "hidden_header.pt").string();
    writeBytes(path, b);
    EXPECT_NE(readError(path).find("' overlap"), std::string::npos);
  }
}

TEST(TorchFileHostile, StorageRecordMustBeExactlyItsStorage) {
  // 20 bytes for a storage of 4 floats: not the record torch.save wrote
  EXPECT_NE(refusal("long_record", tensorPickle(4, 0, 4, 1), {{"0", std::string(20, '\0')}})
                .find("storage record data/0 holds 20 bytes, its storage of 4 Float elements needs 16"),
            std::string::npos);
  // a storage size whose byte count overflows 64 bits
  const std::string huge = std::string("\x80\x02") + "ctorch._utils\n_rebuild_tensor_v2\n((" +
                           ustr("storage") + "ctorch\nDoubleStorage\n" + ustr("0") + ustr("cpu") +
                           "\x8a\x08" + std::string(7, '\0') + "\x20" + "tQ" + k0() + "))\x89" +
                           "ccollections\nOrderedDict\n)RtR.";
  EXPECT_NE(refusal("overflow", huge, {{"0", std::string(8, '\0')}}).find("needs more"), std::string::npos);
}

TEST(TorchFileHostile, OnlyRegularFilesAreOpened) {
  const fs::path dir = test::tempDir("torch_fifo");
  const std::string fifo = (dir / "weights.pt").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(readError(fifo), fifo + ": not a regular file");  // returns at once: nothing opened it
  EXPECT_EQ(readError(dir.string()), dir.string() + ": not a regular file");
}

}  // namespace
}  // namespace fmcib::io
