#pragma once
/// Samplers: which dataset indices an epoch visits, in order, on this rank. They are stateless —
/// the epoch is an argument — so the loader reseeds every epoch (PyTorch's `set_epoch`) simply by
/// passing it, and a resumed run gets the same order back.
///
/// Shuffled orders are `torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch))`,
/// the same permutation PyTorch's DistributedSampler draws.
#include <cstdint>
#include <memory>
#include <vector>

namespace fmcib::data {

class Sampler {
 public:
  virtual ~Sampler() = default;
  /// This rank's indices for `epoch`, in visiting order.
  virtual std::vector<int64_t> indices(int64_t epoch) const = 0;
  /// How many indices indices() returns.
  virtual int64_t size() const = 0;
};

using SamplerPtr = std::shared_ptr<const Sampler>;

/// 0, 1, ..., n - 1.
class SequentialSampler : public Sampler {
 public:
  explicit SequentialSampler(int64_t n);
  std::vector<int64_t> indices(int64_t epoch) const override;
  int64_t size() const override { return n_; }

 private:
  int64_t n_;
};

/// A fresh permutation of 0..n-1 every epoch.
class RandomSampler : public Sampler {
 public:
  RandomSampler(int64_t n, uint64_t seed);
  std::vector<int64_t> indices(int64_t epoch) const override;
  int64_t size() const override { return n_; }

 private:
  int64_t n_;
  uint64_t seed_;
};

/// PyTorch's DistributedSampler: every rank sees ceil(n / world) indices (the permutation padded by
/// repeating its start), or floor(n / world) with dropLast, and rank r takes positions r, r + world, ...
class DistributedSampler : public Sampler {
 public:
  DistributedSampler(int64_t n, int64_t worldSize, int64_t rank, bool shuffle = true, uint64_t seed = 0,
                     bool dropLast = false);
  std::vector<int64_t> indices(int64_t epoch) const override;
  int64_t size() const override { return perRank_; }
  int64_t worldSize() const { return worldSize_; }
  int64_t rank() const { return rank_; }

 private:
  int64_t n_, worldSize_, rank_;
  bool shuffle_;
  uint64_t seed_;
  bool dropLast_;
  int64_t perRank_;
};

/// torch.randperm(n) with a generator seeded `seed`.
std::vector<int64_t> randperm(int64_t n, uint64_t seed);

}  // namespace fmcib::data
