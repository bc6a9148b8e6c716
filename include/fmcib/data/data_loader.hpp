#pragma once
/// Batches from a dataset, loaded by `numWorkers` threads (0 = in the caller) with a bounded
/// prefetch queue, in the sampler's order.
///
/// Determinism: item `index` of epoch `e` is drawn with the generator seeded
/// `itemSeed(seed, e, index)`, whichever thread loads it, so the same seed gives the same batches
/// for any number of workers — and the same items in a world of N ranks as in one rank with N times
/// the batch. A worker's exception is rethrown, unchanged, by next() at the batch where it happened
/// (earlier batches are still delivered); the other workers stop; nothing hangs.
///
/// Unusable rows (UnusableRowError: a seed too far outside its scan): as lighter's
/// collate_replace_corrupted, the item is replaced by a row drawn at random from the dataset (from a
/// generator of the seed, epoch and index, so the same for any number of workers); the stand-in's
/// RowRef::standsInFor names the row it replaces. Each unusable row is logged once, as an error
/// naming file, row and line, and is not read again. InputError when no usable row is found.
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "fmcib/data/dataset.hpp"
#include "fmcib/data/sampler.hpp"

namespace fmcib::data {

struct DataLoaderOptions {
  int64_t batchSize = 1;
  bool shuffle = false;
  bool dropLast = false;
  int64_t numWorkers = 0;
  /// Batches each worker may have loaded ahead of the consumer.
  int64_t prefetchFactor = 2;
  uint64_t seed = 0;
};

/// The seed of item `index` in `epoch` (splitmix64 of the three).
uint64_t itemSeed(uint64_t seed, int64_t epoch, int64_t index);

class DataLoader {
 public:
  /// Without a sampler: sequential, or a RandomSampler(seed) when options.shuffle.
  DataLoader(DatasetPtr dataset, DataLoaderOptions options, SamplerPtr sampler = nullptr);

  /// Batches per epoch (`len(loader)`).
  int64_t size() const;
  const DataLoaderOptions& options() const { return options_; }
  const DatasetPtr& dataset() const { return dataset_; }
  /// The indices of each batch of `epoch`.
  std::vector<std::vector<int64_t>> batchIndices(int64_t epoch) const;
  /// Loads one batch synchronously (what a worker does).
  Batch loadBatch(const std::vector<int64_t>& indices, int64_t epoch) const;
  /// The rows found unusable so far (sorted).
  std::vector<int64_t> unusableRows() const;

  /// One pass over the data; workers start at once and are joined when the Epoch is destroyed.
  class Epoch {
   public:
    Epoch(const DataLoader& loader, int64_t epoch, int64_t skipBatches);
    ~Epoch();
    Epoch(const Epoch&) = delete;
    Epoch& operator=(const Epoch&) = delete;

    /// The next batch, or nullopt at the end. Rethrows a worker's exception.
    std::optional<Batch> next();
    /// Batches this epoch yields in all (after skipping).
    int64_t size() const { return static_cast<int64_t>(batches_.size()); }

   private:
    void work();
    void stop();
    const DataLoader& loader_;
    int64_t epoch_;
    std::vector<std::vector<int64_t>> batches_;
    size_t cursor_ = 0;
    // Worker state (numWorkers > 0).
    std::mutex mutex_;
    std::condition_variable ready_, space_;
    size_t nextClaim_ = 0;
    size_t capacity_ = 0;
    bool stopping_ = false;
    std::vector<std::optional<Batch>> results_;
    std::vector<std::exception_ptr> errors_;
    std::vector<std::thread> workers_;
  };

  /// Starts epoch `epoch`, skipping its first `skipBatches` batches (to resume mid-epoch).
  std::unique_ptr<Epoch> epoch(int64_t epoch, int64_t skipBatches = 0) const;

 private:
  Item loadItem(int64_t index, int64_t epoch) const;
  /// Records `index` as unusable; logs `why` the first time.
  void markUnusable(int64_t index, const std::string& why) const;
  bool isUnusable(int64_t index) const;

  struct Unusable {
    std::mutex mutex;
    std::set<int64_t> rows;
  };
  DatasetPtr dataset_;
  DataLoaderOptions options_;
  SamplerPtr sampler_;
  std::shared_ptr<Unusable> unusable_ = std::make_shared<Unusable>();
};

}  // namespace fmcib::data
