#pragma once
// Private: the AST of `$` expressions and its parser (see fmcib/config/expression.hpp).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fmcib/config/value.hpp"

namespace fmcib::config {

/// One node. Chains of operators of one precedence level are one node (`1+2-3` is a Binary with
/// three kids and the operators "+", "-"), and so are runs of unary signs, so that a long flat
/// expression is a shallow tree: evaluating and destroying it recurses only as deep as it nests.
struct Expr {
  enum class Op { Literal, Ref, Name, Unary, Binary, Call, Attr, Index, ListLit, Lambda };
  Op op = Op::Literal;
  Value literal;     // Literal
  std::string name;  // Ref path, Name, Attr/method name, Unary signs ("-", "--+"), Lambda parameter
  std::vector<std::shared_ptr<const Expr>> kids;
  std::vector<std::string> ops;                                             // Binary: kids.size() - 1
  std::vector<std::pair<std::string, std::shared_ptr<const Expr>>> kwargs;  // Call
  size_t depth = 1;                                                         // height of this subtree
};
using ExprPtr = std::shared_ptr<const Expr>;

/// Parses `text` (no leading `$`); throws ConfigError quoting it, also when it nests deeper than
/// limits::kMaxExpressionDepth.
ExprPtr parseExpression(const std::string& text);

/// "torch.softmax" for a chain of names, "" when `e` is not one.
std::string dottedName(const Expr& e);

}  // namespace fmcib::config
