// `fmcib features`: the get_features loop (load in loader threads, forward in batches, write the
// rows in input order as they complete).
#include "fmcib/engine/features.hpp"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>

#include "fmcib/data/csv_dataset.hpp"
#include "fmcib/data/data_loader.hpp"
#include "fmcib/data/get_features_transforms.hpp"
#include "fmcib/data/thread_plan.hpp"
#include "fmcib/engine/accelerator.hpp"
#include "fmcib/engine/progress.hpp"
#include "fmcib/io/csv.hpp"
#include "fmcib/models/load_model.hpp"
#include "fmcib/models/resnet.hpp"

namespace fmcib::engine {

namespace fs = std::filesystem;

namespace {

/// A multi-line error (e.g. every mismatched tensor) as one line with at most `items` entries.
std::string oneLine(const std::string& message, size_t items = 4) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= message.size()) {
    const size_t end = message.find('\n', start);
    std::string line = message.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const size_t b = line.find_first_not_of(' ');
    if (b != std::string::npos) lines.push_back(line.substr(b));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (lines.empty()) return message;
  std::string out = lines.front();
  for (size_t i = 1; i < lines.size() && i <= items; ++i) out += (i == 1 ? " " : "; ") + lines[i];
  if (lines.size() > items + 1) out += "; … (" + std::to_string(lines.size() - items - 1) + " more)";
  return out;
}

/// Keeps a bad row's error and hands on an item without input, so the run goes on.
class RowGuard final : public data::Dataset {
 public:
  explicit RowGuard(std::shared_ptr<const data::CSVDataset> inner) : inner_(std::move(inner)) {}
  int64_t size() const override { return inner_->size(); }
  data::Item get(int64_t index, data::Generator& gen) const override {
    try {
      return inner_->get(index, gen);
    } catch (const InputError& e) {
      std::lock_guard<std::mutex> lock(mutex_);
      errors_[index] = e.what();
    }
    data::Item item;
    item.row = inner_->row(index);
    return item;
  }
  std::string error(int64_t index) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = errors_.find(index);
    return it == errors_.end() ? std::string("no input") : it->second;
  }

 private:
  std::shared_ptr<const data::CSVDataset> inner_;
  mutable std::mutex mutex_;
  mutable std::map<int64_t, std::string> errors_;
};

/// The output file: written to a temporary beside it, renamed into place by commit().
class FeatureWriter {
 public:
  FeatureWriter(std::string path, std::vector<std::string> header)
      : path_(std::move(path)), header_(std::move(header)) {
    const fs::path p(path_);
    if (p.has_parent_path()) fs::create_directories(p.parent_path());
    tmp_ = path_ + ".tmp";
    out_.open(tmp_, std::ios::binary | std::ios::trunc);
    if (!out_) throw RuntimeError("cannot write " + tmp_);
  }
  ~FeatureWriter() {
    if (committed_) return;
    out_.close();
    std::error_code ec;
    fs::remove(tmp_, ec);
  }
  FeatureWriter(const FeatureWriter&) = delete;
  FeatureWriter& operator=(const FeatureWriter&) = delete;

  void row(const std::vector<std::string>& cells, const float* features, int64_t width) {
    if (width_ < 0) {
      width_ = width;
      bool first = true;
      for (const auto& h : header_) put(h, first);
      for (int64_t j = 0; j < width_; ++j) put("pred_" + std::to_string(j), first);
      out_ << '\n';
    }
    bool first = true;
    for (const auto& c : cells) put(c, first);
    char buf[32];
    for (int64_t j = 0; j < width_; ++j) {
      out_ << ',';
      if (features) {
        std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(features[j]));  // round-trips float32
        out_ << buf;
      }
    }
    out_ << '\n';
  }
  int64_t width() const { return width_; }
  void commit() {
    out_.close();
    if (!out_) throw RuntimeError("cannot write " + tmp_ + " (disk full?)");
    fs::rename(tmp_, path_);
    committed_ = true;
  }

 private:
  void put(const std::string& cell, bool& first) {
    if (!first) out_ << ',';
    first = false;
    out_ << io::quoteCsvField(cell);
  }
  std::string path_, tmp_;
  std::vector<std::string> header_;
  std::ofstream out_;
  int64_t width_ = -1;
  bool committed_ = false;
};

struct Pending {
  int64_t index = 0;
  data::RowRef row;
  at::Tensor input;  // undefined for a bad row
  std::string error;
};

void checkOptions(const FeaturesOptions& o) {
  if (o.csv.empty()) throw ConfigError("--csv: the CSV of seeds is required");
  if (o.batchSize < 1) throw ConfigError("--batch-size must be >= 1, got " + std::to_string(o.batchSize));
  if (o.workers < -1)
    throw ConfigError("--workers must be >= 0 (or -1: automatic), got " + std::to_string(o.workers));
  for (int64_t s : o.spatialSize)
    if (s < 1 || s > 4096)
      throw ConfigError("--spatial-size values must lie in 1..4096, got " + std::to_string(s));
  if (o.device != "auto" && o.device != "cpu" && o.device != "cuda" && o.device != "gpu")
    throw ConfigError("--device must be auto, cpu or cuda, got '" + o.device + "'");
  if (o.cacheBytes < 0) throw ConfigError("the scan cache size must be >= 0");
  if (o.out.empty()) throw ConfigError("--out: no output file");
  std::error_code ec;
  if (fs::exists(o.out) && fs::exists(o.csv) && fs::equivalent(o.out, o.csv, ec))
    throw ConfigError("--out " + o.out + " is the input CSV; choose another file");
}

/// Seeds that are not numbers fail now under --strict, before any scan is read.
void checkSeeds(const data::CSVDataset& ds) {
  const io::CsvTable& t = *ds.table();
  const size_t cx = t.column("coordX"), cy = t.column("coordY"), cz = t.column("coordZ");
  for (int64_t i = 0; i < ds.size(); ++i) {
    const auto r = static_cast<size_t>(ds.row(i).index);
    for (size_t c : {cx, cy, cz}) t.number(r, c);
  }
}

}  // namespace

std::string missingWeightsMessage() {
  return "--weights is required: fmcib features needs the published FMCIB weights, model_weights.torch from "
         "Zenodo record 10528450 (https://zenodo.org/records/10528450; fmcib downloads nothing), e.g. "
         "--weights ./model_weights.torch; --weights random --seed S gives a seeded random-init trunk (a "
         "baseline)";
}

std::string defaultFeaturesOut(const std::string& csv) {
  return fs::path(csv).stem().string() + "_features.csv";
}

models::ResNetOptions publishedTrunkOptions() {
  models::ResNetOptions o = models::resnetPreset(50);
  o.nInputChannels = 1;
  o.widenFactor = 2.0;
  o.conv1TStride = {2, 2, 2};
  o.feedForward = false;
  o.biasDownsample = true;
  return o;
}

std::shared_ptr<models::Network> featureTrunk(const std::string& weights, uint64_t seed) {
  if (weights.empty()) throw ConfigError(missingWeightsMessage());
  const bool random = weights == kRandomWeights;
  if (!random && !fs::is_regular_file(weights))
    throw InputError("--weights " + weights +
                     ": no such file (the published weights are model_weights.torch, "
                     "Zenodo record 10528450)");
  const models::ResNetOptions ro = publishedTrunkOptions();
  if (random) torch::manual_seed(seed);
  auto model = std::make_shared<models::LoadModel>(std::make_shared<models::ResNet>(ro));
  if (random) {
    spdlog::warn("trunk: random initialization (seed {}): a baseline, not the FMCIB weights", seed);
    return model;
  }
  try {
    model->load(weights, /*strict=*/true);
  } catch (const InputError& e) {
    throw InputError(oneLine(e.what()));
  }
  return model;
}

FeaturesSummary extractFeatures(const FeaturesOptions& o, std::shared_ptr<models::Network> model) {
  checkOptions(o);
  const auto started = std::chrono::steady_clock::now();
  data::GetFeaturesTransformOptions to;
  to.spatialSize = o.spatialSize;
  to.precropped = o.precropped;
  to.cacheBytes = o.cacheBytes;
  data::CSVDatasetOptions dso;
  dso.src = o.csv;
  dso.transform = data::getFeaturesTransforms(to);
  dso.requiredColumns = data::getFeaturesColumns(o.precropped);
  auto dataset = std::make_shared<const data::CSVDataset>(dso);
  for (const auto& h : dataset->table()->header())
    if (h.rfind("pred_", 0) == 0)
      throw InputError(o.csv + ": already has a column '" + h +
                       "' (an output of fmcib features?); the "
                       "features would repeat its names");
  if (o.strict && !o.precropped) checkSeeds(*dataset);
  if (!model) model = featureTrunk(o.weights, o.seed);

  const DeviceChoice device = resolveDevice(o.device == "gpu" ? "cuda" : o.device, config::Value(int64_t{1}),
                                            config::Value("32-true"), 0, "--device");
  const bool gpu = device.device.is_cuda();
  const data::ThreadRequest request{data::availableCores(), 1, o.workers, data::torchThreadsFromEnv(), gpu};
  const data::ThreadPlan plan = data::planThreads(request);
  data::applyThreadPlan(plan);
  spdlog::info("{}", plan.summary(request));
  model->to(device.device);
  model->eval();
  torch::NoGradGuard noGrad;

  std::shared_ptr<const RowGuard> guard = o.strict ? nullptr : std::make_shared<const RowGuard>(dataset);
  data::DataLoaderOptions lo;
  lo.batchSize = 1;  // items one by one; the model batches below (bad rows drop out)
  lo.numWorkers = plan.loaderThreads;
  lo.prefetchFactor = std::max<int64_t>(2, 2 * o.batchSize);
  const data::DataLoader loader(guard ? std::static_pointer_cast<const data::Dataset>(guard) : dataset, lo);

  FeaturesSummary summary;
  summary.rows = dataset->size();
  summary.device = device.device.str();
  FeatureWriter writer(o.out, dataset->table()->header());
  ProgressReporter progress = ProgressReporter::forStderr(o.progress);
  progress.start("features", -1, summary.rows);
  std::vector<Pending> pending;
  int64_t okPending = 0, done = 0;

  // Forwards the pending rows that have inputs and writes every pending row, in input order.
  auto flush = [&] {
    std::vector<at::Tensor> features(pending.size());
    std::vector<bool> handled(pending.size(), false);
    int64_t width = writer.width();
    for (size_t i = 0; i < pending.size(); ++i) {
      if (!pending[i].input.defined() || handled[i]) continue;
      // One forward per input shape (precropped patches may differ); eval mode keeps rows independent.
      std::vector<size_t> group;
      std::vector<at::Tensor> inputs;
      for (size_t j = i; j < pending.size(); ++j)
        if (!handled[j] && pending[j].input.defined() &&
            pending[j].input.sizes() == pending[i].input.sizes()) {
          handled[j] = true;
          group.push_back(j);
          inputs.push_back(pending[j].input);
        }
      at::Tensor out = model->forward(torch::stack(inputs).to(device.device));
      out = out.to(at::kFloat).cpu().contiguous().view({static_cast<int64_t>(group.size()), -1});
      if (width >= 0 && out.size(1) != width)
        throw RuntimeError("the model gave " + std::to_string(out.size(1)) + " features after " +
                           std::to_string(width));
      width = out.size(1);
      for (size_t g = 0; g < group.size(); ++g) features[group[g]] = out[static_cast<int64_t>(g)];
    }
    if (width < 0) return;  // only bad rows so far: they wait for the width
    for (size_t i = 0; i < pending.size(); ++i) {
      writer.row(pending[i].row.values(), features[i].defined() ? features[i].data_ptr<float>() : nullptr,
                 width);
      progress.update(++done);
    }
    pending.clear();
    okPending = 0;
  };

  auto epoch = loader.epoch(0);
  int64_t next = 0;  // the sequential sampler hands rows in dataset order
  while (std::optional<data::Batch> batch = epoch->next()) {
    Pending p;
    p.index = next++;
    p.row = batch->rows.front();
    if (batch->input.isTensor()) {
      p.input = batch->input.tensor().select(0, 0);  // the loader's batch of one
      ++okPending;
    } else {
      p.error = guard->error(p.index);
      summary.problems.push_back(p.error);
      spdlog::warn("{}", p.error);
    }
    pending.push_back(std::move(p));
    if (okPending >= o.batchSize) flush();
  }
  flush();
  progress.finish();
  summary.failed = static_cast<int64_t>(summary.problems.size());
  if (writer.width() < 0)
    throw InputError(
        "no row of " + o.csv + " could be processed (" + std::to_string(summary.rows) +
        " rows); the first problem: " + (summary.problems.empty() ? "none" : summary.problems.front()));
  writer.commit();
  summary.width = writer.width();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace fmcib::engine
