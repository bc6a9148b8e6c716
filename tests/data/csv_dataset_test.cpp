// monai.data.CSVDataset and the dictionary transforms through the config engine: the shipped
// experiments/inference/get_features.yaml builds the same items as the C++ get_features pipeline,
// and bad arguments name the YAML path.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <iterator>

#include "fmcib/config/config.hpp"
#include "fmcib/data/csv_dataset.hpp"
#include "fmcib/data/get_features_transforms.hpp"
#include "fmcib/data/targets.hpp"
#include "fmcib/transforms/targets.hpp"
#include "support/errors.hpp"
#include "support/paths.hpp"

using namespace fmcib;
using config::Config;

namespace {

config::Registry& registry() {
  static config::Registry r = [] {
    config::Registry reg;
    transforms::registerTargets(reg);
    data::registerTargets(reg);
    return reg;
  }();
  return r;
}

std::string seeds() {
  return test::fixture("get_features/seeds.csv");
}

/// The predict dataset of the shipped config, reading `csv`.
std::shared_ptr<const data::Dataset> shippedDataset(const std::string& csv) {
  std::ifstream in((test::sourceDir() / "experiments" / "inference" / "get_features.yaml").string());
  const std::string yaml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Config c =
      Config::fromStrings({{"get_features.yaml", yaml}}, {{"system#datasets#predict#src", csv}}, registry());
  return c.resolve("system#datasets#predict").as<data::Dataset>();
}

std::string errorOf(const std::string& transforms) {
  try {
    Config c = Config::fromString("vars:\n  ds:\n    _target_: monai.data.CSVDataset\n    src: " + seeds() +
                                      "\n    transform:\n" + transforms,
                                  "bad.yaml", registry());
    c.resolve("vars#ds");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(CsvDataset, ShippedGetFeaturesConfigGivesTheCppPipelinesItems) {
  auto fromYaml = shippedDataset(seeds());
  data::CSVDatasetOptions o;
  o.src = seeds();
  o.transform = data::getFeaturesTransforms({});
  data::CSVDataset cpp(o);
  ASSERT_EQ(fromYaml->size(), 12);
  for (int64_t i = 0; i < 12; ++i) {
    data::Generator g1(0), g2(0);
    const data::Item a = fromYaml->get(i, g1), b = cpp.get(i, g2);
    ASSERT_TRUE(torch::equal(a.input.tensor(), b.input.tensor())) << "row " << i;
    EXPECT_EQ(a.row.index, i);
    EXPECT_EQ(a.row.values(), b.row.values());
  }
}

TEST(CsvDataset, RowsAndColumns) {
  Config c = Config::fromString(
      "vars:\n  ds:\n    _target_: monai.data.CSVDataset\n    src: " + seeds() +
          "\n    row_indices: [[9, 11], 2]\n    col_names: [image_path, coordX, coordY, "
          "coordZ]\n    transform: {_target_: monai.transforms.Compose, transforms: [{_target_: "
          "monai.transforms.LoadImaged, keys: image_path}, {_target_: "
          "monai.transforms.EnsureChannelFirstd, keys: image_path}]}\n",
      "rows.yaml", registry());
  auto ds = std::dynamic_pointer_cast<const data::CSVDataset>(c.resolve("vars#ds").as<data::Dataset>());
  ASSERT_TRUE(ds);
  ASSERT_EQ(ds->size(), 3);
  EXPECT_EQ(ds->row(0).index, 9);
  EXPECT_EQ(ds->row(2).index, 2);
  data::Generator gen(0);
  const transforms::DataDict d = ds->transformed(0, gen);
  EXPECT_EQ(d.keys(), (std::vector<std::string>{"image_path", "coordX", "coordY", "coordZ"}));
  // The whole DeepLesion-style scan, channel first, MONAI's [i][j][k] order.
  EXPECT_EQ(ds->get(0, gen).input.tensor().sizes(), (std::vector<int64_t>{1, 64, 70, 20}));
}

TEST(CsvDataset, BadTransformsNameTheYamlPath) {
  const std::string load = "      - {_target_: monai.transforms.LoadImaged, keys: image_path}\n";
  std::string e = errorOf("      _target_: monai.transforms.Compose\n      transforms:\n" + load +
                          "      - {_target_: monai.transforms.SpatialPad, spatial_size: 50}\n");
  EXPECT_NE(e.find("either dictionary transforms"), std::string::npos) << e;
  e = errorOf("      {_target_: monai.transforms.SpatialPad, spatial_size: 50}\n");
  EXPECT_NE(e.find("vars#ds#transform"), std::string::npos) << e;
  EXPECT_NE(e.find("use dictionary transforms"), std::string::npos) << e;
  e = errorOf(
      "      {_target_: monai.transforms.Spacingd, keys: image_path, pixdim: 1, padding_mode: reflection}\n");
  EXPECT_NE(e.find("padding_mode: supported: zeros and border"), std::string::npos) << e;
  e = errorOf("      {_target_: monai.transforms.Orientationd, keys: image_path, axcodes: LPQ}\n");
  EXPECT_NE(e.find("axcodes"), std::string::npos) << e;
  e = errorOf(
      "      {_target_: fmcib.preprocessing.SeedBasedPatchCropd, keys: image_path, roi_size: [50, 50]}\n");
  EXPECT_NE(e.find("roi_size"), std::string::npos) << e;
  e = errorOf("      {_target_: monai.transforms.LoadImaged, keys: image_path, reader: PILReader}\n");
  EXPECT_NE(e.find("reader: supported: ITKReader"), std::string::npos) << e;
}

TEST(CsvDataset, AnItemWithoutOneImageIsAConfigError) {
  Config c =
      Config::fromString("vars:\n  ds:\n    _target_: monai.data.CSVDataset\n    src: " + seeds() + "\n",
                         "noimage.yaml", registry());
  auto ds = c.resolve("vars#ds").as<data::Dataset>();
  data::Generator gen(0);
  const std::string e = test::errorOf<ConfigError>([&] { ds->get(0, gen); });
  EXPECT_NE(e.find("holds 0 images"), std::string::npos) << e;
  EXPECT_NE(e.find("row 0 (line 2)"), std::string::npos) << e;
}
