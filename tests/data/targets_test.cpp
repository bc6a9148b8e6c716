// `fmcib.datasets.SSLRadiomicsDataset` through the config engine: arguments, `len(...)` in
// expressions, and argument errors naming the YAML path.
#include <gtest/gtest.h>

#include <filesystem>

#include "data/phantom.hpp"
#include "fmcib/config/config.hpp"
#include "fmcib/data/ssl_radiomics_dataset.hpp"
#include "fmcib/data/targets.hpp"
#include "fmcib/io/csv.hpp"
#include "fmcib/io/image_io.hpp"
#include "support/paths.hpp"

using namespace fmcib;
using config::Config;

namespace {

class Identity : public transforms::Transform {
 public:
  at::Tensor operator()(const at::Tensor& x, transforms::Generator&) const override { return x.unsqueeze(0); }
  std::string name() const override { return "test.Identity"; }
};

config::Registry& registry() {
  static config::Registry r = [] {
    config::Registry reg;
    data::registerTargets(reg);
    data::registerTargets(reg);  // idempotent
    config::TargetSpec t;
    t.name = "test.Identity";
    t.build = [](const config::Args& a) {
      return config::Value::object<transforms::Transform>(std::make_shared<Identity>(), a.target());
    };
    reg.add(t);
    return reg;
  }();
  return r;
}

std::string makeCsv(const std::string& tag, int rows) {
  const auto dir = test::tempDir(tag);
  io::ImageGeometry g;
  g.size = {30, 30, 12};
  g.spacing = {0.8, 0.8, 2.0};
  io::writeImage(test::linearPhantom(g, {}, io::PixelType::kInt16), (dir / "ct.nrrd").string());
  std::vector<std::vector<std::string>> r;
  for (int i = 0; i < rows; ++i)
    r.push_back({"ct.nrrd", "12.1", "11.3", std::to_string(8.1 + i), std::to_string(i % 2)});
  const std::string csv = (dir / "train.csv").string();
  io::writeCsv(csv, {"image_path", "coordX", "coordY", "coordZ", "malignancy"}, r);
  return csv;
}

}  // namespace

TEST(DataTargets, SslRadiomicsDatasetBuildsWithEveryArgumentAndHasLen) {
  const std::string csv = makeCsv("targets_build", 5);
  // (`system` must be a lighter.LighterSystem for validate(); `vars` holds the same shapes here.)
  Config c = Config::fromString(R"Y(
vars:
  batch_size: 2
  datasets:
    train:
      _target_: fmcib.datasets.SSLRadiomicsDataset
      path: )Y" + csv + R"Y(
      label: malignancy
      radius: 4
      orient: true
      resample_spacing: [1, 1, 1]
      enable_negatives: false
      transform: {_target_: test.Identity}
      orient_patch: false
      input_is_target: false
      crop_mode: whole_image
  n: "$len(@vars#datasets#train)"
  steps: "$10 * len(@vars#datasets#train) // (@vars#batch_size * 2)"
)Y",
                                "train.yaml", registry());
  c.validate();
  EXPECT_EQ(c.resolve("vars#n").asInt(), 5);
  EXPECT_EQ(c.resolve("vars#steps").asInt(), 12);
  auto ds = std::dynamic_pointer_cast<const data::SSLRadiomicsDataset>(
      c.resolve("vars#datasets#train").as<data::Dataset>());
  ASSERT_TRUE(ds);
  const auto& o = ds->options();
  EXPECT_EQ(o.label.value(), "malignancy");
  EXPECT_EQ(o.radius, 4);
  EXPECT_TRUE(o.orient);
  EXPECT_EQ(o.resampleSpacing.value(), (io::Vec3{1, 1, 1}));
  EXPECT_FALSE(o.enableNegatives);
  EXPECT_TRUE(o.transform);
  EXPECT_FALSE(o.orientPatch);
  EXPECT_EQ(o.cropMode, data::CropMode::kWholeImage);
  data::Generator gen(0);
  const data::Item item = ds->get(3, gen);
  EXPECT_EQ(item.input.tensor().sizes(), (std::vector<int64_t>{1, 8, 8, 8}));
  EXPECT_EQ(item.target.tensor().item<int64_t>(), 1);
}

TEST(DataTargets, DefaultsFollowTheReference) {
  const std::string csv = makeCsv("targets_defaults", 2);
  Config c = Config::fromString(
      "system:\n  datasets:\n    val:\n      _target_: fmcib.datasets.SSLRadiomicsDataset\n"
      "      path: " +
          csv + "\n      resample_spacing: 1.5\n",
      "d.yaml", registry());
  auto ds = std::dynamic_pointer_cast<const data::SSLRadiomicsDataset>(
      c.resolve("system#datasets#val").as<data::Dataset>());
  ASSERT_TRUE(ds);
  const auto& o = ds->options();
  EXPECT_FALSE(o.label);
  EXPECT_EQ(o.radius, 25);
  EXPECT_FALSE(o.orient);
  EXPECT_EQ(o.resampleSpacing.value(), (io::Vec3{1.5, 1.5, 1.5}));
  EXPECT_TRUE(o.enableNegatives);
  EXPECT_FALSE(o.transform);
  EXPECT_TRUE(o.orientPatch);
  EXPECT_FALSE(o.inputIsTarget);
  EXPECT_EQ(o.cropMode, data::CropMode::kRegion);
}

TEST(DataTargets, BadArgumentsNameTheYamlPath) {
  const std::string csv = makeCsv("targets_errors", 2);
  auto errorOf = [&](const std::string& extra) {
    try {
      Config c = Config::fromString(
          "system:\n  datasets:\n    train:\n      _target_: fmcib.datasets.SSLRadiomicsDataset\n"
          "      path: " +
              csv + "\n" + extra,
          "bad.yaml", registry());
      c.resolve("system#datasets#train");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  auto contains = [](const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
  };
  std::string e = errorOf("      radius: 0\n");
  EXPECT_TRUE(contains(e, "system#datasets#train#radius: must be a positive number of voxels, got 0")) << e;
  e = errorOf("      crop_mode: fast\n");
  EXPECT_TRUE(contains(e, "system#datasets#train#crop_mode: expected 'region' or 'whole_image', got 'fast'"))
      << e;
  e = errorOf("      resample_spacing: [1, 0, 1]\n");
  EXPECT_TRUE(contains(e, "spacing values must be positive (mm), got 0")) << e;
  e = errorOf("      resample_spacing: [1, 1]\n");
  EXPECT_TRUE(contains(e, "expected a number or 3 numbers, got 2")) << e;
  e = errorOf("      label: survival\n");
  EXPECT_TRUE(contains(e, "system#datasets#train#path: " + csv + " is missing column(s) 'survival'")) << e;
}
