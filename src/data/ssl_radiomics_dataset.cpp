#include "fmcib/data/ssl_radiomics_dataset.hpp"

#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "fmcib/data/image_path.hpp"
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
    labelColumn_ = t.column(*options_.label);
    labels_.reserve(t.numRows());
    for (size_t r = 0; r < t.numRows(); ++r) {
      const double v = t.number(r, *labelColumn_);
      integralLabels_ = integralLabels_ && v == std::trunc(v) && std::abs(v) < 9.0e15;
      labels_.push_back(v);
    }
  }
}

void SSLRadiomicsDataset::checkIndex(int64_t index) const {
  if (index < 0 || index >= size())
    throw RuntimeError("index " + std::to_string(index) + " out of range for " + table_->path() + " with " +
                       std::to_string(size()) + " rows");
}

std::string resolveImagePath(const std::string& raw, const std::string& csvPath) {
  const fs::path p(raw);
  std::error_code ec;  // the throwing fs::exists would end a worker thread with std::terminate
  if (p.is_absolute() || fs::exists(p, ec)) return raw;
  const fs::path besideCsv = fs::path(csvPath).parent_path() / p;
  return fs::exists(besideCsv, ec) ? besideCsv.string() : raw;
}

std::string SSLRadiomicsDataset::imagePath(int64_t index) const {
  checkIndex(index);
  return resolveImagePath(table_->cell(static_cast<size_t>(index), imageColumn_), table_->path());
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
  try {
    out.positive = cropper.positive(seeds_[row]);
  } catch (const InputError& e) {
    throw InputError(t.path() + " row " + std::to_string(row) + " (line " + std::to_string(t.lineOf(row)) +
                     "), columns coordX/coordY/coordZ = " + t.cell(row, t.column("coordX")) + ", " +
                     t.cell(row, t.column("coordY")) + ", " + t.cell(row, t.column("coordZ")) + ", image '" +
                     path + "': " + e.what());
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
    const double v = labels_[row];
    out.item.target = integralLabels_ ? Nested(torch::tensor(static_cast<int64_t>(v), torch::kInt64))
                                      : Nested(torch::tensor(static_cast<float>(v), torch::kFloat32));
  } else if (options_.inputIsTarget) {
    out.item.target = out.item.input.map([](const at::Tensor& x) { return x.clone(); });
  }
  out.item.row = RowRef{index, table_};
  return out;
}

Item SSLRadiomicsDataset::get(int64_t index, Generator& gen) const {
  return getDetailed(index, gen).item;
}

}  // namespace fmcib::data
