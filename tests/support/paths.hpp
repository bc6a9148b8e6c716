#pragma once
// Paths tests use: the committed fixtures, the source tree, a fresh temporary folder.
#include <filesystem>
#include <string>

namespace fmcib::test {

inline std::filesystem::path sourceDir() {
  return FMCIB_SOURCE_DIR;
}
/// tests/fixtures/<name> (committed copies of ../shared/fixtures; a missing one fails the test).
inline std::string fixture(const std::string& name) {
  return (sourceDir() / "tests" / "fixtures" / name).string();
}
/// A new empty folder under the build tree, unique per test.
std::filesystem::path tempDir(const std::string& tag);
/// Writes `text` byte for byte to dir/name and returns that path.
std::string writeFile(const std::filesystem::path& dir, const std::string& name, const std::string& text);

}  // namespace fmcib::test
