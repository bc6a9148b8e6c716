#pragma once
/// Checked reading of restored state (the dicts of a checkpoint): every value is checked for its
/// type and range before it is used, and an error is an InputError naming the key path
/// (`optimizer_states[0].param_groups[1].lr: expected a finite number >= 0, got nan`), never a
/// LibTorch assertion. Optimizers, schedulers, callbacks and the trainer read their state with it.
#include <ATen/Tensor.h>
#include <ATen/core/Dict.h>
#include <ATen/core/ivalue.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace fmcib::optim {

/// Upper bound of restored counters (epochs, steps, batches): far above any real run, and low
/// enough that the loops' arithmetic on them (epoch + 1, batches × world size) cannot overflow.
inline constexpr int64_t kMaxRestoredCount = int64_t{1} << 40;

inline constexpr double kInf = std::numeric_limits<double>::infinity();

/// `v` as an integer in [lo, hi]: an int, an integral float, or a one-element tensor holding one.
int64_t stateInteger(const c10::IValue& v, const std::string& what, int64_t lo, int64_t hi);
/// `v` as a finite number in [lo, hi] (an int, a float or a one-element real tensor); with
/// `allowInfinite`, ±inf too. NaN is never accepted.
double stateNumber(const c10::IValue& v, const std::string& what, double lo = -kInf, double hi = kInf,
                   bool allowInfinite = false);
/// A bool, or a number that is 0 or 1.
bool stateFlag(const c10::IValue& v, const std::string& what);
/// A list or a tuple, as its elements.
std::vector<c10::IValue> stateList(const c10::IValue& v, const std::string& what);
/// A dense, real-valued (floating point) tensor whose values are all finite.
at::Tensor stateFloatTensor(const c10::IValue& v, const std::string& what);
/// The text of a value's type for messages ("a string", "a list", "a tensor of dtype Float").
std::string describeValue(const c10::IValue& v);

/// One restored dict and its key path.
class StateDict {
 public:
  /// InputError naming `path` when `v` is not a dict.
  StateDict(const c10::IValue& v, std::string path);
  const std::string& path() const { return path_; }
  /// The path of one key: "<path>.<key>" (or "<key>" at the top).
  std::string keyPath(const std::string& key) const;
  const c10::impl::GenericDict& raw() const { return dict_; }

  bool has(const std::string& key) const;
  /// nullptr when the key is absent.
  const c10::IValue* find(const std::string& key) const;
  /// InputError "<path>.<key>: missing" when absent.
  const c10::IValue& get(const std::string& key) const;

  int64_t integer(const std::string& key, int64_t lo, int64_t hi) const {
    return stateInteger(get(key), keyPath(key), lo, hi);
  }
  double number(const std::string& key, double lo = -kInf, double hi = kInf,
                bool allowInfinite = false) const {
    return stateNumber(get(key), keyPath(key), lo, hi, allowInfinite);
  }
  bool flag(const std::string& key) const { return stateFlag(get(key), keyPath(key)); }
  StateDict dict(const std::string& key) const { return StateDict(get(key), keyPath(key)); }
  std::vector<c10::IValue> list(const std::string& key) const { return stateList(get(key), keyPath(key)); }
  /// A list of finite numbers in [lo, hi], of exactly `size` elements (any size when < 0).
  std::vector<double> numbers(const std::string& key, int64_t size, double lo = -kInf,
                              double hi = kInf) const;

 private:
  c10::impl::GenericDict dict_;
  std::string path_;
};

}  // namespace fmcib::optim
