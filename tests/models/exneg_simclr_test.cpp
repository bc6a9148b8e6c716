#include "fmcib/models/exneg_simclr.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "fmcib/config/error.hpp"
#include "fmcib/models/resnet.hpp"
#include "models/fixture_keys.hpp"

namespace fmcib::models {
namespace {

std::shared_ptr<ResNet> smallTrunk() {
  ResNetOptions o = resnetPreset(18);
  o.nInputChannels = 1;
  o.widenFactor = 0.125;
  o.feedForward = false;
  return std::make_shared<ResNet>(o);  // 64 features
}

TEST(ExNegSimCLR, KeysAndHeadShapesAsLightly) {
  auto trunk = smallTrunk();
  ExNegSimCLR model(trunk, 64, 16);
  auto keys = test::stateDictKeys(model);
  std::vector<std::string> trunkKeys = test::stateDictKeys(*trunk, "backbone.");
  ASSERT_EQ(keys.size(), trunkKeys.size() + 4);
  EXPECT_TRUE(std::equal(trunkKeys.begin(), trunkKeys.end(), keys.begin()));
  std::vector<std::string> head(keys.end() - 4, keys.end());
  EXPECT_EQ(head,
            (std::vector<std::string>{"projection_head.layers.0.weight", "projection_head.layers.0.bias",
                                      "projection_head.layers.2.weight", "projection_head.layers.2.bias"}));
  auto params = model.named_parameters();
  EXPECT_EQ(params["projection_head.layers.0.weight"].sizes(), torch::IntArrayRef({32, 64}));
  EXPECT_EQ(params["projection_head.layers.2.weight"].sizes(), torch::IntArrayRef({16, 32}));
}

TEST(ExNegSimCLR, ForwardIsHeadOfFlattenedBackbone) {
  torch::manual_seed(3);
  auto trunk = smallTrunk();
  ExNegSimCLR model(trunk, 64, 16);
  model.eval();
  torch::NoGradGuard noGrad;
  torch::Tensor x = torch::randn({2, 1, 20, 20, 20});
  torch::Tensor f = trunk->forward(x);
  auto params = model.named_parameters();
  torch::Tensor h = torch::relu(
      torch::linear(f, params["projection_head.layers.0.weight"], params["projection_head.layers.0.bias"]));
  torch::Tensor expected =
      torch::linear(h, params["projection_head.layers.2.weight"], params["projection_head.layers.2.bias"]);
  EXPECT_TRUE(torch::allclose(model.forward(x), expected, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(model.features(x), f));
}

TEST(ExNegSimCLR, ViewsPassTheBackboneOneByOneInReferenceOrder) {
  torch::manual_seed(4);
  auto makeModel = [] {
    torch::manual_seed(5);
    return std::make_shared<ExNegSimCLR>(smallTrunk(), 64, 16);
  };
  auto model = makeModel();
  auto reference = makeModel();  // same initial weights
  model->train();
  reference->train();
  Views views{{"positive", {torch::randn({3, 1, 20, 20, 20}), torch::randn({3, 1, 20, 20, 20})}},
              {"negative", {torch::randn({3, 1, 20, 20, 20}), torch::randn({3, 1, 20, 20, 20})}}};
  auto out = model->forwardViewsWithFeatures(views);
  ASSERT_EQ(out.embeddings.size(), 2u);
  ASSERT_EQ(out.embeddings["positive"].size(), 2u);
  ASSERT_EQ(out.features["negative"].size(), 2u);
  EXPECT_EQ(out.embeddings["negative"][1].sizes(), torch::IntArrayRef({3, 16}));
  EXPECT_EQ(out.features["positive"][0].sizes(), torch::IntArrayRef({3, 64}));

  // The Python dict order: positive a, positive b, negative c, negative d, each its own batch.
  std::vector<torch::Tensor> expected;
  for (const char* key : {"positive", "negative"})
    for (const auto& v : views[key]) expected.push_back(reference->forward(v));
  EXPECT_TRUE(torch::allclose(out.embeddings["positive"][0], expected[0], 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(out.embeddings["positive"][1], expected[1], 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(out.embeddings["negative"][0], expected[2], 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(out.embeddings["negative"][1], expected[3], 1e-5, 1e-6));
  // ...which leaves the same running statistics (they depend on the order of the passes).
  auto b1 = model->named_buffers(), b2 = reference->named_buffers();
  EXPECT_TRUE(torch::equal(b1["backbone.bn1.running_mean"], b2["backbone.bn1.running_mean"]));
  EXPECT_TRUE(torch::equal(b1["backbone.layer4.1.bn2.running_var"], b2["backbone.layer4.1.bn2.running_var"]));
  EXPECT_EQ(b1["backbone.bn1.num_batches_tracked"].item<int64_t>(), 4);

  // One concatenated pass would give different train-mode numbers: the separation matters.
  torch::Tensor joint = reference->forward(torch::cat({views["positive"][0], views["positive"][1]}));
  EXPECT_FALSE(torch::allclose(joint.slice(0, 0, 3), expected[0], 1e-4, 1e-5));
}

TEST(ExNegSimCLR, ViewOrderPutsPositiveThenNegativeFirst) {
  Views v{{"anchor", {}}, {"negative", {}}, {"positive", {}}, {"extra", {}}};
  EXPECT_EQ(viewOrder(v), (std::vector<std::string>{"positive", "negative", "anchor", "extra"}));
}

TEST(ExNegSimCLR, WrongFeatureWidthIsAClearError) {
  ExNegSimCLR model(smallTrunk(), 128, 16);  // the trunk emits 64
  model.eval();
  EXPECT_THROW(model.forward(torch::randn({1, 1, 16, 16, 16})), InputError);
  EXPECT_THROW(ExNegSimCLR(nullptr, 64, 16), ConfigError);
}

}  // namespace
}  // namespace fmcib::models
