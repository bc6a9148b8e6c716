// Patch previews from hand-made items: window mapping, layout, slice orientation, view ranges.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "fmcib/inspect/preview.hpp"

namespace fmcib::inspect {
namespace {

const PreviewPanel& panel(const std::vector<PreviewPanel>& panels, const std::string& row,
                          const std::string& view) {
  for (const auto& p : panels)
    if (p.row == row && p.view == view) return p;
  throw std::runtime_error("no panel " + row + " " + view);
}

uint8_t grey(const RgbImage& img, const PreviewPanel& p, int64_t u, int64_t v) {
  const Color c = img.at(p.x + static_cast<int>(u) * p.scale, p.y + static_cast<int>(v) * p.scale);
  EXPECT_EQ(c.r, c.g);
  EXPECT_EQ(c.g, c.b);
  return c.r;
}

// A 24×20×16 (x, y, z) patch whose voxel value encodes its position: HU = 10·x − 7·y + 30·z − 400.
data::DetailedItem rampItem() {
  data::DetailedItem item;
  const auto z = torch::arange(16, torch::kFloat).view({16, 1, 1});
  const auto y = torch::arange(20, torch::kFloat).view({1, 20, 1});
  const auto x = torch::arange(24, torch::kFloat).view({1, 1, 24});
  item.positive.array = (10 * x - 7 * y + 30 * z - 400).contiguous();
  item.negative = data::Patch{torch::full({16, 20, 24}, -1000.0f), {}};
  item.positiveViews = {torch::zeros({1, 8, 8, 8}), torch::ones({1, 8, 8, 8}) * 3};
  item.negativeViews = {torch::ones({1, 8, 8, 8}) * 1.5};
  return item;
}

TEST(InspectPreview, WindowMapsHuToGrey) {
  PreviewOptions o;
  o.windowWidth = 400;
  o.windowLevel = 40;
  EXPECT_EQ(windowValue(-160, o), 0);
  EXPECT_EQ(windowValue(-1000, o), 0);
  EXPECT_EQ(windowValue(240, o), 255);
  EXPECT_EQ(windowValue(40, o), 128);  // 127.5 rounds away from zero
  EXPECT_EQ(windowValue(0, o), 102);   // 0.4 · 255
}

TEST(InspectPreview, CentrePixelIsTheWindowedPatchCentre) {
  const data::DetailedItem item = rampItem();
  PreviewOptions o;  // W 1500 / L -300
  std::vector<PreviewPanel> panels;
  const RgbImage img = renderPreview(item, {7, {1.5, -2.5, 3.0}, "4", "/data/scan.nii.gz"}, o, &panels);
  ASSERT_EQ(panels.size(), 3u * 5u);  // pos raw, 2 pos views, neg raw, 1 neg view
  const PreviewPanel axial = panel(panels, "POS RAW", "AXIAL");
  EXPECT_EQ(axial.width, 24);
  EXPECT_EQ(axial.height, 20);
  EXPECT_EQ(axial.scale, 100 / 24);
  const float centre = item.positive.array[8][10][12].item<float>();
  EXPECT_EQ(grey(img, axial, 12, 10), windowValue(centre, o));
  // Every row is as tall as the largest magnified side; the image holds all five rows.
  EXPECT_GE(img.height(), 5 * 24 * 4);
  EXPECT_GE(img.width(), 3 * 24 * 4);
}

TEST(InspectPreview, SlicesAreOrientedRadiologically) {
  const data::DetailedItem item = rampItem();
  PreviewOptions o;
  o.windowWidth = 2000;
  o.windowLevel = 0;
  std::vector<PreviewPanel> panels;
  const RgbImage img = renderPreview(item, {0, {0, 0, 0}, "-", "x.nrrd"}, o, &panels);
  const auto& a = item.positive.array;
  auto w = [&](int64_t z, int64_t y, int64_t x) { return windowValue(a[z][y][x].item<float>(), o); };
  const PreviewPanel axial = panel(panels, "POS RAW", "AXIAL");
  EXPECT_EQ(grey(img, axial, 0, 0), w(8, 0, 0));
  EXPECT_EQ(grey(img, axial, 23, 19), w(8, 19, 23));
  // Coronal and sagittal: superior (the highest z of an LPS patch) at the top.
  const PreviewPanel coronal = panel(panels, "POS RAW", "CORONAL");
  EXPECT_EQ(coronal.height, 16);
  EXPECT_EQ(grey(img, coronal, 5, 0), w(15, 10, 5));
  EXPECT_EQ(grey(img, coronal, 5, 15), w(0, 10, 5));
  const PreviewPanel sagittal = panel(panels, "POS RAW", "SAGITTAL");
  EXPECT_EQ(sagittal.width, 20);
  EXPECT_EQ(grey(img, sagittal, 3, 0), w(15, 3, 12));
  EXPECT_GT(grey(img, sagittal, 3, 0), grey(img, sagittal, 3, 15));
}

TEST(InspectPreview, AugmentedViewsShareOneRange) {
  const data::DetailedItem item = rampItem();
  std::vector<PreviewPanel> panels;
  const RgbImage img = renderPreview(item, {0, {0, 0, 0}, "-", "x.nrrd"}, PreviewOptions{}, &panels);
  // Views hold 0, 3 and 1.5: black, white and mid grey.
  EXPECT_EQ(grey(img, panel(panels, "POS VIEW 1", "AXIAL"), 4, 4), 0);
  EXPECT_EQ(grey(img, panel(panels, "POS VIEW 2", "CORONAL"), 4, 4), 255);
  EXPECT_EQ(grey(img, panel(panels, "NEG VIEW 1", "SAGITTAL"), 4, 4), 128);
  // The raw negative (air) is black in the default window.
  EXPECT_EQ(grey(img, panel(panels, "NEG RAW", "AXIAL"), 3, 3), windowValue(-1000, PreviewOptions{}));
}

TEST(InspectPreview, ItemWithoutNegativesOrViews) {
  data::DetailedItem item;
  item.positive.array = torch::zeros({10, 10, 10});
  std::vector<PreviewPanel> panels;
  const RgbImage img = renderPreview(item, {0, {0, 0, 0}, "-", "x"}, PreviewOptions{}, &panels);
  EXPECT_EQ(panels.size(), 3u);
  EXPECT_EQ(panels[0].scale, 10);
  EXPECT_GT(img.height(), 100);
}

}  // namespace
}  // namespace fmcib::inspect
