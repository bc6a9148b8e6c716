#include "fmcib/data/nested.hpp"

#include <torch/torch.h>

#include "fmcib/config/error.hpp"

namespace fmcib::data {

Nested::Nested(at::Tensor tensor) : v_(std::move(tensor)) {}

Nested Nested::list(List items) {
  Nested n;
  n.v_ = std::make_shared<const List>(std::move(items));
  return n;
}

Nested Nested::dict(Dict items) {
  Nested n;
  n.v_ = std::make_shared<const Dict>(std::move(items));
  return n;
}

const char* Nested::kindName() const {
  switch (kind()) {
    case Kind::kNone:
      return "none";
    case Kind::kTensor:
      return "tensor";
    case Kind::kList:
      return "list";
    case Kind::kDict:
      return "dict";
  }
  return "?";
}

const at::Tensor& Nested::tensor() const {
  if (!isTensor()) throw RuntimeError(std::string("expected a tensor, got a ") + kindName());
  return std::get<at::Tensor>(v_);
}

const Nested::List& Nested::list() const {
  if (!isList()) throw RuntimeError(std::string("expected a list, got a ") + kindName());
  return *std::get<std::shared_ptr<const List>>(v_);
}

const Nested::Dict& Nested::dict() const {
  if (!isDict()) throw RuntimeError(std::string("expected a dict, got a ") + kindName());
  return *std::get<std::shared_ptr<const Dict>>(v_);
}

const Nested* Nested::find(const std::string& key) const {
  for (const auto& kv : dict())
    if (kv.first == key) return &kv.second;
  return nullptr;
}

const Nested& Nested::at(const std::string& key) const {
  if (const Nested* n = find(key)) return *n;
  std::string keys;
  for (const auto& kv : dict()) keys += (keys.empty() ? "" : ", ") + kv.first;
  throw RuntimeError("no key '" + key + "' (keys: " + keys + ")");
}

const Nested& Nested::at(size_t index) const {
  const List& l = list();
  if (index >= l.size())
    throw RuntimeError("index " + std::to_string(index) + " out of a list of " + std::to_string(l.size()));
  return l[index];
}

size_t Nested::size() const {
  switch (kind()) {
    case Kind::kNone:
      return 0;
    case Kind::kTensor:
      return 1;
    case Kind::kList:
      return list().size();
    case Kind::kDict:
      return dict().size();
  }
  return 0;
}

std::vector<at::Tensor> Nested::leaves() const {
  std::vector<at::Tensor> out;
  std::function<void(const Nested&)> walk = [&](const Nested& n) {
    if (n.isTensor()) out.push_back(n.tensor());
    if (n.isList())
      for (const auto& c : n.list()) walk(c);
    if (n.isDict())
      for (const auto& kv : n.dict()) walk(kv.second);
  };
  walk(*this);
  return out;
}

Nested Nested::map(const std::function<at::Tensor(const at::Tensor&)>& fn) const {
  switch (kind()) {
    case Kind::kNone:
      return {};
    case Kind::kTensor:
      return Nested(fn(tensor()));
    case Kind::kList: {
      List out;
      for (const auto& c : list()) out.push_back(c.map(fn));
      return Nested::list(std::move(out));
    }
    case Kind::kDict: {
      Dict out;
      for (const auto& kv : dict()) out.emplace_back(kv.first, kv.second.map(fn));
      return Nested::dict(std::move(out));
    }
  }
  return {};
}

std::map<std::string, std::vector<at::Tensor>> Nested::toViews() const {
  if (!isDict()) throw RuntimeError(std::string("expected a dict of views, got a ") + kindName());
  std::map<std::string, std::vector<at::Tensor>> out;
  for (const auto& [key, value] : dict()) {
    if (value.isTensor()) {
      out[key].push_back(value.tensor());
    } else if (value.isList()) {
      for (const auto& v : value.list()) out[key].push_back(v.tensor());
    } else {
      throw RuntimeError("views '" + key + "' must be a tensor or a list of tensors, got a " +
                         value.kindName());
    }
  }
  return out;
}

std::string Nested::describe() const {
  switch (kind()) {
    case Kind::kNone:
      return "none";
    case Kind::kTensor: {
      std::string s = "[";
      const auto sizes = tensor().sizes();
      for (size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
      return s + "]";
    }
    case Kind::kList: {
      std::string s = "[";
      for (size_t i = 0; i < list().size(); ++i) s += (i ? ", " : "") + list()[i].describe();
      return s + "]";
    }
    case Kind::kDict: {
      std::string s = "{";
      bool first = true;
      for (const auto& kv : dict()) {
        s += (first ? "" : ", ") + kv.first + ": " + kv.second.describe();
        first = false;
      }
      return s + "}";
    }
  }
  return "?";
}

}  // namespace fmcib::data
