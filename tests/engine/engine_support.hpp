#pragma once
// Small in-memory datasets and models for trainer tests (no images, milliseconds per epoch).
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "fmcib/data/data_loader.hpp"
#include "fmcib/data/dataset.hpp"
#include "fmcib/engine/system.hpp"
#include "fmcib/engine/trainer.hpp"
#include "fmcib/io/csv.hpp"
#include "fmcib/losses/supervised.hpp"
#include "fmcib/models/network.hpp"
#include "fmcib/optim/optimizer.hpp"
#include "fmcib/optim/scheduler.hpp"

namespace fmcib::test {

/// `n` points in R^features with a linearly separable 2-class label (class = sign of x·w); items
/// get Gaussian noise from the item generator (`noise`), so data order and augmentation matter
/// for exactness tests. Rows carry a CSV table with columns id, group.
class BlobDataset : public data::Dataset {
 public:
  BlobDataset(int64_t n, int64_t features, double noise = 0.0, uint64_t seed = 7, int64_t nanAt = -1)
      : noise_(noise), nanAt_(nanAt) {
    torch::Generator gen = at::detail::createCPUGenerator(seed);
    x_ = torch::randn({n, features}, gen);
    at::Tensor w = torch::randn({features}, gen);
    y_ = (x_.matmul(w) > 0).to(torch::kLong);
    std::vector<std::vector<std::string>> rows;
    for (int64_t i = 0; i < n; ++i) rows.push_back({"id" + std::to_string(i), std::to_string(i % 3)});
    table_ = std::make_shared<io::CsvTable>("blobs.csv", std::vector<std::string>{"id", "group"}, rows);
  }
  int64_t size() const override { return x_.size(0); }
  data::Item get(int64_t index, data::Generator& gen) const override {
    data::Item item;
    at::Tensor x = x_[index].clone();
    if (noise_ > 0) {
      std::normal_distribution<double> nd(0.0, noise_);
      auto* p = x.data_ptr<float>();
      for (int64_t i = 0; i < x.numel(); ++i) p[i] += static_cast<float>(nd(gen));
    }
    if (index == nanAt_) x.fill_(std::numeric_limits<float>::quiet_NaN());
    item.input = x;
    item.target = y_[index].clone();
    item.row = {index, table_};
    return item;
  }
  const at::Tensor& labels() const { return y_; }

 private:
  at::Tensor x_, y_;
  io::CsvTablePtr table_;
  double noise_;
  int64_t nanAt_;
};

/// Two views of each point (noise from the item generator) plus two "negatives", as SSL items.
class ViewsDataset : public data::Dataset {
 public:
  explicit ViewsDataset(int64_t n, int64_t features) : base_(n, features, 0.1) {}
  int64_t size() const override { return base_.size(); }
  data::Item get(int64_t index, data::Generator& gen) const override {
    auto view = [&](int64_t i) {
      data::Generator g(gen());
      return data::Nested(base_.get(i, g).input.tensor());
    };
    const int64_t other = static_cast<int64_t>(gen() % static_cast<uint64_t>(size()));
    data::Item item;
    item.input = data::Nested::dict({{"positive", data::Nested::list({view(index), view(index)})},
                                     {"negative", data::Nested::list({view(other), view(other)})}});
    item.row = {index, nullptr};
    return item;
  }

 private:
  BlobDataset base_;
};

/// features → hidden → classes MLP.
class Mlp : public models::Network {
 public:
  Mlp(int64_t in, int64_t hidden, int64_t out) {
    fc1 = register_module("fc1", torch::nn::Linear(in, hidden));
    fc2 = register_module("fc2", torch::nn::Linear(hidden, out));
  }
  torch::Tensor forward(const torch::Tensor& x) override { return fc2(torch::relu(fc1(x))); }
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};

inline std::vector<at::Tensor> params(models::Network& m) {
  return m.parameters();
}

/// A supervised system: MLP(features → 8 → classes), CE, SGD(lr, momentum 0.9).
inline std::shared_ptr<engine::System> makeSystem(std::shared_ptr<data::Dataset> train, int64_t features,
                                                  int64_t batch, double lr = 0.1, int64_t classes = 2) {
  auto sys = std::make_shared<engine::System>();
  sys->options.batchSize = batch;
  sys->model = std::make_shared<Mlp>(features, 8, classes);
  sys->criterion = std::make_shared<losses::CrossEntropyLoss>();
  optim::SGDOptions o;
  o.lr = lr;
  o.momentum = 0.9;
  sys->optimizer = optim::makeSGD({optim::ParamGroup{sys->model->parameters(), {}}}, o);
  sys->datasets["train"] = std::move(train);
  return sys;
}

inline engine::TrainerOptions quietOptions(int64_t maxEpochs) {
  engine::TrainerOptions o;
  o.maxEpochs = maxEpochs;
  o.accelerator = "cpu";
  o.enableProgressBar = false;
  o.logEveryNSteps = 1;
  return o;
}

inline bool sameParameters(models::Network& a, models::Network& b) {
  auto pa = a.parameters(), pb = b.parameters();
  if (pa.size() != pb.size()) return false;
  for (size_t i = 0; i < pa.size(); ++i)
    if (!torch::equal(pa[i], pb[i])) return false;
  return true;
}

}  // namespace fmcib::test
