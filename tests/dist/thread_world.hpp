#pragma once
// A world of N ranks inside one process, one thread per rank, for testing collectives and the
// code written against them (gather-with-gradient losses) without sockets. Collectives are exact:
// sums are taken in rank order, so every rank sees bit-identical results.
#include <torch/torch.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "fmcib/dist/communicator.hpp"

namespace fmcib::test {

class ThreadWorld : public std::enable_shared_from_this<ThreadWorld> {
 public:
  explicit ThreadWorld(int size) : size_(size), slots_(size) {}

  int size() const { return size_; }

  /// Blocks until all ranks arrive (throws after 30 s so a broken test fails instead of hanging).
  void arrive() {
    std::unique_lock<std::mutex> lock(mutex_);
    const int64_t gen = generation_;
    if (++waiting_ == size_) {
      waiting_ = 0;
      ++generation_;
      cv_.notify_all();
      return;
    }
    if (!cv_.wait_for(lock, std::chrono::seconds(30), [&] { return generation_ != gen; }))
      throw std::runtime_error("ThreadWorld: a rank did not arrive");
  }

  std::vector<std::vector<torch::Tensor>>& slots() { return slots_; }

  /// Runs fn(rank, comm) on `size` threads and rethrows the first exception.
  void run(const std::function<void(int, const dist::CommunicatorPtr&)>& fn);

 private:
  int size_;
  std::mutex mutex_;
  std::condition_variable cv_;
  int waiting_ = 0;
  int64_t generation_ = 0;
  std::vector<std::vector<torch::Tensor>> slots_;
};

class ThreadCommunicator : public dist::Communicator {
 public:
  ThreadCommunicator(std::shared_ptr<ThreadWorld> world, int rank) : world_(std::move(world)), rank_(rank) {}
  int rank() const override { return rank_; }
  int worldSize() const override { return world_->size(); }
  void barrier() override { world_->arrive(); }

  void broadcast(std::vector<at::Tensor>& tensors, int root) override {
    if (rank_ == root) world_->slots()[rank_] = clones(tensors);
    world_->arrive();
    if (rank_ != root)
      for (size_t i = 0; i < tensors.size(); ++i) tensors[i].copy_(world_->slots()[root][i]);
    world_->arrive();
  }

  void allReduceSum(std::vector<at::Tensor>& tensors) override {
    world_->slots()[rank_] = clones(tensors);
    world_->arrive();
    for (size_t i = 0; i < tensors.size(); ++i) {
      torch::Tensor sum = world_->slots()[0][i].clone();
      for (int r = 1; r < world_->size(); ++r) sum += world_->slots()[r][i];
      tensors[i].copy_(sum);
    }
    world_->arrive();
  }

  std::vector<at::Tensor> allGather(const at::Tensor& tensor) override {
    world_->slots()[rank_] = {tensor.detach().clone()};
    world_->arrive();
    std::vector<at::Tensor> out;
    for (int r = 0; r < world_->size(); ++r) out.push_back(world_->slots()[r][0].clone());
    world_->arrive();
    return out;
  }

 private:
  static std::vector<torch::Tensor> clones(const std::vector<at::Tensor>& ts) {
    std::vector<torch::Tensor> out;
    for (const auto& t : ts) out.push_back(t.detach().clone());
    return out;
  }
  std::shared_ptr<ThreadWorld> world_;
  int rank_;
};

inline void ThreadWorld::run(const std::function<void(int, const dist::CommunicatorPtr&)>& fn) {
  std::vector<std::thread> threads;
  std::vector<std::exception_ptr> errors(size_);
  for (int r = 0; r < size_; ++r) {
    threads.emplace_back([this, r, &fn, &errors] {
      try {
        dist::CommunicatorPtr comm = std::make_shared<ThreadCommunicator>(shared_from_this(), r);
        fn(r, comm);
      } catch (...) {
        errors[r] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace fmcib::test
