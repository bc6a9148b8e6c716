#include "fmcib/losses/targets.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "fmcib/config/config.hpp"
#include "fmcib/losses/contrastive.hpp"
#include "fmcib/losses/supervised.hpp"
#include "losses/fixture_dict.hpp"

namespace fmcib::losses {
namespace {

config::Registry& registry() {
  static config::Registry r;
  static const bool once = [] {
    registerTargets(r);
    registerTargets(r);
    return true;
  }();
  (void)once;
  return r;
}

std::shared_ptr<Criterion> build(const std::string& yaml) {
  return config::Config::fromString(yaml, "losses.yaml", registry())
      .resolve("vars#criterion")
      .as<Criterion>();
}

TEST(LossTargets, FmcibPretrainCriterionMatchesTheFixture) {
  auto c = build(R"Y(
vars:
  batch_size: 6
  devices: 1
  criterion:
    _target_: fmcib.ssl.losses.NegativeMiningInfoNCECriterion
    embedding_dim: 16
    batch_size: "@vars#batch_size"
    temperature: 0.1
    gather_distributed: True
    world_size: "@vars#devices"
)Y");
  EXPECT_TRUE(c->takesViews());
  EXPECT_EQ(c->name(), "fmcib.ssl.losses.NegativeMiningInfoNCECriterion");
  test::FixtureDict f("losses.pt");
  Embeddings e{{"positive", {f["infonce.pos0"], f["infonce.pos1"]}},
               {"negative", {f["infonce.neg0"], f["infonce.neg1"]}}};
  EXPECT_TRUE(torch::allclose(c->forwardViews(e), f["infonce.loss"], 1e-4, 1e-5));
}

TEST(LossTargets, WorldSizeAutoIsTheCommunicatorsSize) {
  const std::string head =
      "vars:\n  criterion:\n    _target_: fmcib.ssl.losses.NegativeMiningInfoNCECriterion\n"
      "    embedding_dim: 16\n    batch_size: 6\n    gather_distributed: True\n    world_size: ";
  auto c = build(head + "auto\n");
  test::FixtureDict f("losses.pt");
  Embeddings e{{"positive", {f["infonce.pos0"], f["infonce.pos1"]}},
               {"negative", {f["infonce.neg0"], f["infonce.neg1"]}}};
  EXPECT_TRUE(torch::allclose(c->forwardViews(e), f["infonce.loss"], 1e-4, 1e-5));
  try {
    build(head + "all\n");
    ADD_FAILURE() << "world_size: all was accepted";
  } catch (const ConfigError& err) {
    EXPECT_NE(std::string(err.what()).find("world_size: must be a number of ranks or auto, got 'all'"),
              std::string::npos)
        << err.what();
  }
  EXPECT_THROW(build(head + "0\n"), ConfigError);
}

TEST(LossTargets, NTXentFromYaml) {
  auto c = build("vars:\n  criterion:\n    _target_: fmcib.ssl.losses.NTXentNegativeMinedLoss\n");
  test::FixtureDict f("losses.pt");
  Embeddings e{{"positive", {f["ntxent_mined.pos0"], f["ntxent_mined.pos1"]}},
               {"negative", {f["ntxent_mined.neg0"], f["ntxent_mined.neg1"]}}};
  EXPECT_TRUE(torch::allclose(c->forwardViews(e), f["ntxent_mined.loss"], 1e-4, 1e-5));
}

TEST(LossTargets, SupervisedLossesWithWeights) {
  auto ce = build(R"Y(
vars:
  criterion:
    _target_: torch.nn.CrossEntropyLoss
    weight: [1, 2, 3]
    label_smoothing: 0.1
)Y");
  EXPECT_FALSE(ce->takesViews());
  torch::Tensor x = torch::randn({4, 3});
  torch::Tensor y = torch::tensor({0, 1, 2, 2});
  CrossEntropyLoss direct(torch::tensor({1.0, 2.0, 3.0}), -100, Reduction::Mean, 0.1);
  EXPECT_TRUE(torch::allclose(ce->forward(x, y), direct.forward(x, y)));

  auto bce = build(R"Y(
vars:
  criterion:
    _target_: torch.nn.BCEWithLogitsLoss
    pos_weight: [2.5]
    reduction: sum
)Y");
  torch::Tensor z = torch::randn({5, 1});
  torch::Tensor t = torch::tensor({1, 0, 1, 1, 0}).reshape({5, 1});
  BCEWithLogitsLoss bdirect({}, Reduction::Sum, torch::tensor({2.5}));
  EXPECT_TRUE(torch::allclose(bce->forward(z, t), bdirect.forward(z, t)));
}

TEST(LossTargets, BadArgumentsAreConfigErrors) {
  EXPECT_THROW(build("vars:\n  criterion:\n    _target_: torch.nn.CrossEntropyLoss\n    reduction: avg\n"),
               ConfigError);
  EXPECT_THROW(build("vars:\n  criterion:\n    _target_: fmcib.ssl.losses.NTXentNegativeMinedLoss\n    "
                     "temperature: 0\n"),
               ConfigError);
  EXPECT_THROW(build("vars:\n  criterion:\n    _target_: fmcib.ssl.losses.NegativeMiningInfoNCECriterion\n"
                     "    embedding_dim: 16\n    batch_size: 0\n    world_size: 1\n"),
               ConfigError);
  EXPECT_THROW(build("vars:\n  criterion:\n    _target_: fmcib.ssl.losses.NegativeMiningInfoNCECriterion\n"
                     "    embedding_dim: 16\n    batch_size: 4\n"),
               ConfigError);  // world_size is required
  EXPECT_THROW(build("vars:\n  criterion:\n    _target_: fmcib.ssl.losses.NTXentNegativeMinedLoss\n"
                     "    gather_backward: sum\n"),
               ConfigError);
}

TEST(LossTargets, GatherBackwardIsDeclaredWithItsDefault) {
  for (const char* name :
       {"fmcib.ssl.losses.NTXentNegativeMinedLoss", "fmcib.ssl.losses.NegativeMiningInfoNCECriterion"}) {
    const config::TargetSpec* spec = registry().find(name);
    ASSERT_NE(spec, nullptr) << name;
    bool found = false;
    for (const auto& a : spec->args)
      if (a.name == "gather_backward") {
        found = true;
        EXPECT_EQ(a.defaultValue.asString(), "own") << name;
        EXPECT_NE(a.doc.find("lightly 1.4.19"), std::string::npos) << name;
      }
    EXPECT_TRUE(found) << name;
  }
  auto c = build(
      "vars:\n  criterion:\n    _target_: fmcib.ssl.losses.NTXentNegativeMinedLoss\n"
      "    gather_backward: all_reduce\n");
  EXPECT_EQ(c->name(), "fmcib.ssl.losses.NTXentNegativeMinedLoss");
}

}  // namespace
}  // namespace fmcib::losses
