#include "fmcib/optim/state_fields.hpp"

#include <torch/torch.h>

#include <cmath>
#include <sstream>

#include "fmcib/config/error.hpp"

namespace fmcib::optim {

namespace {

std::string numberText(double v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

/// A one-element real tensor's value; nullopt-like false when the tensor is not one.
bool scalarTensor(const c10::IValue& v, double& out) {
  if (!v.isTensor()) return false;
  const at::Tensor& t = v.toTensor();
  if (!t.defined() || t.layout() != at::kStrided || t.is_quantized() || t.is_complex() || t.numel() != 1)
    return false;
  out = t.item<double>();
  return true;
}

[[noreturn]] void fail(const std::string& what, const std::string& expected, const c10::IValue& v) {
  throw InputError(what + ": expected " + expected + ", got " + describeValue(v));
}

std::string rangeText(double lo, double hi) {
  if (lo == -kInf && hi == kInf) return "";
  if (hi == kInf) return " >= " + numberText(lo);
  if (lo == -kInf) return " <= " + numberText(hi);
  return " in [" + numberText(lo) + ", " + numberText(hi) + "]";
}

}  // namespace

std::string describeValue(const c10::IValue& v) {
  if (v.isNone()) return "None";
  if (v.isBool()) return v.toBool() ? "True" : "False";
  if (v.isInt()) return std::to_string(v.toInt());
  if (v.isDouble()) return numberText(v.toDouble());
  if (v.isString()) {
    const std::string& s = v.toStringRef();
    return "the string '" + (s.size() > 40 ? s.substr(0, 40) + "…" : s) + "'";
  }
  if (v.isTensor()) {
    const at::Tensor& t = v.toTensor();
    if (!t.defined()) return "an undefined tensor";
    std::ostringstream os;
    os << "a tensor of dtype " << t.scalar_type() << " and shape " << t.sizes();
    if (t.layout() != at::kStrided) os << " (layout " << t.layout() << ")";
    return os.str();
  }
  if (v.isList()) return "a list of " + std::to_string(v.toListRef().size());
  if (v.isTuple()) return "a tuple of " + std::to_string(v.toTupleRef().elements().size());
  if (v.isGenericDict()) return "a dict of " + std::to_string(v.toGenericDict().size());
  return "a " + std::string(v.tagKind());
}

int64_t stateInteger(const c10::IValue& v, const std::string& what, int64_t lo, int64_t hi) {
  const std::string expected = "an int in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  if (v.isInt()) {
    if (v.toInt() < lo || v.toInt() > hi) fail(what, expected, v);
    return v.toInt();
  }
  double d = 0;
  if (v.isDouble())
    d = v.toDouble();
  else if (!scalarTensor(v, d))
    fail(what, expected, v);
  // Only integers a double holds exactly (|d| <= 2^53) convert without rounding or overflow.
  if (!std::isfinite(d) || d != std::trunc(d) || std::fabs(d) > 9007199254740992.0 ||
      d < static_cast<double>(lo) || d > static_cast<double>(hi))
    throw InputError(what + ": expected " + expected + ", got " + numberText(d));
  return static_cast<int64_t>(d);
}

double stateNumber(const c10::IValue& v, const std::string& what, double lo, double hi, bool allowInfinite) {
  const std::string expected =
      std::string(allowInfinite ? "a number" : "a finite number") + rangeText(lo, hi);
  double d = 0;
  if (v.isDouble())
    d = v.toDouble();
  else if (v.isInt())
    d = static_cast<double>(v.toInt());
  else if (!scalarTensor(v, d))
    fail(what, expected, v);
  if (std::isnan(d) || (!allowInfinite && !std::isfinite(d)) || d < lo || d > hi)
    throw InputError(what + ": expected " + expected + ", got " + numberText(d));
  return d;
}

bool stateFlag(const c10::IValue& v, const std::string& what) {
  if (v.isBool()) return v.toBool();
  double d = 0;
  if (v.isInt())
    d = static_cast<double>(v.toInt());
  else if (v.isDouble())
    d = v.toDouble();
  else if (!scalarTensor(v, d))
    fail(what, "True or False", v);
  if (d != 0 && d != 1) fail(what, "True or False", v);
  return d != 0;
}

std::vector<c10::IValue> stateList(const c10::IValue& v, const std::string& what) {
  if (v.isList()) return v.toListRef().vec();
  if (v.isTuple()) return v.toTupleRef().elements().vec();
  fail(what, "a list", v);
}

at::Tensor stateFloatTensor(const c10::IValue& v, const std::string& what) {
  if (!v.isTensor() || !v.toTensor().defined()) fail(what, "a tensor", v);
  const at::Tensor& t = v.toTensor();
  if (t.layout() != at::kStrided || t.is_quantized() || !at::isFloatingType(t.scalar_type()))
    fail(what, "a dense floating-point tensor", v);
  if (t.numel() > 0 && !torch::isfinite(t).all().item<bool>())
    throw InputError(what + ": holds NaN or infinite values");
  return t;
}

StateDict::StateDict(const c10::IValue& v, std::string path)
    : dict_(c10::impl::GenericDict(c10::AnyType::get(), c10::AnyType::get())), path_(std::move(path)) {
  if (!v.isGenericDict()) fail(path_.empty() ? "the checkpoint" : path_, "a dict", v);
  dict_ = v.toGenericDict();
}

std::string StateDict::keyPath(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

const c10::IValue* StateDict::find(const std::string& key) const {
  auto it = dict_.find(c10::IValue(key));
  return it == dict_.end() ? nullptr : &it->value();
}

bool StateDict::has(const std::string& key) const {
  return find(key) != nullptr;
}

const c10::IValue& StateDict::get(const std::string& key) const {
  const c10::IValue* v = find(key);
  if (!v) throw InputError(keyPath(key) + ": missing");
  return *v;
}

std::vector<double> StateDict::numbers(const std::string& key, int64_t size, double lo, double hi) const {
  const std::vector<c10::IValue> items = list(key);
  if (size >= 0 && static_cast<int64_t>(items.size()) != size)
    throw InputError(keyPath(key) + ": expected " + std::to_string(size) + " values, got " +
                     std::to_string(items.size()));
  std::vector<double> out;
  out.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i)
    out.push_back(stateNumber(items[i], keyPath(key) + "[" + std::to_string(i) + "]", lo, hi));
  return out;
}

}  // namespace fmcib::optim
