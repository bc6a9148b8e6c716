#pragma once
// Reads at offsets of a file that may lie about its own layout: every read is checked against the
// file's size first, so a length field can never seek or read past the end.
#include <cstdint>
#include <fstream>
#include <string>

namespace fmcib::io::detail {

class BoundedFile {
 public:
  explicit BoundedFile(const std::string& path) : in_(path, std::ios::binary) {
    in_.seekg(0, std::ios::end);
    size_ = in_ ? static_cast<uint64_t>(in_.tellg()) : 0;
  }
  uint64_t size() const { return size_; }
  /// `n` bytes at `offset`, or false when they are not all in the file.
  bool read(uint64_t offset, size_t n, void* out) {
    if (offset > size_ || n > size_ - offset) return false;
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset));
    in_.read(static_cast<char*>(out), static_cast<std::streamsize>(n));
    return static_cast<size_t>(in_.gcount()) == n;
  }

 private:
  std::ifstream in_;
  uint64_t size_ = 0;
};

}  // namespace fmcib::io::detail
