// What lighter 0.0.2a19's LighterSystem._log_stats logs, with Lightning 2.4's aggregation:
//   on_step  (sync_dist=False): `<mode>/loss/step`, `<mode>/metrics/<Name>/step` — the rank's own
//            value of the batch; the logger gets rank 0's;
//   on_epoch (sync_dist=True, batch_size=system#batch_size): `<mode>/loss/epoch`,
//            `<mode>/metrics/<Name>/epoch` and, at batch 0 of a training epoch, lighter's
//            get_optimizer_stats — each the mean of the logged values weighted by the (constant)
//            batch size, summed over every rank's batches.
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "fmcib/dist/communicator.hpp"
#include "fmcib/engine/trainer.hpp"

namespace fmcib::engine {

namespace {

void addTo(std::map<std::string, std::pair<double, double>>& sums, const std::string& key, double value,
           double weight) {
  auto& s = sums[key];
  s.first += value * weight;
  s.second += weight;
}

}  // namespace

std::map<std::string, double> Trainer::stepValues(const std::string& mode, const at::Tensor& loss,
                                                  std::map<std::string, std::pair<double, double>>& sums) {
  const double batchSize = static_cast<double>(system_->options.batchSize);
  std::map<std::string, double> out;
  if (loss.defined()) out[mode + "/loss/step"] = loss.detach().to(at::kDouble).item<double>();
  for (const auto& [key, value] : batchMetrics_) out[key] = value;
  batchMetrics_.clear();
  for (const auto& [key, value] : out) addTo(sums, key.substr(0, key.size() - 4) + "epoch", value, batchSize);
  return out;
}

void Trainer::addOptimizerStats(std::map<std::string, std::pair<double, double>>& sums) {
  const optim::Optimizer* opt = system_->optimizer.get();
  if (!opt) return;
  // lighter's get_optimizer_stats: "optimizer/<Class>/lr" and ".../momentum" (momentum, or betas[0]
  // for Adam-like optimizers), with "/group<i>" (1-based) when there are several param groups.
  std::string cls = opt->name();
  cls = cls.substr(cls.rfind('.') + 1);
  const size_t groups = opt->numGroups();
  const double batchSize = static_cast<double>(system_->options.batchSize);
  for (size_t g = 0; g < groups; ++g) {
    const std::string group = groups > 1 ? "/group" + std::to_string(g + 1) : "";
    addTo(sums, "train/optimizer/" + cls + "/lr" + group, opt->lr(g), batchSize);
    if (const auto m = opt->momentum(g))
      addTo(sums, "train/optimizer/" + cls + "/momentum" + group, *m, batchSize);
  }
}

std::map<std::string, double> Trainer::rankZeroValues(std::map<std::string, double> values) {
  auto comm = dist::processCommunicator();
  if (comm->worldSize() == 1 || values.empty()) return values;
  std::vector<double> packed;
  for (const auto& [key, value] : values) packed.push_back(value);
  std::vector<at::Tensor> t{torch::tensor(packed, torch::kDouble)};
  comm->broadcast(t, 0);
  size_t i = 0;
  for (auto& [key, value] : values) value = t[0][static_cast<int64_t>(i++)].item<double>();
  return values;
}

std::map<std::string, double> Trainer::epochMeans(
    const std::map<std::string, std::pair<double, double>>& sums) {
  std::vector<double> packed;
  for (const auto& [key, s] : sums) {
    packed.push_back(s.first);
    packed.push_back(s.second);
  }
  auto comm = dist::processCommunicator();
  if (comm->worldSize() > 1 && !packed.empty()) {
    std::vector<at::Tensor> t{torch::tensor(packed, torch::kDouble)};
    comm->allReduceSum(t);
    auto a = t[0].accessor<double, 1>();
    for (size_t i = 0; i < packed.size(); ++i) packed[i] = a[static_cast<int64_t>(i)];
  }
  std::map<std::string, double> out;
  size_t i = 0;
  for (const auto& [key, s] : sums) {
    const double total = packed[i], weight = packed[i + 1];
    i += 2;
    if (weight > 0) out[key] = total / weight;
  }
  return out;
}

}  // namespace fmcib::engine
