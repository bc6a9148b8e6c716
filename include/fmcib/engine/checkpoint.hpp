#pragma once
/// Lightning-layout checkpoints (DESIGN §7): what fmcib writes loads in Python with plain
/// `torch.load(path)`, and fmcib reads Lightning's own checkpoints for evaluation and weights.
///
/// Keys written: `epoch`, `global_step`, `pytorch-lightning_version`, `state_dict` (model tensors,
/// keys prefixed `model.` as LighterSystem names them), `optimizer_states` (PyTorch's
/// optimizer.state_dict() layout), `lr_schedulers`, `callbacks` (by state key), `loops`
/// (`fmcib`: the loop position), `native_amp_scaling_state` (float16 runs), `fmcib` (`seed`,
/// `torch_rng_state`, `cuda_rng_states`, `world_size`, `precision`) and `config` (the resolved YAML).
#include <ATen/core/Dict.h>
#include <ATen/core/ivalue.h>
#include <torch/nn/module.h>

#include <functional>
#include <string>

namespace fmcib::engine {

/// The Lightning version recorded in checkpoints (the layout fmcib writes follows Lightning 2.0).
inline constexpr const char* kLightningVersion = "2.0.9";

/// Reads a checkpoint: InputError naming the file when it cannot be read, is not a dict, or has no
/// `state_dict`.
c10::impl::GenericDict readCheckpoint(const std::string& path);

/// The model's tensors as a `state_dict` with keys prefixed `model.` (tensors copied to the CPU).
c10::IValue modelStateDict(const torch::nn::Module& model);

/// Copies the checkpoint's `state_dict` (keys `model.*`, optionally behind `module.`) into `model`
/// strictly: InputError naming the file and listing every shape mismatch, missing key and
/// unexpected key (a checkpoint of another model is rejected before anything is copied).
void loadModelState(torch::nn::Module& model, const c10::impl::GenericDict& checkpoint,
                    const std::string& path);
/// The checks of loadModelState (also each tensor's dtype family, layout and finiteness) without
/// copying anything; the returned function copies.
std::function<void()> prepareModelState(torch::nn::Module& model, const c10::impl::GenericDict& checkpoint,
                                        const std::string& path);

/// Dict access for checkpoint fields; InputError naming the file and key when absent or mistyped.
c10::IValue checkpointField(const c10::impl::GenericDict& d, const std::string& key, const std::string& path);
int64_t checkpointInt(const c10::impl::GenericDict& d, const std::string& key, const std::string& path);
bool hasField(const c10::impl::GenericDict& d, const std::string& key);

}  // namespace fmcib::engine
