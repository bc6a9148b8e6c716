// Forward+backward time of the FMCIB pre-training model and of a ResNet-18 (train mode), to
// compare with the same step in PyTorch eager (bench/models_step.py). Usage:
//   bench_models_step [threads=2] [iterations=5]
// Prints one line per case: name, batch, median and min seconds per step.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "fmcib/models/exneg_simclr.hpp"
#include "fmcib/models/resnet.hpp"

namespace {

using fmcib::models::ExNegSimCLR;
using fmcib::models::ResNet;
using fmcib::models::ResNetOptions;

void timeCase(const std::string& name, fmcib::models::Network& model, int64_t batch, int iterations) {
  torch::manual_seed(0);
  torch::Tensor x = torch::randn({batch, 1, 50, 50, 50});
  model.train();
  auto stepOnce = [&] {
    model.zero_grad();
    torch::Tensor y = model.forward(x);
    y.pow(2).mean().backward();
  };
  stepOnce();  // warm-up (allocator, kernel selection)
  // Wall time, and process CPU time (both threads), which is less sensitive to other load on a
  // shared machine.
  std::vector<double> secs, cpu;
  for (int i = 0; i < iterations; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    stepOnce();
    cpu.push_back(double(std::clock() - c0) / CLOCKS_PER_SEC);
    secs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(secs.begin(), secs.end());
  std::sort(cpu.begin(), cpu.end());
  std::printf("%-28s B=%-3lld median %.3f s  min %.3f s  cpu median %.3f s  (%d iterations)\n", name.c_str(),
              static_cast<long long>(batch), secs[secs.size() / 2], secs.front(), cpu[cpu.size() / 2],
              iterations);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 5;
  torch::set_num_threads(threads);
  std::printf("LibTorch C++, %d threads\n", threads);

  ResNetOptions trunk = fmcib::models::resnetPreset(50);
  trunk.nInputChannels = 1;
  trunk.widenFactor = 2;
  trunk.conv1TStride = {2, 2, 2};
  trunk.feedForward = false;
  ExNegSimCLR simclr(std::make_shared<ResNet>(trunk), 4096, 128);
  timeCase("ExNegSimCLR(resnet50 w2 s2)", simclr, 2, iterations);

  ResNetOptions r18 = fmcib::models::resnetPreset(18);
  r18.nInputChannels = 1;
  r18.feedForward = false;
  ResNet resnet18(r18);
  timeCase("resnet18", resnet18, 8, iterations);
  return 0;
}
