// Data files named by NRRD and MetaImage headers (see image_data_files.hpp). Only the header text is
// read (at most kMaxHeader bytes, regular files only), so this is safe to call before the image is.
#include "fmcib/io/image_data_files.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace fmcib::io {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxHeader = size_t{1} << 20;

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

/// The first kMaxHeader bytes of a regular file, as lines.
std::optional<std::vector<std::string>> headerLines(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text(std::min<size_t>(kMaxHeader, static_cast<size_t>(st.st_size)), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  std::vector<std::string> lines;
  std::istringstream s(text);
  for (std::string line; std::getline(s, line);) lines.push_back(line);
  return lines;
}

/// A `%d`-style pattern (one %[0][width]d, %% allowed) expanded over min..max by step.
bool expandPattern(const std::string& fmt, int64_t lo, int64_t hi, int64_t step, size_t limit,
                   std::vector<std::string>& out) {
  size_t conv = std::string::npos, convEnd = 0;
  bool zero = false;
  int width = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') continue;
    if (i + 1 < fmt.size() && fmt[i + 1] == '%') {
      ++i;
      continue;
    }
    if (conv != std::string::npos) return false;
    size_t j = i + 1;
    if (j < fmt.size() && fmt[j] == '0') zero = true, ++j;
    while (j < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[j])) && width < 100)
      width = width * 10 + (fmt[j++] - '0');
    if (j >= fmt.size() || (fmt[j] != 'd' && fmt[j] != 'i' && fmt[j] != 'u')) return false;
    conv = i;
    convEnd = j + 1;
    i = j;
  }
  constexpr int64_t kBound = int64_t{1} << 40;  // no overflow below; far above any slice count
  auto bounded = [](int64_t x) { return x >= -kBound && x <= kBound; };
  if (conv == std::string::npos || step == 0 || !bounded(lo) || !bounded(hi) || !bounded(step) ||
      (step > 0 ? lo > hi : lo < hi))
    return false;
  auto unescape = [](std::string s) {
    for (size_t p = s.find("%%"); p != std::string::npos; p = s.find("%%", p + 1)) s.erase(p, 1);
    return s;
  };
  const std::string head = unescape(fmt.substr(0, conv)), tail = unescape(fmt.substr(convEnd));
  for (int64_t v = lo; (step > 0 ? v <= hi : v >= hi) && out.size() < limit; v += step) {
    std::string digits = std::to_string(v < 0 ? -v : v);
    const size_t w = static_cast<size_t>(width) > digits.size() + (v < 0) ? static_cast<size_t>(width) : 0;
    if (w) digits = std::string(w - digits.size() - (v < 0), zero ? '0' : ' ') + digits;
    out.push_back(head + (v < 0 ? "-" : "") + digits + tail);
  }
  return true;
}

bool parseInt(const std::string& s, int64_t& v) {
  try {
    size_t used = 0;
    v = std::stoll(s, &used);
    return used == s.size();
  } catch (const std::exception&) {
    return false;
  }
}

/// One `data file` / `ElementDataFile` value and the lines after it (for LIST).
std::vector<std::string> namesOf(const std::string& value, const std::vector<std::string>& rest,
                                 size_t limit) {
  const std::vector<std::string> w = words(value);
  if (w.empty()) return {};
  if (lower(w[0]) == "local") return {};
  if (w[0] == "LIST") {
    std::vector<std::string> out;
    for (const std::string& line : rest) {
      const std::string name = trim(line);
      if (!name.empty()) out.push_back(name);
      if (out.size() >= limit) break;
    }
    return out;
  }
  int64_t lo = 0, hi = 0, step = 0;
  if (w.size() >= 4 && w[0].find('%') != std::string::npos && parseInt(w[1], lo) && parseInt(w[2], hi) &&
      parseInt(w[3], step)) {
    std::vector<std::string> out;
    if (expandPattern(w[0], lo, hi, step, limit, out)) return out;
    return {w[0]};  // not a pattern a reader accepts; its folder still says where it points
  }
  return {trim(value)};
}

std::vector<std::string> nrrdNames(const std::vector<std::string>& lines, size_t limit) {
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string line = trim(lines[i]);
    if (line.empty()) break;  // end of an attached header
    if (line[0] == '#') continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos || (colon + 1 < line.size() && line[colon + 1] == '=')) continue;
    const std::string key = lower(trim(line.substr(0, colon)));
    if (key != "data file" && key != "datafile") continue;
    return namesOf(line.substr(colon + 1), {lines.begin() + static_cast<std::ptrdiff_t>(i + 1), lines.end()},
                   limit);
  }
  return {};
}

std::vector<std::string> metaNames(const std::vector<std::string>& lines, size_t limit) {
  for (size_t i = 0; i < lines.size(); ++i) {
    const size_t eq = lines[i].find('=');
    if (eq == std::string::npos) continue;
    if (lower(trim(lines[i].substr(0, eq))) != "elementdatafile") continue;
    return namesOf(lines[i].substr(eq + 1), {lines.begin() + static_cast<std::ptrdiff_t>(i + 1), lines.end()},
                   limit);
  }
  return {};
}

bool hasExtension(const std::string& path, const char* ext) {
  const std::string p = lower(path), e = ext;
  return p.size() > e.size() && p.compare(p.size() - e.size(), e.size(), e) == 0;
}

fs::path resolved(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  if (ec) return p.lexically_normal();
  fs::path c = fs::weakly_canonical(abs, ec);
  return ec ? abs.lexically_normal() : c;
}

}  // namespace

std::vector<std::string> referencedDataFiles(const std::string& imagePath, size_t limit) {
  const auto lines = headerLines(imagePath);
  if (!lines || lines->empty()) return {};
  std::vector<std::string> names;
  if (lines->front().rfind("NRRD00", 0) == 0)
    names = nrrdNames(*lines, limit);
  else if (hasExtension(imagePath, ".mha") || hasExtension(imagePath, ".mhd"))
    names = metaNames(*lines, limit);
  const fs::path folder = fs::path(imagePath).parent_path();
  for (std::string& n : names)
    if (!fs::path(n).is_absolute()) n = (folder / n).string();
  return names;
}

std::vector<std::string> externalDataFiles(const std::string& imagePath) {
  const fs::path folder =
      resolved(fs::path(imagePath).parent_path().empty() ? fs::path(".") : fs::path(imagePath).parent_path());
  std::vector<std::string> out;
  for (const std::string& name : referencedDataFiles(imagePath)) {
    const fs::path file = resolved(name);
    const auto [f, r] = std::mismatch(folder.begin(), folder.end(), file.begin(), file.end());
    if (f != folder.end() || r == file.end()) out.push_back(file.string());
  }
  return out;
}

}  // namespace fmcib::io
