// Trainer state in and out of Lightning-layout checkpoints (see checkpoint.hpp for the keys).
#include <ATen/CPUGeneratorImpl.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <limits>
#include <optional>

#include "fmcib/dist/communicator.hpp"
#include "fmcib/engine/checkpoint.hpp"
#include "fmcib/engine/trainer.hpp"
#include "fmcib/io/torch_file.hpp"
#include "fmcib/optim/state_fields.hpp"

namespace fmcib::engine {

namespace {

c10::impl::GenericList anyList() {
  return c10::impl::GenericList(c10::AnyType::get());
}

at::Tensor rngState(at::Generator gen) {
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void setRngState(at::Generator gen, const at::Tensor& state) {
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

/// A saved generator state, checked by loading it into a scratch generator of the same kind.
at::Tensor checkedRngState(const c10::IValue& v, const std::string& what, at::Generator like) {
  if (!v.isTensor() || !v.toTensor().defined() || v.toTensor().scalar_type() != at::kByte ||
      v.toTensor().dim() != 1 || !v.toTensor().device().is_cpu() || v.toTensor().layout() != at::kStrided)
    throw InputError(what + ": expected a generator state (a 1-D uint8 tensor), got " +
                     optim::describeValue(v));
  const at::Tensor state = v.toTensor().contiguous();
  if (like.device().is_cpu()) {
    try {
      setRngState(at::detail::createCPUGenerator(), state);
    } catch (const c10::Error&) {
      throw InputError(what + ": not a state of the CPU generator (" + std::to_string(state.numel()) +
                       " bytes)");
    }
  } else if (state.numel() != rngState(like).numel()) {
    throw InputError(what + ": " + std::to_string(state.numel()) + " bytes, the generator's state has " +
                     std::to_string(rngState(like).numel()));
  }
  return state;
}

}  // namespace

void Trainer::saveCheckpoint(const std::string& path) {
  if (!isGlobalZero()) return;
  System& sys = system();
  c10::impl::GenericDict d = io::makeStringDict();
  d.insert("epoch", state_.epoch);
  d.insert("global_step", state_.globalStep);
  d.insert("pytorch-lightning_version", std::string(kLightningVersion));
  d.insert("state_dict", modelStateDict(*sys.model));
  c10::impl::GenericList optimizers = anyList();
  if (sys.optimizer) optimizers.push_back(sys.optimizer->state());
  d.insert("optimizer_states", optimizers);
  c10::impl::GenericList schedulers = anyList();
  if (sys.scheduler && sys.scheduler->scheduler) schedulers.push_back(sys.scheduler->scheduler->state());
  d.insert("lr_schedulers", schedulers);
  c10::impl::GenericDict callbacks = io::makeStringDict();
  for (const auto& cb : callbacks_) callbacks.insert(cb->stateKey(), cb->state());
  d.insert("callbacks", callbacks);

  // Where the fit loop continues: after a finished epoch, at the start of the next one.
  c10::impl::GenericDict loop = io::makeStringDict();
  loop.insert("epoch", state_.epochFinished ? state_.epoch + 1 : state_.epoch);
  loop.insert("batches_done", state_.epochFinished ? int64_t{0} : state_.batchesDone);
  loop.insert("global_step", state_.globalStep);
  // The epoch's on_epoch sums (rank 0's): key → [Σ value · batch_size, Σ batch_size].
  c10::impl::GenericDict sums = io::makeStringDict();
  if (!state_.epochFinished)
    for (const auto& [key, sw] : state_.epochSums) sums.insert(key, c10::List<double>({sw.first, sw.second}));
  loop.insert("epoch_sums", sums);
  c10::impl::GenericDict loops = io::makeStringDict();
  loops.insert("fmcib", loop);
  d.insert("loops", loops);
  if (scaler_) {
    c10::impl::GenericDict amp = io::makeStringDict();
    amp.insert("scale", scaler_->scale());
    amp.insert("_growth_tracker", scaler_->growthTracker());
    d.insert("native_amp_scaling_state", amp);
  }

  c10::impl::GenericDict meta = io::makeStringDict();
  meta.insert("seed", static_cast<int64_t>(state_.seed));
  meta.insert("torch_rng_state", rngState(at::detail::getDefaultCPUGenerator()));
  c10::impl::GenericList cuda = anyList();
  if (device_.device.is_cuda()) {
    for (int64_t i = 0; i < static_cast<int64_t>(torch::cuda::device_count()); ++i)
      cuda.push_back(rngState(
          at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(i)))));
  }
  meta.insert("cuda_rng_states", cuda);
  meta.insert("world_size", static_cast<int64_t>(dist::processCommunicator()->worldSize()));
  meta.insert("precision", device_.precision);
  d.insert("fmcib", meta);
  d.insert("config", ctx_.configYaml);

  const std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  io::writeTorchFile(path, d);
  spdlog::debug("saved checkpoint {} (epoch {}, step {})", path, state_.epoch, state_.globalStep);
}

void Trainer::loadCheckpoint(const std::string& path, bool full) {
  System& sys = system();
  c10::impl::GenericDict d = readCheckpoint(path);
  // Every part is checked before any is applied: a bad checkpoint changes nothing.
  std::function<void()> applyModel = prepareModelState(*sys.model, d, path);
  if (!full) {
    applyModel();
    spdlog::info("loaded the model from {}", path);
    return;
  }
  std::vector<std::function<void()>> apply;
  TrainerState restored = state_;
  std::optional<std::pair<double, int64_t>> amp;
  std::optional<at::Tensor> cpuRng;
  std::vector<at::Tensor> cudaRng;
  try {
    const optim::StateDict top(d, "");
    auto single = [&](const char* key) {
      const std::vector<c10::IValue> list = top.list(key);
      if (list.size() != 1)
        throw InputError(top.keyPath(key) + ": " + std::to_string(list.size()) +
                         " entries, the system has 1");
      return optim::StateDict(list[0], top.keyPath(key) + "[0]");
    };
    if (sys.optimizer && top.has("optimizer_states")) {
      const optim::StateDict o = single("optimizer_states");
      apply.push_back(sys.optimizer->prepareLoad(o.raw(), o.path()));
    }
    if (sys.scheduler && sys.scheduler->scheduler && top.has("lr_schedulers")) {
      const optim::StateDict s = single("lr_schedulers");
      apply.push_back(sys.scheduler->scheduler->prepareLoad(s.raw(), s.path()));
    }
    if (top.has("callbacks")) {
      const optim::StateDict cbs = top.dict("callbacks");
      for (const auto& cb : callbacks_)
        if (cbs.has(cb->stateKey())) {
          const optim::StateDict state = cbs.dict(cb->stateKey());
          apply.push_back(cb->prepareLoad(state.raw(), state.path()));
        }
    }

    // Loop position: fmcib's own record, else (a Lightning checkpoint) the start of the next epoch.
    const int64_t kMax = optim::kMaxRestoredCount;
    std::optional<optim::StateDict> loop;
    if (top.has("loops")) {
      const optim::StateDict loops = top.dict("loops");
      if (loops.has("fmcib")) loop = loops.dict("fmcib");
    }
    if (loop) {
      restored.epoch = loop->integer("epoch", 0, kMax);
      restored.batchesDone = loop->integer("batches_done", 0, kMax);
      restored.globalStep = loop->integer("global_step", 0, kMax);
      restored.epochSums.clear();
      if (loop->has("epoch_sums")) {
        const optim::StateDict sums = loop->dict("epoch_sums");
        for (const auto& e : sums.raw()) {
          if (!e.key().isString())
            throw InputError(sums.path() + ": a key is not a string (" + e.key().tagKind() + ")");
          const std::string& key = e.key().toStringRef();
          // [Σ value · batch_size, Σ batch_size]
          const std::vector<double> sw = sums.numbers(key, 2);
          if (sw[1] < 0) throw InputError(sums.keyPath(key) + ": a negative batch-size sum");
          restored.epochSums[key] = {sw[0], sw[1]};
        }
      }
    } else {
      restored.epoch = top.integer("epoch", 0, kMax - 1) + 1;
      restored.globalStep = top.integer("global_step", 0, kMax);
      restored.batchesDone = 0;
    }
    if (scaler_ && top.has("native_amp_scaling_state")) {
      const optim::StateDict a = top.dict("native_amp_scaling_state");
      amp.emplace(a.number("scale", std::numeric_limits<double>::min()),
                  a.integer("_growth_tracker", 0, kMax));
    }
    if (top.has("fmcib")) {
      const optim::StateDict meta = top.dict("fmcib");
      // Written as the uint64 seed's bit pattern.
      const auto seed = static_cast<uint64_t>(
          meta.integer("seed", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()));
      if (seed != state_.seed)
        spdlog::info("resuming with the checkpoint's seed {} (this run was given {})", seed, state_.seed);
      restored.seed = seed;
      const int world = dist::processCommunicator()->worldSize();
      if (meta.has("world_size")) {
        const int64_t saved = meta.integer("world_size", 1, int64_t{1} << 20);
        if (saved != world && restored.batchesDone > 0) {
          // A mid-epoch position counts batches of the saving world: continue after the same share
          // of the epoch's samples (batch boundaries need not line up across world sizes).
          const int64_t adjusted = restored.batchesDone * saved / std::max(1, world);
          spdlog::warn(
              "{}: saved by {} rank(s) at batch {} of epoch {}; this run has {} rank(s): continuing at "
              "batch {}",
              path, saved, restored.batchesDone, restored.epoch, world, adjusted);
          restored.batchesDone = adjusted;
        }
      }
      if (const c10::IValue* rng = meta.find("torch_rng_state"); rng && !rng->isNone())
        cpuRng = checkedRngState(*rng, meta.keyPath("torch_rng_state"), at::detail::getDefaultCPUGenerator());
      if (device_.device.is_cuda() && meta.has("cuda_rng_states")) {
        const std::vector<c10::IValue> states = meta.list("cuda_rng_states");
        const size_t n = std::min<size_t>(states.size(), torch::cuda::device_count());
        for (size_t i = 0; i < n; ++i)
          cudaRng.push_back(checkedRngState(states[i],
                                            meta.keyPath("cuda_rng_states[" + std::to_string(i) + "]"),
                                            at::globalContext().defaultGenerator(
                                                c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(i)))));
      }
    }
  } catch (const InputError& e) {
    throw InputError(path + ": " + e.what());
  }

  applyModel();
  for (const auto& f : apply) f();
  state_ = restored;
  resumed_ = true;
  if (amp) scaler_->setState(amp->first, amp->second);
  if (cpuRng) setRngState(at::detail::getDefaultCPUGenerator(), *cpuRng);
  for (size_t i = 0; i < cudaRng.size(); ++i)
    setRngState(
        at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(i))),
        cudaRng[i]);
  spdlog::info("resuming from {}: epoch {}, batch {}, step {}", path, state_.epoch, state_.batchesDone,
               state_.globalStep);
}

}  // namespace fmcib::engine
