// CSVLogger / TensorBoardLogger / WandbLogger: Lightning's folder layout and version numbering, the
// CSV file, and TensorBoard event files decoded independently (TFRecord CRCs and protobuf fields).
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "fmcib/config/config.hpp"
#include "fmcib/config/registry.hpp"
#include "fmcib/engine/loggers.hpp"
#include "support/paths.hpp"

namespace fmcib::engine {
namespace {

namespace fs = std::filesystem;

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

LoggerPtr buildLogger(const std::string& body) {
  registerLoggerTargets(config::Registry::global());
  config::Config c = config::Config::fromString("trainer:\n  logger:\n    " + body, "loggers.yaml");
  return c.resolve("trainer#logger").as<Logger>();
}

TEST(Loggers, VersionFoldersFollowLightning) {
  const fs::path dir = test::tempDir("loggers_versions");
  EXPECT_EQ(nextVersion(dir / "missing"), 0);
  fs::create_directories(dir / "exp" / "version_7");
  fs::create_directories(dir / "exp" / "version_x");
  fs::create_directories(dir / "exp" / "other");
  std::ofstream(dir / "exp" / "version_9") << "a file, not a folder";
  EXPECT_EQ(nextVersion(dir / "exp"), 8);

  CsvLoggerOptions o;
  o.dir = {dir.string(), "fresh", ""};
  CsvLogger first(o), second(o);
  EXPECT_EQ(first.logDir(), (dir / "fresh" / "version_0").string());
  EXPECT_TRUE(fs::is_directory(first.logDir()));
  EXPECT_EQ(second.logDir(), (dir / "fresh" / "version_1").string());

  auto byInt = buildLogger("{_target_: pytorch_lightning.loggers.CSVLogger, save_dir: " + dir.string() +
                           ", version: 3}");
  EXPECT_EQ(byInt->logDir(), (dir / "lightning_logs" / "version_3").string());
  auto byName =
      buildLogger("{_target_: pytorch_lightning.loggers.TensorBoardLogger, save_dir: " + dir.string() +
                  ", name: tb, version: run_a, sub_dir: extra}");
  EXPECT_EQ(byName->logDir(), (dir / "tb" / "run_a" / "extra").string());
  auto noName =
      buildLogger("{_target_: pytorch_lightning.loggers.CSVLogger, save_dir: " + (dir / "flat").string() +
                  ", name: null}");
  EXPECT_EQ(noName->logDir(), (dir / "flat" / "version_0").string());
}

TEST(Loggers, CsvRowsColumnsAndHparams) {
  const fs::path dir = test::tempDir("loggers_csv");
  auto logger = buildLogger("{_target_: pytorch_lightning.loggers.CSVLogger, save_dir: " + dir.string() +
                            ", name: exp, flush_logs_every_n_steps: 2}");
  EXPECT_EQ(logger->name(), "pytorch_lightning.loggers.CSVLogger");
  const fs::path csv = fs::path(logger->logDir()) / "metrics.csv";
  logger->logHyperparams("system:\n  batch_size: 4\n");
  EXPECT_EQ(readFile(fs::path(logger->logDir()) / "hparams.yaml"), "system:\n  batch_size: 4\n");

  logger->logMetrics({{"train/loss", 0.5}}, 0);
  EXPECT_FALSE(fs::exists(csv));  // (0 + 1) % 2 != 0: still pending
  logger->logMetrics({{"train/loss", 0.25}}, 1);
  EXPECT_EQ(readFile(csv), "train/loss,step\n0.5,0\n0.25,1\n");
  // New keys: the file is rewritten under the wider header, earlier rows keep empty cells.
  logger->logMetrics({{"val/AUROC", 0.75}, {"epoch", 0}}, 1);
  logger->logMetrics({{"train/loss", 0.125}}, 2);
  logger->flush();
  EXPECT_EQ(readFile(csv), "train/loss,step,epoch,val/AUROC\n0.5,0,,\n0.25,1,,\n,1,0,0.75\n0.125,2,,\n");
  // No new key: rows are appended.
  logger->logMetrics({{"train/loss", 1e-5}}, 3);
  EXPECT_EQ(readFile(csv),
            "train/loss,step,epoch,val/AUROC\n0.5,0,,\n0.25,1,,\n,1,0,0.75\n0.125,2,,\n1e-05,3,,\n");
}

TEST(Loggers, CsvPrefixAndValueFormatting) {
  EXPECT_EQ(formatMetricValue(0.1), "0.1");
  EXPECT_EQ(formatMetricValue(3), "3");
  EXPECT_EQ(formatMetricValue(0.6931471824645996), "0.6931471824645996");
  EXPECT_EQ(formatMetricValue(std::nan("")), "nan");
  EXPECT_EQ(formatMetricValue(-std::numeric_limits<double>::infinity()), "-inf");
  const fs::path dir = test::tempDir("loggers_prefix");
  CsvLoggerOptions o;
  o.dir = {dir.string(), "p", ""};
  o.prefix = "fit";
  {
    CsvLogger logger(o);
    logger.logMetrics({{"a,b", 2.5}}, 0);
  }  // the destructor writes what is pending
  EXPECT_EQ(readFile(dir / "p" / "version_0" / "metrics.csv"), "\"fit-a,b\",step\n2.5,0\n");
}

// ---- an independent TFRecord / protobuf reader ----

uint32_t crc32cBitwise(const std::string& s) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char ch : s) {
    c ^= ch;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
  }
  return ~c;
}

uint32_t unmask(uint32_t masked) {
  const uint32_t rot = masked - 0xA282EAD8u;
  return (rot >> 17) | (rot << 15);
}

uint64_t littleEndian(const std::string& s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= static_cast<uint64_t>(static_cast<unsigned char>(s[at + i])) << (8 * i);
  return v;
}

std::vector<std::string> readRecords(const std::string& file) {
  std::vector<std::string> records;
  size_t at = 0;
  while (at < file.size()) {
    EXPECT_LE(at + 12, file.size());
    const std::string lengthBytes = file.substr(at, 8);
    const uint64_t length = littleEndian(file, at, 8);
    EXPECT_EQ(unmask(static_cast<uint32_t>(littleEndian(file, at + 8, 4))), crc32cBitwise(lengthBytes));
    const std::string data = file.substr(at + 12, length);
    EXPECT_EQ(unmask(static_cast<uint32_t>(littleEndian(file, at + 12 + length, 4))), crc32cBitwise(data));
    records.push_back(data);
    at += 12 + length + 4;
  }
  EXPECT_EQ(at, file.size());
  return records;
}

struct Field {
  int number = 0, wire = 0;
  uint64_t scalar = 0;  // varint, fixed64 or fixed32 bits
  std::string bytes;
};

std::vector<Field> parseMessage(const std::string& m) {
  std::vector<Field> out;
  size_t at = 0;
  auto varint = [&]() {
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      const auto b = static_cast<unsigned char>(m.at(at++));
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
  };
  while (at < m.size()) {
    const uint64_t key = varint();
    Field f;
    f.number = static_cast<int>(key >> 3);
    f.wire = static_cast<int>(key & 7);
    if (f.wire == 0) {
      f.scalar = varint();
    } else if (f.wire == 1 || f.wire == 5) {
      const int n = f.wire == 1 ? 8 : 4;
      f.scalar = littleEndian(m, at, n);
      at += static_cast<size_t>(n);
    } else if (f.wire == 2) {
      const uint64_t n = varint();
      f.bytes = m.substr(at, n);
      at += n;
    } else {
      ADD_FAILURE() << "unexpected wire type " << f.wire;
      break;
    }
    out.push_back(f);
  }
  return out;
}

const Field* field(const std::vector<Field>& fs, int number) {
  for (const auto& f : fs)
    if (f.number == number) return &f;
  return nullptr;
}

struct Scalar {
  std::string tag;
  float value;
  int64_t step;
};

TEST(Loggers, Crc32cKnownValue) {
  EXPECT_EQ(crc32cBitwise("123456789"), 0xE3069283u);
}

TEST(Loggers, TensorBoardEventsDecodeWithValidCrcs) {
  const fs::path dir = test::tempDir("loggers_tb");
  auto logger =
      buildLogger("{_target_: pytorch_lightning.loggers.TensorBoardLogger, save_dir: " + dir.string() + "}");
  EXPECT_EQ(logger->logDir(), (dir / "lightning_logs" / "version_0").string());
  logger->logHyperparams("trainer:\n  max_epochs: 3\n");
  logger->logMetrics({{"train/loss", 0.25}, {"lr", 0.001}}, 5);
  logger->logMetrics({{"val/AUROC", 0.875}}, 1234567);
  logger->flush();

  auto tb = std::dynamic_pointer_cast<TensorBoardLogger>(logger);
  ASSERT_TRUE(tb);
  const fs::path file = tb->eventFile();
  EXPECT_EQ(file.parent_path().string(), logger->logDir());
  EXPECT_EQ(file.filename().string().rfind("events.out.tfevents.", 0), 0u) << file;
  EXPECT_EQ(readFile(dir / "lightning_logs" / "version_0" / "hparams.yaml"), "trainer:\n  max_epochs: 3\n");

  const auto records = readRecords(readFile(file));
  ASSERT_EQ(records.size(), 6u);  // version, hparams text, hp_metric, 3 scalars
  std::vector<Scalar> scalars;
  std::string text;
  for (size_t i = 0; i < records.size(); ++i) {
    const auto ev = parseMessage(records[i]);
    const Field* wall = field(ev, 1);
    ASSERT_TRUE(wall && wall->wire == 1);
    double wallTime;
    std::memcpy(&wallTime, &wall->scalar, 8);
    EXPECT_GT(wallTime, 1.6e9);
    const Field* step = field(ev, 2);
    if (i == 0) {
      const Field* version = field(ev, 3);
      ASSERT_TRUE(version);
      EXPECT_EQ(version->bytes, "brain.Event:2");
      continue;
    }
    const Field* summary = field(ev, 5);
    ASSERT_TRUE(summary);
    const auto value = parseMessage(field(parseMessage(summary->bytes), 1)->bytes);
    const std::string tag = field(value, 1)->bytes;
    if (const Field* simple = field(value, 2)) {
      EXPECT_EQ(simple->wire, 5);
      float v;
      const auto bits = static_cast<uint32_t>(simple->scalar);
      std::memcpy(&v, &bits, 4);
      scalars.push_back({tag, v, step ? static_cast<int64_t>(step->scalar) : 0});
    } else {
      EXPECT_EQ(tag, "hparams");
      const auto plugin = parseMessage(field(parseMessage(field(value, 9)->bytes), 1)->bytes);
      EXPECT_EQ(field(plugin, 1)->bytes, "text");
      const auto tensor = parseMessage(field(value, 8)->bytes);
      EXPECT_EQ(field(tensor, 1)->scalar, 7u);  // DT_STRING
      text = field(tensor, 8)->bytes;
    }
  }
  EXPECT_NE(text.find("    max_epochs: 3"), std::string::npos) << text;
  ASSERT_EQ(scalars.size(), 4u);
  EXPECT_EQ(scalars[0].tag, "hp_metric");
  EXPECT_EQ(scalars[0].value, -1.0f);
  EXPECT_EQ(scalars[0].step, 0);
  EXPECT_EQ(scalars[1].tag, "lr");
  EXPECT_EQ(scalars[1].value, 0.001f);
  EXPECT_EQ(scalars[1].step, 5);
  EXPECT_EQ(scalars[2].tag, "train/loss");
  EXPECT_EQ(scalars[2].value, 0.25f);
  EXPECT_EQ(scalars[3].tag, "val/AUROC");
  EXPECT_EQ(scalars[3].value, 0.875f);
  EXPECT_EQ(scalars[3].step, 1234567);
}

TEST(Loggers, WandbFallsBackToLocalLoggersWithOneWarning) {
  const fs::path dir = test::tempDir("loggers_wandb");
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  auto& sinks = spdlog::default_logger()->sinks();
  sinks.push_back(sink);
  auto logger =
      buildLogger("{_target_: pytorch_lightning.loggers.WandbLogger, name: run1, project: fmcib, save_dir: " +
                  dir.string() + ", offline: true, log_model: true}");
  EXPECT_EQ(captured.str(), "");  // nothing until it is used (only rank 0 uses it)
  logger->logHyperparams("vars: {}\n");
  logger->logMetrics({{"train/loss", 0.5}}, 0);
  logger->logMetrics({{"train/loss", 0.4}}, 1);
  logger->flush();
  sinks.pop_back();

  const fs::path logDir = dir / "fmcib" / "version_0";
  EXPECT_EQ(logger->logDir(), logDir.string());
  const std::string warnings = captured.str();
  const std::string expected = "W&B is not available here; logging locally to " + logDir.string();
  EXPECT_NE(warnings.find(expected), std::string::npos) << warnings;
  EXPECT_EQ(warnings.find("W&B"), warnings.rfind("W&B")) << "warned more than once: " << warnings;
  EXPECT_EQ(readFile(logDir / "metrics.csv"), "train/loss,step\n0.5,0\n0.4,1\n");
  EXPECT_TRUE(fs::exists(logDir / "hparams.yaml"));
  int events = 0;
  for (const auto& e : fs::directory_iterator(logDir))
    if (e.path().filename().string().rfind("events.out.tfevents.", 0) == 0) {
      ++events;
      EXPECT_EQ(readRecords(readFile(e.path())).size(), 5u);  // version, text, hp_metric, 2 losses
    }
  EXPECT_EQ(events, 1);
  EXPECT_FALSE(fs::exists(dir / "fmcib" / "version_1"));  // both loggers share the folder
}

}  // namespace
}  // namespace fmcib::engine
