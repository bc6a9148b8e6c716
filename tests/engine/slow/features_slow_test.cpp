// `fmcib features` with the real-size published trunk (resnet50, widen 2, conv1 stride 2):
// features of a {trunk_state_dict} file against a float64 forward of the same weights on MONAI's
// inputs; `fmcib predict` of experiments/inference/get_features.yaml giving the same file; the
// upstream's test_dummy_features; and the errors that need the model.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>

#include "fmcib/engine/features.hpp"
#include "fmcib/io/csv.hpp"
#include "fmcib/io/image_io.hpp"
#include "fmcib/io/torch_file.hpp"
#include "fmcib/models/load_model.hpp"
#include "fmcib/models/resnet.hpp"
#include "fmcib/models/state_dict.hpp"
#include "support/paths.hpp"
#include "support/process.hpp"

namespace fmcib::test {
namespace {

namespace fs = std::filesystem;

models::ResNetOptions publishedTrunk() {
  return engine::publishedTrunkOptions();
}

std::string volume(const std::string& name) {
  return fixture("get_features/volumes/" + name);
}

/// The error is the last line of stderr and one line (logs may come before it).
void expectOneLineErrorLast(const ProcessResult& r) {
  const size_t at = r.err.find("fmcib: ");
  ASSERT_NE(at, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\n', at), r.err.size() - 1) << r.err;
}

std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class FeaturesSlow : public ::testing::Test {
 protected:
  /// Random weights of the published trunk, with batch-norm statistics perturbed (as trained ones
  /// are), in the published layout; written once for the suite.
  static void SetUpTestSuite() {
    dir_ = new fs::path(tempDir("features_slow"));
    torch::manual_seed(5);
    models::ResNet trunk(publishedTrunk());
    {
      torch::NoGradGuard noGrad;
      for (auto& [name, t] : models::stateDict(trunk)) {
        if (name.find("running_mean") != std::string::npos) t.uniform_(-0.1, 0.1);
        if (name.find("running_var") != std::string::npos) t.uniform_(0.5, 1.5);
      }
    }
    auto root = io::makeStringDict();
    root.insert("trunk_state_dict", io::toStateDict(models::stateDict(trunk)));
    weights_ = new std::string((*dir_ / "model_weights.torch").string());
    io::writeTorchFile(*weights_, root);
    csv_ = new std::string((*dir_ / "seeds.csv").string());
    std::ofstream(*csv_) << "image_path,coordX,coordY,coordZ,label\n"
                         << volume("lps_aniso.nii.gz") << ",-27.28,-18.24,-96.0,0\n"
                         << volume("deeplesion.nii.gz") << ",26.25,24.0,40.0,1\n";
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete weights_;
    delete csv_;
  }
  static fs::path* dir_;
  static std::string* weights_;
  static std::string* csv_;
};
fs::path* FeaturesSlow::dir_ = nullptr;
std::string* FeaturesSlow::weights_ = nullptr;
std::string* FeaturesSlow::csv_ = nullptr;

TEST_F(FeaturesSlow, PublishedLayoutMatchesAFloat64Forward) {
  const std::string out = (*dir_ / "features.csv").string();
  const auto r =
      runFmcib("features --csv " + *csv_ + " --weights " + *weights_ + " --out " + out + " --device cpu");
  ASSERT_EQ(r.code, 0) << r.err;
  const io::CsvTable t = io::CsvTable::read(out);
  ASSERT_EQ(t.header().size(), 5u + 4096u);
  ASSERT_EQ(t.numRows(), 2u);

  // Reference: MONAI's inputs for these seeds (fixture rows 2 and 9) through a float64 trunk.
  std::ifstream in(fixture("get_features/patches.pt"), std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const at::Tensor patches = torch::pickle_load(bytes).toGenericDict().at("patches").toTensor();
  models::LoadModel model(std::make_shared<models::ResNet>(publishedTrunk()));
  model.load(*weights_, /*strict=*/true);
  model.to(torch::kDouble);
  model.eval();
  torch::NoGradGuard noGrad;
  const at::Tensor expected =
      model.forward(patches.index_select(0, torch::tensor({2, 9})).to(torch::kDouble));
  for (int64_t row = 0; row < 2; ++row) {
    at::Tensor got = torch::empty({4096}, torch::kDouble);
    for (int64_t j = 0; j < 4096; ++j)
      got[j] = t.number(static_cast<size_t>(row), 5 + static_cast<size_t>(j));
    const at::Tensor e = expected[row];
    const double scale = e.abs().max().item<double>();
    const double maxAbs = (got - e).abs().max().item<double>();
    const double rel = ((got - e).norm() / e.norm()).item<double>();
    EXPECT_GT(scale, 0.0);
    EXPECT_LE(maxAbs, 1e-4 * scale) << "row " << row << ": max |diff| " << maxAbs << " of max " << scale;
    EXPECT_LE(rel, 1e-4) << "row " << row;
    std::cout << "row " << row << ": max |diff| / max |f64| " << maxAbs / scale << ", ||diff|| / ||f64|| "
              << rel << "\n";
  }
}

TEST_F(FeaturesSlow, PredictWithTheGetFeaturesConfigWritesTheSameFile) {
  const std::string a = (*dir_ / "a.csv").string(), b = (*dir_ / "b.csv").string();
  const std::string env = "OMP_NUM_THREADS=1 ";
  auto r = runShell(env + FMCIB_BINARY + std::string(" features --csv ") + *csv_ + " --weights " + *weights_ +
                    " --out " + a + " --device cpu --workers 1");
  ASSERT_EQ(r.code, 0) << r.err;
  r = runShell(env + FMCIB_BINARY + std::string(" predict --config_file ") +
               (sourceDir() / "experiments" / "inference" / "get_features.yaml").string() +
               " --system#datasets#predict#src=" + *csv_ + " --system#model#weights_path=" + *weights_ +
               " --trainer#callbacks#0#path=" + b + " --trainer#accelerator=cpu --system#num_workers=1");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string fa = readAll(a), fb = readAll(b);
  ASSERT_FALSE(fa.empty());
  // SavePredictions writes pandas' to_csv layout, whose first column is the unnamed row index;
  // everything after it must be the features command's file, byte for byte.
  std::string withoutIndex;
  for (size_t start = 0; start < fb.size();) {
    size_t end = fb.find('\n', start);
    end = end == std::string::npos ? fb.size() : end + 1;
    const std::string line = fb.substr(start, end - start);
    const size_t comma = line.find(',');
    withoutIndex += comma == std::string::npos ? line : line.substr(comma + 1);
    start = end;
  }
  EXPECT_TRUE(fa == withoutIndex) << "the two outputs differ:\n"
                                  << fa.substr(0, 300) << "\n---\n"
                                  << withoutIndex.substr(0, 300);
}

TEST_F(FeaturesSlow, DummyFeaturesForEveryRow) {
  // Upstream's test_dummy_features: random int16 volumes 128x128x32, identity geometry, seeds
  // anywhere including the border.
  std::mt19937_64 gen(9);
  std::string csv = "image_path,coordX,coordY,coordZ\n";
  for (int s = 0; s < 2; ++s) {
    io::ImageGeometry g;
    g.size = {128, 128, 32};
    io::Volume v(io::PixelType::kInt16, g);
    std::uniform_int_distribution<int> hu(-1024, 3071);
    int16_t* p = v.dataAs<int16_t>();
    for (int64_t i = 0; i < v.numVoxels(); ++i) p[i] = static_cast<int16_t>(hu(gen));
    const std::string path = (*dir_ / ("dummy" + std::to_string(s) + ".nii.gz")).string();
    io::writeImage(v, path);
    std::uniform_real_distribution<double> x(0, 127), z(0, 31);
    csv += path + ",0,0,0\n" + path + ",127,127,31\n" + path + "," + std::to_string(x(gen)) + "," +
           std::to_string(x(gen)) + "," + std::to_string(z(gen)) + "\n";
  }
  const std::string in = (*dir_ / "dummy.csv").string(), out = (*dir_ / "dummy_features.csv").string();
  std::ofstream(in) << csv;
  const auto r =
      runFmcib("features --csv " + in + " --weights random --seed 1 --out " + out + " --device cpu");
  ASSERT_EQ(r.code, 0) << r.err;
  const io::CsvTable t = io::CsvTable::read(out);
  ASSERT_EQ(t.numRows(), 6u);
  ASSERT_EQ(t.header().size(), 4u + 4096u);
  EXPECT_EQ(t.header()[4], "pred_0");
  EXPECT_EQ(t.header().back(), "pred_4095");
  for (size_t row = 0; row < t.numRows(); ++row)
    for (size_t c = 4; c < t.header().size(); ++c)
      ASSERT_TRUE(std::isfinite(t.number(row, c))) << row << "," << c;
}

TEST_F(FeaturesSlow, ErrorsThatNeedTheModel) {
  // Weights of another architecture: one line naming the mismatched keys.
  auto r = runFmcib("features --csv " + *csv_ + " --weights " + fixture("resnet18_w0125.weights.pt") +
                    " --out " + (*dir_ / "x.csv").string());
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("resnet18_w0125.weights.pt"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("conv1.weight"), std::string::npos) << r.err;
  expectOneLineErrorLast(r);
  EXPECT_FALSE(fs::exists(*dir_ / "x.csv"));
  // An unreadable scan under --strict: one line naming the row and the column.
  const std::string junk = (*dir_ / "junk.nii.gz").string();
  std::ofstream(junk) << "not an image";
  const std::string csv = (*dir_ / "junk.csv").string();
  std::ofstream(csv) << "image_path,coordX,coordY,coordZ\n" << junk << ",0,0,0\n";
  r = runFmcib("features --strict --weights random --csv " + csv + " --out " + (*dir_ / "y.csv").string());
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find(csv + " row 0 (line 2)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("column 'image_path'"), std::string::npos) << r.err;
  expectOneLineErrorLast(r);
  // Without --strict the same row is reported, and as no row is left the run fails.
  r = runFmcib("features --weights random --csv " + csv + " --out " + (*dir_ / "y.csv").string());
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("no row of"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(*dir_ / "y.csv"));
}

}  // namespace
}  // namespace fmcib::test
