#include "fmcib/engine/tensor_functions.hpp"

#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

namespace fmcib::engine {

using config::List;
using config::Map;
using config::Value;

Value tensorValue(const at::Tensor& t) {
  return Value::object(std::make_shared<at::Tensor>(t), "torch.Tensor");
}

at::Tensor valueTensor(const Value& v, const std::string& what) {
  if (!v.holds<at::Tensor>()) throw RuntimeError(what + ": expected a tensor, got " + v.kindName());
  return *v.as<at::Tensor>();
}

at::Tensor applyLambda(const config::Lambda& fn, const at::Tensor& x) {
  return valueTensor(fn(tensorValue(x)), "result of '" + fn.text() + "'");
}

namespace {

/// Positional-or-keyword argument access with Python's error style.
class CallArgs {
 public:
  CallArgs(std::string fn, const List& args, const Map& kwargs, std::vector<std::string> names)
      : fn_(std::move(fn)), args_(args), kwargs_(kwargs), names_(std::move(names)) {
    if (args_.size() > names_.size()) fail("takes at most " + std::to_string(names_.size()) + " argument(s)");
    for (const auto& kv : kwargs_) {
      bool known = false;
      for (size_t i = 0; i < names_.size(); ++i)
        if (names_[i] == kv.first) {
          known = true;
          if (i < args_.size()) fail("got multiple values for argument '" + kv.first + "'");
        }
      if (!known) fail("got an unexpected keyword argument '" + kv.first + "'");
    }
  }
  const Value* find(size_t i) const {
    if (i < args_.size()) return &args_[i];
    for (const auto& kv : kwargs_)
      if (kv.first == names_[i]) return &kv.second;
    return nullptr;
  }
  at::Tensor tensor(size_t i) const {
    const Value* v = find(i);
    if (!v) fail("missing argument '" + names_[i] + "'");
    if (!v->holds<at::Tensor>()) fail("argument '" + names_[i] + "' must be a tensor, got " + v->kindName());
    return *v->as<at::Tensor>();
  }
  std::optional<int64_t> optInt(size_t i) const {
    const Value* v = find(i);
    if (!v || v->isNull()) return std::nullopt;
    if (!v->isInt()) fail("argument '" + names_[i] + "' must be an int, got " + v->kindName());
    return v->asInt();
  }
  int64_t integer(size_t i) const {
    auto v = optInt(i);
    if (!v) fail("missing argument '" + names_[i] + "'");
    return *v;
  }
  int64_t integer(size_t i, int64_t dflt) const { return optInt(i).value_or(dflt); }
  bool boolean(size_t i, bool dflt) const {
    const Value* v = find(i);
    if (!v || v->isNull()) return dflt;
    if (!v->isBool()) fail("argument '" + names_[i] + "' must be True or False, got " + v->kindName());
    return v->asBool();
  }
  [[noreturn]] void fail(const std::string& msg) const {
    throw ConfigError("expression: " + fn_ + "() " + msg);
  }

 private:
  std::string fn_;
  const List& args_;
  const Map& kwargs_;
  std::vector<std::string> names_;
};

/// Shape arguments of view/reshape: `x.view(-1)`, `x.view(2, 3)` or `x.view([2, 3])`.
std::vector<int64_t> shapeArgs(const std::string& fn, const List& args, const Map& kwargs) {
  if (!kwargs.empty()) throw ConfigError("expression: " + fn + "() takes no keyword arguments");
  const List* items = &args;
  if (args.size() == 1 && args[0].isList()) items = &args[0].asList();
  std::vector<int64_t> shape;
  for (const auto& v : *items) {
    if (!v.isInt()) throw ConfigError("expression: " + fn + "() expects ints, got " + v.kindName());
    shape.push_back(v.asInt());
  }
  if (shape.empty()) throw ConfigError("expression: " + fn + "() needs a shape");
  return shape;
}

using Unary = at::Tensor (*)(const at::Tensor&);

}  // namespace

void registerTensorFunctions(config::Registry& r) {
  if (r.function("torch.softmax")) return;

  auto softmax = [](const char* name, bool log) {
    return [name, log](const List& a, const Map& kw) {
      CallArgs c(name, a, kw, {"input", "dim"});
      at::Tensor x = c.tensor(0);
      const int64_t dim = c.integer(1);
      return tensorValue(log ? torch::log_softmax(x, dim) : torch::softmax(x, dim));
    };
  };
  auto sigmoid = [](const char* name) {
    return [name](const List& a, const Map& kw) {
      CallArgs c(name, a, kw, {"input"});
      return tensorValue(torch::sigmoid(c.tensor(0)));
    };
  };
  auto argmax = [](const at::Tensor& x, const CallArgs& c, size_t first) {
    auto dim = c.optInt(first);
    const bool keep = c.boolean(first + 1, false);
    return tensorValue(dim ? torch::argmax(x, *dim, keep) : torch::argmax(x, c10::nullopt, keep));
  };
  auto squeeze = [](const at::Tensor& x, const CallArgs& c, size_t first) {
    auto dim = c.optInt(first);
    return tensorValue(dim ? x.squeeze(*dim) : x.squeeze());
  };
  auto flatten = [](const at::Tensor& x, const CallArgs& c, size_t first) {
    return tensorValue(x.flatten(c.integer(first, 0), c.integer(first + 1, -1)));
  };

  r.addFunction("torch.softmax", softmax("torch.softmax", false));
  r.addFunction("torch.nn.functional.softmax", softmax("torch.nn.functional.softmax", false));
  r.addFunction("torch.log_softmax", softmax("torch.log_softmax", true));
  r.addFunction("torch.sigmoid", sigmoid("torch.sigmoid"));
  r.addFunction("torch.nn.functional.sigmoid", sigmoid("torch.nn.functional.sigmoid"));
  r.addFunction("torch.argmax", [argmax](const List& a, const Map& kw) {
    CallArgs c("torch.argmax", a, kw, {"input", "dim", "keepdim"});
    return argmax(c.tensor(0), c, 1);
  });
  r.addFunction("torch.squeeze", [squeeze](const List& a, const Map& kw) {
    CallArgs c("torch.squeeze", a, kw, {"input", "dim"});
    return squeeze(c.tensor(0), c, 1);
  });
  r.addFunction("torch.unsqueeze", [](const List& a, const Map& kw) {
    CallArgs c("torch.unsqueeze", a, kw, {"input", "dim"});
    return tensorValue(c.tensor(0).unsqueeze(c.integer(1)));
  });
  r.addFunction("torch.flatten", [flatten](const List& a, const Map& kw) {
    CallArgs c("torch.flatten", a, kw, {"input", "start_dim", "end_dim"});
    return flatten(c.tensor(0), c, 1);
  });

  // Methods: `self` is the tensor, the remaining arguments are positional/keyword as in PyTorch.
  auto method = [&r](const std::string& name, std::vector<std::string> names,
                     std::function<Value(const at::Tensor&, const CallArgs&)> fn) {
    r.addMethod<at::Tensor>(name, [name, names, fn](const Value& self, const List& a, const Map& kw) {
      CallArgs c("." + name, a, kw, names);
      return fn(*self.as<at::Tensor>(), c);
    });
  };
  method("squeeze", {"dim"}, [squeeze](const at::Tensor& x, const CallArgs& c) { return squeeze(x, c, 0); });
  method("unsqueeze", {"dim"},
         [](const at::Tensor& x, const CallArgs& c) { return tensorValue(x.unsqueeze(c.integer(0))); });
  method("flatten", {"start_dim", "end_dim"},
         [flatten](const at::Tensor& x, const CallArgs& c) { return flatten(x, c, 0); });
  method("argmax", {"dim", "keepdim"},
         [argmax](const at::Tensor& x, const CallArgs& c) { return argmax(x, c, 0); });
  method("softmax", {"dim"},
         [](const at::Tensor& x, const CallArgs& c) { return tensorValue(torch::softmax(x, c.integer(0))); });
  const std::pair<const char*, Unary> unary[] = {
      {"long", [](const at::Tensor& x) { return x.to(at::kLong); }},
      {"float", [](const at::Tensor& x) { return x.to(at::kFloat); }},
      {"int", [](const at::Tensor& x) { return x.to(at::kInt); }},
      {"double", [](const at::Tensor& x) { return x.to(at::kDouble); }},
      {"bool", [](const at::Tensor& x) { return x.to(at::kBool); }},
      {"sigmoid", [](const at::Tensor& x) { return torch::sigmoid(x); }},
      {"detach", [](const at::Tensor& x) { return x.detach(); }},
      {"cpu", [](const at::Tensor& x) { return x.cpu(); }},
  };
  for (const auto& [name, fn] : unary) {
    Unary f = fn;
    method(name, {}, [f](const at::Tensor& x, const CallArgs&) { return tensorValue(f(x)); });
  }
  for (const char* name : {"view", "reshape"}) {
    const std::string n = name;
    r.addMethod<at::Tensor>(n, [n](const Value& self, const List& a, const Map& kw) {
      const at::Tensor& x = *self.as<at::Tensor>();
      std::vector<int64_t> shape = shapeArgs("." + n, a, kw);
      return tensorValue(n == "view" ? x.view(shape) : x.reshape(shape));
    });
  }
}

}  // namespace fmcib::engine
