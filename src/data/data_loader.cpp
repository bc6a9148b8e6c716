#include "fmcib/data/data_loader.hpp"

#include <spdlog/spdlog.h>

#include "fmcib/config/error.hpp"
#include "fmcib/data/stage_timer.hpp"
#include "fmcib/data/thread_plan.hpp"

namespace fmcib::data {

namespace {
uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
}  // namespace

uint64_t itemSeed(uint64_t seed, int64_t epoch, int64_t index) {
  return splitmix64(splitmix64(splitmix64(seed) ^ static_cast<uint64_t>(epoch)) ^
                    static_cast<uint64_t>(index));
}

DataLoader::DataLoader(DatasetPtr dataset, DataLoaderOptions options, SamplerPtr sampler)
    : dataset_(std::move(dataset)), options_(options), sampler_(std::move(sampler)) {
  if (!dataset_) throw RuntimeError("DataLoader needs a dataset");
  if (options_.batchSize < 1)
    throw ConfigError("batch_size must be ≥ 1, got " + std::to_string(options_.batchSize));
  if (options_.numWorkers < 0)
    throw ConfigError("num_workers must be ≥ 0, got " + std::to_string(options_.numWorkers));
  if (options_.prefetchFactor < 1)
    throw ConfigError("prefetch_factor must be ≥ 1, got " + std::to_string(options_.prefetchFactor));
  if (!sampler_) {
    if (options_.shuffle)
      sampler_ = std::make_shared<RandomSampler>(dataset_->size(), options_.seed);
    else
      sampler_ = std::make_shared<SequentialSampler>(dataset_->size());
  }
}

int64_t DataLoader::size() const {
  const int64_t n = sampler_->size(), b = options_.batchSize;
  return options_.dropLast ? n / b : (n + b - 1) / b;
}

std::vector<std::vector<int64_t>> DataLoader::batchIndices(int64_t epoch) const {
  const std::vector<int64_t> order = sampler_->indices(epoch);
  std::vector<std::vector<int64_t>> batches;
  const size_t b = static_cast<size_t>(options_.batchSize);
  for (size_t start = 0; start < order.size(); start += b) {
    const size_t end = std::min(order.size(), start + b);
    if (end - start < b && options_.dropLast) break;
    batches.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(start),
                         order.begin() + static_cast<std::ptrdiff_t>(end));
  }
  return batches;
}

void DataLoader::markUnusable(int64_t index, const std::string& why) const {
  {
    std::lock_guard<std::mutex> lock(unusable_->mutex);
    if (!unusable_->rows.insert(index).second) return;
  }
  spdlog::error(
      "{} — the row is skipped: another row of the dataset takes its place in the batch "
      "(predict writes no row for it); fmcib check-data lists such rows",
      why);
}

bool DataLoader::isUnusable(int64_t index) const {
  std::lock_guard<std::mutex> lock(unusable_->mutex);
  return unusable_->rows.count(index) > 0;
}

std::vector<int64_t> DataLoader::unusableRows() const {
  std::lock_guard<std::mutex> lock(unusable_->mutex);
  return {unusable_->rows.begin(), unusable_->rows.end()};
}

Item DataLoader::loadItem(int64_t index, int64_t epoch) const {
  if (!isUnusable(index)) {
    Generator gen(itemSeed(options_.seed, epoch, index));
    try {
      return dataset_->get(index, gen);
    } catch (const UnusableRowError& e) {
      markUnusable(index, e.what());
    }
  }
  // Stand-ins draw from their own stream (the row's own stream stays that of its own slot).
  Generator pick(itemSeed(options_.seed ^ 0x5DEECE66DULL, epoch, index));
  const int64_t n = dataset_->size();
  // Known-unusable draws cost nothing; the bound only stops a data set with (almost) no good row.
  const int64_t maxDraws = 64 + 16 * n;
  for (int64_t draw = 0; draw < maxDraws; ++draw) {
    const int64_t candidate = uniformInt(pick, 0, n - 1);
    Generator gen(pick());
    if (isUnusable(candidate)) {
      if (static_cast<int64_t>(unusableRows().size()) >= n) break;
      continue;
    }
    try {
      Item item = dataset_->get(candidate, gen);
      item.row.standsInFor = index;
      return item;
    } catch (const UnusableRowError& e) {
      markUnusable(candidate, e.what());
    }
  }
  const std::vector<int64_t> bad = unusableRows();
  throw InputError("no usable row to stand in for unusable row " + std::to_string(index) + ": " +
                   std::to_string(bad.size()) + " of the dataset's " + std::to_string(n) +
                   " rows are unusable (run fmcib check-data)");
}

Batch DataLoader::loadBatch(const std::vector<int64_t>& indices, int64_t epoch) const {
  std::vector<Item> items;
  items.reserve(indices.size());
  for (int64_t index : indices) items.push_back(loadItem(index, epoch));
  ScopedStage timer(Stage::kCollate);
  return collate(items);
}

std::unique_ptr<DataLoader::Epoch> DataLoader::epoch(int64_t epoch, int64_t skipBatches) const {
  return std::make_unique<Epoch>(*this, epoch, skipBatches);
}

DataLoader::Epoch::Epoch(const DataLoader& loader, int64_t epoch, int64_t skipBatches)
    : loader_(loader), epoch_(epoch), batches_(loader.batchIndices(epoch)) {
  if (skipBatches > 0)
    batches_.erase(batches_.begin(),
                   batches_.begin() +
                       std::min<std::ptrdiff_t>(skipBatches, static_cast<std::ptrdiff_t>(batches_.size())));
  const int64_t workers = loader.options_.numWorkers;
  if (workers == 0 || batches_.empty()) return;
  capacity_ = static_cast<size_t>(workers * loader.options_.prefetchFactor);
  results_.resize(batches_.size());
  errors_.resize(batches_.size());
  for (int64_t w = 0; w < std::min<int64_t>(workers, static_cast<int64_t>(batches_.size())); ++w)
    workers_.emplace_back([this] { work(); });
}

DataLoader::Epoch::~Epoch() {
  stop();
}

void DataLoader::Epoch::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  space_.notify_all();
  for (auto& t : workers_)
    if (t.joinable()) t.join();
  workers_.clear();
}

void DataLoader::Epoch::work() {
  // Loader threads are counted in the thread plan; torch ops they run stay on them.
  setThreadLocalIntraOpThreads(1);
  for (;;) {
    size_t b;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      // Claims are handed out in batch order, so every batch before a claimed one is claimed too.
      space_.wait(lock, [&] {
        return stopping_ || nextClaim_ >= batches_.size() || nextClaim_ < cursor_ + capacity_;
      });
      if (stopping_ || nextClaim_ >= batches_.size()) return;
      b = nextClaim_++;
    }
    std::optional<Batch> batch;
    std::exception_ptr error;
    try {
      batch = loader_.loadBatch(batches_[b], epoch_);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (error) {
        errors_[b] = error;
        stopping_ = true;  // claim nothing more; batches before b are already claimed
      } else {
        results_[b] = std::move(batch);
      }
    }
    ready_.notify_all();
    if (error) {
      space_.notify_all();
      return;
    }
  }
}

std::optional<Batch> DataLoader::Epoch::next() {
  if (cursor_ >= batches_.size()) return std::nullopt;
  if (workers_.empty() && loader_.options_.numWorkers == 0) {
    const size_t b = cursor_++;
    try {
      return loader_.loadBatch(batches_[b], epoch_);
    } catch (...) {
      cursor_ = batches_.size();  // an error ends the epoch, as with workers
      throw;
    }
  }
  std::unique_lock<std::mutex> lock(mutex_);
  ready_.wait(lock, [&] {
    return results_[cursor_].has_value() || errors_[cursor_] || (stopping_ && cursor_ >= nextClaim_);
  });
  if (errors_[cursor_] || !results_[cursor_]) {
    std::exception_ptr error = errors_[cursor_];
    if (!error)  // stopped before this batch was claimed: report the first error there is
      for (const auto& e : errors_)
        if (e) {
          error = e;
          break;
        }
    lock.unlock();
    stop();
    cursor_ = batches_.size();
    if (error) std::rethrow_exception(error);
    throw RuntimeError("data loading stopped");
  }
  Batch batch = std::move(*results_[cursor_]);
  results_[cursor_].reset();
  ++cursor_;
  lock.unlock();
  space_.notify_all();
  return batch;
}

}  // namespace fmcib::data
