// export-patches: writes the patches a dataset of a config gives (after the geometry steps, and
// with --transformed the augmented views) as .nrrd files carrying their own origin, spacing and
// direction, plus index.csv, so the exact inputs of the model can be opened in 3D Slicer/ITK-SNAP.
//
// Item i is drawn with the generator the DataLoader uses in epoch 0 (itemSeed(seed, 0, i)), so the
// files show what training's first epoch sees. Augmented views no longer have a meaningful
// geometry; they are written with the patch's origin and direction and the spacing that makes them
// cover the patch's extent.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>

#include "command.hpp"
#include "config_options.hpp"
#include "dataset_access.hpp"
#include "fmcib/common/elide.hpp"
#include "fmcib/common/parse_number.hpp"
#include "fmcib/data/data_loader.hpp"
#include "fmcib/data/ssl_radiomics_dataset.hpp"
#include "fmcib/io/atomic_file.hpp"
#include "fmcib/io/csv.hpp"
#include "fmcib/io/image_data_files.hpp"
#include "fmcib/io/image_io.hpp"
#include "targets.hpp"

namespace fmcib::cli {

namespace fs = std::filesystem;

namespace {

struct ExportOptions {
  ConfigOptions config;
  std::string dataset = "train";
  std::string rows = ":";
  bool transformed = false;
  bool allowExternalData = false;
  std::string out;
};

// Python slice "a:b" over n rows (negative values count from the end; either side may be empty).
std::pair<int64_t, int64_t> parseRows(const std::string& text, int64_t n) {
  const size_t colon = text.find(':');
  auto bound = [&](const std::string& s, int64_t fallback) {
    if (s.empty()) return fallback;
    const std::optional<int64_t> parsed = parseInt64(s);
    if (!parsed) throw ConfigError("--rows expects START:END (e.g. 0:20), got '" + elide(text) + "'");
    int64_t v = *parsed;
    if (v < 0) v += n;
    return std::clamp<int64_t>(v, 0, n);
  };
  if (colon == std::string::npos) {
    const int64_t one = bound(text, 0);
    return {one, std::min(one + 1, n)};
  }
  return {bound(text.substr(0, colon), 0), bound(text.substr(colon + 1), n)};
}

void writeTensor(const at::Tensor& zyx, const io::ImageGeometry& patch, const std::string& path) {
  io::ImageGeometry g = patch;
  const io::Index3 size{zyx.size(2), zyx.size(1), zyx.size(0)};
  for (int a = 0; a < 3; ++a)
    if (size[a] != patch.size[a] && size[a] > 0)
      g.spacing[a] = patch.spacing[a] * static_cast<double>(patch.size[a]) / static_cast<double>(size[a]);
  io::writeImage(io::Volume::fromTensor(zyx.to(at::kFloat), g), path);
}

// Writes one view (channels first, or a bare volume); returns the file names.
std::vector<std::string> writeView(const at::Tensor& view, const io::ImageGeometry& patch,
                                   const fs::path& dir, const std::string& stem) {
  std::vector<std::string> names;
  if (view.dim() == 3) {
    names.push_back(stem + ".nrrd");
    writeTensor(view, patch, (dir / names.back()).string());
  } else if (view.dim() == 4) {
    for (int64_t c = 0; c < view.size(0); ++c) {
      names.push_back(stem + (view.size(0) > 1 ? "_c" + std::to_string(c) : "") + ".nrrd");
      writeTensor(view[c], patch, (dir / names.back()).string());
    }
  } else {
    spdlog::warn("{}: a view of {} dimensions is not a volume; not written", stem, view.dim());
  }
  return names;
}

std::string joined(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ";") + n;
  return s;
}

/// A header may name any file as its voxel data (NRRD `data file:`, MetaImage `ElementDataFile`):
/// refuses, before anything is written, rows whose scan reads from outside its own folder.
void checkDataFiles(const data::SSLRadiomicsDataset& dataset, int64_t first, int64_t last) {
  std::set<std::string> checked;
  for (int64_t i = first; i < last; ++i) {
    const std::string path = dataset.imagePath(i);
    if (!checked.insert(path).second) continue;
    const std::vector<std::string> external = io::externalDataFiles(path);
    if (external.empty()) continue;
    throw InputError(dataset.table()->path() + ": row " + std::to_string(i) + " (line " +
                     std::to_string(dataset.table()->lineOf(static_cast<size_t>(i))) + "): the header of '" +
                     path + "' reads its voxels from '" + external.front() +
                     "', outside the image's folder; export-patches does not copy such data out "
                     "(check the header, or pass --allow-external-data)");
  }
}

void exportPatches(const ExportOptions& o, GlobalOptions& global) {
  std::optional<config::Config> loaded = loadConfigOrPrint(o.config, global);
  if (!loaded) return;
  config::Config& cfg = *loaded;
  const std::string path = "system#datasets#" + o.dataset;
  const auto dataset = resolveSslDataset(cfg, o.dataset);
  const uint64_t seed = inspectionSeed(o.config);
  const auto [first, last] = parseRows(o.rows, dataset->size());
  if (!o.allowExternalData) checkDataFiles(*dataset, first, last);
  const fs::path dir(o.out);
  fs::create_directories(dir);
  io::removeStaleTemporaries(dir.string());

  const io::CsvTable& table = *dataset->table();
  std::vector<std::string> header = {"row"};
  for (const auto& h : table.header()) header.push_back(h);
  for (const char* extra : {"positive", "negative", "positive_views", "negative_views"})
    header.push_back(extra);
  std::vector<std::vector<std::string>> rows;
  for (int64_t i = first; i < last; ++i) {
    const std::optional<data::DetailedItem> detailed = detailedItemOrSkip(*dataset, i, seed);
    if (!detailed) continue;
    const data::DetailedItem& item = *detailed;
    char stem[32];
    std::snprintf(stem, sizeof(stem), "row%05lld", static_cast<long long>(i));
    std::vector<std::string> fields = {std::to_string(i)};
    for (const auto& v : table.row(static_cast<size_t>(i))) fields.push_back(v);
    fields.push_back(std::string(stem) + "_positive.nrrd");
    writeTensor(item.positive.array, item.positive.geometry, (dir / fields.back()).string());
    if (item.negative) {
      fields.push_back(std::string(stem) + "_negative.nrrd");
      writeTensor(item.negative->array, item.negative->geometry, (dir / fields.back()).string());
    } else {
      fields.push_back("");
    }
    std::vector<std::string> posViews, negViews;
    if (o.transformed) {
      for (size_t v = 0; v < item.positiveViews.size(); ++v)
        for (auto& n : writeView(item.positiveViews[v], item.positive.geometry, dir,
                                 std::string(stem) + "_positive_view" + std::to_string(v)))
          posViews.push_back(n);
      for (size_t v = 0; v < item.negativeViews.size(); ++v)
        for (auto& n : writeView(item.negativeViews[v], item.negative->geometry, dir,
                                 std::string(stem) + "_negative_view" + std::to_string(v)))
          negViews.push_back(n);
    }
    fields.push_back(joined(posViews));
    fields.push_back(joined(negViews));
    rows.push_back(std::move(fields));
  }
  io::writeCsv((dir / "index.csv").string(), header, rows);
  std::cout << "wrote " << rows.size() << " rows of patches from " << path << " to " << o.out << "\n";
}

}  // namespace

void installExportPatchesCommand(CLI::App& app, GlobalOptions& global) {
  CLI::App* sub = app.add_subcommand(
      "export-patches", "write a dataset's patches (.nrrd with their geometry) and index.csv for viewing");
  auto opts = std::make_shared<ExportOptions>();
  addConfigOptions(*sub, opts->config, global);
  sub->add_option("--dataset", opts->dataset, "which system#datasets entry")->capture_default_str();
  sub->add_option("--rows", opts->rows, "rows as START:END (Python slice; default all)")
      ->capture_default_str();
  sub->add_flag("--transformed", opts->transformed, "also write the augmented views");
  sub->add_flag("--allow-external-data", opts->allowExternalData,
                "export scans whose header reads voxels from a file outside the scan's folder (refused "
                "by default)");
  sub->add_option("--out", opts->out, "output folder (created)")->required();
  sub->callback([opts, sub, &global] {
    opts->config.overrides = parseOverrides(sub->remaining());
    exportPatches(*opts, global);
  });
}

}  // namespace fmcib::cli
