// NRRD (.nrrd/.nhdr) headers checked before teem's NrrdIO parses them: the dimension and sizes
// are bounded (and their product cannot wrap), orientation vectors must be finite, and every data
// file must be a regular file (a FIFO would block the read for ever) holding at least the raw bytes
// the header announces. Teem itself reports gzip and ASCII data that end early.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <vector>

#include "fmcib/io/csv.hpp"
#include "fmcib/io/excerpt.hpp"
#include "image_io_detail.hpp"

namespace fmcib::io::detail {

namespace {

constexpr size_t kMaxNrrdHeaderBytes = size_t{1} << 20;
constexpr int kMaxNrrdDims = 16;  // teem's NRRD_DIM_MAX

int typeBytes(std::string t) {
  static const std::map<std::string, int> kTypes = {
      {"signed char", 1},
      {"int8", 1},
      {"int8_t", 1},
      {"uchar", 1},
      {"unsigned char", 1},
      {"uint8", 1},
      {"uint8_t", 1},
      {"short", 2},
      {"short int", 2},
      {"signed short", 2},
      {"signed short int", 2},
      {"int16", 2},
      {"int16_t", 2},
      {"ushort", 2},
      {"unsigned short", 2},
      {"unsigned short int", 2},
      {"uint16", 2},
      {"uint16_t", 2},
      {"int", 4},
      {"signed int", 4},
      {"int32", 4},
      {"int32_t", 4},
      {"uint", 4},
      {"unsigned int", 4},
      {"uint32", 4},
      {"uint32_t", 4},
      {"longlong", 8},
      {"long long", 8},
      {"long long int", 8},
      {"signed long long", 8},
      {"signed long long int", 8},
      {"int64", 8},
      {"int64_t", 8},
      {"ulonglong", 8},
      {"unsigned long long", 8},
      {"unsigned long long int", 8},
      {"uint64", 8},
      {"uint64_t", 8},
      {"float", 4},
      {"double", 8},
  };
  auto it = kTypes.find(t);
  return it == kTypes.end() ? 0 : it->second;
}

}  // namespace

void checkNrrd(const std::string& path) {
  auto bad = [&](const std::string& what) {
    throw InputError("image '" + path + "' has an invalid NRRD header: " + what);
  };
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read image '" + path + "'");
  std::string text(kMaxNrrdHeaderBytes, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.rfind("NRRD000", 0) != 0) bad("it does not start with NRRD000X");

  std::map<std::string, std::string> f;
  std::vector<std::string> after;  // lines after "data file: LIST"
  size_t pos = text.find('\n');
  uint64_t headerEnd = text.size();
  bool ended = false, list = false;
  while (pos != std::string::npos && pos < text.size()) {
    ++pos;
    const size_t eol = text.find('\n', pos);
    const std::string line =
        trimText(text.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos));
    const size_t next = eol == std::string::npos ? text.size() : eol + 1;
    if (list) {
      if (line.empty()) {
        headerEnd = next;
        ended = true;
        break;
      }
      after.push_back(line);
    } else if (line.empty()) {
      headerEnd = next;
      ended = true;
      break;
    } else if (line[0] != '#') {
      const size_t colon = line.find(": ");
      if (colon != std::string::npos && line.find(":=") > colon) {
        std::string key = line.substr(0, colon);
        std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
        if (key == "datafile") key = "data file";
        f[key] = trimText(line.substr(colon + 2));
        list = key == "data file" && splitWords(f[key]).size() >= 1 && splitWords(f[key])[0] == "LIST";
      }
    }
    pos = eol;
  }
  if (!ended && !f.count("data file") && text.size() == kMaxNrrdHeaderBytes)
    bad("no end of the header in its first " + std::to_string(kMaxNrrdHeaderBytes) + " bytes");

  auto integer = [&](const std::string& key, int64_t lo, int64_t hi, int64_t fallback) -> int64_t {
    auto it = f.find(key);
    if (it == f.end()) return fallback;
    const auto d = parseDecimal(it->second);
    if (!d || *d != std::trunc(*d) || *d < static_cast<double>(lo) || *d > static_cast<double>(hi))
      bad(key + ": '" + excerpt(it->second) + "' is not an integer in " + std::to_string(lo) + ".." +
          std::to_string(hi));
    return static_cast<int64_t>(*d);
  };
  const int64_t dims = integer("dimension", 1, kMaxNrrdDims, 0);
  if (dims == 0) bad("the dimension field is missing");
  if (!f.count("sizes")) bad("the sizes field is missing");
  const auto sizeWords = splitWords(f["sizes"]);
  if (static_cast<int64_t>(sizeWords.size()) != dims)
    bad("sizes holds " + std::to_string(sizeWords.size()) + " values, dimension is " + std::to_string(dims));
  std::vector<uint64_t> size;
  for (const auto& s : sizeWords) {
    const auto d = parseDecimal(s);
    if (!d || *d != std::trunc(*d) || *d < 1 || *d > 2147483647.0) bad("sizes holds '" + excerpt(s) + "'");
    size.push_back(static_cast<uint64_t>(*d));
  }
  const int elem = f.count("type") ? typeBytes(f["type"]) : 0;
  if (elem == 0) bad("unsupported or missing type '" + excerpt(f["type"]) + "'");
  uint64_t bytes = static_cast<uint64_t>(elem);
  for (uint64_t s : size)
    if (__builtin_mul_overflow(bytes, s, &bytes) || bytes > (uint64_t{1} << 48))
      bad("the sizes multiply to more than 2^48 bytes");

  // Orientation: every number inside the vectors must be finite ("none" stands for no vector).
  for (const char* key : {"space directions", "space origin"}) {
    auto it = f.find(key);
    if (it == f.end()) continue;
    std::string v = it->second;
    for (char& c : v)
      if (c == '(' || c == ')' || c == ',') c = ' ';
    for (const auto& w : splitWords(v))
      if (w != "none" && !(parseDecimal(w) && plausibleGeometryValue(*parseDecimal(w))))
        bad(std::string(key) + " holds '" + excerpt(w) + "'");
  }

  std::string encoding = f.count("encoding") ? f["encoding"] : "";
  const bool raw = encoding == "raw";
  if (!(raw || encoding == "gzip" || encoding == "gz" || encoding == "ascii" || encoding == "text" ||
        encoding == "txt" || encoding == "hex"))
    bad("unsupported or missing encoding '" + excerpt(encoding) + "'");
  const int64_t byteSkip = integer("byte skip", -1, int64_t{1} << 50, 0);
  if (byteSkip == -1 && !raw) bad("byte skip: -1 needs raw encoding");
  const int64_t lineSkip = integer("line skip", 0, int64_t{1} << 30, 0);

  // The data files.
  std::vector<std::string> files;
  uint64_t perFile = bytes;
  if (!f.count("data file")) {
    files.push_back(path);
  } else {
    const auto w = splitWords(f["data file"]);
    if (list) {
      int64_t subDims = dims - 1;
      if (w.size() > 1) {
        const auto d = parseDecimal(w[1]);
        if (!d || *d < 1 || *d > static_cast<double>(dims)) bad("data file: LIST with a bad dimension");
        subDims = static_cast<int64_t>(*d);
      }
      uint64_t count = 1;
      perFile = static_cast<uint64_t>(elem);
      for (int64_t i = 0; i < dims; ++i) (i < subDims ? perFile : count) *= size[static_cast<size_t>(i)];
      if (after.size() != count)
        bad("data file: LIST names " + std::to_string(after.size()) + " files, the sizes need " +
            std::to_string(count));
      for (const auto& name : after) files.push_back(besideHeader(path, name));
    } else if (f["data file"].find('%') != std::string::npos || w.size() != 1) {
      bad("numbered data file patterns ('" + excerpt(f["data file"]) + "') are not supported");
    } else {
      files.push_back(besideHeader(path, f["data file"]));
    }
  }
  for (const std::string& file : files) {
    const uint64_t fileSize = dataFileSize(path, file);
    if (!raw) continue;
    const uint64_t start =
        (file == path ? headerEnd : 0) + static_cast<uint64_t>(std::max<int64_t>(byteSkip, 0));
    const uint64_t need = (byteSkip == -1 ? 0 : start) + perFile + static_cast<uint64_t>(lineSkip);
    checkHolds(path, file, fileSize, need);
  }
}

}  // namespace fmcib::io::detail
