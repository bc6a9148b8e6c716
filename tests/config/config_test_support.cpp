#include "config_test_support.hpp"

namespace fmcib::test {

int& thingBuilds() {
  static int n = 0;
  return n;
}

config::Registry& testRegistry() {
  static config::Registry r = [] {
    using namespace config;
    Registry reg;
    reg.add({"test.Thing",
             "a test object",
             {required("a", kInt, "an int"), arg("b", kFloat, 1.5, "a float"),
              arg("items", kList | kNull, Value(), "a list"),
              arg("child", kObject | kNull, Value(), "another Thing")},
             [](const Args& args) {
               ++thingBuilds();
               auto t = std::make_shared<Thing>();
               t->a = args.getInt("a");
               t->b = args.getDouble("b");
               t->items = args.get("items");
               t->child = args.getObject<Thing>("child");
               return Value::object(t, "test.Thing");
             }});
    reg.add({"test.Dataset", "a dataset of n items", {required("n", kInt, "length")}, [](const Args& args) {
               auto d = std::make_shared<FakeDataset>();
               d->n = args.getInt("n");
               return Value::object(d, "test.Dataset");
             }});
    reg.add({"test.Section",
             "nested declared sections",
             {section("datasets", {arg("train", kAny, Value(), "train"), arg("val", kAny, Value(), "val")},
                      "datasets")},
             [](const Args& args) { return args.get("datasets"); }});
    reg.addMethod<FakeDataset>("__len__", [](const Value& self, const List&, const Map&) {
      return Value(self.as<FakeDataset>()->n);
    });
    reg.addFunction("math.twice", [](const List& a, const Map&) { return Value(a.at(0).asDouble() * 2); });
    return reg;
  }();
  return r;
}

}  // namespace fmcib::test
