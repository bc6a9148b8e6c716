// Shared GoogleTest main: quiet logging unless FMCIB_TEST_VERBOSE is set.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  spdlog::set_level(std::getenv("FMCIB_TEST_VERBOSE") ? spdlog::level::debug : spdlog::level::warn);
  return RUN_ALL_TESTS();
}
