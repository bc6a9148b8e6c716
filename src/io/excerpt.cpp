#include "fmcib/io/excerpt.hpp"

#include <cstdio>

namespace fmcib::io {

std::string excerpt(const std::string& text, size_t maxBytes, bool asciiOnly) {
  std::string out;
  for (unsigned char c : text.substr(0, maxBytes)) {
    if (c >= 0x20 && c != 0x7f && (c < 0x80 || !asciiOnly)) {
      out.push_back(static_cast<char>(c));
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return text.size() > maxBytes ? out + "..." : out;
}

}  // namespace fmcib::io
