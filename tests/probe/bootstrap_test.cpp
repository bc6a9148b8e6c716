// numpy's RandomState draws, np.percentile, and the bootstrap loop against numpy's recipe.
#include <gtest/gtest.h>

#include <cmath>

#include "fmcib/engine/metrics.hpp"
#include "fmcib/probe/bootstrap.hpp"
#include "probe/probe_reference.hpp"

namespace fmcib::probe {
namespace {

TEST(NumpyRandomState, RandintMatchesNumpy) {
  NumpyRandomState famous(42);  // np.random.seed(42); np.random.randint(0, 100, 5)
  for (int64_t expected : {51, 92, 14, 71, 60}) EXPECT_EQ(famous.randint(100), expected);
  const YAML::Node& ref = test::protocolReference()["randint"];
  NumpyRandomState a(ref["seed"].as<uint32_t>()), b(ref["seed2"].as<uint32_t>());
  for (int64_t expected : test::asVector<int64_t>(ref["draws"]))
    EXPECT_EQ(a.randint(ref["high"].as<int64_t>()), expected);
  for (int64_t expected : test::asVector<int64_t>(ref["draws2"]))
    EXPECT_EQ(b.randint(ref["high2"].as<int64_t>()), expected);
  NumpyRandomState single(1);
  EXPECT_EQ(single.randint(1), 0);
}

TEST(Percentile, MatchesNumpyLinearInterpolation) {
  const YAML::Node& ref = test::protocolReference()["percentile"];
  const auto values = test::asVector<double>(ref["values"]);
  const auto qs = test::asVector<double>(ref["q"]);
  const auto expected = test::asVector<double>(ref["expected"]);
  for (size_t i = 0; i < qs.size(); ++i) EXPECT_NEAR(percentile(values, qs[i]), expected[i], 1e-15) << qs[i];
  EXPECT_TRUE(std::isnan(percentile({}, 50)));
  EXPECT_EQ(percentile({3.0}, 97.5), 3.0);
}

BootstrapResult smallBootstrap(uint32_t seed) {
  const YAML::Node& ref = test::protocolReference()["bootstrap_small"];
  const auto targets = test::asVector<int64_t>(ref["targets"]);
  const auto scores = test::asVector<double>(ref["scores"]);
  auto keep = [&](const std::vector<int64_t>& idx) {
    bool pos = false, neg = false;
    for (int64_t i : idx) (targets[static_cast<size_t>(i)] ? pos : neg) = true;
    return pos && neg;
  };
  auto metric = [&](const std::vector<int64_t>& idx) {
    std::vector<double> s;
    std::vector<int64_t> t;
    for (int64_t i : idx) {
      s.push_back(scores[static_cast<size_t>(i)]);
      t.push_back(targets[static_cast<size_t>(i)]);
    }
    return std::vector<double>{engine::binaryAuroc(s, t)};
  };
  return bootstrap(static_cast<int64_t>(targets.size()), ref["resamples"].as<int>(), seed, 0.95, keep,
                   metric);
}

TEST(Bootstrap, SkipsResamplesWithoutAClassAndMatchesNumpysRecipe) {
  const YAML::Node& ref = test::protocolReference()["bootstrap_small"];
  const BootstrapResult r = smallBootstrap(ref["seed"].as<uint32_t>());
  EXPECT_EQ(r.skipped, ref["skipped"].as<int>());
  EXPECT_EQ(r.used, ref["used"].as<int>());
  ASSERT_EQ(r.low.size(), 1u);
  EXPECT_NEAR(r.low[0], ref["low"].as<double>(), 1e-12);
  EXPECT_NEAR(r.high[0], ref["high"].as<double>(), 1e-12);
}

TEST(Bootstrap, IsDeterministicPerSeed) {
  const BootstrapResult a = smallBootstrap(11), b = smallBootstrap(11), c = smallBootstrap(12);
  EXPECT_EQ(a.low, b.low);
  EXPECT_EQ(a.high, b.high);
  EXPECT_EQ(a.skipped, b.skipped);
  EXPECT_TRUE(a.low != c.low || a.skipped != c.skipped);
}

TEST(Bootstrap, NoKeptResampleGivesNoInterval) {
  const BootstrapResult r = bootstrap(
      5, 20, 1, 0.95, [](const std::vector<int64_t>&) { return false; },
      [](const std::vector<int64_t>&) { return std::vector<double>{1.0}; });
  EXPECT_EQ(r.skipped, 20);
  EXPECT_EQ(r.used, 0);
  EXPECT_TRUE(r.low.empty());
}

}  // namespace
}  // namespace fmcib::probe
