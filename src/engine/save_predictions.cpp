// fmcib.callbacks.SavePredictions: predictions joined to the rows of the predict CSV.
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "fmcib/data/data_loader.hpp"
#include "fmcib/engine/callbacks.hpp"
#include "fmcib/engine/trainer.hpp"
#include "fmcib/io/atomic_file.hpp"
#include "fmcib/io/csv.hpp"
#include "png_writer.hpp"

namespace fmcib::engine {

namespace fs = std::filesystem;

SavePredictions::SavePredictions(std::string path, int64_t savePreviewSamples)
    : path_(std::move(path)), previews_(savePreviewSamples) {
  if (path_.empty()) throw ConfigError("SavePredictions: path must not be empty");
  if (previews_ < 0) throw ConfigError("SavePredictions: save_preview_samples must be >= 0");
}

void SavePredictions::onPredictBatchEnd(Trainer&, const data::Batch& batch, const at::Tensor& pred) {
  if (!pred.defined()) throw RuntimeError("SavePredictions: the model gave no prediction");
  if (pred.dim() == 0 || pred.size(0) != batch.size())
    throw RuntimeError("SavePredictions: " + std::to_string(batch.size()) +
                       " rows but a prediction of shape " + std::to_string(pred.dim() ? pred.size(0) : 0) +
                       "x...");
  at::Tensor p = pred.to(at::kFloat).contiguous().view({batch.size(), -1});
  const int64_t width = pred.dim() == 1 ? 0 : p.size(1);
  if (width_ >= 0 && width != width_)
    throw RuntimeError("SavePredictions: predictions of different widths (" + std::to_string(width_) +
                       " and " + std::to_string(width) + ")");
  width_ = width;
  const float* data = p.data_ptr<float>();
  const int64_t n = p.size(1);
  for (int64_t i = 0; i < batch.size(); ++i)
    rows_.emplace_back(batch.rows[static_cast<size_t>(i)],
                       std::vector<float>(data + i * n, data + (i + 1) * n));
}

void SavePredictions::onPredictEnd(Trainer& trainer) {
  if (!trainer.isGlobalZero()) return;
  std::stable_sort(rows_.begin(), rows_.end(),
                   [](const auto& a, const auto& b) { return a.first.index < b.first.index; });
  // pandas' DataFrame.to_csv layout, as upstream writes it: an unnamed first column holding the
  // row index (the predict CSV's 0-based row), then the CSV's columns, then the predictions.
  std::vector<std::string> header{""};
  const bool haveTable = !rows_.empty() && rows_.front().first.table;
  if (haveTable) {
    const auto& columns = rows_.front().first.header();
    header.insert(header.end(), columns.begin(), columns.end());
  }
  if (width_ <= 0)
    header.push_back("pred");
  else
    for (int64_t j = 0; j < width_; ++j) header.push_back("pred_" + std::to_string(j));
  std::vector<std::vector<std::string>> out;
  out.reserve(rows_.size());
  char buf[32];
  for (const auto& [row, values] : rows_) {
    std::vector<std::string> cells{std::to_string(row.index)};
    if (haveTable && row.table) {
      const auto& raw = row.values();
      cells.insert(cells.end(), raw.begin(), raw.end());
    }
    for (float v : values) {
      std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));  // round-trips float32
      cells.emplace_back(buf);
    }
    out.push_back(std::move(cells));
  }
  const fs::path p(path_);
  if (p.has_parent_path()) {
    fs::create_directories(p.parent_path());
    io::removeStaleTemporaries(p.parent_path().string());
  }
  io::writeCsv(path_, header, out);  // atomic: a temporary created exclusively, then renamed
  std::cout << "wrote " << out.size() << " predictions (" << (width_ <= 0 ? 1 : width_) << " values each) to "
            << path_ << "\n";
  if (previews_ > 0) savePreviews(trainer);
  rows_.clear();
  width_ = -1;
}

void SavePredictions::savePreviews(Trainer& trainer) const {
  data::DatasetPtr ds = trainer.system().dataset("predict");
  if (!ds) return;
  const fs::path dir = fs::path(path_).parent_path() / "previews";
  fs::create_directories(dir);
  const int64_t n = std::min(previews_, ds->size());
  for (int64_t i = 0; i < n; ++i) {
    data::Generator gen(data::itemSeed(trainer.state().seed, 0, i));
    data::Item item;
    try {
      item = ds->get(i, gen);
    } catch (const data::UnusableRowError&) {
      continue;  // already reported by the loader; it has no prediction either
    }
    if (!item.input.isTensor()) {
      spdlog::warn("SavePredictions: previews need one tensor per item, got {}", item.input.describe());
      return;
    }
    at::Tensor img = item.input.tensor().to(at::kFloat).squeeze();
    const double lo = img.min().item<double>(), hi = img.max().item<double>();
    if (hi > 1 || lo < 0)
      spdlog::debug("SavePredictions: preview {} scaled from [{}, {}] to [0, 1]", i, lo, hi);
    img = (img - lo) / (hi - lo + 1e-8);
    std::vector<at::Tensor> views;
    if (img.dim() == 3) {
      views = {img.select(0, img.size(0) / 2), img.select(1, img.size(1) / 2),
               img.select(2, img.size(2) / 2)};
    } else if (img.dim() == 2) {
      views = {img};
    } else if (img.dim() == 1) {
      views = {img.unsqueeze(0)};
    } else {
      spdlog::warn("SavePredictions: cannot preview an input of {} dimensions", img.dim());
      return;
    }
    writePngGrid((dir / (std::to_string(i) + ".png")).string(), views);
  }
  spdlog::info("SavePredictions: {} previews in {}", n, dir.string());
}

}  // namespace fmcib::engine
