#pragma once
/// Text from a user's file, made safe to echo in a one-line error message.
#include <cstddef>
#include <string>

namespace fmcib::io {

/// `text` with control bytes (and, when `asciiOnly`, every byte from 0x7f up) written as \xNN, cut
/// after `maxBytes` input bytes with "..." appended.
std::string excerpt(const std::string& text, size_t maxBytes = 80, bool asciiOnly = false);

}  // namespace fmcib::io
