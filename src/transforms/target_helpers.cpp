#include "target_helpers.hpp"

#include <torch/torch.h>

#include <cmath>

#include "fmcib/transforms/compose.hpp"

namespace fmcib::transforms::detail {

Value buildTransform(const Args& a, const std::function<std::shared_ptr<Transform>()>& make) {
  try {
    return Value::object<Transform>(make(), a.target());
  } catch (const ArgumentError& e) {
    a.fail(e.arg(), e.message());
  }
}

void addTarget(config::Registry& r, const std::string& name, const std::string& doc,
               std::vector<config::ArgSpec> args, config::BuildFn build) {
  if (r.find(name)) return;
  r.add(config::TargetSpec{name, doc, std::move(args), std::move(build)});
}

config::ArgSpec probArg(double defaultValue) {
  return config::arg("prob", config::kNumber, defaultValue,
                     "probability of applying the transform, in [0, 1]");
}

config::ArgSpec lazyArg() {
  return config::arg("lazy", config::kBool | config::kNull, false,
                     "MONAI lazy resampling; accepted, transforms run eagerly");
}

namespace {
TransformPtr asTransform(const Args& a, const std::string& name, const Value& v, const std::string& where) {
  if (!v.holds<Transform>()) a.fail(name, where + " is " + v.kindName() + ", not a transform");
  return v.as<Transform>();
}
}  // namespace

std::vector<TransformPtr> transformList(const Args& a, const std::string& name) {
  const Value v = a.get(name);
  std::vector<TransformPtr> out;
  if (v.isNull()) return out;
  if (!v.isList()) {
    out.push_back(asTransform(a, name, v, "the value"));
    return out;
  }
  const auto& list = v.asList();
  for (size_t i = 0; i < list.size(); ++i)
    out.push_back(asTransform(a, name, list[i], "item " + std::to_string(i)));
  return out;
}

TransformPtr transformArg(const Args& a, const std::string& name) {
  const Value v = a.get(name);
  if (v.isNull()) return nullptr;
  if (!v.isList()) return asTransform(a, name, v, "the value");
  return std::make_shared<Compose>(transformList(a, name));
}

std::optional<std::vector<double>> numbers(const Args& a, const std::string& name) {
  const Value v = a.get(name);
  if (v.isNull()) return std::nullopt;
  if (v.isNumber()) return std::vector<double>{v.asDouble()};
  if (!v.isList()) a.fail(name, "expected a number or a list of numbers, got " + v.kindName());
  std::vector<double> out;
  for (const auto& item : v.asList()) {
    if (!item.isNumber()) a.fail(name, "expected numbers, got " + item.kindName() + " " + item.repr());
    out.push_back(item.asDouble());
  }
  return out;
}

std::optional<std::vector<int64_t>> ints(const Args& a, const std::string& name) {
  const auto d = numbers(a, name);
  if (!d) return std::nullopt;
  std::vector<int64_t> out;
  for (double x : *d) {
    if (std::floor(x) != x) a.fail(name, "expected whole numbers, got " + std::to_string(x));
    out.push_back(static_cast<int64_t>(x));
  }
  return out;
}

std::vector<int64_t> sizes3(const Args& a, const std::string& name, bool allowScalar) {
  const Value v = a.get(name);
  const auto s = ints(a, name);
  if (!s) a.fail(name, "is required");
  if (v.isNumber()) {
    if (!allowScalar)
      a.fail(name, "needs 3 sizes (one per spatial axis of a [C, D, H, W] volume), got the single number " +
                       v.repr());
    return std::vector<int64_t>(3, (*s)[0]);
  }
  if (s->size() != 3)
    a.fail(name,
           "needs 3 sizes (one per spatial axis of a [C, D, H, W] volume), got " + std::to_string(s->size()));
  return *s;
}

std::pair<double, double> range2(const Args& a, const std::string& name) {
  const auto d = numbers(a, name);
  if (!d || d->size() != 2 || a.get(name).isNumber())
    a.fail(name, "expected a range [min, max], got " + a.get(name).repr());
  return {(*d)[0], (*d)[1]};
}

std::optional<c10::ScalarType> dtypeArg(const Args& a, const std::string& name) {
  const Value v = a.get(name);
  if (v.isNull()) return std::nullopt;
  try {
    return parseDtype(v.asString(), name);
  } catch (const ArgumentError& e) {
    a.fail(name, e.message());
  }
}

}  // namespace fmcib::transforms::detail
