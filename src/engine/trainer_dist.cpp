// The trainer's data-parallel pieces (DESIGN §9). Every function runs the same collectives on every
// rank at the same point of the loops; with the single-process communicator they cost nothing.
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <csignal>

#include "fmcib/data/batch.hpp"
#include "fmcib/dist/communicator.hpp"
#include "fmcib/dist/grad_reducer.hpp"
#include "fmcib/engine/interrupt.hpp"
#include "fmcib/engine/trainer.hpp"
#include "fmcib/models/batch_norm.hpp"

namespace fmcib::engine {

void Trainer::setupWorld() {
  auto comm = dist::processCommunicator();
  models::Network& model = *system_->model;
  if (options_.syncBatchnorm && comm->worldSize() > 1) {
    const int64_t n = models::setSyncBatchNorm(model, comm);
    spdlog::info("sync_batchnorm: {} BatchNorm3d layer(s) synchronized over {} ranks", n, comm->worldSize());
  }
  std::vector<at::Tensor> state = model.parameters();
  for (const auto& b : model.buffers()) state.push_back(b);
  dist::broadcastTensors(state, comm, 0);
  reducer_.reset();
}

void Trainer::teardownWorld() {
  if (system_ && system_->model && options_.syncBatchnorm) models::setSyncBatchNorm(*system_->model, nullptr);
  reducer_.reset();
}

int Trainer::agreedSignal() {
  auto comm = dist::processCommunicator();
  const int sig = pendingSignal();
  if (comm->worldSize() == 1) return sig;
  std::vector<at::Tensor> t{
      torch::tensor({sig == SIGINT ? 1.0 : 0.0, sig != 0 && sig != SIGINT ? 1.0 : 0.0}, torch::kDouble)};
  comm->allReduceSum(t);
  return t[0][0].item<double>() > 0 ? SIGINT : t[0][1].item<double>() > 0 ? SIGTERM : 0;
}

at::Tensor Trainer::gatherRows(const at::Tensor& x) {
  auto comm = dist::processCommunicator();
  if (comm->worldSize() == 1) return x;
  // Ranks may hold different row counts: pad to the largest, gather, trim.
  const int64_t rows = x.dim() == 0 ? 1 : x.size(0);
  at::Tensor v = x.dim() == 0 ? x.reshape({1}) : x.contiguous();
  std::vector<at::Tensor> counts = comm->allGather(torch::tensor({rows}, torch::kLong));
  int64_t most = 0;
  for (const auto& c : counts) most = std::max(most, c.item<int64_t>());
  std::vector<int64_t> padShape = v.sizes().vec();
  padShape[0] = most - rows;
  at::Tensor padded = most > rows ? torch::cat({v, torch::zeros(padShape, v.options())}) : v;
  std::vector<at::Tensor> parts = comm->allGather(padded);
  for (size_t r = 0; r < parts.size(); ++r) parts[r] = parts[r].narrow(0, 0, counts[r].item<int64_t>());
  return torch::cat(parts);
}

void Trainer::gatherPredictions(data::Batch& batch, at::Tensor& pred, std::vector<bool>& emitted) {
  auto comm = dist::processCommunicator();
  if (comm->worldSize() == 1) return;
  const std::vector<int64_t> local = batch.indices();
  at::Tensor indices = gatherRows(torch::tensor(local, torch::kLong));
  at::Tensor all = gatherRows(pred.contiguous());
  io::CsvTablePtr table = batch.rows.empty() ? nullptr : batch.rows.front().table;
  data::Batch out;
  std::vector<int64_t> keep;
  if (isGlobalZero()) {
    at::Tensor order = std::get<1>(indices.sort());
    for (int64_t k = 0; k < order.size(0); ++k) {
      const int64_t row = order[k].item<int64_t>();
      const int64_t index = indices[row].item<int64_t>();
      if (index < 0) continue;
      if (static_cast<size_t>(index) >= emitted.size()) emitted.resize(static_cast<size_t>(index) + 1, false);
      if (emitted[static_cast<size_t>(index)]) continue;  // the sampler's padding repeats a row
      emitted[static_cast<size_t>(index)] = true;
      keep.push_back(row);
      out.rows.push_back(data::RowRef{index, table});
    }
  }
  pred = all.index_select(0, torch::tensor(keep, torch::kLong));
  batch = std::move(out);
}

}  // namespace fmcib::engine
