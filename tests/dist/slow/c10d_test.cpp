// Real multi-process worlds over c10d (TCPStore + Gloo), started by fmcib's own launcher.
//
// The RankWorker tests are the ranks' entry points: their DISABLED_ prefix keeps them out of
// normal runs; the Launch tests start this same binary twice through dist::launchLocalRanks with
// --gtest_also_run_disabled_tests and a filter naming one worker, and judge it by the launcher's
// exit status (a failed expectation in any rank makes its process, so the launcher, exit non-zero).
#include <gtest/gtest.h>
#include <signal.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "fmcib/config/config.hpp"
#include "fmcib/dist/all_gather.hpp"
#include "fmcib/dist/grad_reducer.hpp"
#include "fmcib/dist/launcher.hpp"
#include "fmcib/dist/world.hpp"
#include "fmcib/losses/contrastive.hpp"
#include "fmcib/losses/targets.hpp"
#include "losses/fixture_dict.hpp"
#include "support/paths.hpp"

namespace {

namespace fs = std::filesystem;
using namespace fmcib;

dist::CommunicatorPtr joinWorld() {
  auto env = dist::worldFromEnvironment();
  if (!env) throw std::runtime_error("RankWorker tests run only inside a launched world");
  dist::ProcessGroupOptions o;
  o.timeout = std::chrono::seconds(20);
  return dist::makeC10dCommunicator(*env, o);
}

fs::path sharedDir() {
  const char* d = std::getenv("FMCIB_TEST_SHARED");
  if (!d) throw std::runtime_error("FMCIB_TEST_SHARED is not set");
  return d;
}

int launchWorkers(const std::string& worker, std::chrono::milliseconds grace = std::chrono::seconds(10)) {
  dist::LaunchOptions o;
  o.nprocs = 2;
  o.grace = grace;
  o.executable = fs::read_symlink("/proc/self/exe").string();
  o.args = {o.executable, "--gtest_also_run_disabled_tests", "--gtest_filter=RankWorker.DISABLED_" + worker};
  return dist::launchLocalRanks(o);
}

}  // namespace

TEST(RankWorker, DISABLED_Collectives) {
  auto comm = joinWorld();
  const int r = comm->rank();
  ASSERT_EQ(comm->worldSize(), 2);
  std::vector<at::Tensor> sum{torch::tensor({1.0 + r, 10.0 * r})};
  comm->allReduceSum(sum);
  EXPECT_TRUE(torch::equal(sum[0], torch::tensor({3.0, 10.0})));
  auto parts = comm->allGather(torch::full({2, 2}, static_cast<double>(r)));
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_TRUE(torch::equal(parts[1], torch::ones({2, 2}, torch::kDouble)));
  std::vector<at::Tensor> b{torch::tensor({static_cast<int64_t>(7 + r)}, torch::kLong)};
  comm->broadcast(b, 1);
  EXPECT_EQ(b[0].item<int64_t>(), 8);
  comm->barrier();
}

const char* kViews[] = {"pos0", "pos1", "neg0", "neg1"};

void expectFixture(const torch::Tensor& got, const torch::Tensor& expected, const std::string& what) {
  ASSERT_EQ(got.sizes(), expected.sizes()) << what;
  EXPECT_TRUE(torch::allclose(got, expected, 1e-4, 1e-5))
      << what << " max diff " << (got - expected).abs().max().item<double>();
}

// Each rank feeds its half of the reference world-of-2 inputs (losses.pt infonce_w2) to the loss
// with gather_distributed, once per gather backward: the losses equal the Python reference, the
// input gradients lightly 1.4.19's (`grad_own_`, the default) or the all-reduced ones (`grad_sum_`).
TEST(RankWorker, DISABLED_InfoNceFixture) {
  auto comm = joinWorld();
  const std::string r = std::to_string(comm->rank());
  test::FixtureDict f("losses.pt");
  for (dist::GatherBackward backward : {dist::GatherBackward::kOwn, dist::GatherBackward::kAllReduce}) {
    std::vector<torch::Tensor> x;
    for (const char* v : kViews) x.push_back(f["infonce_w2.rank" + r + "." + v].clone().requires_grad_());
    losses::NegativeMiningInfoNCECriterion loss(16, 6, 2, true, 0.1, comm, backward);
    torch::Tensor l = loss.forwardViews({{"positive", {x[0], x[1]}}, {"negative", {x[2], x[3]}}});
    expectFixture(l, f["infonce_w2.loss_rank" + r], "loss");
    l.backward();
    const std::string kind = backward == dist::GatherBackward::kOwn ? ".grad_own_" : ".grad_sum_";
    for (size_t i = 0; i < 4; ++i)
      expectFixture(x[i].grad(), f["infonce_w2.rank" + r + kind + kViews[i]], kind + kViews[i]);
  }
}

// One pre-training step as the trainer runs it: the criterion built from the paper's config
// (gather_distributed: true, gather_backward left at its default), the embeddings made from the
// parameters (rank r's embedding k = its fixture input + θ_k, θ = 0 broadcast from rank 0), backward,
// then DDP's gradient averaging. Each rank's own graph gives θ lightly 1.4.19's gradient
// (`grad_own_`), and after the all-reduce every rank holds their mean — what lightly 1.4.19 under
// Lightning DDP ends with. With gather_backward: all_reduce the mean of `grad_sum_`.
TEST(RankWorker, DISABLED_PretrainStepFromConfig) {
  auto comm = joinWorld();
  dist::setProcessCommunicator(comm);
  const std::string r = std::to_string(comm->rank());
  test::FixtureDict f("losses.pt");
  config::Registry registry;
  losses::registerTargets(registry);
  for (const char* backward : {"", "all_reduce"}) {
    std::string yaml =
        "vars:\n  criterion:\n    _target_: fmcib.ssl.losses.NegativeMiningInfoNCECriterion\n"
        "    embedding_dim: 16\n    batch_size: 6\n    temperature: 0.1\n    gather_distributed: true\n"
        "    world_size: 2\n";
    if (*backward) yaml += std::string("    gather_backward: ") + backward + "\n";
    auto criterion = config::Config::fromString(yaml, "pretrain.yaml", registry)
                         .resolve("vars#criterion")
                         .as<losses::Criterion>();
    std::vector<torch::Tensor> theta;
    for (int k = 0; k < 4; ++k) theta.push_back(torch::zeros({6, 16}, torch::requires_grad()));
    dist::broadcastTensors(theta, comm, 0);
    std::vector<torch::Tensor> emb;
    for (int k = 0; k < 4; ++k) emb.push_back(f["infonce_w2.rank" + r + "." + kViews[k]] + theta[k]);
    criterion->forwardViews({{"positive", {emb[0], emb[1]}}, {"negative", {emb[2], emb[3]}}}).backward();
    const std::string kind = *backward ? ".grad_sum_" : ".grad_own_";
    for (size_t k = 0; k < 4; ++k)
      expectFixture(theta[k].grad(), f["infonce_w2.rank" + r + kind + kViews[k]],
                    "before averaging " + kind + kViews[k]);
    dist::GradientReducer(theta, comm).reduce();
    for (size_t k = 0; k < 4; ++k) {
      const torch::Tensor mean =
          (f["infonce_w2.rank0" + kind + kViews[k]] + f["infonce_w2.rank1" + kind + kViews[k]]) / 2;
      expectFixture(theta[k].grad(), mean, "after DDP averaging " + kind + kViews[k]);
    }
  }
  dist::setProcessCommunicator(nullptr);
}

// Rank 1 throws at step 3 of a training-like loop of all-reduces; rank 0 must not hang.
TEST(RankWorker, DISABLED_ThrowsAtStep) {
  auto comm = joinWorld();
  for (int step = 0; step < 1000; ++step) {
    if (comm->rank() == 1 && step == 3) throw std::runtime_error("rank 1 fails at step 3");
    std::vector<at::Tensor> g{torch::ones({1000})};
    comm->allReduceSum(g);
  }
}

// Rank 1 kills itself (SIGKILL) at step 3; both ranks record their pid first.
TEST(RankWorker, DISABLED_KilledAtStep) {
  auto comm = joinWorld();
  std::ofstream(sharedDir() / ("pid" + std::to_string(comm->rank()))) << getpid();
  comm->barrier();
  for (int step = 0; step < 100000; ++step) {
    if (comm->rank() == 1 && step == 3) raise(SIGKILL);
    std::vector<at::Tensor> g{torch::ones({1000})};
    comm->allReduceSum(g);
  }
}

TEST(Launch, TwoRanksRunCollectivesOverGloo) {
  EXPECT_EQ(launchWorkers("Collectives"), 0);
}

TEST(Launch, AllGatherWithGradientMatchesTheReferenceWorldOfTwo) {
  EXPECT_EQ(launchWorkers("InfoNceFixture"), 0);
}

TEST(Launch, PretrainingStepGivesLightly1419GradientsByDefault) {
  EXPECT_EQ(launchWorkers("PretrainStepFromConfig"), 0);
}

TEST(Launch, RankThatThrowsStopsEveryRank) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_NE(launchWorkers("ThrowsAtStep", std::chrono::seconds(5)), 0);
  // Bounded: the rank's failure, the peer's error (or the grace period), nothing near the 20 s timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(19));
}

TEST(Launch, KilledRankFailsTheLaunchAndLeavesNoProcess) {
  const fs::path dir = test::tempDir("launch_kill");
  setenv("FMCIB_TEST_SHARED", dir.c_str(), 1);
  const int code = launchWorkers("KilledAtStep", std::chrono::seconds(3));
  EXPECT_EQ(code, 128 + SIGKILL);
  for (const char* f : {"pid0", "pid1"}) {
    pid_t pid = 0;
    std::ifstream(dir / f) >> pid;
    ASSERT_GT(pid, 0) << f;
    EXPECT_NE(kill(pid, 0), 0) << "rank process " << pid << " is still running";
  }
}
