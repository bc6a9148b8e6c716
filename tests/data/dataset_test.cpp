// SSLRadiomicsDataset: items, targets, row pass-through, the two crop paths, and every bad input's
// message (file, row, line, column, value).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "data/phantom.hpp"
#include "fmcib/config/error.hpp"
#include "fmcib/data/data_loader.hpp"
#include "fmcib/data/ssl_radiomics_dataset.hpp"
#include "fmcib/io/csv.hpp"
#include "fmcib/io/image_io.hpp"
#include "support/errors.hpp"
#include "support/paths.hpp"

namespace fs = std::filesystem;
using namespace fmcib;
using data::SSLRadiomicsDataset;
using data::SSLRadiomicsOptions;

namespace {

/// A transform that adds one random offset per call (so draws are visible), one or two views.
class NoiseViews : public transforms::Transform {
 public:
  explicit NoiseViews(int views) : views_(views) {}
  at::Tensor operator()(const at::Tensor& x, transforms::Generator& gen) const override {
    return x.unsqueeze(0) + static_cast<float>(gen() % 1000);
  }
  std::vector<at::Tensor> views(const at::Tensor& x, transforms::Generator& gen) const override {
    std::vector<at::Tensor> out;
    for (int i = 0; i < views_; ++i) out.push_back((*this)(x, gen));
    return out;
  }
  std::string name() const override { return "test.NoiseViews"; }

 private:
  int views_;
};

struct Fixture {
  fs::path dir;
  std::string csv;
  io::ImageGeometry geometry;
};

// Two phantom scans and a CSV with pass-through columns (quoted commas included).
Fixture makeFixture(const std::string& tag) {
  Fixture f;
  f.dir = test::tempDir(tag);
  const auto geometries = test::phantomGeometries({48, 44, 24});
  std::vector<std::vector<std::string>> rows;
  const char* types[] = {"3", "0", "7", "1"};
  for (int s = 0; s < 2; ++s) {
    const io::ImageGeometry& g = geometries[static_cast<size_t>(s) * 2].geometry;  // identity, PLI
    const std::string name = "scan" + std::to_string(s) + ".nii.gz";
    io::writeImage(test::linearPhantom(g, {}, io::PixelType::kInt16), (f.dir / name).string());
    for (int l = 0; l < 2; ++l) {
      const io::Vec3 p =
          g.indexToPhysical({20.3 + 3 * l, 21.3 - 2 * l, 12.3});  // inside the voxel: truncation is robust
      rows.push_back({std::to_string(10 * s + l), name, std::to_string(p[0]), std::to_string(p[1]),
                      std::to_string(p[2]), types[2 * s + l], "[1, 2, 3]", l ? "0.5" : "1"});
    }
    if (s == 0) f.geometry = g;
  }
  f.csv = (f.dir / "annotations.csv").string();
  io::writeCsv(f.csv, {"", "image_path", "coordX", "coordY", "coordZ", "Coarse_lesion_type", "bbox", "score"},
               rows);
  return f;
}

using fmcib::test::errorOf;

}  // namespace

TEST(SSLRadiomicsDataset, ItemsCarryViewsTargetAndRow) {
  const Fixture fx = makeFixture("ds_items");
  SSLRadiomicsOptions o;
  o.path = fx.csv;
  o.label = "Coarse_lesion_type";
  o.radius = 6;
  o.transform = std::make_shared<NoiseViews>(2);
  SSLRadiomicsDataset ds(o);
  ASSERT_EQ(ds.size(), 4);
  data::Generator gen(3);
  const data::Item item = ds.get(2, gen);
  ASSERT_TRUE(item.input.isDict());
  EXPECT_EQ(item.input.describe(),
            "{positive: [[1, 12, 12, 12], [1, 12, 12, 12]], negative: [[1, 12, 12, 12], [1, 12, 12, 12]]}");
  EXPECT_EQ(item.target.tensor().scalar_type(), at::kLong);
  EXPECT_EQ(item.target.tensor().item<int64_t>(), 7);
  EXPECT_EQ(item.row.index, 2);
  EXPECT_EQ(item.row.value("bbox"), "[1, 2, 3]");
  EXPECT_EQ(item.row.value(""), "10");
  EXPECT_EQ(item.row.values().size(), 8u);
  // The same generator seed gives the same item; the views differ by their own draws.
  data::Generator again(3);
  const data::Item twin = ds.get(2, again);
  for (size_t i = 0; i < item.input.leaves().size(); ++i)
    EXPECT_TRUE(torch::equal(item.input.leaves()[i], twin.input.leaves()[i]));
  const auto views = item.input.toViews();
  EXPECT_FALSE(torch::equal(views.at("positive")[0], views.at("positive")[1]));
}

TEST(SSLRadiomicsDataset, TargetsAndInputShapes) {
  const Fixture fx = makeFixture("ds_targets");
  SSLRadiomicsOptions o;
  o.path = fx.csv;
  o.radius = 5;
  o.enableNegatives = false;
  {
    SSLRadiomicsDataset ds(o);  // no transform, no label: the float32 patch, no target
    data::Generator gen(0);
    const data::Item item = ds.get(0, gen);
    ASSERT_TRUE(item.input.isTensor());
    EXPECT_EQ(item.input.tensor().sizes(), (std::vector<int64_t>{10, 10, 10}));
    EXPECT_EQ(item.input.tensor().scalar_type(), at::kFloat);
    EXPECT_TRUE(item.target.isNone());
    // The patch voxels are the phantom's (row 0: seed index (20, 21, 12) on the identity scan).
    EXPECT_EQ(item.input.tensor()[5][5][5].item<float>(),
              static_cast<float>(test::LinearField{}.at({20, 21, 12})));
  }
  o.inputIsTarget = true;
  {
    SSLRadiomicsDataset ds(o);
    data::Generator gen(0);
    const data::Item item = ds.get(1, gen);
    EXPECT_TRUE(torch::equal(item.target.tensor(), item.input.tensor()));
  }
  o.label = "score";  // 1 and 0.5: int() as upstream, so 1 and 0, both int64
  {
    SSLRadiomicsDataset ds(o);
    data::Generator gen(0);
    EXPECT_EQ(ds.get(1, gen).target.tensor().scalar_type(), at::kLong);
    EXPECT_EQ(ds.get(0, gen).target.tensor().item<int64_t>(), 1);
    EXPECT_EQ(ds.get(1, gen).target.tensor().item<int64_t>(), 0);
  }
}

TEST(SSLRadiomicsDataset, LabelsAreTruncatedLikePythonInt) {
  const Fixture fx = makeFixture("ds_int_labels");
  io::CsvTable t = io::CsvTable::read(fx.csv);
  std::vector<std::vector<std::string>> rows;
  const char* labels[] = {"2.9", "-1.5", "0.0", "1e0"};
  for (size_t r = 0; r < t.numRows(); ++r) {
    rows.push_back(t.row(r));
    rows.back()[7] = labels[r];
  }
  const std::string csv = (fx.dir / "int_labels.csv").string();
  io::writeCsv(csv, t.header(), rows);
  SSLRadiomicsOptions o;
  o.path = csv;
  o.radius = 4;
  o.enableNegatives = false;
  o.label = "score";
  SSLRadiomicsDataset ds(o);
  const int64_t expected[] = {2, -1, 0, 1};  // int(2.9), int(-1.5), int(0.0), int(1e0)
  for (int64_t i = 0; i < 4; ++i) {
    data::Generator gen(0);
    const at::Tensor y = ds.get(i, gen).target.tensor();
    EXPECT_EQ(y.scalar_type(), at::kLong) << i;
    EXPECT_EQ(y.item<int64_t>(), expected[i]) << i;
  }
  rows[1][7] = "1e300";  // int() would give a Python int, but no int64: an error naming the row
  io::writeCsv(csv, t.header(), rows);
  const std::string e = errorOf<InputError>([&] { SSLRadiomicsDataset bad(o); });
  EXPECT_NE(e.find("row 1"), std::string::npos) << e;
  EXPECT_NE(e.find("1e300"), std::string::npos) << e;
}

TEST(SSLRadiomicsDataset, BothCropPathsGiveTheSameItems) {
  const Fixture fx = makeFixture("ds_paths");
  SSLRadiomicsOptions o;
  o.path = fx.csv;
  o.radius = 7;
  o.orient = true;
  o.resampleSpacing = io::Vec3{1, 1, 1};
  o.transform = std::make_shared<NoiseViews>(2);
  SSLRadiomicsDataset region(o);
  o.cropMode = data::CropMode::kWholeImage;
  SSLRadiomicsDataset whole(o);
  for (int64_t i = 0; i < region.size(); ++i) {
    data::Generator g1(i), g2(i);
    const auto a = region.getDetailed(i, g1), b = whole.getDetailed(i, g2);
    EXPECT_TRUE(torch::equal(a.positive.array, b.positive.array)) << i;
    EXPECT_TRUE(torch::equal(a.negative->array, b.negative->array)) << i;
    const auto la = a.item.input.leaves(), lb = b.item.input.leaves();
    ASSERT_EQ(la.size(), 4u);
    for (size_t k = 0; k < la.size(); ++k) EXPECT_TRUE(torch::equal(la[k], lb[k])) << i;
  }
}

TEST(SSLRadiomicsDataset, RelativeImagePathsResolveBesideTheCsv) {
  const Fixture fx = makeFixture("ds_relative");
  SSLRadiomicsOptions o;
  o.path = fx.csv;
  SSLRadiomicsDataset ds(o);
  EXPECT_EQ(ds.imagePath(0), (fx.dir / "scan0.nii.gz").string());
}

TEST(SSLRadiomicsDataset, BadInputsNameFileRowColumnAndValue) {
  const Fixture fx = makeFixture("ds_errors");
  SSLRadiomicsOptions o;
  const std::string missing = (fx.dir / "missing.csv").string();
  o.path = missing;
  EXPECT_EQ(errorOf([&] { SSLRadiomicsDataset ds(o); }), "CSV file '" + missing + "' does not exist");

  auto csv = [&](const std::string& name, const std::string& text) {
    const std::string p = (fx.dir / name).string();
    std::ofstream(p) << text;
    return p;
  };
  o.path = csv("nocoords.csv", "image_path,coordX,label\nscan0.nii.gz,1,2\n");
  EXPECT_EQ(
      errorOf([&] { SSLRadiomicsDataset ds(o); }),
      o.path +
          " is missing column(s) 'coordY', 'coordZ'; required columns: image_path, coordX, coordY, coordZ; "
          "columns present: image_path, coordX, label");
  o.label = "malignancy";
  EXPECT_EQ(
      errorOf([&] { SSLRadiomicsDataset ds(o); }),
      o.path +
          " is missing column(s) 'coordY', 'coordZ', 'malignancy'; required columns: image_path, coordX, "
          "coordY, coordZ, malignancy; columns present: image_path, coordX, label");
  o.label.reset();

  o.path = csv("text.csv", "image_path,coordX,coordY,coordZ\nscan0.nii.gz,1,2,3\nscan0.nii.gz,4,five,6\n");
  EXPECT_EQ(errorOf([&] { SSLRadiomicsDataset ds(o); }),
            o.path + " row 1 (line 3), column 'coordY': 'five' is not a number");

  o.path = csv("label.csv", "image_path,coordX,coordY,coordZ,y\nscan0.nii.gz,1,2,3,\n");
  o.label = "y";
  EXPECT_EQ(errorOf([&] { SSLRadiomicsDataset ds(o); }),
            o.path + " row 0 (line 2), column 'y': '' is not a number");
  o.label.reset();

  const io::Vec3 inside = fx.geometry.indexToPhysical({10.3, 10.3, 10.3});
  const std::string coords =
      std::to_string(inside[0]) + "," + std::to_string(inside[1]) + "," + std::to_string(inside[2]);
  o.path =
      csv("images.csv", "image_path,coordX,coordY,coordZ\nscan0.nii.gz," + coords + "\nnot_there.nii.gz," +
                            coords + "\nbroken.nii.gz," + coords + "\nscan0.nii.gz,0,0,5000\n");
  std::ofstream((fx.dir / "broken.nii.gz").string()) << "garbage";
  SSLRadiomicsDataset ds(o);
  data::Generator gen(0);
  EXPECT_NO_THROW(ds.get(0, gen));
  EXPECT_EQ(errorOf([&] { ds.get(1, gen); }),
            o.path + " row 1 (line 3), column 'image_path': image 'not_there.nii.gz' does not exist");
  const std::string broken = errorOf([&] { ds.get(2, gen); });
  EXPECT_EQ(broken.rfind(o.path + " row 2 (line 4), column 'image_path': ", 0), 0u) << broken;
  EXPECT_NE(broken.find("broken.nii.gz"), std::string::npos) << broken;
  const std::string outside = errorOf([&] { ds.get(3, gen); });
  EXPECT_EQ(outside.rfind(o.path + " row 3 (line 5), columns coordX/coordY/coordZ = 0, 0, 5000, image '" +
                              (fx.dir / "scan0.nii.gz").string() +
                              "': seed point (0, 0, 5000) mm lies outside the scan",
                          0),
            0u)
      << outside;
  EXPECT_THROW(ds.get(4, gen), RuntimeError);

  o.path = csv("header_only.csv", "image_path,coordX,coordY,coordZ\n");
  EXPECT_EQ(errorOf([&] { SSLRadiomicsDataset d(o); }), o.path + " has a header but no rows");
}

TEST(SSLRadiomicsDataset, WorkerThreadsLoadTheSameBatchesAsTheCaller) {
  // Real scans read by ITK in three threads at once give the caller's batches exactly.
  const Fixture fx = makeFixture("ds_threads");
  SSLRadiomicsOptions o;
  o.path = fx.csv;
  o.radius = 6;
  o.orient = true;
  o.resampleSpacing = io::Vec3{1, 1, 1};
  o.transform = std::make_shared<NoiseViews>(2);
  auto ds = std::make_shared<SSLRadiomicsDataset>(o);
  std::vector<std::vector<at::Tensor>> runs;
  for (int64_t workers : {0, 3}) {
    data::DataLoaderOptions lo;
    lo.batchSize = 1;
    lo.shuffle = true;
    lo.seed = 9;
    lo.numWorkers = workers;
    data::DataLoader loader(ds, lo);
    std::vector<at::Tensor> leaves;
    for (int64_t epoch = 0; epoch < 3; ++epoch) {
      auto e = loader.epoch(epoch);
      while (auto b = e->next())
        for (const auto& t : b->input.leaves()) leaves.push_back(t);
    }
    runs.push_back(leaves);
  }
  ASSERT_EQ(runs[0].size(), 4u * 3u * 4u);
  ASSERT_EQ(runs[1].size(), runs[0].size());
  for (size_t i = 0; i < runs[0].size(); ++i) EXPECT_TRUE(torch::equal(runs[0][i], runs[1][i])) << i;
}
