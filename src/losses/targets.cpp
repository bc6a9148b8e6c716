#include "fmcib/losses/targets.hpp"

#include <torch/torch.h>

#include "fmcib/losses/contrastive.hpp"
#include "fmcib/losses/supervised.hpp"

namespace fmcib::losses {

namespace {

using config::Args;
using config::Value;

/// A tensor argument: null, a list of numbers, or a tensor object (e.g. from `$torch.tensor(...)`).
torch::Tensor optionalTensor(const Args& a, const std::string& name) {
  Value v = a.get(name);
  if (v.isNull()) return {};
  if (v.holds<at::Tensor>()) return *v.as<at::Tensor>();
  if (v.isNumber()) return torch::tensor({v.asDouble()}, torch::kFloat);
  std::vector<double> xs = a.getDoubles(name);
  if (xs.empty()) a.fail(name, "expected a non-empty list of numbers");
  return torch::tensor(xs, torch::kDouble).to(torch::kFloat);
}

Reduction reductionArg(const Args& a) {
  const std::string s = a.getString("reduction");
  if (s != "none" && s != "mean" && s != "sum")
    a.fail("reduction", "expected 'none', 'mean' or 'sum', got '" + s + "'");
  return parseReduction(s);
}

constexpr const char* kGatherBackwardDoc =
    "backward of the gather: 'own' (lightly 1.4.19, the paper's: each rank's embeddings get the "
    "gradient of its own loss only) or 'all_reduce' (lightly >= 1.5.4: the gradient of every rank's loss)";

dist::GatherBackward gatherBackwardArg(const Args& a) {
  const std::string s = a.getString("gather_backward");
  if (s != "own" && s != "all_reduce")
    a.fail("gather_backward", "expected 'own' or 'all_reduce', got '" + s + "'");
  return dist::parseGatherBackward(s);
}

Value store(const Args& a, std::shared_ptr<Criterion> c) {
  return Value::object<Criterion>(std::move(c), a.target());
}

}  // namespace

void registerTargets(config::Registry& r) {
  using namespace config;
  auto add = [&r](TargetSpec spec) {
    if (!r.find(spec.name)) r.add(std::move(spec));
  };

  add({"fmcib.ssl.losses.NTXentNegativeMinedLoss",
       "NT-Xent with explicitly mined negatives (takes the model's {positive, negative} views)",
       {arg("temperature", kFloat, 0.1, "softmax temperature (|T| >= 1e-8)"),
        arg("gather_distributed", kBool, false, "all-gather embeddings (with gradient) over the ranks"),
        arg("gather_backward", kString, "own", kGatherBackwardDoc)},
       [](const Args& a) {
         const double t = a.getDouble("temperature");
         if (std::abs(t) < 1e-8) a.fail("temperature", "illegal temperature: abs(T) < 1e-8");
         return store(a, std::make_shared<NTXentNegativeMinedLoss>(t, a.getBool("gather_distributed"),
                                                                   nullptr, gatherBackwardArg(a)));
       }});

  add({"fmcib.ssl.losses.NegativeMiningInfoNCECriterion",
       "SimCLR InfoNCE with mined negatives (takes the model's {positive, negative} views)",
       {required("embedding_dim", kInt, "size of the projected embeddings"),
        required("batch_size", kInt, "per-rank batch size (the masks assume full batches)"),
        required(
            "world_size", kInt | kString,
            "number of ranks, or auto: the communicator's (all nodes' ranks; \"@trainer#devices\" counts "
            "one node's)"),
        arg("gather_distributed", kBool, false, "all-gather embeddings (with gradient) over the ranks"),
        arg("temperature", kFloat, 0.1, "softmax temperature"),
        arg("balanced", kBool, true, "accepted for compatibility; unused by the reference"),
        arg("gather_backward", kString, "own", kGatherBackwardDoc)},
       [](const Args& a) {
         for (const char* k : {"embedding_dim", "batch_size"})
           if (a.getInt(k) < 1) a.fail(k, "must be >= 1");
         int64_t worldSize = NegativeMiningInfoNCECriterion::kAutoWorldSize;
         if (a.get("world_size").isString()) {
           if (a.getString("world_size") != "auto")
             a.fail("world_size",
                    "must be a number of ranks or auto, got '" + a.getString("world_size") + "'");
         } else if ((worldSize = a.getInt("world_size")) < 1) {
           a.fail("world_size", "must be >= 1 (or auto)");
         }
         return store(a, std::make_shared<NegativeMiningInfoNCECriterion>(
                             a.getInt("embedding_dim"), a.getInt("batch_size"), worldSize,
                             a.getBool("gather_distributed"), a.getDouble("temperature"), nullptr,
                             gatherBackwardArg(a)));
       }});

  add({"torch.nn.CrossEntropyLoss",
       "cross-entropy over logits [B, C] with class indices or probabilities",
       {arg("weight", kNull | kList | kObject, nullptr, "per-class weights"),
        arg("ignore_index", kInt, -100, "target value that does not contribute"),
        arg("reduction", kString, "mean", "'none', 'mean' or 'sum'"),
        arg("label_smoothing", kFloat, 0.0, "in [0, 1]")},
       [](const Args& a) {
         const double ls = a.getDouble("label_smoothing");
         if (ls < 0.0 || ls > 1.0) a.fail("label_smoothing", "must be in [0, 1]");
         return store(a, std::make_shared<CrossEntropyLoss>(optionalTensor(a, "weight"),
                                                            a.getInt("ignore_index"), reductionArg(a), ls));
       }});

  add({"torch.nn.BCEWithLogitsLoss",
       "binary cross-entropy on logits; target of the input's shape",
       {arg("weight", kNull | kNumber | kList | kObject, nullptr, "weight of each element (broadcast)"),
        arg("reduction", kString, "mean", "'none', 'mean' or 'sum'"),
        arg("pos_weight", kNull | kNumber | kList | kObject, nullptr,
            "weight of positive examples, per class")},
       [](const Args& a) {
         return store(a, std::make_shared<BCEWithLogitsLoss>(optionalTensor(a, "weight"), reductionArg(a),
                                                             optionalTensor(a, "pos_weight")));
       }});
}

}  // namespace fmcib::losses
