// Bounded fuzzing of every reader of user files: thousands of mutations (bit flips, boundary
// values, cuts, splices, numbers swapped in headers) of valid files from a fixed seed. Each input
// must read or fail with one of fmcib's typed errors: never a crash, a hang (a watchdog aborts a
// case after 30 s), another exception, or a peak memory over 1 GB. A failing input is kept under
// test_tmp/fuzz_failures for reproduction.
#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include "fmcib/config/error.hpp"
#include "fmcib/io/csv.hpp"
#include "fmcib/io/image_io.hpp"
#include "fmcib/io/torch_file.hpp"
#include "image_test_util.hpp"
#include "support/memory.hpp"
#include "support/paths.hpp"
#include "torch_file_test_util.hpp"

namespace fs = std::filesystem;
using namespace fmcib::io;
using namespace fmcib::io::image_test;

namespace {

/// The fixed seed; FMCIB_FUZZ_SEED overrides it to explore (a failure then names its seed).
uint64_t seed() {
  const char* env = std::getenv("FMCIB_FUZZ_SEED");
  return env ? std::strtoull(env, nullptr, 10) : 20240613;
}

/// Aborts the process with the case's name when one case runs longer than the limit.
class Watchdog {
 public:
  Watchdog() : thread_([this] { run(); }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void start(const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex_);
    what_ = what;
    deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    armed_ = true;
  }
  void done() {
    std::lock_guard<std::mutex> lock(mutex_);
    armed_ = false;
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_) {
      cv_.wait_for(lock, std::chrono::milliseconds(200));
      if (armed_ && std::chrono::steady_clock::now() > deadline_) {
        std::fprintf(stderr, "fuzz case hangs: %s\n", what_.c_str());
        std::abort();
      }
    }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::string what_;
  std::chrono::steady_clock::time_point deadline_;
  bool armed_ = false, stop_ = false;
  std::thread thread_;
};

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}

  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng_() % n); }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  /// 1 to 4 byte-level changes, mostly within the first `focus` bytes (the header).
  std::string bytes(std::string b, size_t focus) {
    const int n = 1 + static_cast<int>(below(4));
    for (int i = 0; i < n && !b.empty(); ++i) {
      const size_t span = chance(0.85) ? std::min(focus, b.size()) : b.size();
      const size_t at = below(span);
      switch (below(7)) {
        case 0:
          b[at] = static_cast<char>(b[at] ^ (1 << below(8)));
          break;
        case 1: {
          static const unsigned char kBytes[] = {0, 0xff, 0x7f, 0x80, 1, 0xfe};
          b[at] = static_cast<char>(kBytes[below(sizeof kBytes)]);
          break;
        }
        case 2: {
          static const uint32_t kWords[] = {0,          0xffffffff, 0x7fffffff, 0x80000000,
                                            0xfffffffe, 0x10000,    1000000000};
          const uint32_t w = kWords[below(sizeof kWords / sizeof kWords[0])];
          for (size_t k = 0; k < 4 && at + k < b.size(); ++k)
            b[at + k] = static_cast<char>((w >> (8 * k)) & 0xff);
          break;
        }
        case 3:
          b.resize(below(b.size()));
          break;
        case 4:
          b.erase(at, 1 + below(16));
          break;
        case 5: {
          const size_t from = below(b.size());
          b.insert(at, b.substr(from, 1 + below(64)));
          break;
        }
        default:
          b[at] = static_cast<char>(rng_());
          break;
      }
    }
    return b;
  }

  /// Text headers: a number replaced by a boundary value, a line dropped or doubled, or bytes.
  std::string text(std::string b, size_t headerEnd) {
    if (chance(0.3)) return bytes(b, headerEnd);
    static const char* kNumbers[] = {
        "-1",  "0",    "-2147483648", "4294967296", "99999999999999999999",    "1e308",
        "nan", "-inf", "3.5",         "",           "1 2 3 4 5 6 7 8 9 10 11", "0x10",
        "-100"};
    const int n = 1 + static_cast<int>(below(3));
    for (int i = 0; i < n; ++i) {
      const size_t end = std::min(headerEnd, b.size());
      if (end == 0) break;
      size_t at = below(end);
      if (chance(0.7)) {  // the digits around `at`
        while (at < end && !std::isdigit(static_cast<unsigned char>(b[at]))) ++at;
        size_t stop = at;
        while (stop < end &&
               (std::isdigit(static_cast<unsigned char>(b[stop])) || b[stop] == '.' || b[stop] == '-'))
          ++stop;
        if (at < end) b.replace(at, stop - at, kNumbers[below(sizeof kNumbers / sizeof kNumbers[0])]);
      } else {
        const size_t lineStart = b.rfind('\n', at) == std::string::npos ? 0 : b.rfind('\n', at) + 1;
        const size_t lineEnd = b.find('\n', at);
        if (lineEnd == std::string::npos || lineEnd > end) continue;
        const std::string line = b.substr(lineStart, lineEnd + 1 - lineStart);
        if (chance(0.5))
          b.erase(lineStart, line.size());
        else
          b.insert(lineStart, line);
      }
      headerEnd = std::min(headerEnd + 64, b.size());
    }
    return b;
  }

 private:
  std::mt19937_64 rng_;
};

/// Runs `read` on one input: a typed fmcib error or success are fine; anything else fails the test
/// and keeps the input.
template <class F>
void expectClean(Watchdog& dog, const std::string& what, const std::vector<std::string>& inputs, F&& read) {
  dog.start(what);
  std::string failure;
  try {
    read();
  } catch (const fmcib::Error&) {
  } catch (const std::exception& e) {
    failure = std::string("an exception that is not fmcib's: ") + typeid(e).name() + ": " + e.what();
  }
  dog.done();
  if (fmcib::test::peakMemoryBytes() > fmcib::test::kRefusalMemoryBudget)
    failure = "peak memory " + std::to_string(fmcib::test::peakMemoryBytes() >> 20) + " MiB";
  if (failure.empty()) return;
  const fs::path keep = fs::path(FMCIB_BINARY_DIR) / "test_tmp" / "fuzz_failures";
  fs::create_directories(keep);
  for (const auto& in : inputs)
    fs::copy(in, keep / (fs::path(what).filename().string() + "_" + fs::path(in).filename().string()),
             fs::copy_options::overwrite_existing | fs::copy_options::recursive);
  ADD_FAILURE() << what << " (seed " << seed() << "): " << failure << " (input kept in " << keep << ")";
}

std::string gzipBytes(const std::string& raw, const fs::path& dir) {
  const std::string path = (dir / "tmp.gz").string();
  std::remove(path.c_str());  // see writeAll
  gzFile gz = gzopen(path.c_str(), "wb6");
  gzwrite(gz, raw.data(), static_cast<unsigned>(raw.size()));
  gzclose(gz);
  return readAll(path);
}

class Fuzz : public ::testing::Test {
 protected:
  void SetUp() override {
    fmcib::test::resetPeakMemory();
    dir_ = fmcib::test::tempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  Watchdog dog_;
  Mutator m_{seed()};
  fs::path dir_;
};

TEST_F(Fuzz, TorchFiles) {
  // a checkpoint-like tree with every dtype and views, and a published-layout state dict
  const std::string rich = torchFileBytes(fmcib::io::test_util::richValue());
  const std::string weights = readAll(fmcib::test::fixture("resnet18_w0125.weights.pt"));
  std::string pickle;
  {
    const std::string p = (dir_ / "rich.pt").string();
    writeAll(p, rich);
    caffe2::serialize::PyTorchStreamReader reader(p);
    auto [data, size] = reader.getRecord("data.pkl");
    pickle.assign(static_cast<const char*>(data.get()), size);
  }
  const std::string path = (dir_ / "case.pt").string();
  for (int i = 0; i < 3000; ++i) {
    if (i % 2 == 0) {  // the pickle program itself, rewrapped in a valid archive
      const std::string mutated = m_.bytes(pickle, pickle.size());
      std::remove(path.c_str());
      caffe2::serialize::PyTorchStreamWriter writer(path);
      writer.writeRecord("data.pkl", mutated.data(), mutated.size());
      writer.writeEndOfFile();
    } else {
      // the whole archive: mostly the small tree, every 15th case the published weights' header
      writeAll(path, i % 15 != 1 ? m_.bytes(rich, rich.size())
                                 : m_.bytes(weights.substr(0, 4096), 4096) + weights.substr(4096));
    }
    expectClean(dog_, "torch case " + std::to_string(i), {path},
                [&] { flattenStateDict(readTorchFile(path)); });
  }
}

TEST_F(Fuzz, CsvFiles) {
  const std::string excerpt = readAll(
      (fmcib::test::sourceDir() / "tests" / "io" / "reference_csv" / "deeplesion_pretrain.csv").string());
  const std::string quoted =
      "image_path,note,coordX,label\r\n/a.nii,\"two\nlines, \"\"q\"\"\",1.5,0\r\n/b.nii,x,-2e3,1\n";
  const std::string path = (dir_ / "case.csv").string();
  for (int i = 0; i < 3000; ++i) {
    const std::string& base = i % 2 ? excerpt : quoted;
    writeAll(path, i % 4 == 1 ? m_.text(base, base.size()) : m_.bytes(base, base.size()));
    expectClean(dog_, "csv case " + std::to_string(i), {path}, [&] {
      const CsvTable t = CsvTable::read(path);
      for (size_t r = 0; r < t.numRows(); ++r)
        for (size_t c = 0; c < t.header().size(); ++c) {
          try {
            t.number(r, c);
          } catch (const fmcib::InputError&) {
          }
        }
    });
  }
}

/// Fuzzes files written from a small volume in `name`'s format: header-focused mutations of the
/// file (and, for `.gz` names, of the bytes inside the gzip stream too).
void fuzzImage(Watchdog& dog, Mutator& m, const fs::path& dir, const std::string& name, bool compress,
               int cases, bool textHeader) {
  const std::string good = (dir / ("good_" + name)).string();
  writeImage(smallVolume({9, 8, 5}), good, compress);
  const std::string base = readAll(good);
  const bool gz = name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0;
  std::string inner;
  if (gz) {
    gzFile f = gzopen(good.c_str(), "rb");
    std::string buf(1 << 20, '\0');
    const int n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()));
    gzclose(f);
    inner = buf.substr(0, static_cast<size_t>(std::max(n, 0)));
  }
  const size_t headerEnd =
      textHeader
          ? std::min(base.find("\n\n") == std::string::npos ? base.size() : base.find("\n\n"),
                     base.find("ElementDataFile") == std::string::npos ? base.size()
                                                                       : base.find("ElementDataFile") + 24)
          : 352;
  const std::string path = (dir / name).string();
  for (int i = 0; i < cases; ++i) {
    if (gz && i % 2)
      writeAll(path, gzipBytes(m.bytes(inner, 352), dir));
    else
      writeAll(path, textHeader && i % 3 ? m.text(base, headerEnd) : m.bytes(base, headerEnd));
    expectClean(dog, name + " case " + std::to_string(i), {path}, [&] {
      readImageInfo(path);
      readImage(path);
    });
  }
}

TEST_F(Fuzz, NiftiHeaders) {
  fuzzImage(dog_, m_, dir_, "scan.nii", false, 800, false);
  fuzzImage(dog_, m_, dir_, "scan.nii.gz", true, 800, false);
}

TEST_F(Fuzz, MetaImageHeaders) {
  fuzzImage(dog_, m_, dir_, "scan.mha", false, 800, true);
  fuzzImage(dog_, m_, dir_, "zipped.mha", true, 800, true);
  // a detached header beside its data file
  writeImage(smallVolume({9, 8, 5}), (dir_ / "detached.mhd").string(), false);
  const std::string header = readAll((dir_ / "detached.mhd").string());
  const std::string path = (dir_ / "case.mhd").string();
  for (int i = 0; i < 500; ++i) {
    writeAll(path, m_.text(header, header.size()));
    expectClean(dog_, "mhd case " + std::to_string(i), {path}, [&] { readImage(path); });
  }
}

TEST_F(Fuzz, NrrdHeaders) {
  fuzzImage(dog_, m_, dir_, "scan.nrrd", false, 800, true);
  fuzzImage(dog_, m_, dir_, "zipped.nrrd", true, 800, true);
}

TEST_F(Fuzz, GiplHeaders) {
  fuzzImage(dog_, m_, dir_, "scan.gipl", false, 600, false);
}

TEST_F(Fuzz, DicomFiles) {
  const std::string folder = (dir_ / "series").string();
  writeDicomSeries(smallVolume({9, 8, 3}), folder);
  const std::string slice = (fs::path(folder) / "IMG0002.dcm").string();
  const std::string base = readAll(slice);
  const size_t pixels = base.rfind(tag(0x7fe0, 0x0010));
  for (int i = 0; i < 1500; ++i) {
    writeAll(slice, m_.bytes(base, pixels == std::string::npos ? base.size() : pixels + 12));
    expectClean(dog_, "dicom case " + std::to_string(i), {slice}, [&] {
      try {
        readImage(slice);
      } catch (const fmcib::Error&) {
      }
      readImage(folder);
    });
  }
}

}  // namespace
