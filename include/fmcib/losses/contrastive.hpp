#pragma once
/// The contrastive losses of FMCIB pre-training with explicitly mined negatives, exactly as the
/// reference Python (fmcib.ssl.losses): same formulas, same masks, same distributed behaviour.
/// With `gather_distributed`, embeddings are all-gathered with gradient (dist::allGatherCat) over
/// the communicator — by default the process communicator (dist::processCommunicator()), looked
/// up at each call so a launcher can install it after the config is built. `gather_backward`
/// picks the gather's backward: kOwn (lightly 1.4.19, the default: each rank's inputs get the
/// gradient of that rank's loss only, as the paper trained) or kAllReduce (lightly >= 1.5.4: the
/// gradient of the sum of every rank's loss).
#include <ATen/Tensor.h>

#include <cstdint>
#include <optional>

#include "fmcib/dist/all_gather.hpp"
#include "fmcib/dist/communicator.hpp"
#include "fmcib/losses/criterion.hpp"

namespace fmcib::losses {

/// NT-Xent where each anchor's negatives are the mined negatives of the other view:
/// logits row i of view 0 = [⟨p0_i, p1_i⟩, ⟨p0_i, n0_j⟩ for all j] / T (and symmetrically for view 1
/// with n1), cross-entropy with label 0, mean over the 2B rows. Gathered: candidates come from all
/// ranks and the positive is this rank's diagonal block (lightly's eye_rank).
class NTXentNegativeMinedLoss : public Criterion {
 public:
  /// ConfigError when |temperature| < 1e-8 (as the reference's ValueError).
  explicit NTXentNegativeMinedLoss(double temperature = 0.1, bool gatherDistributed = false,
                                   dist::CommunicatorPtr comm = nullptr,
                                   dist::GatherBackward gatherBackward = dist::GatherBackward::kOwn);
  std::string name() const override { return "fmcib.ssl.losses.NTXentNegativeMinedLoss"; }
  bool takesViews() const override { return true; }
  torch::Tensor forwardViews(const Embeddings& out) override;

 private:
  double temperature_;
  bool gatherDistributed_;
  dist::CommunicatorPtr comm_;
  dist::GatherBackward gatherBackward_;
};

/// SimCLR InfoNCE with mined negatives (VISSL-style masks). The embeddings cat(pos0, pos1, neg0,
/// neg1) ([4B, D], L2-normalized) are compared with the (gathered) buffer; for the 2B positive
/// rows, loss = -mean log(Σ_pos e^{s/T} / (Σ_pos e^{s/T} + Σ_neg e^{s/T})), where the positive of
/// pos0_i is pos1_i (and back) and the negatives are all negatives of all ranks except this rank's
/// neg0_i and neg1_i. `batch_size` is the per-view, per-rank batch (B); the masks are built once,
/// for this rank, on first use. `worldSize` kAutoWorldSize takes the communicator's size then.
class NegativeMiningInfoNCECriterion : public Criterion {
 public:
  static constexpr int64_t kAutoWorldSize = 0;

  NegativeMiningInfoNCECriterion(int64_t embeddingDim, int64_t batchSize, int64_t worldSize,
                                 bool gatherDistributed = false, double temperature = 0.1,
                                 dist::CommunicatorPtr comm = nullptr,
                                 dist::GatherBackward gatherBackward = dist::GatherBackward::kOwn);
  std::string name() const override { return "fmcib.ssl.losses.NegativeMiningInfoNCECriterion"; }
  bool takesViews() const override { return true; }
  torch::Tensor forwardViews(const Embeddings& out) override;

  /// The [4B, 4B·world] positive and negative masks for `rank` (float 0/1, as the reference).
  static std::pair<torch::Tensor, torch::Tensor> masks(int64_t batchSize, int64_t worldSize, int64_t rank);

 private:
  int64_t embeddingDim_, batchSize_, worldSize_;
  bool gatherDistributed_;
  double temperature_;
  dist::CommunicatorPtr comm_;
  dist::GatherBackward gatherBackward_;
  torch::Tensor posMask_, negMask_;
};

/// lightly's eye_rank: a [n, n·world] bool matrix, true at (i, rank·n + i).
torch::Tensor eyeRank(int64_t n, int64_t rank, int64_t worldSize);

}  // namespace fmcib::losses
