// Trainer state in and out of Lightning-layout checkpoints (see checkpoint.hpp for the keys).
#include <ATen/CPUGeneratorImpl.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <filesystem>

#include "fmcib/dist/communicator.hpp"
#include "fmcib/engine/checkpoint.hpp"
#include "fmcib/engine/trainer.hpp"
#include "fmcib/io/torch_file.hpp"

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

double toDouble(const c10::IValue& v, const std::string& what, const std::string& path) {
  if (v.isDouble()) return v.toDouble();
  if (v.isInt()) return static_cast<double>(v.toInt());
  throw InputError(path + ": checkpoint field '" + what + "' is not a number");
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
  loadModelState(*sys.model, d, path);
  spdlog::info("loaded the model from {}", path);
  if (!full) return;
  resumed_ = true;

  if (sys.optimizer && hasField(d, "optimizer_states")) {
    auto list = checkpointField(d, "optimizer_states", path).toList();
    if (list.size() != 1)
      throw InputError(path + ": the checkpoint has " + std::to_string(list.size()) +
                       " optimizer states, the system 1");
    try {
      sys.optimizer->loadState(list.get(0).toGenericDict());
    } catch (const InputError& e) {
      throw InputError(path + ": optimizer_states[0]: " + e.what());
    }
  }
  if (sys.scheduler && sys.scheduler->scheduler && hasField(d, "lr_schedulers")) {
    auto list = checkpointField(d, "lr_schedulers", path).toList();
    if (list.size() != 1)
      throw InputError(path + ": the checkpoint has " + std::to_string(list.size()) +
                       " schedulers, the system 1");
    try {
      sys.scheduler->scheduler->loadState(list.get(0).toGenericDict());
    } catch (const InputError& e) {
      throw InputError(path + ": lr_schedulers[0]: " + e.what());
    }
  }
  if (hasField(d, "callbacks")) {
    auto cbs = checkpointField(d, "callbacks", path).toGenericDict();
    for (const auto& cb : callbacks_) {
      auto it = cbs.find(c10::IValue(cb->stateKey()));
      if (it != cbs.end() && it->value().isGenericDict()) cb->loadState(it->value().toGenericDict());
    }
  }

  // Loop position: fmcib's own record, else (a Lightning checkpoint) the start of the next epoch.
  bool haveLoop = false;
  if (hasField(d, "loops")) {
    auto loops = checkpointField(d, "loops", path).toGenericDict();
    auto it = loops.find(c10::IValue(std::string("fmcib")));
    if (it != loops.end() && it->value().isGenericDict()) {
      auto loop = it->value().toGenericDict();
      state_.epoch = checkpointInt(loop, "epoch", path);
      state_.batchesDone = checkpointInt(loop, "batches_done", path);
      state_.globalStep = checkpointInt(loop, "global_step", path);
      state_.epochSums.clear();
      if (hasField(loop, "epoch_sums")) {
        const c10::IValue& sums = checkpointField(loop, "epoch_sums", path);
        if (!sums.isGenericDict()) throw InputError(path + ": checkpoint field 'epoch_sums' is not a dict");
        for (const auto& e : sums.toGenericDict()) {
          if (!e.key().isString() || !e.value().isList() || e.value().toListRef().size() != 2)
            throw InputError(path + ": checkpoint field 'epoch_sums' holds a malformed entry");
          const auto& v = e.value().toListRef();
          state_.epochSums[e.key().toStringRef()] = {toDouble(v[0], "epoch_sums", path),
                                                     toDouble(v[1], "epoch_sums", path)};
        }
      }
      haveLoop = true;
    }
  }
  if (!haveLoop) {
    state_.epoch = checkpointInt(d, "epoch", path) + 1;
    state_.globalStep = checkpointInt(d, "global_step", path);
    state_.batchesDone = 0;
  }
  if (scaler_ && hasField(d, "native_amp_scaling_state")) {
    auto amp = checkpointField(d, "native_amp_scaling_state", path).toGenericDict();
    scaler_->setState(toDouble(checkpointField(amp, "scale", path), "scale", path),
                      checkpointInt(amp, "_growth_tracker", path));
  }
  if (hasField(d, "fmcib")) {
    auto meta = checkpointField(d, "fmcib", path).toGenericDict();
    const auto seed = static_cast<uint64_t>(checkpointInt(meta, "seed", path));
    if (seed != state_.seed)
      spdlog::info("resuming with the checkpoint's seed {} (this run was given {})", seed, state_.seed);
    state_.seed = seed;
    const int world = dist::processCommunicator()->worldSize();
    if (hasField(meta, "world_size") && state_.batchesDone > 0) {
      const int64_t saved = checkpointInt(meta, "world_size", path);
      if (saved != world) {
        // A mid-epoch position counts batches of the saving world: continue after the same share
        // of the epoch's samples (batch boundaries need not line up across world sizes).
        const int64_t adjusted = state_.batchesDone * saved / std::max(1, world);
        spdlog::warn(
            "{}: saved by {} rank(s) at batch {} of epoch {}; this run has {} rank(s): continuing at "
            "batch {}",
            path, saved, state_.batchesDone, state_.epoch, world, adjusted);
        state_.batchesDone = adjusted;
      }
    }
    const c10::IValue& rng = checkpointField(meta, "torch_rng_state", path);
    if (rng.isTensor()) setRngState(at::detail::getDefaultCPUGenerator(), rng.toTensor());
    if (device_.device.is_cuda() && hasField(meta, "cuda_rng_states")) {
      auto states = checkpointField(meta, "cuda_rng_states", path).toList();
      const size_t n = std::min<size_t>(states.size(), torch::cuda::device_count());
      for (size_t i = 0; i < n; ++i)
        setRngState(
            at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(i))),
            states.get(i).toTensor());
    }
  }
  spdlog::info("resuming from {}: epoch {}, batch {}, step {}", path, state_.epoch, state_.batchesDone,
               state_.globalStep);
}

}  // namespace fmcib::engine
