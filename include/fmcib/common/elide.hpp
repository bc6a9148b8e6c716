#pragma once
/// Text quoted in an error message, cut to a readable length: a 10 MB value must not become a
/// 10 MB message.
#include <cstddef>
#include <string>
#include <string_view>

namespace fmcib {

/// `text` itself when it has at most `max` characters, else its first `max` characters followed by
/// "... (N characters)".
inline std::string elide(std::string_view text, size_t max = 120) {
  if (text.size() <= max) return std::string(text);
  return std::string(text.substr(0, max)) + "... (" + std::to_string(text.size()) + " characters)";
}

}  // namespace fmcib
