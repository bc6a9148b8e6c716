// Bad inputs give clear errors through the CLI (the shipped experiments themselves:
// slow/experiments_test.cpp).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "support/paths.hpp"
#include "support/process.hpp"

namespace fmcib::test {
namespace {

namespace fs = std::filesystem;

std::string exp(const std::string& rel) {
  return (sourceDir() / "experiments" / rel).string();
}

TEST(Experiments, MissingWeightsFileIsAnInputError) {
  auto r = runFmcib("predict --config_file " + exp("demo/extract_features.yaml") +
                    " --vars#weights=/nonexistent/model_weights.torch --trainer#accelerator=cpu");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("/nonexistent/model_weights.torch"), std::string::npos) << r.err;
}

TEST(Experiments, CheckpointOfAnotherModelListsShapeMismatches) {
  // A ResNet-50 checkpoint given to the demo's ResNet-18 feature extractor (images are read per
  // item, so the CSV's scan need not exist: the checkpoint is checked before any item is loaded).
  const fs::path csv = tempDir("engine_other_ckpt") / "rows.csv";
  std::ofstream(csv) << "image_path,coordX,coordY,coordZ\nscan.nii.gz,0,0,0\n";
  auto r = runFmcib(
      "predict --config_file " + exp("demo/extract_features.yaml") + " --vars#csv=" + csv.string() +
      " --vars#weights=" + fixture("resnet18_w0125.weights.pt") + " --system#model#trunk#widen_factor=0.125" +
      " --ckpt_path " + fixture("resnet50_w0125_s2.weights.pt"));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("different model"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("shape mismatches"), std::string::npos) << r.err;
  EXPECT_NE(
      r.err.find("model.trunk.layer1.0.conv1.weight (checkpoint [8, 8, 1, 1, 1], model [8, 8, 3, 3, 3])"),
      std::string::npos)
      << r.err;
}

TEST(Experiments, GpuDevicesWithoutGpusIsAConfigError) {
  auto r = runFmcib("fit --config_file " + exp("demo/finetune_task1.yaml") +
                    " --trainer#accelerator=gpu --trainer#devices=2");
  if (torch::cuda::device_count() < 2) {
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find("trainer#accelerator"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("Traceback"), std::string::npos);
  } else {
    EXPECT_NE(r.code, 2) << r.err;  // two GPUs exist: the config is fine (data may be missing)
  }
}

TEST(Experiments, PrecisionSixteenOnCpuIsAConfigError) {
  auto r = runFmcib("fit --config_file " + exp("demo/finetune_task1.yaml") +
                    " --trainer#accelerator=cpu --trainer#precision=16-mixed");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("precision"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace fmcib::test
