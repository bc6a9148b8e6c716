#pragma once
/// Collective communication behind one interface (DESIGN §9): a single-process implementation and
/// (dist issue) a c10d one, so nothing above this branches on world size.
#include <ATen/Tensor.h>

#include <memory>
#include <vector>

namespace fmcib::dist {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int worldSize() const = 0;
  virtual void barrier() = 0;
  /// In place, from `root` to every rank.
  virtual void broadcast(std::vector<at::Tensor>& tensors, int root) = 0;
  /// In place sum over ranks.
  virtual void allReduceSum(std::vector<at::Tensor>& tensors) = 0;
  /// Every rank's tensor (same shape on all ranks), in rank order. No autograd.
  virtual std::vector<at::Tensor> allGather(const at::Tensor& tensor) = 0;
};

using CommunicatorPtr = std::shared_ptr<Communicator>;

/// Rank 0 of 1; collectives are identities.
class SingleProcessCommunicator : public Communicator {
 public:
  int rank() const override { return 0; }
  int worldSize() const override { return 1; }
  void barrier() override {}
  void broadcast(std::vector<at::Tensor>&, int) override {}
  void allReduceSum(std::vector<at::Tensor>&) override {}
  std::vector<at::Tensor> allGather(const at::Tensor& tensor) override { return {tensor}; }
};

/// The process's communicator: single-process unless a launcher installed another.
CommunicatorPtr processCommunicator();
void setProcessCommunicator(CommunicatorPtr comm);

}  // namespace fmcib::dist
