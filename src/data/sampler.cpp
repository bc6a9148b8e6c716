#include "fmcib/data/sampler.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <numeric>

#include "fmcib/config/error.hpp"

namespace fmcib::data {

std::vector<int64_t> randperm(int64_t n, uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  at::Tensor perm = torch::randperm(n, gen, torch::kInt64);
  const int64_t* p = perm.data_ptr<int64_t>();
  return std::vector<int64_t>(p, p + n);
}

SequentialSampler::SequentialSampler(int64_t n) : n_(n) {
  if (n < 0) throw RuntimeError("SequentialSampler: negative size " + std::to_string(n));
}

std::vector<int64_t> SequentialSampler::indices(int64_t) const {
  std::vector<int64_t> out(static_cast<size_t>(n_));
  std::iota(out.begin(), out.end(), 0);
  return out;
}

RandomSampler::RandomSampler(int64_t n, uint64_t seed) : n_(n), seed_(seed) {
  if (n < 0) throw RuntimeError("RandomSampler: negative size " + std::to_string(n));
}

std::vector<int64_t> RandomSampler::indices(int64_t epoch) const {
  return randperm(n_, seed_ + static_cast<uint64_t>(epoch));
}

DistributedSampler::DistributedSampler(int64_t n, int64_t worldSize, int64_t rank, bool shuffle,
                                       uint64_t seed, bool dropLast)
    : n_(n), worldSize_(worldSize), rank_(rank), shuffle_(shuffle), seed_(seed), dropLast_(dropLast) {
  if (worldSize < 1)
    throw RuntimeError("DistributedSampler: world size must be ≥ 1, got " + std::to_string(worldSize));
  if (rank < 0 || rank >= worldSize)
    throw RuntimeError("DistributedSampler: rank " + std::to_string(rank) + " outside [0, " +
                       std::to_string(worldSize - 1) + "]");
  if (n < 0) throw RuntimeError("DistributedSampler: negative size " + std::to_string(n));
  // As torch.utils.data.DistributedSampler computes num_samples.
  if (dropLast_ && n_ % worldSize_ != 0)
    perRank_ = (n_ - worldSize_ + worldSize_ - 1) / worldSize_;  // ceil((n - world) / world)
  else
    perRank_ = (n_ + worldSize_ - 1) / worldSize_;
  if (perRank_ < 0) perRank_ = 0;
}

std::vector<int64_t> DistributedSampler::indices(int64_t epoch) const {
  std::vector<int64_t> all;
  if (shuffle_) {
    all = randperm(n_, seed_ + static_cast<uint64_t>(epoch));
  } else {
    all.resize(static_cast<size_t>(n_));
    std::iota(all.begin(), all.end(), 0);
  }
  const size_t total = static_cast<size_t>(perRank_ * worldSize_);
  if (!dropLast_ && !all.empty()) {
    // Pad by repeating the permutation's start until every rank has perRank_ indices.
    const size_t original = all.size();
    for (size_t i = 0; all.size() < total; ++i) all.push_back(all[i % original]);
  } else {
    all.resize(std::min(all.size(), total));
  }
  std::vector<int64_t> mine;
  for (size_t i = static_cast<size_t>(rank_); i < all.size() && i < total;
       i += static_cast<size_t>(worldSize_))
    mine.push_back(all[i]);
  return mine;
}

}  // namespace fmcib::data
