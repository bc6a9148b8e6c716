// The data subcommands through the fmcib binary (slow: they write and read demo scans): make-demo-data
// and export-patches.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "fmcib/data/grid_map.hpp"
#include "fmcib/io/csv.hpp"
#include "fmcib/io/image_io.hpp"
#include "support/paths.hpp"
#include "support/process.hpp"

namespace fs = std::filesystem;
using namespace fmcib;

namespace {

struct Output {
  int code;
  std::string output;  // stdout and stderr
};

Output run(const std::string& args) {
  const test::ProcessResult r = test::runFmcib(args);
  return {r.code, r.out + r.err};
}

}  // namespace

TEST(Commands, MakeDemoDataWritesScansAndCsvs) {
  const auto dir = test::tempDir("cli_demo");
  const Output r = run("make-demo-data --out " + dir.string() +
                       " --scans 3 --lesions-per-scan 3 --seed 4 --size 64,64,16");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("wrote 3 scans (9 lesions) and 10 CSV files"), std::string::npos) << r.output;
  for (const char* f : {"pretrain.csv", "task1_train.csv", "task2_val.csv", "task3_test.csv",
                        "scan_000_LPI.nii.gz", "scan_001_LPS.nii.gz", "scan_002_RAS.nii.gz"})
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  EXPECT_EQ(io::readImageInfo((dir / "scan_002_RAS.nii.gz").string()).geometry.size,
            (io::Index3{64, 64, 16}));

  const Output bad = run("make-demo-data --out " + dir.string() + " --size 64,64");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.output.find("--size expects three comma-separated numbers (e.g. 512,512,120), got '64,64'"),
            std::string::npos)
      << bad.output;
  const Output few = run("make-demo-data --out " + dir.string() + " --scans 1");
  EXPECT_EQ(few.code, 2);
  EXPECT_NE(few.output.find("--scans must be at least 3 (one per orientation group), got 1"),
            std::string::npos)
      << few.output;
}

TEST(Commands, ExportPatchesWritesNrrdPatchesWithGeometryAndAnIndex) {
  const auto dir = test::tempDir("cli_export");
  const std::string data = (dir / "data").string();
  ASSERT_EQ(run("make-demo-data --out " + data + " --scans 3 --lesions-per-scan 3 --size 128,128,40").code,
            0);
  const std::string config = (dir / "config.yaml").string();
  std::ofstream(config)
      << "system:\n"
         "  datasets:\n"
         "    train:\n"
         "      _target_: fmcib.datasets.SSLRadiomicsDataset\n"
         "      path: "
      << data
      << "/pretrain.csv\n"
         "      orient: true\n"
         "      radius: 10\n"
         "      resample_spacing: [1, 1, 1]\n"
         "      transform:\n"
         "        _target_: monai.transforms.Compose\n"
         "        transforms:\n"
         "          - {_target_: monai.transforms.EnsureChannelFirst, channel_dim: no_channel}\n"
         "          - _target_: fmcib.transforms.Duplicate\n"
         "            transforms1: {_target_: monai.transforms.RandAxisFlip, prob: 0.5}\n"
         "            transforms2: {_target_: monai.transforms.RandAxisFlip, prob: 0.5}\n";
  const std::string out = (dir / "patches").string();
  const Output r = run("export-patches --config_file " + config + " --rows 1:3 --transformed --out " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  const io::CsvTable index = io::CsvTable::read(out + "/index.csv");
  EXPECT_EQ(index.header(),
            (std::vector<std::string>{"row", "image_path", "coordX", "coordY", "coordZ", "positive",
                                      "negative", "positive_views", "negative_views"}));
  ASSERT_EQ(index.numRows(), 2u);
  EXPECT_EQ(index.cell(0, 0), "1");
  EXPECT_EQ(index.cell(1, index.column("positive")), "row00002_positive.nrrd");
  EXPECT_EQ(index.cell(1, index.column("positive_views")),
            "row00002_positive_view0.nrrd;row00002_positive_view1.nrrd");
  for (size_t i = 0; i < 2; ++i) {
    const io::Volume pos = io::readImage(out + "/" + index.cell(i, index.column("positive")));
    EXPECT_EQ(pos.pixelType(), io::PixelType::kFloat32);
    EXPECT_EQ(pos.geometry().size, (io::Index3{20, 20, 20}));
    EXPECT_EQ(data::orientationCode(pos.geometry()), "LPS");
    // The patch is centred on its seed, in physical space.
    const io::Vec3 seed{index.number(i, index.column("coordX")), index.number(i, index.column("coordY")),
                        index.number(i, index.column("coordZ"))};
    const io::Vec3 at = pos.geometry().physicalToContinuousIndex(seed);
    for (int a = 0; a < 3; ++a) {
      EXPECT_GE(at[a], 8.0);
      EXPECT_LT(at[a], 11.0);
    }
    EXPECT_TRUE(fs::exists(out + "/" + index.cell(i, index.column("negative"))));
  }
  const Output missing = run("export-patches --config_file " + config + " --dataset val --out " + out);
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.output.find("the config has no dataset at system#datasets#val"), std::string::npos)
      << missing.output;
}
