// Reference forms, expressions, merges and overrides on inline YAML (DESIGN §3).
#include <gtest/gtest.h>

#include "config_test_support.hpp"
#include "fmcib/config/expression.hpp"

using fmcib::config::Config;
using fmcib::config::Value;
using fmcib::test::load;
using fmcib::test::Thing;

TEST(ConfigReferences, AbsoluteRelativeParentAndListIndex) {
  Config c = load(R"Y(
vars:
  base: 7
  nested:
    x: 3
    same: "@#x"
    up: "@##base"
  list: [10, {k: 20}, 30]
  first: "@vars#list#0"
  deep: "@vars#list#1#k"
  abs: "@vars#nested#x"
)Y");
  c.validate();
  EXPECT_EQ(c.resolve("vars#nested#same").asInt(), 3);
  EXPECT_EQ(c.resolve("vars#nested#up").asInt(), 7);
  EXPECT_EQ(c.resolve("vars#first").asInt(), 10);
  EXPECT_EQ(c.resolve("vars#deep").asInt(), 20);
  EXPECT_EQ(c.resolve("vars#abs").asInt(), 3);
}

TEST(ConfigReferences, AtSharesOneObjectPercentCopiesIndependently) {
  fmcib::test::thingBuilds() = 0;
  Config c = load(R"Y(
system:
  _target_: test.Thing
  a: 1
  child: {_target_: test.Thing, a: 2}
vars:
  shared1: "@system#child"
  shared2: "@system#child"
  copy: "%system#child"
  relcopy: "%#copy"
)Y");
  c.validate();
  auto s1 = c.resolve("vars#shared1").as<Thing>();
  auto s2 = c.resolve("vars#shared2").as<Thing>();
  auto parent = c.resolve("system").as<Thing>();
  EXPECT_EQ(s1.get(), s2.get());
  EXPECT_EQ(parent->child.get(), s1.get());
  auto copy = c.resolve("vars#copy").as<Thing>();
  auto relcopy = c.resolve("vars#relcopy").as<Thing>();
  EXPECT_NE(copy.get(), s1.get());
  EXPECT_NE(copy.get(), relcopy.get());
  EXPECT_EQ(copy->a, 2);
  EXPECT_EQ(relcopy->a, 2);
  EXPECT_EQ(fmcib::test::thingBuilds(), 4);  // system, its child, and two copies
}

TEST(ConfigReferences, LazyInstantiationBuildsOnlyWhatIsAskedFor) {
  fmcib::test::thingBuilds() = 0;
  Config c = load("vars:\n  used: {_target_: test.Thing, a: 1}\n  unused: {_target_: test.Thing, a: 2}\n");
  c.resolve("vars#used");
  c.resolve("vars#used");
  EXPECT_EQ(fmcib::test::thingBuilds(), 1);
}

TEST(ConfigReferences, DisabledComponentIsNull) {
  Config c = load(
      "vars:\n  off: {_target_: test.Thing, a: 1, _disabled_: true}\n  on: {_target_: test.Thing, a: 1, "
      "_disabled_: false}\n");
  c.validate();
  EXPECT_TRUE(c.resolve("vars#off").isNull());
  EXPECT_TRUE(c.resolve("vars#on").holds<Thing>());
}

TEST(ConfigExpressions, ArithmeticSubset) {
  Config c = load(R"Y(
vars:
  batch_size: 32
  devices: 2
  max_epochs: 100
  lr: "$((@vars#batch_size * @vars#devices)/256) * 0.3"
  train: {_target_: test.Dataset, n: 1000}
  tmax: "$(@vars#max_epochs) * len(@vars#train)//(@vars#batch_size * @vars#devices)"
  py: "$-7 // 2 + 7 % -3 * 1 + 2 ** 3 ** 2 - -1"
  fl: "$7.5 // 2 + float(3) / 2 + int(3.9) + abs(-2) + max(1, 4, 2) + min([5, 3]) + round(2.6)"
  lenlist: "$len([1, 2, 3]) + len(@vars#train)"
  fn: "$math.twice(@vars#devices)"
)Y");
  c.validate();
  EXPECT_DOUBLE_EQ(c.resolve("vars#lr").asDouble(), 0.075);
  EXPECT_EQ(c.resolve("vars#tmax").asInt(), 100 * 1000 / 64);
  // Python: -7//2 = -4, 7 % -3 = -2, 2**3**2 = 512 → -4 + -2 + 512 + 1
  EXPECT_EQ(c.resolve("vars#py").asInt(), 507);
  EXPECT_DOUBLE_EQ(c.resolve("vars#fl").asDouble(), 3.0 + 1.5 + 3 + 2 + 4 + 3 + 3);
  EXPECT_EQ(c.resolve("vars#lenlist").asInt(), 1003);
  EXPECT_DOUBLE_EQ(c.resolve("vars#fn").asDouble(), 4.0);
}

TEST(ConfigExpressions, LambdaIsCallable) {
  Config c = load("vars:\n  f: '$lambda x: math.twice(x) + 1'\n");
  c.validate();
  auto f = c.resolve("vars#f").as<fmcib::config::Lambda>();
  EXPECT_DOUBLE_EQ((*f)(Value(3)).asDouble(), 7.0);
}

TEST(ConfigMerge, LaterFileReplacesTopLevelPlusKeyUpdatesIdPathSets) {
  Config c = Config::fromStrings(
      {{"a.yaml", "vars: {a: 1, b: 2, l: [1]}\nsystem: {_target_: test.Thing, a: 1, b: 2.0}\nproject: x\n"},
       {"b.yaml", "project: y\n+vars: {b: 3, c: 4}\n+vars#l: [2, 3]\nsystem#a: 5\n"}},
      {}, fmcib::test::testRegistry());
  c.validate();
  EXPECT_EQ(c.resolve("project").asString(), "y");
  EXPECT_EQ(c.resolve("vars#a").asInt(), 1);
  EXPECT_EQ(c.resolve("vars#b").asInt(), 3);
  EXPECT_EQ(c.resolve("vars#c").asInt(), 4);
  EXPECT_EQ(c.resolve("vars#l").asList().size(), 3u);
  EXPECT_EQ(c.resolve("system").as<Thing>()->a, 5);
  // A later top-level key replaces the whole value.
  Config r = Config::fromStrings({{"a.yaml", "vars: {a: 1, b: 2}\n"}, {"b.yaml", "vars: {c: 3}\n"}}, {},
                                 fmcib::test::testRegistry());
  EXPECT_FALSE(r.contains("vars#a"));
  EXPECT_EQ(r.resolve("vars#c").asInt(), 3);
  EXPECT_EQ(r.locate("vars#c"), "b.yaml:1");
}

TEST(ConfigOverrides, NestedAndListPathsParsedAsYaml) {
  Config c = Config::fromStrings(
      {{"a.yaml", "vars: {a: {b: 1}, l: [1, {x: 2}], s: old}\n"}},
      {{"vars#a#b", "16"}, {"vars#l#1#x", "[3, 4]"}, {"vars#s", "new"}, {"vars#a#c", "0.5"}},
      fmcib::test::testRegistry());
  EXPECT_EQ(c.resolve("vars#a#b").asInt(), 16);
  EXPECT_EQ(c.resolve("vars#l#1#x").asList().size(), 2u);
  EXPECT_EQ(c.resolve("vars#s").asString(), "new");
  EXPECT_DOUBLE_EQ(c.resolve("vars#a#c").asDouble(), 0.5);
  EXPECT_EQ(c.locate("vars#a#b"), "command-line override --vars#a#b");
}

TEST(ConfigPrint, ResolvesPlainValuesKeepsComponents) {
  Config c = load(R"Y(
vars:
  bs: 32
  lr: "$@vars#bs / 256 * 0.3"
  ref: "@vars#bs"
  copy: "%vars#list"
  list: [1, 2]
  obj: {_target_: test.Dataset, n: 3}
  n: "$len(@vars#obj)"
)Y");
  std::string out = c.printResolved();
  EXPECT_NE(out.find("lr: 0.0375"), std::string::npos) << out;
  EXPECT_NE(out.find("ref: 32"), std::string::npos) << out;
  EXPECT_NE(out.find("_target_: test.Dataset"), std::string::npos) << out;
  EXPECT_NE(out.find("n: $len(@vars#obj)"), std::string::npos) << out;
  EXPECT_EQ(out.find("%vars"), std::string::npos) << out;
}
