// Tampered checkpoints: every restored field is checked for its type and range, the error is an
// InputError naming the file and the key, and a rejected checkpoint changes nothing.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "engine/checkpoint_support.hpp"
#include "fmcib/engine/callbacks.hpp"
#include "fmcib/engine/checkpoint.hpp"
#include "fmcib/io/torch_file.hpp"
#include "support/errors.hpp"
#include "support/paths.hpp"

namespace fmcib::test {
namespace {

namespace fs = std::filesystem;
using engine::Trainer;

const double kNan = std::numeric_limits<double>::quiet_NaN();

struct Case {
  std::string name;
  std::function<void(c10::IValue&)> edit;
  std::string key;  ///< what the message must name
};

std::vector<Case> cases() {
  const auto set = [](std::vector<std::string> path, c10::IValue v) {
    return [path, v](c10::IValue& root) { setField(root, path, v); };
  };
  const auto tensor = [](at::Tensor t) { return c10::IValue(std::move(t)); };
  // The on_epoch sums of one logged key: [sum of value * batch_size, sum of batch_size].
  const auto epochSums = [](std::vector<double> sums) {
    c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
    d.insert("train/loss/epoch", c10::List<double>(sums));
    return c10::IValue(d);
  };
  return {
      {"endless epoch", set({"loops", "fmcib", "epoch"}, std::numeric_limits<int64_t>::max()),
       "loops.fmcib.epoch"},
      {"negative epoch", set({"loops", "fmcib", "epoch"}, int64_t{-100}), "loops.fmcib.epoch"},
      {"negative batches", set({"loops", "fmcib", "batches_done"}, int64_t{-1}), "loops.fmcib.batches_done"},
      {"string step", set({"loops", "fmcib", "global_step"}, std::string("12")), "loops.fmcib.global_step"},
      {"NaN epoch sum", set({"loops", "fmcib", "epoch_sums"}, epochSums({kNan, 2.0})),
       "loops.fmcib.epoch_sums"},
      {"short epoch sum", set({"loops", "fmcib", "epoch_sums"}, epochSums({1.0})), "loops.fmcib.epoch_sums"},
      {"negative batch-size sum", set({"loops", "fmcib", "epoch_sums"}, epochSums({1.0, -2.0})),
       "loops.fmcib.epoch_sums"},
      {"Lightning epoch",
       [](c10::IValue& root) {
         eraseField(root, {"loops"});
         setField(root, {"epoch"}, std::numeric_limits<int64_t>::max());
       },
       ": epoch: expected"},
      {"optimizer states not a list", set({"optimizer_states"}, std::string("x")), "optimizer_states"},
      {"two optimizer states",
       [](c10::IValue& root) {
         c10::IValue first = fieldAt(root, {"optimizer_states", "0"});
         c10::impl::GenericList two(c10::AnyType::get());
         two.push_back(first);
         two.push_back(first);
         setField(root, {"optimizer_states"}, two);
       },
       "optimizer_states"},
      {"string param index",
       [](c10::IValue& root) {
         renameKey(root, {"optimizer_states", "0", "state"}, int64_t{0}, std::string("0"));
       },
       "optimizer_states[0].state"},
      {"param index of no parameter",
       set({"optimizer_states", "0", "param_groups", "0", "params", "0"}, int64_t{7}),
       "optimizer_states[0].state[0]"},
      {"duplicate param index",
       set({"optimizer_states", "0", "param_groups", "0", "params", "1"}, int64_t{0}),
       "optimizer_states[0].param_groups[0].params[1]"},
      {"NaN lr", set({"optimizer_states", "0", "param_groups", "0", "lr"}, kNan),
       "optimizer_states[0].param_groups[0].lr"},
      {"negative eps", set({"optimizer_states", "0", "param_groups", "0", "eps"}, -1.0),
       "optimizer_states[0].param_groups[0].eps"},
      {"beta of 1",
       set({"optimizer_states", "0", "param_groups", "0", "betas"}, c10::ivalue::Tuple::create(0.9, 1.0)),
       "optimizer_states[0].param_groups[0].betas[1]"},
      {"state of the wrong shape",
       set({"optimizer_states", "0", "state", "0", "exp_avg"}, tensor(torch::zeros({2, 2}))),
       "optimizer_states[0].state[0].exp_avg"},
      {"integer state",
       set({"optimizer_states", "0", "state", "0", "exp_avg_sq"}, tensor(torch::zeros({8, 3}, torch::kLong))),
       "optimizer_states[0].state[0].exp_avg_sq"},
      {"state holding NaN",
       set({"optimizer_states", "0", "state", "1", "exp_avg"}, tensor(torch::full({8}, kNan))),
       "optimizer_states[0].state[1].exp_avg"},
      {"negative Adam step",
       set({"optimizer_states", "0", "state", "0", "step"}, tensor(torch::tensor(-3.0))),
       "optimizer_states[0].state[0].step"},
      {"NaN last_epoch", set({"lr_schedulers", "0", "last_epoch"}, kNan), "lr_schedulers[0].last_epoch"},
      {"zero step_size", set({"lr_schedulers", "0", "step_size"}, int64_t{0}), "lr_schedulers[0].step_size"},
      {"short base_lrs", set({"lr_schedulers", "0", "base_lrs"}, c10::impl::GenericList(c10::AnyType::get())),
       "lr_schedulers[0].base_lrs"},
      {"scheduler state not a dict", set({"lr_schedulers", "0"}, int64_t{3}), "lr_schedulers[0]"},
      {"callbacks not a dict", set({"callbacks"}, c10::impl::GenericList(c10::AnyType::get())), "callbacks"},
      {"string best score", set({"callbacks", earlyStopping()->stateKey(), "best_score"}, std::string("low")),
       "best_score"},
      {"negative wait count", set({"callbacks", earlyStopping()->stateKey(), "wait_count"}, int64_t{-2}),
       "wait_count"},
      {"best_model_path not a path",
       set({"callbacks", checkpointTo("x")->stateKey(), "best_model_path"}, int64_t{5}), "best_model_path"},
      {"world size 0", set({"fmcib", "world_size"}, int64_t{0}), "fmcib.world_size"},
      {"seed as text", set({"fmcib", "seed"}, std::string("42")), "fmcib.seed"},
      {"short rng state", set({"fmcib", "torch_rng_state"}, tensor(torch::zeros({3}, torch::kByte))),
       "fmcib.torch_rng_state"},
      {"float rng state", set({"fmcib", "torch_rng_state"}, tensor(torch::zeros({5056}))),
       "fmcib.torch_rng_state"},
      {"NaN weight", set({"state_dict", "model.fc1.weight"}, tensor(torch::full({8, 3}, kNan))),
       "model.fc1.weight"},
      {"integer weight", set({"state_dict", "model.fc2.bias"}, tensor(torch::zeros({2}, torch::kInt))),
       "model.fc2.bias"},
  };
}

TEST(CheckpointTamper, EveryBadFieldIsAnInputErrorNamingItAndChangesNothing) {
  const fs::path dir = tempDir("engine_tamper");
  {
    auto sys = statefulSystem();
    Trainer t(quietOptions(2), {checkpointTo(dir), earlyStopping()}, {});
    ASSERT_EQ(t.fit(*sys, ctx()), 0);
  }
  const c10::IValue good = io::readTorchFile((dir / "last.ckpt").string());
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    c10::IValue copy = good.deepcopy();
    c.edit(copy);
    const std::string path = (dir / "tampered.ckpt").string();
    io::writeTorchFile(path, copy);

    auto sys = statefulSystem();
    const std::vector<at::Tensor> before = snapshot(*sys);
    const std::string optimizerBefore = io::torchFileBytes(sys->optimizer->state());
    const std::string schedulerBefore = io::torchFileBytes(sys->scheduler->scheduler->state());
    Trainer t(quietOptions(4), {checkpointTo(dir / "resumed"), earlyStopping()}, {});
    const std::string msg = errorOf([&] { t.fit(*sys, ctx(path)); });
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.key), std::string::npos) << msg;
    EXPECT_EQ(msg.find("INTERNAL ASSERT"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_TRUE(sameTensors(before, snapshot(*sys))) << "the model changed";
    EXPECT_EQ(io::torchFileBytes(sys->optimizer->state()), optimizerBefore) << "the optimizer changed";
    EXPECT_EQ(io::torchFileBytes(sys->scheduler->scheduler->state()), schedulerBefore)
        << "the scheduler changed";
    EXPECT_EQ(t.state().globalStep, 0);
  }
}

TEST(CheckpointTamper, TheUntamperedCheckpointStillResumes) {
  const fs::path dir = tempDir("engine_tamper_ok");
  auto first = statefulSystem();
  Trainer a(quietOptions(2), {checkpointTo(dir), earlyStopping()}, {});
  ASSERT_EQ(a.fit(*first, ctx()), 0);
  // Through the edit helpers unchanged: what they write is what the trainer wrote.
  const c10::IValue copy = io::readTorchFile((dir / "last.ckpt").string()).deepcopy();
  io::writeTorchFile((dir / "copy.ckpt").string(), copy);
  auto second = statefulSystem();
  Trainer b(quietOptions(3), {checkpointTo(dir / "resumed"), earlyStopping()}, {});
  ASSERT_EQ(b.fit(*second, ctx((dir / "copy.ckpt").string())), 0);
  EXPECT_EQ(b.state().globalStep, 18);
}

}  // namespace
}  // namespace fmcib::test
