// `fmcib export-weights`: a Lightning checkpoint → the published {"trunk_state_dict", ...} layout.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "fmcib/io/torch_file.hpp"
#include "support/paths.hpp"
#include "support/process.hpp"

TEST(CliExportWeights, CheckpointToPublishedLayout) {
  auto dir = fmcib::test::tempDir("export");
  std::string out = (dir / "model_weights.torch").string();
  auto r = fmcib::test::runFmcib("export-weights --checkpoint " + fmcib::test::fixture("resnet50_w0125_s2.weights.pt") +
                                 " --out " + out);
  ASSERT_EQ(r.code, 0) << r.err;
  c10::IValue v = fmcib::io::readTorchFile(out);
  ASSERT_TRUE(v.isGenericDict());
  auto dict = v.toGenericDict();
  ASSERT_TRUE(dict.contains("trunk_state_dict"));
  auto trunk = fmcib::io::flattenStateDict(dict.at("trunk_state_dict"));
  EXPECT_EQ(trunk.size(), 322u);
  EXPECT_EQ(trunk.front().first.rfind("model.", 0), std::string::npos) << trunk.front().first;
}

TEST(CliExportWeights, MissingOrBadCheckpointExitsTwo) {
  auto dir = fmcib::test::tempDir("export_bad");
  auto missing = fmcib::test::runFmcib("export-weights --checkpoint /nonexistent.ckpt --out " + (dir / "x").string());
  EXPECT_EQ(missing.code, 2) << missing.err;
  EXPECT_NE(missing.err.find("/nonexistent.ckpt"), std::string::npos) << missing.err;
  std::string junk = (dir / "junk.ckpt").string();
  { std::ofstream(junk) << "not a zip"; }
  auto bad = fmcib::test::runFmcib("export-weights --checkpoint " + junk + " --out " + (dir / "y").string());
  EXPECT_EQ(bad.code, 2) << bad.err;
  EXPECT_NE(bad.err.find(junk), std::string::npos) << bad.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "y"));
}
