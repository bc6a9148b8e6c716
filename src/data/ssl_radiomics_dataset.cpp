#include "fmcib/data/ssl_radiomics_dataset.hpp"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "fmcib/data/image_path.hpp"
#include "fmcib/data/load_image.hpp"
#include "fmcib/data/stage_timer.hpp"
#include "fmcib/io/image_io.hpp"

namespace fmcib::data {

namespace fs = std::filesystem;

const std::vector<std::string>& SSLRadiomicsDataset::requiredColumns() {
  static const std::vector<std::string> columns = {"image_path", "coordX", "coordY", "coordZ"};
  return columns;
}

SSLRadiomicsDataset::SSLRadiomicsDataset(SSLRadiomicsOptions options) : options_(std::move(options)) {
  if (options_.radius <= 0)
    throw ConfigError("SSLRadiomicsDataset: radius must be a positive number of voxels, got " +
                      std::to_string(options_.radius));
  if (options_.resampleSpacing)
    for (double s : *options_.resampleSpacing)
      if (!(s > 0) || !std::isfinite(s))
        throw ConfigError("SSLRadiomicsDataset: resample_spacing values must be positive, got " +
                          std::to_string(s));
  // ITK initialises its factory list lazily; do it here, before loader threads read images.
  io::ensureImageIOFactories();
  if (!options_.cacheDir.empty() || options_.cacheBytes != 0)
    cache_ = std::make_shared<const ScanCache>(ScanCacheOptions{options_.cacheDir, options_.cacheBytes});
  table_ = std::make_shared<const io::CsvTable>(io::CsvTable::read(options_.path));
  const io::CsvTable& t = *table_;
  std::vector<std::string> required = requiredColumns();
  if (options_.label) required.push_back(*options_.label);
  t.requireColumns(required);
  if (t.numRows() == 0) throw InputError(t.path() + " has a header but no rows");

  imageColumn_ = t.column("image_path");
  const size_t cx = t.column("coordX"), cy = t.column("coordY"), cz = t.column("coordZ");
  seeds_.reserve(t.numRows());
  for (size_t r = 0; r < t.numRows(); ++r) {
    if (t.cell(r, imageColumn_).empty())
      throw InputError(t.where(r, imageColumn_) + ": the image path is empty");
    seeds_.push_back({t.number(r, cx), t.number(r, cy), t.number(r, cz)});
  }
  if (options_.label) {
    // Upstream applies int() to every label: truncation toward zero, also for fractional values.
    labelColumn_ = t.column(*options_.label);
    labels_.reserve(t.numRows());
    std::optional<size_t> fractional;
    for (size_t r = 0; r < t.numRows(); ++r) {
      const double v = t.number(r, *labelColumn_);
      if (!std::isfinite(v) || std::abs(v) >= 9.2e18)
        throw InputError(t.where(r, *labelColumn_) + ": label '" + t.cell(r, *labelColumn_) +
                         "' cannot be an integer (int() of it fails in the Python original)");
      if (v != std::trunc(v) && !fractional) fractional = r;
      labels_.push_back(static_cast<int64_t>(std::trunc(v)));
    }
    if (fractional)
      spdlog::warn("{}: label '{}' is not an integer; labels are int()-truncated as upstream (e.g. {} -> {})",
                   t.where(*fractional, *labelColumn_), t.cell(*fractional, *labelColumn_),
                   t.cell(*fractional, *labelColumn_), labels_[*fractional]);
  }
}

void SSLRadiomicsDataset::checkIndex(int64_t index) const {
  if (index < 0 || index >= size())
    throw RuntimeError("index " + std::to_string(index) + " out of range for " + table_->path() + " with " +
                       std::to_string(size()) + " rows");
}

std::string resolveImagePath(const std::string& raw, const std::string& csvPath) {
  return resolveDataPath(raw, fs::path(csvPath).parent_path().string());
}

std::string SSLRadiomicsDataset::imagePath(int64_t index) const {
  checkIndex(index);
  return resolveDataPath(table_->cell(static_cast<size_t>(index), imageColumn_),
                         fs::path(table_->path()).parent_path().string());
}

namespace {

std::vector<at::Tensor> viewsOf(const transforms::TransformPtr& transform, const at::Tensor& patch,
                                Generator& gen) {
  if (!transform) return {patch};
  ScopedStage timer(Stage::kAugment);
  return transform->views(patch, gen);
}

Nested viewsNested(const std::vector<at::Tensor>& views, bool alwaysList) {
  if (views.size() == 1 && !alwaysList) return Nested(views.front());
  Nested::List list(views.begin(), views.end());
  return Nested::list(std::move(list));
}

}  // namespace

DetailedItem SSLRadiomicsDataset::getDetailed(int64_t index, Generator& gen) const {
  checkIndex(index);
  const size_t row = static_cast<size_t>(index);
  const io::CsvTable& t = *table_;
  const std::string path = imagePath(index);
  DetailedItem out;
  ScanSourcePtr scan;
  try {
    ScopedStage timer(Stage::kRead);
    scan = cache_ ? cache_->open(path) : std::make_shared<MemoryScanSource>(io::readImage(path));
  } catch (const InputError& e) {
    throw InputError(t.where(row, imageColumn_) + ": " + e.what());
  }
  CropOptions crop;
  crop.radius = options_.radius;
  crop.orient = options_.orient;
  crop.resampleSpacing = options_.resampleSpacing;
  crop.orientPatch = options_.orientPatch;
  crop.mode = options_.cropMode;
  const ScanCropper cropper(scan, crop);
  const auto where = [&] {
    return t.path() + " row " + std::to_string(row) + " (line " + std::to_string(t.lineOf(row)) +
           "), columns coordX/coordY/coordZ = " + t.cell(row, t.column("coordX")) + ", " +
           t.cell(row, t.column("coordY")) + ", " + t.cell(row, t.column("coordZ")) + ", image '" + path +
           "'";
  };
  try {
    const SeedBox box = cropper.seedBox(seeds_[row]);
    if (!box.empty() && box.clamped(options_.radius))
      warnClampedOnce(row, [&] {
        return where() + ": the patch is cut at the scan border (" + cropper.describe(box) +
               "); the transform pads it, as upstream";
      });
    out.positive = cropper.positive(seeds_[row]);
  } catch (const EmptyPatchError& e) {
    throw UnusableRowError(where() + ": " + e.what());
  } catch (const InputError& e) {
    throw InputError(where() + ": " + e.what());
  }
  out.positiveViews = viewsOf(options_.transform, out.positive.array, gen);
  if (options_.enableNegatives) {
    out.negative = cropper.negative(gen);
    out.negativeViews = viewsOf(options_.transform, out.negative->array, gen);
    out.item.input = Nested::dict({{"positive", viewsNested(out.positiveViews, true)},
                                   {"negative", viewsNested(out.negativeViews, true)}});
  } else {
    out.item.input = viewsNested(out.positiveViews, false);
  }
  if (labelColumn_) {
    out.item.target = Nested(torch::tensor(labels_[row], torch::kInt64));
  } else if (options_.inputIsTarget) {
    out.item.target = out.item.input.map([](const at::Tensor& x) { return x.clone(); });
  }
  out.item.row = RowRef{index, table_};
  return out;
}

void SSLRadiomicsDataset::warnClampedOnce(size_t row, const std::function<std::string()>& message) const {
  {
    std::lock_guard<std::mutex> lock(warnedMutex_);
    if (!warnedRows_.insert(row).second) return;
  }
  spdlog::warn("{}", message());
}

Item SSLRadiomicsDataset::get(int64_t index, Generator& gen) const {
  return getDetailed(index, gen).item;
}

}  // namespace fmcib::data
