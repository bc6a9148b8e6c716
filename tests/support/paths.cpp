#include "support/paths.hpp"

#include <unistd.h>
#include <atomic>
#include <fstream>

namespace fmcib::test {

std::filesystem::path tempDir(const std::string& tag) {
  static std::atomic<int> counter{0};
  auto dir = std::filesystem::path(FMCIB_BINARY_DIR) / "test_tmp" /
             (tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string writeFile(const std::filesystem::path& dir, const std::string& name, const std::string& text) {
  const std::filesystem::path p = dir / name;
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

}  // namespace fmcib::test
