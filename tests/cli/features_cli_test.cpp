// `fmcib features`: --help and the one-line exit-2 errors that need no model.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "support/paths.hpp"
#include "support/process.hpp"

using fmcib::test::runFmcib;

namespace {

namespace fs = std::filesystem;

std::string volume(const std::string& name) {
  return fmcib::test::fixture("get_features/volumes/" + name);
}

std::string writeCsv(const fs::path& dir, const std::string& text) {
  return fmcib::test::writeFile(dir, "in.csv", text);
}

void expectOneLineError(const fmcib::test::ProcessResult& r, const std::string& needle) {
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.find("terminate"), std::string::npos) << r.err;
}

TEST(CliFeatures, Help) {
  const auto r = runFmcib("features --help");
  EXPECT_EQ(r.code, 0) << r.err;
  for (const char* opt : {"--csv", "--weights", "--seed", "--out", "--batch-size", "--workers", "--device",
                          "--precropped", "--spatial-size", "--strict", "10528450"})
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt << "\n" << r.out;
  EXPECT_NE(runFmcib("--help").out.find("features"), std::string::npos);
}

TEST(CliFeatures, WithoutWeightsSaysWhereTheyComeFrom) {
  const auto dir = fmcib::test::tempDir("cli_features");
  const std::string csv =
      writeCsv(dir, "image_path,coordX,coordY,coordZ\n" + volume("lps_aniso.nii.gz") + ",-6,5.6,-70\n");
  const auto r = runFmcib("features --csv " + csv);
  expectOneLineError(r, "Zenodo record 10528450");
  EXPECT_NE(r.err.find("model_weights.torch"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("downloads nothing"), std::string::npos) << r.err;
  expectOneLineError(runFmcib("features --csv " + csv + " --weights " + (dir / "nope.torch").string() +
                              " --out " + (dir / "o.csv").string()),
                     "nope.torch: no such file");
  EXPECT_FALSE(fs::exists(dir / "o.csv"));
}

TEST(CliFeatures, BadCsvExitsTwoNamingFileRowAndColumn) {
  const auto dir = fmcib::test::tempDir("cli_features_csv");
  const std::string out = " --out " + (dir / "o.csv").string();
  // A missing column.
  std::string csv = writeCsv(dir, "image_path,coordX,coordZ\n" + volume("lps_aniso.nii.gz") + ",1,2\n");
  auto r = runFmcib("features --weights random --csv " + csv + out);
  expectOneLineError(r, "coordY");
  EXPECT_NE(r.err.find(csv), std::string::npos) << r.err;
  // A non-numeric coordinate under --strict (checked before the model is built).
  csv = writeCsv(dir, "image_path,coordX,coordY,coordZ\n" + volume("lps_aniso.nii.gz") + ",-6,5.6,-70\n" +
                          volume("lps_aniso.nii.gz") + ",-6,n/a,-70\n");
  r = runFmcib("features --strict --weights random --csv " + csv + out);
  expectOneLineError(r, csv + " row 1 (line 3), column 'coordY': 'n/a' is not a number");
  // A missing CSV.
  expectOneLineError(runFmcib("features --weights random --csv " + (dir / "none.csv").string() + out),
                     "none.csv");
  EXPECT_FALSE(fs::exists(dir / "o.csv"));
}

TEST(CliFeatures, BadOptionsExitTwo) {
  const auto dir = fmcib::test::tempDir("cli_features_opts");
  const std::string csv =
      writeCsv(dir, "image_path,coordX,coordY,coordZ\n" + volume("lps_aniso.nii.gz") + ",-6,5.6,-70\n");
  EXPECT_EQ(runFmcib("features --weights random --csv " + csv + " --device tpu").code, 2);
  EXPECT_EQ(runFmcib("features --weights random --csv " + csv + " --spatial-size 50,50").code, 2);
  expectOneLineError(runFmcib("features --weights random --csv " + csv + " --batch-size 0"), "--batch-size");
  expectOneLineError(runFmcib("features --weights random --csv " + csv + " --out " + csv),
                     "is the input CSV");
}

}  // namespace
