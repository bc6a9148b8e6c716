#pragma once
/// `$` expressions: the subset of Python that lighter configs use, parsed once and evaluated in C++.
/// Supported: numbers, strings, True/False/None, `@` references, + - * / // % ** and parentheses,
/// unary minus, list literals, builtins len/int/float/round/min/max/abs, functions and methods that
/// areas register (e.g. `@system#model.parameters()`, `torch.softmax(x, 1)`), and `lambda x: ...`.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fmcib/config/registry.hpp"
#include "fmcib/config/value.hpp"

namespace fmcib::config {

struct Expr;

/// A parsed expression (without its leading `$`).
class Expression {
 public:
  /// Throws ConfigError quoting the text and listing the supported forms.
  static Expression parse(const std::string& text);
  /// Absolute reference paths used (relative ones must have been normalized before parsing).
  std::vector<std::string> references() const;
  /// Function names called (e.g. "len", "torch.softmax") and method names (".parameters").
  std::vector<std::string> functionNames() const;
  std::vector<std::string> methodNames() const;
  /// Evaluates; `ref` resolves `@` references.
  Value evaluate(const std::function<Value(const std::string&)>& ref, const Registry& registry) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::shared_ptr<const Expr> root_;
};

/// A `lambda x: ...` from a config (stored as Value::object<Lambda>). Calling it evaluates its
/// body with the parameter bound; the engine uses it for post-processing.
class Lambda {
 public:
  Lambda(std::string param, std::shared_ptr<const Expr> body, const Registry* registry, std::string text);
  Value operator()(const Value& x) const;
  const std::string& text() const { return text_; }

 private:
  std::string param_;
  std::shared_ptr<const Expr> body_;
  const Registry* registry_;
  std::string text_;
};

/// The forms listed in "unsupported expression" errors.
const char* supportedExpressionForms();

}  // namespace fmcib::config
