// DataLoader and samplers: deterministic batches for any number of workers, drop_last, shuffling,
// PyTorch's distributed sharding and padding, collate, and worker errors surfacing in the caller.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <numeric>
#include <set>

#include "fmcib/config/error.hpp"
#include "fmcib/data/data_loader.hpp"

using namespace fmcib;
using namespace fmcib::data;

namespace {

/// Item i: input {"positive": [[i, draw]], "negative": [[-i, draw]]}, target i. Fails at `failAt`.
class CountingDataset : public Dataset {
 public:
  explicit CountingDataset(int64_t n, int64_t failAt = -1) : n_(n), failAt_(failAt) {}
  int64_t size() const override { return n_; }
  Item get(int64_t index, Generator& gen) const override {
    ++calls;
    if (index == failAt_) throw InputError("rows.csv row " + std::to_string(index) + ": broken image");
    const double draw = static_cast<double>(gen() % 100000);
    Item item;
    item.input = Nested::dict({{"positive", Nested::list({Nested(torch::tensor({double(index), draw}))})},
                               {"negative", Nested::list({Nested(torch::tensor({-double(index), draw}))})}});
    item.target = Nested(torch::tensor(index));
    item.row.index = index;
    return item;
  }
  mutable std::atomic<int64_t> calls{0};

 private:
  int64_t n_, failAt_;
};

std::vector<Batch> all(const DataLoader& loader, int64_t epoch) {
  std::vector<Batch> out;
  auto e = loader.epoch(epoch);
  while (auto b = e->next()) out.push_back(std::move(*b));
  return out;
}

void expectSameBatches(const std::vector<Batch>& a, const std::vector<Batch>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].indices(), b[i].indices()) << "batch " << i;
    const auto la = a[i].input.leaves(), lb = b[i].input.leaves();
    ASSERT_EQ(la.size(), lb.size());
    for (size_t k = 0; k < la.size(); ++k) EXPECT_TRUE(torch::equal(la[k], lb[k])) << "batch " << i;
    EXPECT_TRUE(torch::equal(a[i].target.tensor(), b[i].target.tensor()));
  }
}

}  // namespace

TEST(DataLoader, SameSeedSameBatchesForAnyNumberOfWorkers) {
  auto ds = std::make_shared<CountingDataset>(23);
  DataLoaderOptions o;
  o.batchSize = 4;
  o.shuffle = true;
  o.seed = 42;
  std::vector<std::vector<Batch>> runs;
  for (int64_t workers : {0, 1, 3}) {
    o.numWorkers = workers;
    DataLoader loader(ds, o);
    EXPECT_EQ(loader.size(), 6);
    runs.push_back(all(loader, 2));
  }
  expectSameBatches(runs[0], runs[1]);
  expectSameBatches(runs[0], runs[2]);
  // Collated shapes: [B, 2] leaves, [B] targets, last batch partial.
  EXPECT_EQ(runs[0][0].input.describe(), "{positive: [[4, 2]], negative: [[4, 2]]}");
  EXPECT_EQ(runs[0].back().size(), 3);
  // Another epoch reshuffles and redraws.
  o.numWorkers = 0;
  const auto other = all(DataLoader(ds, o), 3);
  EXPECT_NE(other[0].indices(), runs[0][0].indices());
}

TEST(DataLoader, ShuffleIsAPermutationAndDropLastDrops) {
  auto ds = std::make_shared<CountingDataset>(10);
  DataLoaderOptions o;
  o.batchSize = 3;
  o.shuffle = true;
  o.seed = 7;
  std::vector<int64_t> seen;
  for (const auto& b : all(DataLoader(ds, o), 0))
    for (int64_t i : b.indices()) seen.push_back(i);
  EXPECT_NE(seen, [] {
    std::vector<int64_t> v(10);
    std::iota(v.begin(), v.end(), 0);
    return v;
  }());
  std::sort(seen.begin(), seen.end());
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(seen[static_cast<size_t>(i)], i);
  o.dropLast = true;
  DataLoader dropping(ds, o);
  EXPECT_EQ(dropping.size(), 3);
  const auto batches = all(dropping, 0);
  ASSERT_EQ(batches.size(), 3u);
  for (const auto& b : batches) EXPECT_EQ(b.size(), 3);
  o.shuffle = false;
  const auto ordered = all(DataLoader(ds, o), 5);
  EXPECT_EQ(ordered[1].indices(), (std::vector<int64_t>{3, 4, 5}));
}

TEST(DataLoader, ShuffledOrderIsTorchRandperm) {
  // torch.randperm(8, generator=torch.Generator().manual_seed(3)) in PyTorch 1.13.
  at::Generator gen = at::detail::createCPUGenerator(3);
  const at::Tensor expected = torch::randperm(8, gen, torch::kInt64);
  const auto got = randperm(8, 3);
  for (int64_t i = 0; i < 8; ++i) EXPECT_EQ(got[static_cast<size_t>(i)], expected[i].item<int64_t>());
}

TEST(DistributedSampler, ShardsAreDisjointAndCoverTheData) {
  for (int64_t n : {10, 12, 7}) {
    for (int64_t world : {1, 2, 3, 4}) {
      std::multiset<int64_t> covered;
      for (int64_t rank = 0; rank < world; ++rank) {
        DistributedSampler s(n, world, rank, true, 5);
        const auto mine = s.indices(1);
        EXPECT_EQ(static_cast<int64_t>(mine.size()), (n + world - 1) / world);
        EXPECT_EQ(static_cast<int64_t>(mine.size()), s.size());
        covered.insert(mine.begin(), mine.end());
      }
      // Every index at least once; only the padding (total - n) repeats.
      for (int64_t i = 0; i < n; ++i) EXPECT_GE(covered.count(i), 1u) << n << "/" << world;
      EXPECT_EQ(static_cast<int64_t>(covered.size()), ((n + world - 1) / world) * world);
      std::set<int64_t> unique(covered.begin(), covered.end());
      EXPECT_EQ(static_cast<int64_t>(unique.size()), n);
    }
  }
}

TEST(DistributedSampler, PadsAndDropsLikePyTorch) {
  // n = 10, world 3, no shuffle: indices 0..9 + pad [0, 1] → rank r takes r, r+3, ...
  EXPECT_EQ(DistributedSampler(10, 3, 0, false).indices(0), (std::vector<int64_t>{0, 3, 6, 9}));
  EXPECT_EQ(DistributedSampler(10, 3, 1, false).indices(0), (std::vector<int64_t>{1, 4, 7, 0}));
  EXPECT_EQ(DistributedSampler(10, 3, 2, false).indices(0), (std::vector<int64_t>{2, 5, 8, 1}));
  // drop_last: num_samples = ceil((10 - 3) / 3) = 3, total 9.
  EXPECT_EQ(DistributedSampler(10, 3, 2, false, 0, true).indices(0), (std::vector<int64_t>{2, 5, 8}));
  // Padding longer than the data repeats it: n = 2, world 5.
  EXPECT_EQ(DistributedSampler(2, 5, 4, false).indices(0), (std::vector<int64_t>{0}));
  EXPECT_EQ(DistributedSampler(2, 5, 3, false).indices(0), (std::vector<int64_t>{1}));
  // Epochs reshuffle; the same epoch reproduces.
  DistributedSampler s(50, 2, 1, true, 9);
  EXPECT_EQ(s.indices(4), s.indices(4));
  EXPECT_NE(s.indices(4), s.indices(5));
  EXPECT_THROW(DistributedSampler(5, 2, 2), RuntimeError);
}

TEST(DataLoader, DistributedRanksTogetherEqualOneRankWithTheWorldBatch) {
  // Item draws depend on (seed, epoch, index), so 2 ranks of batch 2 load exactly the items one
  // rank of batch 4 loads from the same permutation.
  auto ds = std::make_shared<CountingDataset>(16);
  DataLoaderOptions o;
  o.batchSize = 2;
  o.seed = 11;
  std::vector<Batch> ranks[2];
  for (int64_t r = 0; r < 2; ++r)
    ranks[r] = all(DataLoader(ds, o, std::make_shared<DistributedSampler>(16, 2, r, true, 11)), 1);
  o.batchSize = 4;
  const auto single = all(DataLoader(ds, o, std::make_shared<DistributedSampler>(16, 1, 0, true, 11)), 1);
  ASSERT_EQ(single.size(), ranks[0].size());
  for (size_t b = 0; b < single.size(); ++b) {
    const at::Tensor together = torch::cat(
        {ranks[0][b].input.at("positive").at(0).tensor(), ranks[1][b].input.at("positive").at(0).tensor()});
    const at::Tensor one = single[b].input.at("positive").at(0).tensor();
    // Same rows (rank r holds permutation positions r, r + 2, ...), same draws.
    auto key = [](const at::Tensor& t) {
      std::set<std::pair<double, double>> s;
      for (int64_t i = 0; i < t.size(0); ++i) s.insert({t[i][0].item<double>(), t[i][1].item<double>()});
      return s;
    };
    EXPECT_EQ(key(together), key(one)) << "batch " << b;
  }
}

TEST(DataLoader, WorkerErrorsSurfaceInTheCallerWithTheirMessage) {
  for (int64_t workers : {0, 1, 3}) {
    auto ds = std::make_shared<CountingDataset>(40, 13);
    DataLoaderOptions o;
    o.batchSize = 4;
    o.numWorkers = workers;
    DataLoader loader(ds, o);
    auto epoch = loader.epoch(0);
    int delivered = 0;
    try {
      while (epoch->next()) ++delivered;
      FAIL() << "no error";
    } catch (const InputError& e) {
      EXPECT_STREQ(e.what(), "rows.csv row 13: broken image");
    }
    EXPECT_EQ(delivered, 3) << workers << " workers";  // batches 0-2 come first, batch 3 holds row 13
    EXPECT_FALSE(epoch->next().has_value());
  }
}

TEST(DataLoader, PrefetchIsBoundedAndAbandonedEpochsJoin) {
  auto ds = std::make_shared<CountingDataset>(200);
  DataLoaderOptions o;
  o.batchSize = 2;
  o.numWorkers = 2;
  o.prefetchFactor = 2;
  DataLoader loader(ds, o);
  {
    auto epoch = loader.epoch(0);
    ASSERT_TRUE(epoch->next().has_value());
    // Workers may run ahead by at most numWorkers · prefetchFactor batches; give them time to try.
    for (int i = 0; i < 200 && ds->calls < 2 * (1 + 4); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_LE(ds->calls.load(), 2 * (1 + 4));
  }  // destroyed mid-epoch: must join without hanging
  EXPECT_LE(ds->calls.load(), 2 * (1 + 4));
  auto resumed = loader.epoch(0, 98);
  EXPECT_EQ(resumed->size(), 2);
  EXPECT_EQ(resumed->next()->indices(), (std::vector<int64_t>{196, 197}));
}

TEST(Collate, MismatchedShapesNameTheLeafAndRows) {
  std::vector<Item> items(2);
  items[0].input = Nested::dict({{"positive", Nested::list({Nested(torch::zeros({1, 50, 50, 50}))})}});
  items[1].input = Nested::dict({{"positive", Nested::list({Nested(torch::zeros({1, 50, 50, 31}))})}});
  items[0].row.index = 4;
  items[1].row.index = 9;
  try {
    collate(items);
    FAIL() << "no error";
  } catch (const RuntimeError& e) {
    EXPECT_STREQ(
        e.what(),
        "cannot collate input#positive#0: item 0 has shape [1, 50, 50, 50], item 1 has [1, 50, 50, 31] "
        "(patches cut at a scan border are smaller; a SpatialPad transform makes them equal) (rows 4, 9)");
  }
  items[1].input = Nested(torch::zeros({2}));
  EXPECT_THROW(collate(items), RuntimeError);
}

namespace {

/// CountingDataset whose rows in `bad` are unusable (a seed too far outside its scan).
class WithUnusableRows : public Dataset {
 public:
  WithUnusableRows(int64_t n, std::set<int64_t> bad) : base_(n), bad_(std::move(bad)) {}
  int64_t size() const override { return base_.size(); }
  Item get(int64_t index, Generator& gen) const override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++reads[index];
    }
    if (bad_.count(index))
      throw UnusableRowError("rows.csv row " + std::to_string(index) + ": seed too far outside");
    return base_.get(index, gen);
  }
  mutable std::map<int64_t, int> reads;

 private:
  mutable std::mutex mutex_;
  CountingDataset base_;
  std::set<int64_t> bad_;
};

}  // namespace

TEST(DataLoader, UnusableRowsAreReplacedByAnotherRowAndReadOnce) {
  auto ds = std::make_shared<WithUnusableRows>(12, std::set<int64_t>{3, 7});
  DataLoaderOptions o;
  o.batchSize = 4;
  o.seed = 9;
  DataLoader loader(ds, o);
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    const std::vector<Batch> batches = all(loader, epoch);
    ASSERT_EQ(batches.size(), 3u);
    for (const Batch& b : batches) {
      ASSERT_EQ(b.size(), 4);  // full batches: the stand-ins fill the places of rows 3 and 7
      for (const RowRef& r : b.rows) {
        EXPECT_NE(r.index, 3);
        EXPECT_NE(r.index, 7);
        if (r.standsInFor >= 0) {
          EXPECT_TRUE(r.standsInFor == 3 || r.standsInFor == 7) << r.standsInFor;
        }
      }
    }
    EXPECT_EQ(batches[0].rows[3].standsInFor, 3);
    EXPECT_EQ(batches[1].rows[3].standsInFor, 7);
  }
  EXPECT_EQ(ds->reads[3], 1);  // known unusable rows are not read again
  EXPECT_EQ(ds->reads[7], 1);
  EXPECT_EQ(loader.unusableRows(), (std::vector<int64_t>{3, 7}));
  // Deterministic: the same stand-ins for any number of workers.
  o.numWorkers = 3;
  DataLoader threaded(std::make_shared<WithUnusableRows>(12, std::set<int64_t>{3, 7}), o);
  expectSameBatches(all(threaded, 1), all(loader, 1));
}

TEST(DataLoader, NoUsableRowIsABoundedError) {
  std::set<int64_t> every;
  for (int64_t i = 0; i < 5; ++i) every.insert(i);
  DataLoaderOptions o;
  o.batchSize = 2;
  DataLoader loader(std::make_shared<WithUnusableRows>(5, every), o);
  auto epoch = loader.epoch(0);
  try {
    epoch->next();
    FAIL() << "no error";
  } catch (const UnusableRowError&) {
    FAIL() << "the loader must report that no row is usable, not one row";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("5 of the dataset's 5 rows are unusable"), std::string::npos)
        << e.what();
  }
}
