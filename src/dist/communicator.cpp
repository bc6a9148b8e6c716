#include "fmcib/dist/communicator.hpp"

#include <mutex>

namespace fmcib::dist {

namespace {
std::mutex& commMutex() {
  static std::mutex m;
  return m;
}
CommunicatorPtr& commSlot() {
  static CommunicatorPtr c = std::make_shared<SingleProcessCommunicator>();
  return c;
}
}  // namespace

CommunicatorPtr processCommunicator() {
  std::lock_guard<std::mutex> lock(commMutex());
  return commSlot();
}

void setProcessCommunicator(CommunicatorPtr comm) {
  std::lock_guard<std::mutex> lock(commMutex());
  commSlot() = comm ? std::move(comm) : std::make_shared<SingleProcessCommunicator>();
}

}  // namespace fmcib::dist
