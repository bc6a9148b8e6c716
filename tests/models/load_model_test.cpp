// fmcib.models.LoadModel: fixture parity with MONAI (both weight layouts, built through the config
// registry), the head layout, the loading rules, and export-weights.
#include "fmcib/models/load_model.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <iterator>

#include "fmcib/config/config.hpp"
#include "fmcib/config/error.hpp"
#include "fmcib/io/torch_file.hpp"
#include "fmcib/models/state_dict.hpp"
#include "fmcib/models/targets.hpp"
#include "support/paths.hpp"

namespace fmcib::models {
namespace {

using io::NamedTensors;

/// Linear(4,3) → BatchNorm1d(3): parameters and buffers, small enough to check by hand.
struct TinyTrunk : Network {
  TinyTrunk() {
    fc = register_module("fc", torch::nn::Linear(4, 3));
    bn = register_module("bn", torch::nn::BatchNorm1d(3));
  }
  torch::Tensor forward(const torch::Tensor& x) override { return bn(fc(x)); }
  torch::nn::Linear fc{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
};

std::vector<std::string> names(const NamedTensors& t) {
  std::vector<std::string> out;
  for (const auto& p : t) out.push_back(p.first);
  return out;
}

/// A model whose every tensor holds distinct values (so a load is visible).
std::shared_ptr<LoadModel> randomModel(uint64_t seed, std::vector<int64_t> heads = {3, 5, 2}) {
  torch::manual_seed(seed);
  auto m = std::make_shared<LoadModel>(std::make_shared<TinyTrunk>(), heads);
  torch::NoGradGuard g;
  for (auto& [name, t] : stateDict(*m))
    if (t.is_floating_point())
      t.copy_(name.find("running_var") != std::string::npos ? torch::rand_like(t) + 0.5
                                                            : torch::randn_like(t));
  return m;
}

void expectSameState(const torch::nn::Module& a, const torch::nn::Module& b, const std::string& prefix = "") {
  const auto sa = stateDict(a), sb = stateDict(b);
  ASSERT_EQ(names(sa), names(sb));
  for (size_t i = 0; i < sa.size(); ++i)
    if (sa[i].first.rfind(prefix, 0) == 0) {
      EXPECT_TRUE(torch::equal(sa[i].second, sb[i].second)) << sa[i].first;
    }
}

c10::IValue withPrefix(const NamedTensors& tensors, const std::string& prefix) {
  NamedTensors out;
  for (const auto& [n, t] : tensors) out.emplace_back(prefix + n, t);
  return io::toStateDict(out);
}

NamedTensors part(const LoadModel& m, const std::string& prefix) {  // "trunk." / "heads." stripped
  NamedTensors out;
  for (const auto& [n, t] : stateDict(m))
    if (n.rfind(prefix, 0) == 0) out.emplace_back(n.substr(prefix.size()), t);
  return out;
}

std::string write(const std::string& tag, const c10::IValue& v) {
  const auto path = (test::tempDir(tag) / "weights.pt").string();
  io::writeTorchFile(path, v);
  return path;
}

std::string inputErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected InputError";
  return "";
}

// ---- fixture parity: MONAI ResNets built from a config, weights from both layouts ----

void checkParity(const std::string& trunkYaml, const std::string& stem) {
  config::Registry registry;
  registerTargets(registry);
  registerLoadModelTarget(registry);
  const std::string yaml = "vars:\n  model:\n    _target_: fmcib.models.LoadModel\n    trunk:\n" + trunkYaml +
                           "    weights_path: " + test::fixture(stem + ".weights.pt") + "\n    heads: []\n";
  const auto cfg = config::Config::fromString(yaml, stem + ".yaml", registry);
  cfg.validate();
  auto model = cfg.resolve("vars#model").as<Network>();
  model->eval();
  std::ifstream in(test::fixture(stem + ".io.pt"), std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
  const auto io = torch::pickle_load(bytes).toGenericDict();
  torch::NoGradGuard g;
  const torch::Tensor out = model->forward(io.at("input").toTensor());
  const torch::Tensor want = io.at("features").toTensor();
  ASSERT_EQ(out.sizes(), want.sizes());
  EXPECT_TRUE(torch::allclose(out, want, 1e-4, 1e-4))
      << "max abs diff " << (out - want).abs().max().item<float>();
}

TEST(LoadModel, Resnet18PublishedLayoutMatchesMonai) {
  checkParity(
      "      _target_: monai.networks.nets.resnet18\n      n_input_channels: 1\n"
      "      widen_factor: 0.125\n      feed_forward: false\n",
      "resnet18_w0125");
}

TEST(LoadModel, Resnet50LightningLayoutMatchesMonai) {
  checkParity(
      "      _target_: monai.networks.nets.resnet50\n      n_input_channels: 1\n"
      "      widen_factor: 0.125\n      conv1_t_stride: 2\n      feed_forward: false\n",
      "resnet50_w0125_s2");
}

// ---- layout and forward ----

TEST(LoadModel, HeadLayoutAndForward) {
  auto m = randomModel(1, {3, 5, 4, 2});
  EXPECT_EQ(
      names(stateDict(*m)),
      (std::vector<std::string>{"trunk.fc.weight", "trunk.fc.bias", "trunk.bn.weight", "trunk.bn.bias",
                                "trunk.bn.running_mean", "trunk.bn.running_var",
                                "trunk.bn.num_batches_tracked", "heads.0.0.weight", "heads.0.0.bias",
                                "heads.1.0.weight", "heads.1.0.bias", "heads.2.0.weight", "heads.2.0.bias"}));
  const auto h = part(*m, "heads.");
  EXPECT_EQ(h[0].second.sizes(), (std::vector<int64_t>{5, 3}));
  EXPECT_EQ(h[4].second.sizes(), (std::vector<int64_t>{2, 4}));
  m->eval();
  torch::NoGradGuard g;
  const torch::Tensor x = torch::randn({6, 4});
  const torch::Tensor f = m->trunk()->forward(x);
  auto lin = [&](const torch::Tensor& v, int i) {
    return v.matmul(h[2 * i].second.t()) + h[2 * i + 1].second;
  };
  const torch::Tensor want = lin(torch::relu(lin(torch::relu(lin(f, 0)), 1)), 2);  // no ReLU after the last
  EXPECT_TRUE(torch::allclose(m->forward(x), want, 1e-5, 1e-6));
  auto bare = randomModel(1, {});
  EXPECT_FALSE(bare->heads());
  EXPECT_TRUE(torch::equal(bare->forward(x), bare->trunk()->forward(x)));
}

// ---- loading rules ----

TEST(LoadModel, PublishedLayoutLoadsTrunkAndHeads) {
  auto src = randomModel(2);
  auto file = io::makeStringDict();
  file.insert("trunk_state_dict", io::toStateDict(part(*src, "trunk.")));
  file.insert("head_state_dict", io::toStateDict(part(*src, "heads.")));
  auto dst = randomModel(3);
  dst->load(write("lm_published", file));
  expectSameState(*src, *dst);
}

TEST(LoadModel, LightningLayoutWithModulePrefix) {
  auto src = randomModel(4);
  NamedTensors all;
  for (const auto& [n, t] : part(*src, "trunk.")) all.emplace_back("module.model.trunk." + n, t);
  for (const auto& [n, t] : part(*src, "heads.")) all.emplace_back("model.heads." + n, t);
  auto file = io::makeStringDict();
  file.insert("state_dict", io::toStateDict(all));
  file.insert("epoch", 7);
  auto dst = randomModel(5);
  dst->load(write("lm_lightning", file));
  expectSameState(*src, *dst);
}

TEST(LoadModel, ExNegSimclrCheckpointUsesBackbone) {
  auto src = randomModel(6);
  NamedTensors all;
  for (const auto& [n, t] : part(*src, "trunk.")) all.emplace_back("model.backbone." + n, t);
  all.emplace_back("model.projection_head.layers.0.weight", torch::ones({2, 3}));
  auto file = io::makeStringDict();
  file.insert("state_dict", io::toStateDict(all));
  auto dst = randomModel(7);
  dst->load(write("lm_backbone", file));
  expectSameState(*src, *dst, "trunk.");
}

TEST(LoadModel, NoTrunkKeyMatchedIsAnError) {
  auto m = randomModel(8);
  auto file = io::makeStringDict();
  file.insert("state_dict", withPrefix({{"conv1.weight", torch::ones({3})}}, "model.encoder."));
  const auto path = write("lm_nomatch", file);
  std::string msg = inputErrorOf([&] { m->load(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("no trunk weights matched"), std::string::npos) << msg;
  EXPECT_NE(msg.find("model.encoder.conv1.weight"), std::string::npos) << msg;

  auto other = io::makeStringDict();
  other.insert("weights", torch::ones({1}));
  const auto path2 = write("lm_nomatch2", other);
  msg = inputErrorOf([&] { m->load(path2); });
  EXPECT_NE(msg.find("top-level keys: [weights]"), std::string::npos) << msg;
  EXPECT_NE(inputErrorOf([&] { m->load(path2 + ".absent"); }).find(".absent"), std::string::npos);
}

TEST(LoadModel, TrunkShapeMismatchListsKeysAndLoadsNothing) {
  auto src = randomModel(9);
  NamedTensors trunk = part(*src, "trunk.");
  trunk[0].second = torch::zeros({7, 4});  // fc.weight should be [3, 4]
  auto file = io::makeStringDict();
  file.insert("trunk_state_dict", io::toStateDict(trunk));
  auto dst = randomModel(10);
  const auto before = stateDict(*randomModel(10));
  const std::string msg = inputErrorOf([&] { dst->load(write("lm_shape", file)); });
  EXPECT_NE(msg.find("fc.weight: file [7, 4], model [3, 4]"), std::string::npos) << msg;
  const auto after = stateDict(*dst);
  for (size_t i = 0; i < after.size(); ++i) EXPECT_TRUE(torch::equal(before[i].second, after[i].second));
}

TEST(LoadModel, StrictNamesMissingAndUnexpectedTrunkKeys) {
  auto src = randomModel(13);
  const NamedTensors trunk = part(*src, "trunk.");
  auto load = [&](const NamedTensors& tensors, const std::string& tag) {
    auto file = io::makeStringDict();
    file.insert("trunk_state_dict", io::toStateDict(tensors));
    auto dst = randomModel(14);
    dst->load(write(tag, file), /*strict=*/true);
    return dst;
  };
  expectSameState(*src->trunk(), *load(trunk, "lm_strict_ok")->trunk());

  NamedTensors noBias, extra = trunk, noCounter;
  for (const auto& [n, t] : trunk) {
    if (n != "fc.bias") noBias.emplace_back(n, t);
    if (n != "bn.num_batches_tracked") noCounter.emplace_back(n, t);
  }
  ASSERT_EQ(noCounter.size() + 1, trunk.size());
  extra.emplace_back("fc2.weight", torch::ones({2, 2}));
  std::string msg = inputErrorOf([&] { load(noBias, "lm_strict_missing"); });
  EXPECT_NE(msg.find("1 model keys missing from the file [fc.bias]"), std::string::npos) << msg;
  msg = inputErrorOf([&] { load(extra, "lm_strict_unexpected"); });
  EXPECT_NE(msg.find("1 file keys the model does not have [fc2.weight]"), std::string::npos) << msg;
  // Without strict both load what matches.
  auto file = io::makeStringDict();
  file.insert("trunk_state_dict", io::toStateDict(extra));
  randomModel(15)->load(write("lm_lenient", file));
  // A file without batch-norm step counters (as load_state_dict(strict=True) accepts).
  expectSameState(*src->trunk(), *load(noCounter, "lm_strict_counter")->trunk(), "fc.");
}

TEST(LoadModel, HeadShapeMismatchKeepsHeadsAndLoadsTrunk) {
  auto src = randomModel(11, {3, 6, 2});
  auto file = io::makeStringDict();
  file.insert("trunk_state_dict", io::toStateDict(part(*src, "trunk.")));
  file.insert("head_state_dict", io::toStateDict(part(*src, "heads.")));
  auto dst = randomModel(12, {3, 5, 2});
  const auto headsBefore = part(*randomModel(12, {3, 5, 2}), "heads.");
  dst->load(write("lm_heads", file));
  expectSameState(*src->trunk(), *dst->trunk());
  const auto headsAfter = part(*dst, "heads.");
  for (size_t i = 0; i < headsAfter.size(); ++i)
    EXPECT_TRUE(torch::equal(headsBefore[i].second, headsAfter[i].second));
  // The heads left random are named, with both shapes, for the trainer to refuse outside fit.
  const auto unloaded = dst->unloadedWeights();
  ASSERT_EQ(unloaded.size(), 4u);
  EXPECT_EQ(unloaded[0], "heads.0.0.weight (file [6, 3], model [5, 3])");
  EXPECT_EQ(unloaded[1], "heads.0.0.bias (file [6], model [5])");
  EXPECT_EQ(unloaded[2], "heads.1.0.weight (file [2, 6], model [2, 5])");
  EXPECT_EQ(unloaded[3], "heads.1.0.bias (not loaded: the other heads did not fit)");
}

TEST(LoadModel, LightningHeadShapeMismatchIsAnErrorNamingEveryKey) {
  // Upstream loads a Lightning state_dict's heads without a try: a size mismatch raises.
  auto src = randomModel(13, {3, 6, 2});
  NamedTensors all;
  for (const auto& [n, t] : part(*src, "trunk.")) all.emplace_back("model.trunk." + n, t);
  for (const auto& [n, t] : part(*src, "heads.")) all.emplace_back("model.heads." + n, t);
  auto file = io::makeStringDict();
  file.insert("state_dict", io::toStateDict(all));
  const auto path = write("lm_lightning_heads", file);
  auto dst = randomModel(14, {3, 5, 2});
  const std::string msg = inputErrorOf([&] { dst->load(path); });
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;  // one line
  for (const char* key :
       {"model.heads.0.0.weight: file [6, 3], model [5, 3]", "model.heads.0.0.bias: file [6], model [5]",
        "model.heads.1.0.weight: file [2, 6], model [2, 5]"})
    EXPECT_NE(msg.find(key), std::string::npos) << key << " in " << msg;
}

TEST(LoadModel, HeadsMissingFromTheFileAreListedAsUnloaded) {
  auto src = randomModel(15);
  auto file = io::makeStringDict();
  file.insert("trunk_state_dict", io::toStateDict(part(*src, "trunk.")));
  const auto path = write("lm_trunk_only", file);
  auto dst = randomModel(16);
  dst->load(path);
  const auto unloaded = dst->unloadedWeights();
  ASSERT_EQ(unloaded.size(), 4u);
  EXPECT_EQ(unloaded[0], "heads.0.0.weight (not in " + path + ")");
  auto full = randomModel(17);
  file.insert("head_state_dict", io::toStateDict(part(*src, "heads.")));
  full->load(write("lm_trunk_and_heads", file));
  EXPECT_TRUE(full->unloadedWeights().empty());
}

TEST(LoadModel, ConfigArgumentErrors) {
  config::Registry registry;
  registerLoadModelTarget(registry);
  registerTargets(registry);
  const std::string head = "vars:\n  model:\n    _target_: fmcib.models.LoadModel\n";
  auto configError = [&](const std::string& yaml, bool validateOnly) {
    try {
      const auto cfg = config::Config::fromString(yaml, "t.yaml", registry);
      if (validateOnly)
        cfg.validate();
      else
        cfg.resolve("vars#model");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    ADD_FAILURE() << "expected ConfigError";
    return std::string();
  };
  const std::string trunk =
      "    trunk: {_target_: monai.networks.nets.resnet10, n_input_channels: 1, widen_factor: 0.125}\n";
  std::string msg = configError(head + trunk + "    heads: [512, 0]\n", false);
  EXPECT_NE(msg.find("heads"), std::string::npos) << msg;
  EXPECT_NE(msg.find("positive"), std::string::npos) << msg;
  msg = configError(head + "    heads: []\n", true);
  EXPECT_NE(msg.find("trunk"), std::string::npos) << msg;
  msg = inputErrorOf([&] {
    config::Config::fromString(head + trunk + "    weights_path: /nonexistent/w.pt\n", "t.yaml", registry)
        .resolve("vars#model");
  });
  EXPECT_NE(msg.find("/nonexistent/w.pt"), std::string::npos) << msg;
  registerLoadModelTarget(registry);  // idempotent
  EXPECT_NE(registry.find("fmcib.models.load_model.LoadModel"), nullptr);
}

// ---- export-weights ----

TEST(ExportWeights, LightningCheckpointToPublishedLayout) {
  auto src = randomModel(13);
  NamedTensors all;
  for (const auto& [n, t] : stateDict(*src)) all.emplace_back("model." + n, t);
  auto ckpt = io::makeStringDict();
  ckpt.insert("state_dict", io::toStateDict(all));
  ckpt.insert("epoch", 2);
  ckpt.insert("optimizer_states", c10::impl::GenericList(c10::AnyType::get()));
  const auto dir = test::tempDir("export_weights");
  const auto ckptPath = (dir / "last.ckpt").string(), out = (dir / "model_weights.torch").string();
  io::writeTorchFile(ckptPath, ckpt);
  const ExportSummary s = exportPublishedWeights(ckptPath, out);
  EXPECT_EQ(s.trunkPrefix, "model.trunk.");
  EXPECT_EQ(s.trunkTensors, 7u);
  EXPECT_EQ(s.headTensors, 4u);
  const auto file = io::readTorchFile(out).toGenericDict();
  ASSERT_EQ(file.size(), 2u);
  EXPECT_EQ(names(io::flattenStateDict(file.at("trunk_state_dict"))), names(part(*src, "trunk.")));
  EXPECT_EQ(names(io::flattenStateDict(file.at("head_state_dict"))), names(part(*src, "heads.")));
  auto dst = randomModel(14);
  dst->load(out);
  expectSameState(*src, *dst);
}

TEST(ExportWeights, FixtureAndExNegSimclrAndErrors) {
  const auto dir = test::tempDir("export_weights_fixture");
  const auto out = (dir / "model_weights.torch").string();
  const ExportSummary s = exportPublishedWeights(test::fixture("resnet50_w0125_s2.weights.pt"), out);
  EXPECT_EQ(s.trunkTensors, 322u);
  EXPECT_EQ(s.headTensors, 0u);
  const auto file = io::readTorchFile(out).toGenericDict();
  ASSERT_EQ(file.size(), 1u);
  const auto trunk = io::flattenStateDict(file.at("trunk_state_dict"));
  const auto original =
      io::flattenStateDict(io::readTorchFile(test::fixture("resnet50_w0125_s2.weights.pt")));
  ASSERT_EQ(trunk.size(), original.size());
  for (size_t i = 0; i < trunk.size(); ++i) {
    EXPECT_EQ("state_dict.model.trunk." + trunk[i].first, original[i].first);
    EXPECT_TRUE(torch::equal(trunk[i].second, original[i].second));
  }
  if (const char* copy = std::getenv("FMCIB_WRITE_EXPORT_TO"))
    exportPublishedWeights(test::fixture("resnet50_w0125_s2.weights.pt"),
                           copy);  // for the by-hand Python check

  auto ssl = io::makeStringDict();
  ssl.insert("state_dict", withPrefix({{"conv1.weight", torch::ones({2})}}, "model.backbone."));
  const auto sslPath = (dir / "ssl.ckpt").string();
  io::writeTorchFile(sslPath, ssl);
  EXPECT_EQ(exportPublishedWeights(sslPath, out).trunkPrefix, "model.backbone.");

  EXPECT_NE(inputErrorOf([&] {
              exportPublishedWeights(test::fixture("resnet18_w0125.weights.pt"), out);
            }).find("no 'state_dict'"),
            std::string::npos);
}

}  // namespace
}  // namespace fmcib::models
