// TensorBoard event files written by hand: TFRecord framing and the few protobuf messages a scalar
// and a text summary need (tensorflow/core/util/event.proto, framework/summary.proto), so no
// protobuf or TensorFlow dependency is needed.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "fmcib/config/error.hpp"
#include "fmcib/engine/loggers.hpp"
#include "fmcib/io/atomic_file.hpp"

namespace fmcib::engine {

namespace fs = std::filesystem;

namespace {

// ---- CRC-32C (Castagnoli), as TFRecord uses, and its "masked" form ----

const std::array<uint32_t, 256>& crcTable() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

uint32_t crc32c(const char* data, size_t n) {
  const auto& table = crcTable();
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) c = table[(c ^ static_cast<uint8_t>(data[i])) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

uint32_t maskedCrc(const char* data, size_t n) {
  const uint32_t c = crc32c(data, n);
  return ((c >> 15) | (c << 17)) + 0xA282EAD8u;
}

void putLittleEndian(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFFu);
}

// ---- protobuf wire format ----

void varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void tag(std::string& out, int field, int wireType) {
  varint(out, (static_cast<uint64_t>(field) << 3) | wireType);
}

void bytesField(std::string& out, int field, const std::string& bytes) {
  tag(out, field, 2);
  varint(out, bytes.size());
  out += bytes;
}

void doubleField(std::string& out, int field, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  tag(out, field, 1);
  putLittleEndian(out, bits, 8);
}

void floatField(std::string& out, int field, float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  tag(out, field, 5);
  putLittleEndian(out, bits, 4);
}

void int64Field(std::string& out, int field, int64_t v) {
  tag(out, field, 0);
  varint(out, static_cast<uint64_t>(v));  // negative int64: ten-byte two's complement, as protobuf
}

double wallTime() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// Event{wall_time = 1, step = 2, file_version = 3 | summary = 5}; proto3 leaves a zero step out.
std::string event(int64_t step, const std::string* fileVersion, const std::string* summary) {
  std::string e;
  doubleField(e, 1, wallTime());
  if (step != 0) int64Field(e, 2, step);
  if (fileVersion) bytesField(e, 3, *fileVersion);
  if (summary) bytesField(e, 5, *summary);
  return e;
}

/// Summary{value = 1: Value{tag = 1, simple_value = 2}}.
std::string scalarSummary(const std::string& name, float value) {
  std::string v;
  bytesField(v, 1, name);
  floatField(v, 2, value);
  std::string s;
  bytesField(s, 1, v);
  return s;
}

/// A text-plugin summary: Value{tag = 1, metadata = 9: {plugin_data = 1: {plugin_name = 1: "text"}},
/// tensor = 8: TensorProto{dtype = 1: DT_STRING (7), tensor_shape = 2: {dim = 2: {size = 1: 1}},
/// string_val = 8}}.
std::string textSummary(const std::string& name, const std::string& text) {
  std::string pluginData, metadata, dim, shape, tensor, v, s;
  bytesField(pluginData, 1, "text");
  bytesField(metadata, 1, pluginData);
  int64Field(dim, 1, 1);
  bytesField(shape, 2, dim);
  int64Field(tensor, 1, 7);
  bytesField(tensor, 2, shape);
  bytesField(tensor, 8, text);
  bytesField(v, 1, name);
  bytesField(v, 9, metadata);
  bytesField(v, 8, tensor);
  bytesField(s, 1, v);
  return s;
}

std::string hostName() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

/// Distinguishes event files opened in the same second by one process (tensorboard's _global_uid).
std::atomic<int> eventFileCounter{0};

}  // namespace

TensorBoardLogger::TensorBoardLogger(TensorBoardLoggerOptions options) : options_(std::move(options)) {}

TensorBoardLogger::~TensorBoardLogger() {
  if (fd_ >= 0) ::close(fd_);
}

std::string TensorBoardLogger::logDir() {
  if (logDir_.empty()) {
    fs::path dir = resolveLogDir(options_.dir);
    if (!options_.subDir.empty()) dir /= options_.subDir;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw RuntimeError("cannot create the log folder " + dir.string() + ": " + ec.message());
    logDir_ = dir.string();
    io::removeStaleTemporaries(logDir_);
  }
  return logDir_;
}

void TensorBoardLogger::open() {
  if (fd_ >= 0) return;
  const fs::path dir = logDir();
  char name[512];
  std::snprintf(name, sizeof name, "events.out.tfevents.%010lld.%s.%d.%d",
                static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count()),
                hostName().c_str(), static_cast<int>(::getpid()), eventFileCounter.fetch_add(1));
  eventFile_ = (dir / name).string();
  fd_ = io::createNewFile(eventFile_);  // a new file, never through a link
  if (options_.logGraph)
    spdlog::warn("TensorBoardLogger: log_graph is not supported; no model graph is written");
  const std::string version = "brain.Event:2";
  writeRecord(event(0, &version, nullptr));
}

void TensorBoardLogger::writeRecord(const std::string& data) {
  std::string header;
  putLittleEndian(header, data.size(), 8);
  std::string record = header;
  putLittleEndian(record, maskedCrc(header.data(), header.size()), 4);
  record += data;
  putLittleEndian(record, maskedCrc(data.data(), data.size()), 4);
  // Unbuffered: a crash or a kill keeps what was logged.
  io::writeAllTo(fd_, record.data(), record.size(), eventFile_);
}

void TensorBoardLogger::logHyperparams(const std::string& resolvedYaml) {
  open();
  io::writeFileAtomically(
      (fs::path(logDir()) / "hparams.yaml").string(),
      resolvedYaml.empty() || resolvedYaml.back() == '\n' ? resolvedYaml : resolvedYaml + "\n");
  // Indented four spaces: TensorBoard renders text summaries as markdown, this keeps YAML verbatim.
  std::string markdown;
  size_t start = 0;
  while (start < resolvedYaml.size()) {
    size_t end = resolvedYaml.find('\n', start);
    if (end == std::string::npos) end = resolvedYaml.size();
    markdown += "    " + resolvedYaml.substr(start, end - start) + "\n";
    start = end + 1;
  }
  const std::string summary = textSummary("hparams", markdown);
  writeRecord(event(0, nullptr, &summary));
  if (options_.defaultHpMetric) logMetrics({{"hp_metric", -1.0}}, 0);
}

void TensorBoardLogger::logMetrics(const std::map<std::string, double>& metrics, int64_t step) {
  open();
  for (const auto& [key, value] : metrics) {
    const std::string summary =
        scalarSummary(options_.prefix.empty() ? key : options_.prefix + "-" + key, static_cast<float>(value));
    writeRecord(event(step, nullptr, &summary));
  }
}

void TensorBoardLogger::flush() {
  // Records are written unbuffered (writeRecord).
}

}  // namespace fmcib::engine
