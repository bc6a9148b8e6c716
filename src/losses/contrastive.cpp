#include "fmcib/losses/contrastive.hpp"

#include <torch/torch.h>

#include <cmath>
#include <sstream>

#include "fmcib/config/error.hpp"

namespace fmcib::losses {

namespace {

namespace F = torch::nn::functional;

/// The two tensors of `out[key]`, with a clear error for a malformed dict.
std::pair<torch::Tensor, torch::Tensor> pairOf(const Embeddings& out, const std::string& key,
                                               const std::string& who) {
  auto it = out.find(key);
  if (it == out.end())
    throw InputError(who + ": the model output has no '" + key +
                     "' views (SSL losses need {positive: [a, b], negative: [c, d]}; is the dataset "
                     "built with negatives?)");
  if (it->second.size() != 2)
    throw InputError(who + ": '" + key + "' must hold 2 views, got " + std::to_string(it->second.size()));
  return {it->second[0], it->second[1]};
}

torch::Tensor l2normalize(const torch::Tensor& x) {
  return F::normalize(x, F::NormalizeFuncOptions().dim(1));
}

dist::CommunicatorPtr commOr(const dist::CommunicatorPtr& c) {
  return c ? c : dist::processCommunicator();
}

}  // namespace

torch::Tensor eyeRank(int64_t n, int64_t rank, int64_t worldSize) {
  torch::Tensor mask = torch::zeros({n, n * worldSize}, torch::kBool);
  mask.slice(1, rank * n, (rank + 1) * n).copy_(torch::eye(n, torch::kBool));
  return mask;
}

// ---- NTXentNegativeMinedLoss ------------------------------------------------------------------

NTXentNegativeMinedLoss::NTXentNegativeMinedLoss(double temperature, bool gatherDistributed,
                                                 dist::CommunicatorPtr comm,
                                                 dist::GatherBackward gatherBackward)
    : temperature_(temperature),
      gatherDistributed_(gatherDistributed),
      comm_(std::move(comm)),
      gatherBackward_(gatherBackward) {
  if (std::abs(temperature_) < 1e-8)
    throw ConfigError("NTXentNegativeMinedLoss: illegal temperature abs(" + std::to_string(temperature_) +
                      ") < 1e-8");
}

torch::Tensor NTXentNegativeMinedLoss::forwardViews(const Embeddings& out) {
  auto [p0raw, p1raw] = pairOf(out, "positive", name());
  auto [n0raw, n1raw] = pairOf(out, "negative", name());
  const int64_t batch = p0raw.size(0);
  torch::Tensor pos0 = l2normalize(p0raw), pos1 = l2normalize(p1raw);
  torch::Tensor neg0 = l2normalize(n0raw), neg1 = l2normalize(n1raw);

  torch::Tensor pos0Large = pos0, pos1Large = pos1, neg0Large = neg0, neg1Large = neg1, diag;
  dist::CommunicatorPtr comm = commOr(comm_);
  if (gatherDistributed_ && comm->worldSize() > 1) {
    pos0Large = dist::allGatherCat(pos0, comm, gatherBackward_);
    pos1Large = dist::allGatherCat(pos1, comm, gatherBackward_);
    neg0Large = dist::allGatherCat(neg0, comm, gatherBackward_);
    neg1Large = dist::allGatherCat(neg1, comm, gatherBackward_);
    diag = eyeRank(batch, comm->rank(), comm->worldSize()).to(pos0.device());
  } else {
    diag = torch::eye(batch, torch::TensorOptions().dtype(torch::kBool).device(pos0.device()));
  }

  // einsum("nc,mc->nm", a, b) / T
  auto sim = [&](const torch::Tensor& a, const torch::Tensor& b) {
    return torch::mm(a, b.t()) / temperature_;
  };
  torch::Tensor logits00 = sim(pos0, neg0Large);
  torch::Tensor logits01 = sim(pos0, pos1Large).masked_select(diag).view({batch, -1});
  torch::Tensor logits10 = sim(pos1, pos0Large).masked_select(diag).view({batch, -1});
  torch::Tensor logits11 = sim(pos1, neg1Large);

  torch::Tensor logits =
      torch::cat({torch::cat({logits01, logits00}, 1), torch::cat({logits10, logits11}, 1)}, 0);
  torch::Tensor labels =
      torch::zeros({logits.size(0)}, torch::TensorOptions().dtype(torch::kLong).device(logits.device()));
  return F::cross_entropy(logits, labels);
}

// ---- NegativeMiningInfoNCECriterion -----------------------------------------------------------

NegativeMiningInfoNCECriterion::NegativeMiningInfoNCECriterion(int64_t embeddingDim, int64_t batchSize,
                                                               int64_t worldSize, bool gatherDistributed,
                                                               double temperature, dist::CommunicatorPtr comm,
                                                               dist::GatherBackward gatherBackward)
    : embeddingDim_(embeddingDim),
      batchSize_(batchSize),
      worldSize_(worldSize),
      gatherDistributed_(gatherDistributed),
      temperature_(temperature),
      comm_(std::move(comm)),
      gatherBackward_(gatherBackward) {
  if (embeddingDim_ < 1 || batchSize_ < 1 || (worldSize_ < 1 && worldSize_ != kAutoWorldSize))
    throw ConfigError(
        "NegativeMiningInfoNCECriterion: embedding_dim, batch_size and world_size must be >= 1");
}

std::pair<torch::Tensor, torch::Tensor> NegativeMiningInfoNCECriterion::masks(int64_t batchSize,
                                                                              int64_t worldSize,
                                                                              int64_t rank) {
  // Layout of the gathered buffer: per rank r a block of 4B rows [pos0 | pos1 | neg0 | neg1] at
  // r·4B. Rows of the masks: this rank's pos0 (0..B), pos1 (B..2B), then its negatives (unused).
  const int64_t b = batchSize, total = 4 * b * worldSize;
  torch::Tensor pos = torch::zeros({4 * b, total});
  torch::Tensor neg = torch::zeros({4 * b, total});
  auto p = pos.accessor<float, 2>();
  auto n = neg.accessor<float, 2>();
  for (int64_t anchor = 0; anchor < 2; ++anchor) {
    for (int64_t i = 0; i < b; ++i) {
      const int64_t row = anchor * b + i;
      // Every negative of every rank, except this rank's neg0_i and neg1_i (the negatives mined
      // for this very sample).
      for (int64_t r = 0; r < worldSize; ++r)
        for (int64_t j = 0; j < 2 * b; ++j)
          if (!(r == rank && (j == i || j == i + b))) n[row][r * 4 * b + 2 * b + j] = 1.0f;
      // The other view of the same sample, in this rank's block.
      p[row][4 * b * rank + (1 - anchor) * b + i] = 1.0f;
    }
  }
  return {pos, neg};
}

torch::Tensor NegativeMiningInfoNCECriterion::forwardViews(const Embeddings& out) {
  dist::CommunicatorPtr comm = commOr(comm_);
  if (!posMask_.defined()) {
    if (worldSize_ == kAutoWorldSize) worldSize_ = comm->worldSize();
    if (comm->rank() >= worldSize_)
      throw ConfigError(name() + ": rank " + std::to_string(comm->rank()) + " is outside world_size " +
                        std::to_string(worldSize_));
    std::tie(posMask_, negMask_) = masks(batchSize_, worldSize_, comm->rank());
  }
  auto [pos0, pos1] = pairOf(out, "positive", name());
  auto [neg0, neg1] = pairOf(out, "negative", name());
  torch::Tensor embedding = torch::cat({pos0, pos1, neg0, neg1}, 0);
  embedding = l2normalize(embedding);
  if (embedding.dim() != 2 || embedding.size(1) != embeddingDim_)
    throw InputError(name() + ": embeddings are " + std::to_string(embedding.size(-1)) +
                     "-d but embedding_dim is " + std::to_string(embeddingDim_));
  const int64_t rows = embedding.size(0);
  if (rows != posMask_.size(0)) {
    std::ostringstream os;
    os << name() << ": got 4 x " << rows / 4 << " embeddings but batch_size is " << batchSize_
       << " (the masks need full batches: set drop_last_batch: true)";
    throw InputError(os.str());
  }

  torch::Tensor buffer =
      gatherDistributed_ ? dist::allGatherCat(embedding, comm, gatherBackward_) : embedding;
  if (buffer.size(0) != posMask_.size(1)) {
    std::ostringstream os;
    os << name() << ": the embedding buffer has " << buffer.size(0) << " rows but world_size " << worldSize_
       << " needs " << posMask_.size(1)
       << " (world_size must be the number of ranks, with gather_distributed: "
       << (worldSize_ > 1 ? "true" : "false or world_size 1") << ")";
    throw InputError(os.str());
  }
  if (posMask_.device() != embedding.device()) {
    posMask_ = posMask_.to(embedding.device());
    negMask_ = negMask_.to(embedding.device());
  }

  torch::Tensor similarity = torch::exp(torch::mm(embedding, buffer.t()) / temperature_);
  torch::Tensor pos = torch::sum(similarity * posMask_, 1);
  torch::Tensor neg = torch::sum(similarity * negMask_, 1);
  // Only the positive rows are anchors.
  pos = pos.slice(0, 0, rows / 2);
  neg = neg.slice(0, 0, rows / 2);
  return -torch::mean(torch::log(pos / (pos + neg)));
}

}  // namespace fmcib::losses
