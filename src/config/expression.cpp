#include "fmcib/config/expression.hpp"

#include <map>
#include <optional>
#include <set>

#include "expression_arith.hpp"
#include "expression_parser.hpp"
#include "fmcib/common/elide.hpp"

namespace fmcib::config {

const char* supportedExpressionForms() {
  return "numbers, strings, True/False/None, @references, + - * / // % ** with parentheses and unary "
         "minus, [lists], len(x), int(x), float(x), round(x), min(...), max(...), abs(x), "
         "@ref.method() for registered methods (e.g. @system#model.parameters()), registered "
         "functions (e.g. torch.softmax(x, 1), torch.sigmoid(x)), and lambda x: <one of these> "
         "(e.g. lambda x: torch.softmax(x, 1), x.squeeze(1), x.long(), x.float())";
}

namespace {

using Bindings = std::map<std::string, Value>;
using RefFn = std::function<Value(const std::string&)>;

using pyarith::evalError;

class Evaluator {
 public:
  Evaluator(const RefFn& ref, const Registry& reg, Bindings bindings)
      : ref_(ref), reg_(reg), bind_(std::move(bindings)) {}

  Value eval(const Expr& e) {
    switch (e.op) {
      case Expr::Op::Literal:
        return e.literal;
      case Expr::Op::Ref:
        return ref_(e.name);
      case Expr::Op::Name: {
        auto it = bind_.find(e.name);
        if (it == bind_.end()) evalError("unknown name '" + elide(e.name, 80) + "'");
        return it->second;
      }
      case Expr::Op::Unary: {
        Value v = eval(*e.kids[0]);
        for (auto sign = e.name.rbegin(); sign != e.name.rend(); ++sign) v = pyarith::unary(*sign, v);
        return v;
      }
      case Expr::Op::Binary: {
        Value acc = eval(*e.kids[0]);
        for (size_t i = 1; i < e.kids.size(); ++i) acc = pyarith::binary(e.ops[i - 1], acc, eval(*e.kids[i]));
        return acc;
      }
      case Expr::Op::ListLit: {
        List out;
        for (const auto& k : e.kids) out.push_back(eval(*k));
        return Value(std::move(out));
      }
      case Expr::Op::Index: {
        Value base = eval(*e.kids[0]), idx = eval(*e.kids[1]);
        if (base.isList() && idx.isInt()) {
          int64_t n = static_cast<int64_t>(base.asList().size()), i = idx.asInt();
          if (i < 0) i += n;
          if (i < 0 || i >= n) evalError("index " + idx.repr() + " out of range");
          return base.asList()[static_cast<size_t>(i)];
        }
        if (base.isMap() && idx.isString()) {
          if (const Value* v = base.find(idx.asString())) return *v;
          evalError("no key " + idx.repr());
        }
        evalError("cannot index " + base.kindName() + " with " + idx.kindName());
      }
      case Expr::Op::Attr:
        evalError("attribute '" + e.name + "' must be called, e.g. ." + e.name + "()");
      case Expr::Op::Call:
        return call(e);
      case Expr::Op::Lambda:
        return Value::object(std::make_shared<Lambda>(e.name, e.kids[0], &reg_, "lambda"), "lambda");
    }
    evalError("bad expression");
  }

 private:
  Value call(const Expr& e) {
    const Expr& callee = *e.kids[0];
    List args;
    for (size_t i = 1; i < e.kids.size(); ++i) args.push_back(eval(*e.kids[i]));
    Map kwargs;
    for (const auto& kv : e.kwargs) kwargs.emplace_back(kv.first, eval(*kv.second));
    std::string dotted = dottedName(callee);
    bool receiverIsBound = false;
    if (!dotted.empty()) {
      std::string root = dotted.substr(0, dotted.find('.'));
      receiverIsBound = bind_.count(root) > 0;
    }
    if (!dotted.empty() && !receiverIsBound) {
      if (dotted.find('.') == std::string::npos) {
        if (auto v = builtin(dotted, args)) return *v;
      }
      if (const FunctionFn* fn = reg_.function(dotted))
        return guarded(dotted + "()", [&] { return (*fn)(args, kwargs); });
      evalError("unknown function '" + elide(dotted, 80) + "'");
    }
    if (callee.op != Expr::Op::Attr) evalError("only functions and methods can be called");
    Value self = eval(*callee.kids[0]);
    if (!self.isObject()) evalError("method ." + callee.name + "() on a " + self.kindName());
    const MethodFn* m = reg_.method(self.asObject().type, callee.name);
    if (!m) evalError("no method ." + callee.name + "() on " + self.kindName());
    return guarded("." + callee.name + "()", [&] { return (*m)(self, args, kwargs); });
  }

  // What a registered function throws that is not one of fmcib's errors (a library's) becomes a
  // RuntimeError that names the call.
  template <class F>
  static Value guarded(const std::string& what, F&& call) {
    try {
      return call();
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      const std::string msg = e.what();
      throw RuntimeError("expression: " + what + " failed: " + msg.substr(0, msg.find('\n')));
    }
  }

  std::optional<Value> builtin(const std::string& name, const List& a) {
    auto need = [&](size_t n) {
      if (a.size() != n) evalError(name + "() takes " + std::to_string(n) + " argument(s)");
    };
    if (name == "len") {
      need(1);
      const Value& x = a[0];
      if (x.isList()) return Value(static_cast<int64_t>(x.asList().size()));
      if (x.isMap()) return Value(static_cast<int64_t>(x.asMap().size()));
      if (x.isString()) return Value(static_cast<int64_t>(x.asString().size()));
      if (x.isObject()) {
        if (const MethodFn* m = reg_.method(x.asObject().type, "__len__")) return (*m)(x, {}, {});
      }
      evalError("len() of " + x.kindName() + " which has no length");
    }
    if (name == "int") {
      need(1);
      return pyarith::toInt(a[0]);
    }
    if (name == "float") {
      need(1);
      return pyarith::toFloat(a[0]);
    }
    if (name == "abs") {
      need(1);
      return pyarith::absolute(a[0]);
    }
    if (name == "round") {
      if (a.size() == 1) return pyarith::round(a[0], nullptr);
      need(2);
      return pyarith::round(a[0], &a[1]);
    }
    if (name == "min" || name == "max") {
      List items = (a.size() == 1 && a[0].isList()) ? a[0].asList() : a;
      if (items.empty()) evalError(name + "() of nothing");
      Value best = items[0];
      for (const auto& v : items) {
        // Python keeps the first of equal items.
        if (name == "min" ? pyarith::less(v, best, "min()") : pyarith::less(best, v, "max()")) best = v;
      }
      return best;
    }
    return std::nullopt;
  }

  const RefFn& ref_;
  const Registry& reg_;
  Bindings bind_;
};

void collect(const Expr& e, std::vector<std::string>& refs, std::vector<std::string>& fns,
             std::vector<std::string>& methods, std::set<std::string>& bound) {
  if (e.op == Expr::Op::Ref) refs.push_back(e.name);
  if (e.op == Expr::Op::Call) {
    std::string dotted = dottedName(*e.kids[0]);
    std::string root = dotted.substr(0, dotted.find('.'));
    if (!dotted.empty() && !bound.count(root)) {
      fns.push_back(dotted);
      for (size_t i = 1; i < e.kids.size(); ++i) collect(*e.kids[i], refs, fns, methods, bound);
      for (const auto& kv : e.kwargs) collect(*kv.second, refs, fns, methods, bound);
      return;
    }
    if (e.kids[0]->op == Expr::Op::Attr) methods.push_back(e.kids[0]->name);
  }
  if (e.op == Expr::Op::Lambda) {
    bound.insert(e.name);
    collect(*e.kids[0], refs, fns, methods, bound);
    bound.erase(e.name);
    return;
  }
  for (const auto& k : e.kids) collect(*k, refs, fns, methods, bound);
  for (const auto& kv : e.kwargs) collect(*kv.second, refs, fns, methods, bound);
}

}  // namespace

Expression Expression::parse(const std::string& text) {
  Expression out;
  out.text_ = text;
  out.root_ = parseExpression(text);
  return out;
}

std::vector<std::string> Expression::references() const {
  std::vector<std::string> r, f, m;
  std::set<std::string> bound;
  collect(*root_, r, f, m, bound);
  return r;
}
std::vector<std::string> Expression::functionNames() const {
  std::vector<std::string> r, f, m;
  std::set<std::string> bound;
  collect(*root_, r, f, m, bound);
  return f;
}
std::vector<std::string> Expression::methodNames() const {
  std::vector<std::string> r, f, m;
  std::set<std::string> bound;
  collect(*root_, r, f, m, bound);
  return m;
}

Value Expression::evaluate(const std::function<Value(const std::string&)>& ref,
                           const Registry& registry) const {
  if (root_->op == Expr::Op::Lambda)  // keep the source text for messages and printing
    return Value::object(std::make_shared<Lambda>(root_->name, root_->kids[0], &registry, "$" + text_),
                         "lambda");
  return Evaluator(ref, registry, {}).eval(*root_);
}

Lambda::Lambda(std::string param, std::shared_ptr<const Expr> body, const Registry* registry,
               std::string text)
    : param_(std::move(param)), body_(std::move(body)), registry_(registry), text_(std::move(text)) {}

Value Lambda::operator()(const Value& x) const {
  RefFn noRefs = [this](const std::string& path) -> Value {
    throw ConfigError("expression: reference @" + elide(path) + " inside '" + elide(text_) +
                      "' is not supported");
  };
  try {
    return Evaluator(noRefs, *registry_, {{param_, x}}).eval(*body_);
  } catch (const ConfigError& e) {
    throw ConfigError(std::string(e.what()) + " (in '" + elide(text_) + "')");
  }
}

}  // namespace fmcib::config
