// CUDA check of the engine's device pieces (accelerator.hpp): device resolution, autocast to
// bfloat16 / float16 with dynamic loss scaling, and CUDA RNG state save/restore. Not part of the
// CTest suite (it needs a GPU); run on a CUDA machine with any CUDA LibTorch:
//   g++ -std=c++17 -O1 -Iinclude -I$TORCH/include -I$TORCH/include/torch/csrc/api/include \
//       tests/engine/gpu/gpu_check.cpp src/engine/accelerator.cpp src/config/value.cpp \
//       -L$TORCH/lib -ltorch -ltorch_cuda -ltorch_cpu -lc10 -lc10_cuda -Wl,-rpath,$TORCH/lib -o gpu_check
// Exit status 0 when every check passes.
#include <torch/torch.h>

#include <iostream>

#include "fmcib/engine/accelerator.hpp"

using fmcib::config::Value;
namespace engine = fmcib::engine;

static int failures = 0;
#define EXPECT_GPU(cond, what)                                   \
  do {                                                           \
    bool ok_ = (cond);                                           \
    std::cout << (ok_ ? "ok   " : "FAIL ") << what << std::endl; \
    if (!ok_) ++failures;                                        \
  } while (0)

int main() {
  EXPECT_GPU(torch::cuda::is_available(), "CUDA is available");
  if (!torch::cuda::is_available()) return 1;
  engine::DeviceChoice g = engine::resolveDevice("gpu", Value(1), Value("32"), 0);
  EXPECT_GPU(g.device.is_cuda(), "accelerator gpu → " + g.device.str());
  EXPECT_GPU(engine::resolveDevice("auto", Value("auto"), Value(32), 0).device.is_cuda(),
             "accelerator auto picks CUDA");
  try {
    engine::resolveDevice("gpu", Value(static_cast<int64_t>(torch::cuda::device_count()) + 1), Value(), 0);
    EXPECT_GPU(false, "too many devices rejected");
  } catch (const fmcib::ConfigError& e) {
    EXPECT_GPU(true, std::string("too many devices rejected: ") + e.what());
  }

  for (const char* precision : {"32", "bf16-mixed", "16-mixed"}) {
    engine::DeviceChoice d = engine::resolveDevice("gpu", Value(1), Value(precision), 0);
    torch::manual_seed(0);
    torch::nn::Sequential net(torch::nn::Linear(16, 64), torch::nn::ReLU(), torch::nn::Linear(64, 2));
    net->to(d.device);
    torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.2).momentum(0.9));
    engine::GradScaler scaler;
    auto x = torch::randn({512, 16}, torch::TensorOptions().device(d.device));
    auto y = (x.select(1, 0) + x.select(1, 1) > 0).to(torch::kLong);
    double first = 0, last = 0;
    int skipped = 0;
    for (int step = 0; step < 300; ++step) {
      torch::Tensor loss;
      {
        engine::AutocastScope autocast(d.autocastDtype);
        auto out = net->forward(x);
        if (step == 0)
          EXPECT_GPU(out.scalar_type() == (d.autocastDtype ? *d.autocastDtype : torch::kFloat),
                     std::string(precision) + ": forward output dtype " +
                         std::string(c10::toString(out.scalar_type())));
        loss = torch::nn::functional::cross_entropy(out, y);
      }
      if (step == 0) first = loss.item<double>();
      last = loss.item<double>();
      (d.scaleLoss ? loss * scaler.scale() : loss).backward();
      bool finite = true;
      if (d.scaleLoss) finite = scaler.unscale(net->parameters());
      if (finite)
        opt.step();
      else
        ++skipped;
      if (d.scaleLoss) scaler.update(finite);
      opt.zero_grad();
    }
    EXPECT_GPU(net->parameters()[0].scalar_type() == torch::kFloat,
               std::string(precision) + ": parameters stay float32");
    EXPECT_GPU(last < 0.5 * first, std::string(precision) + ": loss " + std::to_string(first) + " → " +
                                       std::to_string(last) + " (skipped steps " + std::to_string(skipped) +
                                       ", scale " + std::to_string(scaler.scale()) + ")");
  }
  {
    engine::AutocastScope none(std::nullopt);
    auto a = torch::randn({4, 4}, torch::kCUDA);
    EXPECT_GPU(a.mm(a).scalar_type() == torch::kFloat, "no autocast outside a mixed-precision scope");
  }
  // CUDA RNG state round trip (what checkpoints store as cuda_rng_states).
  at::Generator gen = at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, 0));
  at::Tensor state;
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    state = gen.get_state();
  }
  auto r1 = torch::randn({8}, torch::kCUDA);
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state);
  }
  auto r2 = torch::randn({8}, torch::kCUDA);
  EXPECT_GPU(torch::equal(r1, r2), "CUDA RNG state restores the same draws");
  std::cout << (failures ? "FAILED " : "PASSED ") << failures << " failure(s)" << std::endl;
  return failures ? 1 : 0;
}
