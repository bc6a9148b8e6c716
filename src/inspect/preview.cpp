// Patch previews: see preview.hpp for the layout, window and orientation conventions.
#include "fmcib/inspect/preview.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <sstream>

namespace fmcib::inspect {

namespace {

constexpr int kMargin = 8, kGap = 6;
const char* const kViews[3] = {"AXIAL", "CORONAL", "SAGITTAL"};

std::string number(double v, int precision) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(precision);
  os << v;
  return os.str();
}

std::string shortNumber(double v) {
  std::ostringstream os;
  os.precision(3);
  os << v;
  return os.str();
}

/// One row of panels: a [z][y][x] volume and how its voxels become grey values.
struct PanelRow {
  std::string name;
  at::Tensor zyx;  // float32, contiguous
  std::function<uint8_t(float)> grey;
  bool markSeed = false;
};

at::Tensor volumeOf(const at::Tensor& view) {
  at::Tensor v = view.detach().to(at::kCPU).to(at::kFloat);
  while (v.dim() > 3) v = v[0];  // channel 0 of [C][z][y][x]
  return v.contiguous();
}

/// Slice `view` (0 axial, 1 coronal, 2 sagittal) as (width, height, value(u, v)).
struct Slice {
  int64_t width = 0, height = 0;
  std::function<float(int64_t, int64_t)> at;
};

Slice sliceOf(const at::Tensor& zyx, int view) {
  const int64_t d = zyx.size(0), h = zyx.size(1), w = zyx.size(2);
  const float* p = zyx.data_ptr<float>();
  auto voxel = [=](int64_t z, int64_t y, int64_t x) { return p[(z * h + y) * w + x]; };
  if (view == 0) return {w, h, [=](int64_t u, int64_t v) { return voxel(d / 2, v, u); }};
  if (view == 1) return {w, d, [=](int64_t u, int64_t v) { return voxel(d - 1 - v, h / 2, u); }};
  return {h, d, [=](int64_t u, int64_t v) { return voxel(d - 1 - v, u, w / 2); }};
}

}  // namespace

uint8_t windowValue(double hu, const PreviewOptions& o) {
  const double t = std::clamp((hu - (o.windowLevel - o.windowWidth / 2)) / o.windowWidth, 0.0, 1.0);
  return static_cast<uint8_t>(std::lround(255.0 * t));
}

RgbImage renderPreview(const data::DetailedItem& item, const PreviewCaption& caption, const PreviewOptions& o,
                       std::vector<PreviewPanel>* panels) {
  if (!(o.windowWidth > 0)) throw ConfigError("preview: the window width must be positive");
  auto hu = [o](float v) { return windowValue(v, o); };
  std::vector<at::Tensor> views = item.positiveViews;
  views.insert(views.end(), item.negativeViews.begin(), item.negativeViews.end());
  float lo = 0, hi = 1;
  bool first = true;
  for (auto& v : views) {
    v = volumeOf(v);
    if (v.numel() == 0) continue;
    const float vmin = v.min().item<float>(), vmax = v.max().item<float>();
    lo = first ? vmin : std::min(lo, vmin);
    hi = first ? vmax : std::max(hi, vmax);
    first = false;
  }
  const float span = hi > lo ? hi - lo : 1.0f;
  auto scaled = [lo, span](float v) {
    return static_cast<uint8_t>(std::lround(255.0 * std::clamp((v - lo) / span, 0.0f, 1.0f)));
  };

  std::vector<PanelRow> rows;
  rows.push_back({"POS RAW", volumeOf(item.positive.array), hu, true});
  size_t k = 0;
  for (size_t i = 0; i < item.positiveViews.size(); ++i, ++k)
    rows.push_back({"POS VIEW " + std::to_string(i + 1), views[k], scaled, false});
  if (item.negative) rows.push_back({"NEG RAW", volumeOf(item.negative->array), hu, false});
  for (size_t i = 0; i < item.negativeViews.size(); ++i, ++k)
    rows.push_back({"NEG VIEW " + std::to_string(i + 1), views[k], scaled, false});

  // Every row gets the same cell size: the largest magnified side of any panel.
  std::vector<int> scales;
  int cell = 16;
  for (const PanelRow& r : rows) {
    const int64_t side =
        std::max<int64_t>({1, r.zyx.dim() == 3 ? r.zyx.size(0) : 1, r.zyx.dim() == 3 ? r.zyx.size(1) : 1,
                           r.zyx.dim() == 3 ? r.zyx.size(2) : 1});
    const int s = std::max(1, o.tile / static_cast<int>(side));
    scales.push_back(s);
    cell = std::max(cell, s * static_cast<int>(side));
  }
  int labelWidth = 0;
  for (const PanelRow& r : rows) labelWidth = std::max(labelWidth, textWidth(r.name));
  const int left = kMargin + labelWidth + kGap;
  const int headerLines = views.empty() ? 2 : 3;
  const int top = kMargin + headerLines * textHeight() + kGap + textHeight();
  const std::string line1 = "ROW " + std::to_string(caption.row) + "   LABEL " + caption.label + "   SEED (" +
                            number(caption.seed[0], 1) + ", " + number(caption.seed[1], 1) + ", " +
                            number(caption.seed[2], 1) + ") MM LPS";
  const std::string line2 = std::filesystem::path(caption.image).filename().string() + "   RAW: W " +
                            std::to_string(std::lround(o.windowWidth)) + " L " +
                            std::to_string(std::lround(o.windowLevel));
  const int width = std::max(left + 3 * (cell + kGap) + kMargin,
                             2 * kMargin + std::max(textWidth(line1), textWidth(line2)));
  const int height = top + static_cast<int>(rows.size()) * (cell + kGap) + kMargin;
  RgbImage img(width, height, {24, 24, 24});
  img.text(kMargin, kMargin, line1, colors::kWhite);
  img.text(kMargin, kMargin + textHeight(), line2, colors::kLightGrey);
  if (!views.empty())
    img.text(kMargin, kMargin + 2 * textHeight(),
             "VIEWS: " + shortNumber(lo) + " (BLACK) TO " + shortNumber(hi) + " (WHITE)", colors::kLightGrey);
  for (int v = 0; v < 3; ++v)
    img.text(left + v * (cell + kGap), top - textHeight(), kViews[v], colors::kYellow);

  for (size_t r = 0; r < rows.size(); ++r) {
    const PanelRow& row = rows[r];
    const int y0 = top + static_cast<int>(r) * (cell + kGap);
    img.text(kMargin, y0 + cell / 2 - 4, row.name, colors::kWhite);
    if (row.zyx.dim() != 3 || row.zyx.numel() == 0) {
      img.text(left, y0 + cell / 2 - 4, "EMPTY", colors::kGrey);
      continue;
    }
    const int s = scales[r];
    for (int v = 0; v < 3; ++v) {
      const Slice slice = sliceOf(row.zyx, v);
      const int x0 = left + v * (cell + kGap);
      for (int64_t sv = 0; sv < slice.height; ++sv)
        for (int64_t su = 0; su < slice.width; ++su) {
          const uint8_t g = row.grey(slice.at(su, sv));
          img.fillRect(x0 + static_cast<int>(su) * s, y0 + static_cast<int>(sv) * s, s, s, {g, g, g});
        }
      if (row.markSeed) {
        // The seed is the patch's middle voxel; ticks outside the panel keep its pixels untouched.
        const int64_t mu = slice.width / 2,
                      mv = v == 0 ? slice.height / 2 : slice.height - 1 - slice.height / 2;
        const int cx = x0 + static_cast<int>(mu) * s + s / 2, cy = y0 + static_cast<int>(mv) * s + s / 2;
        const int pw = static_cast<int>(slice.width) * s, ph = static_cast<int>(slice.height) * s;
        img.line(cx, y0 - 4, cx, y0 - 2, colors::kYellow);
        img.line(cx, y0 + ph + 1, cx, y0 + ph + 3, colors::kYellow);
        img.line(x0 - 4, cy, x0 - 2, cy, colors::kYellow);
        img.line(x0 + pw + 1, cy, x0 + pw + 3, cy, colors::kYellow);
      }
      if (panels) panels->push_back({row.name, kViews[v], x0, y0, s, slice.width, slice.height});
    }
  }
  return img;
}

}  // namespace fmcib::inspect
