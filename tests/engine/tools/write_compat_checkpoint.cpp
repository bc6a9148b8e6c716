// Writes this build's cross-version fixtures into OUT_DIR (tests/fixtures/checkpoints):
//   <build>.ckpt      the checkpoint after compat::kCheckpointEpochs epochs
//   <build>.final.pt  {name: tensor} of the parameters after an uninterrupted compat::kEpochs run
// Usage: write_compat_checkpoint OUT_DIR   (built with the tests, not run by CTest)
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>

#include "engine/compat_checkpoint.hpp"
#include "fmcib/io/torch_file.hpp"
#include "support/paths.hpp"

using namespace fmcib;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: write_compat_checkpoint OUT_DIR\n";
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  const fs::path out = argv[1];
  fs::create_directories(out);
  const std::string name = test::compat::buildName();

  auto straight = test::compat::system();
  engine::Trainer whole(test::quietOptions(test::compat::kEpochs), {}, {});
  if (whole.fit(*straight, test::compat::context()) != 0) return 1;
  io::NamedTensors finals;
  for (const auto& p : straight->model->named_parameters()) finals.emplace_back(p.key(), p.value());
  io::writeTorchFile((out / (name + ".final.pt")).string(), io::toStateDict(finals));

  const fs::path runDir = test::tempDir("compat_fixture");
  auto first = test::compat::system();
  engine::Trainer part(test::quietOptions(test::compat::kCheckpointEpochs),
                       {test::compat::lastCheckpointIn(runDir)}, {});
  if (part.fit(*first, test::compat::context()) != 0) return 1;
  fs::copy_file(runDir / "last.ckpt", out / (name + ".ckpt"), fs::copy_options::overwrite_existing);
  std::cout << "wrote " << (out / (name + ".ckpt")).string() << " and " << name << ".final.pt\n";
  return 0;
}
