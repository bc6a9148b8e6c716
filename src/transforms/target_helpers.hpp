#pragma once
// Reading MONAI-style arguments in the `_target_` builders of this area (not a public interface).
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"
#include "fmcib/config/registry.hpp"
#include "fmcib/transforms/dictionary.hpp"
#include "fmcib/transforms/transform.hpp"

namespace fmcib::transforms::detail {

using config::Args;
using config::Value;

/// Runs a constructor and stores the result; an ArgumentError it throws becomes `args.fail`
/// (a ConfigError that names file, line and path of the argument).
Value buildTransform(const Args& a, const std::function<std::shared_ptr<Transform>()>& make);

/// Registers one target (a name given twice is skipped, so registration stays idempotent).
void addTarget(config::Registry& r, const std::string& name, const std::string& doc,
               std::vector<config::ArgSpec> args, config::BuildFn build);

/// The spec of `prob` with a default.
config::ArgSpec probArg(double defaultValue);
/// `lazy` (MONAI lazy resampling; accepted, transforms here run eagerly).
config::ArgSpec lazyArg();

/// A transform argument: null, a built transform, or a list of them (composed).
TransformPtr transformArg(const Args& a, const std::string& name);
/// A list of transforms (a single transform counts as a list of one).
std::vector<TransformPtr> transformList(const Args& a, const std::string& name);
/// The list as dictionary transforms when its first item is one (a later array transform is an
/// error naming it); nullopt for null, an empty list, or array transforms.
std::optional<std::vector<MapTransformPtr>> mapTransformList(const Args& a, const std::string& name);
/// Registers the dictionary transforms (after the array ones they wrap).
void registerDictionaryTargets(config::Registry& r);

/// A number or a list of numbers; null → nullopt.
std::optional<std::vector<double>> numbers(const Args& a, const std::string& name);
/// An int or a list of ints; null → nullopt. Floats that are whole numbers are accepted.
std::optional<std::vector<int64_t>> ints(const Args& a, const std::string& name);
/// Sizes for the 3 spatial axes of a [C, D, H, W] volume: one int (used for every axis, when
/// `allowScalar`) or a list of exactly 3.
std::vector<int64_t> sizes3(const Args& a, const std::string& name, bool allowScalar);
/// A [min, max] pair.
std::pair<double, double> range2(const Args& a, const std::string& name);
/// `dtype`: null → nullopt.
std::optional<c10::ScalarType> dtypeArg(const Args& a, const std::string& name = "dtype");

}  // namespace fmcib::transforms::detail
