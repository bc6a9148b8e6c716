// preview: PNG images of a dataset's first items (raw patch slices, augmented views, negatives) in a
// CT window, drawn by fmcib::inspect::renderPreview. Items are drawn as export-patches draws them.

#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

#include "command.hpp"
#include "config_options.hpp"
#include "dataset_access.hpp"
#include "fmcib/data/data_loader.hpp"
#include "fmcib/inspect/preview.hpp"
#include "fmcib/io/csv.hpp"
#include "targets.hpp"

namespace fmcib::cli {

namespace fs = std::filesystem;

namespace {

struct PreviewCommandOptions {
  ConfigOptions config;
  std::string dataset = "train";
  int64_t n = 8;
  int64_t first = 0;
  std::string window = "1500,-300";
  std::string out;
};

void parseWindow(const std::string& text, inspect::PreviewOptions& o) {
  std::istringstream in(text);
  char comma = 0;
  if (!(in >> o.windowWidth >> comma >> o.windowLevel) || comma != ',' || !(in >> std::ws).eof() ||
      !(o.windowWidth > 0))
    throw ConfigError("--window expects WIDTH,LEVEL in HU with a positive width (e.g. 400,40), got '" + text +
                      "'");
}

void preview(const PreviewCommandOptions& o, GlobalOptions& global) {
  inspect::PreviewOptions view;
  parseWindow(o.window, view);
  if (o.n < 1) throw ConfigError("--n must be at least 1, got " + std::to_string(o.n));
  if (o.first < 0) throw ConfigError("--first must be >= 0, got " + std::to_string(o.first));
  std::optional<config::Config> loaded = loadConfigOrPrint(o.config, global);
  if (!loaded) return;
  const config::Config& cfg = *loaded;
  const auto dataset = resolveSslDataset(cfg, o.dataset);
  if (o.first >= dataset->size())
    throw ConfigError("--first " + std::to_string(o.first) + " is past the " +
                      std::to_string(dataset->size()) + " rows of system#datasets#" + o.dataset);
  const uint64_t seed = inspectionSeed(o.config);
  const fs::path dir(o.out);
  fs::create_directories(dir);
  const io::CsvTable& table = *dataset->table();
  const auto& label = dataset->options().label;
  const std::optional<size_t> labelColumn = label ? table.findColumn(*label) : std::nullopt;
  const int64_t last = std::min(dataset->size(), o.first + o.n);
  for (int64_t i = o.first; i < last; ++i) {
    const std::optional<data::DetailedItem> detailed = detailedItemOrSkip(*dataset, i, seed);
    if (!detailed) continue;
    const data::DetailedItem& item = *detailed;
    inspect::PreviewCaption caption;
    caption.row = i;
    caption.seed = dataset->seed(i);
    caption.label = labelColumn ? table.cell(static_cast<size_t>(i), *labelColumn) : "-";
    caption.image = dataset->imagePath(i);
    char name[32];
    std::snprintf(name, sizeof(name), "row%05lld.png", static_cast<long long>(i));
    inspect::writePng(inspect::renderPreview(item, caption, view), (dir / name).string());
  }
  std::cout << "wrote " << last - o.first << " previews of system#datasets#" << o.dataset << " to " << o.out
            << "\n";
}

}  // namespace

void installPreviewCommand(CLI::App& app, GlobalOptions& global) {
  CLI::App* sub = app.add_subcommand(
      "preview", "PNG previews of a dataset's items: raw patch slices, augmented views, negatives");
  auto opts = std::make_shared<PreviewCommandOptions>();
  addConfigOptions(*sub, opts->config, global);
  sub->add_option("--dataset", opts->dataset, "which system#datasets entry")->capture_default_str();
  sub->add_option("--n", opts->n, "number of items")->capture_default_str();
  sub->add_option("--first", opts->first, "first row")->capture_default_str();
  sub->add_option("--window", opts->window, "CT window WIDTH,LEVEL (HU) for raw patches")
      ->capture_default_str();
  sub->add_option("--out", opts->out, "output folder (created); one rowNNNNN.png per item")->required();
  sub->callback([opts, sub, &global] {
    opts->config.overrides = parseOverrides(sub->remaining());
    preview(*opts, global);
  });
}

}  // namespace fmcib::cli
