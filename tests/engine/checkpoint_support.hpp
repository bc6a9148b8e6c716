#pragma once
// A stateful system for checkpoint tests, and edits of a checkpoint's IValue tree (as an attacker or
// a damaged file would change it) by key path: {"optimizer_states", "0", "state", "0", "exp_avg"}
// (list elements and int dict keys by their number).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine_support.hpp"
#include "fmcib/engine/callbacks.hpp"

namespace fmcib::test {

/// A system whose every stateful part matters for exactness: shuffled noisy data, Adam, StepLR.
inline std::shared_ptr<engine::System> statefulSystem() {
  torch::manual_seed(3);
  auto sys = makeSystem(std::make_shared<BlobDataset>(22, 3, 0.3), 3, 4);
  optim::AdamOptions ao;
  ao.lr = 0.05;
  sys->optimizer = optim::makeAdam({optim::ParamGroup{sys->model->parameters(), {}}}, ao);
  engine::SchedulerConfig sc;
  sc.scheduler = std::make_shared<optim::StepLR>(sys->optimizer, 1, 0.7);
  sys->scheduler = sc;
  sys->datasets["val"] = std::make_shared<BlobDataset>(8, 3, 0.3, 11);
  return sys;
}

/// Every epoch (or every N steps), all kept (save_top_k -1), plus last.ckpt.
inline std::shared_ptr<engine::ModelCheckpoint> checkpointTo(const std::filesystem::path& dir,
                                                             int64_t everySteps = 0) {
  engine::ModelCheckpointOptions o;
  o.dirpath = dir.string();
  o.saveLast = true;
  o.saveTopK = -1;
  o.everyNTrainSteps = everySteps;
  o.everyNEpochs = everySteps ? 0 : 1;
  return std::make_shared<engine::ModelCheckpoint>(o);
}

inline std::shared_ptr<engine::EarlyStopping> earlyStopping(const std::string& monitor = "val/loss/epoch") {
  engine::EarlyStoppingOptions o;
  o.monitor = monitor;
  o.patience = 100;
  return std::make_shared<engine::EarlyStopping>(o);
}

inline engine::RunContext ctx(const std::string& ckpt = "") {
  engine::RunContext c;
  c.seed = 42;
  c.ckptPath = ckpt;
  c.configYaml = "trainer: {}\n";
  return c;
}

inline std::vector<at::Tensor> snapshot(engine::System& sys) {
  std::vector<at::Tensor> out;
  for (const auto& p : sys.model->parameters()) out.push_back(p.detach().clone());
  return out;
}

inline bool sameTensors(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!torch::equal(a[i], b[i])) return false;
  return true;
}

namespace detail {
/// The key of `d` that `name` means: the string, else the int it spells.
inline c10::IValue dictKey(const c10::impl::GenericDict& d, const std::string& name) {
  if (d.contains(c10::IValue(name))) return c10::IValue(name);
  try {
    size_t used = 0;
    const int64_t i = std::stoll(name, &used);
    if (used == name.size() && d.contains(c10::IValue(i))) return c10::IValue(i);
  } catch (const std::exception&) {
  }
  return c10::IValue(name);
}
}  // namespace detail

/// The value at `path` (a test failure and None when it does not exist).
inline c10::IValue fieldAt(const c10::IValue& root, const std::vector<std::string>& path) {
  c10::IValue cur = root;
  for (const std::string& k : path) {
    if (cur.isGenericDict()) {
      const auto d = cur.toGenericDict();
      const c10::IValue key = detail::dictKey(d, k);
      if (!d.contains(key)) {
        ADD_FAILURE() << "no key " << k;
        return c10::IValue();
      }
      cur = d.at(key);
    } else if (cur.isList()) {
      cur = cur.toList().get(std::stoul(k));
    } else {
      ADD_FAILURE() << "cannot enter " << cur.tagKind() << " at " << k;
      return c10::IValue();
    }
  }
  return cur;
}

/// Sets the value at `path` (its parent must exist).
inline void setField(const c10::IValue& root, const std::vector<std::string>& path,
                     const c10::IValue& value) {
  const c10::IValue parent = fieldAt(root, {path.begin(), path.end() - 1});
  if (parent.isGenericDict()) {
    auto d = parent.toGenericDict();
    d.insert_or_assign(detail::dictKey(d, path.back()), value);
  } else {
    ASSERT_TRUE(parent.isList()) << path.back();
    parent.toList().set(std::stoul(path.back()), value);
  }
}

inline void eraseField(const c10::IValue& root, const std::vector<std::string>& path) {
  auto d = fieldAt(root, {path.begin(), path.end() - 1}).toGenericDict();
  EXPECT_EQ(d.erase(detail::dictKey(d, path.back())), 1u) << path.back();
}

/// Moves the dict entry `from` to the key `to` (e.g. an int parameter index to a string).
inline void renameKey(const c10::IValue& root, const std::vector<std::string>& dictPath,
                      const c10::IValue& from, const c10::IValue& to) {
  auto d = fieldAt(root, dictPath).toGenericDict();
  const c10::IValue v = d.at(from);
  EXPECT_EQ(d.erase(from), 1u);
  d.insert(to, v);
}

}  // namespace fmcib::test
