#pragma once
// Private: the AST of `$` expressions and its parser (see fmcib/config/expression.hpp).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fmcib/config/value.hpp"

namespace fmcib::config {

struct Expr {
  enum class Op { Literal, Ref, Name, Unary, Binary, Call, Attr, Index, ListLit, Lambda };
  Op op = Op::Literal;
  Value literal;     // Literal
  std::string name;  // Ref path, Name, Attr/method name, operator, Lambda parameter
  std::vector<std::shared_ptr<const Expr>> kids;
  std::vector<std::pair<std::string, std::shared_ptr<const Expr>>> kwargs;  // Call
};
using ExprPtr = std::shared_ptr<const Expr>;

/// Parses `text` (no leading `$`); throws ConfigError quoting it.
ExprPtr parseExpression(const std::string& text);

/// "torch.softmax" for a chain of names, "" when `e` is not one.
std::string dottedName(const Expr& e);

}  // namespace fmcib::config
