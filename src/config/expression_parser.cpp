#include "expression_parser.hpp"

#include <algorithm>
#include <cctype>

#include "fmcib/common/elide.hpp"
#include "fmcib/common/parse_number.hpp"
#include "fmcib/config/expression.hpp"
#include "fmcib/config/limits.hpp"

namespace fmcib::config {

namespace {

struct Token {
  enum class Type { Number, String, Ref, Ident, Op, End } type;
  std::string text;
  Value value;
  size_t pos;
};

[[noreturn]] void syntaxError(const std::string& text, size_t pos, const std::string& what) {
  throw ConfigError("unsupported expression '$" + elide(text) + "': " + what + " at character " +
                    std::to_string(pos + 1) + ". Supported forms: " + supportedExpressionForms());
}

std::vector<Token> tokenize(const std::string& s) {
  std::vector<Token> out;
  size_t i = 0;
  auto isId = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    size_t start = i;
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      bool isFloat = false;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      if (i < s.size() && s[i] == '.') {
        isFloat = true;
        ++i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      }
      if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
        if (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) {
          isFloat = true;
          i = j;
          while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
        }
      }
      std::string t = s.substr(start, i - start);
      Value v;
      if (isFloat) {
        v = Value(*parseDecimal(t));  // the scan above only takes decimal numbers
      } else if (std::optional<int64_t> n = parseInt64(t)) {
        v = Value(*n);
      } else {
        syntaxError(s, start, "integer " + elide(t, 40) + " does not fit in 64 bits");
      }
      out.push_back({Token::Type::Number, t, v, start});
    } else if (c == '\'' || c == '"') {
      ++i;
      std::string t;
      while (i < s.size() && s[i] != c) t += s[i++];
      if (i >= s.size()) syntaxError(s, start, "unterminated string");
      ++i;
      out.push_back({Token::Type::String, t, Value(t), start});
    } else if (c == '@') {
      ++i;
      while (i < s.size() && (isId(s[i]) || s[i] == '#')) ++i;
      out.push_back({Token::Type::Ref, s.substr(start + 1, i - start - 1), Value(), start});
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      while (i < s.size() && isId(s[i])) ++i;
      out.push_back({Token::Type::Ident, s.substr(start, i - start), Value(), start});
    } else {
      static const char* ops[] = {"**", "//", "+", "-", "*", "/", "%", "(",
                                  ")",  ",",  ".", ":", "[", "]", "="};
      bool found = false;
      for (const char* op : ops) {
        std::string o(op);
        if (s.compare(i, o.size(), o) == 0) {
          out.push_back({Token::Type::Op, o, Value(), start});
          i += o.size();
          found = true;
          break;
        }
      }
      if (!found) syntaxError(s, start, std::string("unexpected character '") + c + "'");
    }
  }
  out.push_back({Token::Type::End, "", Value(), s.size()});
  return out;
}

class Parser {
 public:
  Parser(const std::string& text) : text_(text), toks_(tokenize(text)) {}

  ExprPtr parseAll() {
    ExprPtr e = expr();
    if (peek().type != Token::Type::End) fail("unexpected '" + elide(peek().text, 40) + "'");
    return e;
  }

 private:
  // Counts the parser's own recursion (parentheses, brackets, calls, lambda bodies, `**`); the
  // whole expression is not a level of its own, so that 200 parentheses pass as in CPython.
  class Nesting {
   public:
    explicit Nesting(Parser& p) : p_(p) {
      if (++p_.nesting_ > limits::kMaxExpressionDepth + 1) p_.tooDeep();
    }
    ~Nesting() { --p_.nesting_; }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;

   private:
    Parser& p_;
  };

  const Token& peek() const { return toks_[i_]; }
  bool isOp(const char* op) const { return peek().type == Token::Type::Op && peek().text == op; }
  bool isIdent(const char* id) const { return peek().type == Token::Type::Ident && peek().text == id; }
  [[noreturn]] void fail(const std::string& what) const { syntaxError(text_, peek().pos, what); }
  [[noreturn]] void tooDeep() const {
    fail("nested deeper than " + std::to_string(limits::kMaxExpressionDepth) +
         " levels (limits::kMaxExpressionDepth)");
  }
  void expect(const char* op) {
    if (!isOp(op)) fail(std::string("expected '") + op + "'");
    ++i_;
  }
  ExprPtr make(Expr e) const {
    size_t below = 0;
    for (const auto& k : e.kids) below = std::max(below, k->depth);
    for (const auto& kv : e.kwargs) below = std::max(below, kv.second->depth);
    e.depth = below + 1;
    if (e.depth > limits::kMaxExpressionDepth) tooDeep();
    return std::make_shared<const Expr>(std::move(e));
  }

  ExprPtr expr() {
    Nesting guard(*this);
    if (isIdent("lambda")) {
      ++i_;
      if (peek().type != Token::Type::Ident) fail("expected a lambda parameter name");
      Expr e;
      e.op = Expr::Op::Lambda;
      e.name = peek().text;
      ++i_;
      expect(":");
      e.kids.push_back(expr());
      return make(std::move(e));
    }
    return additive();
  }

  // One left-associative chain of operators of one precedence level.
  template <class Operand>
  ExprPtr chain(std::initializer_list<const char*> operators, Operand operand) {
    ExprPtr first = operand();
    Expr e;
    e.op = Expr::Op::Binary;
    for (;;) {
      const char* found = nullptr;
      for (const char* op : operators)
        if (isOp(op)) found = op;
      if (!found) break;
      ++i_;
      if (e.kids.empty()) e.kids.push_back(first);
      e.ops.emplace_back(found);
      e.kids.push_back(operand());
    }
    return e.kids.empty() ? first : make(std::move(e));
  }

  ExprPtr additive() {
    return chain({"+", "-"}, [this] { return term(); });
  }

  ExprPtr term() {
    return chain({"*", "/", "//", "%"}, [this] { return unary(); });
  }

  ExprPtr unary() {
    std::string signs;
    while (isOp("-") || isOp("+")) {
      signs += peek().text;
      ++i_;
    }
    ExprPtr operand = power();
    if (signs.empty()) return operand;
    Expr e;
    e.op = Expr::Op::Unary;
    e.name = std::move(signs);
    e.kids.push_back(std::move(operand));
    return make(std::move(e));
  }

  ExprPtr power() {
    ExprPtr base = postfix();
    if (isOp("**")) {
      ++i_;
      Nesting guard(*this);  // right-associative: `2**2**2...` nests
      Expr e;
      e.op = Expr::Op::Binary;
      e.ops = {"**"};
      e.kids = {base, unary()};  // binds tighter than a unary sign on its left, looser on its right
      return make(std::move(e));
    }
    return base;
  }

  ExprPtr postfix() {
    ExprPtr e = primary();
    for (;;) {
      if (isOp(".")) {
        ++i_;
        if (peek().type != Token::Type::Ident) fail("expected a name after '.'");
        Expr a;
        a.op = Expr::Op::Attr;
        a.name = peek().text;
        a.kids.push_back(e);
        ++i_;
        e = make(std::move(a));
      } else if (isOp("(")) {
        ++i_;
        Expr c;
        c.op = Expr::Op::Call;
        c.kids.push_back(e);
        while (!isOp(")")) {
          if (peek().type == Token::Type::Ident && toks_[i_ + 1].type == Token::Type::Op &&
              toks_[i_ + 1].text == "=") {
            std::string key = peek().text;
            i_ += 2;
            c.kwargs.emplace_back(key, expr());
          } else {
            if (!c.kwargs.empty()) fail("positional argument after keyword argument");
            c.kids.push_back(expr());
          }
          if (!isOp(",")) break;
          ++i_;
        }
        expect(")");
        e = make(std::move(c));
      } else if (isOp("[")) {
        ++i_;
        Expr x;
        x.op = Expr::Op::Index;
        x.kids = {e, expr()};
        expect("]");
        e = make(std::move(x));
      } else {
        return e;
      }
    }
  }

  ExprPtr primary() {
    const Token& t = peek();
    Expr e;
    switch (t.type) {
      case Token::Type::Number:
      case Token::Type::String:
        e.op = Expr::Op::Literal;
        e.literal = t.value;
        ++i_;
        return make(std::move(e));
      case Token::Type::Ref:
        if (t.text.empty()) fail("empty reference '@'");
        e.op = Expr::Op::Ref;
        e.name = t.text;
        ++i_;
        return make(std::move(e));
      case Token::Type::Ident:
        ++i_;
        if (t.text == "True" || t.text == "False" || t.text == "None") {
          e.op = Expr::Op::Literal;
          e.literal = t.text == "None" ? Value() : Value(t.text == "True");
          return make(std::move(e));
        }
        e.op = Expr::Op::Name;
        e.name = t.text;
        return make(std::move(e));
      case Token::Type::Op:
        if (t.text == "(") {
          ++i_;
          ExprPtr inner = expr();
          if (isOp(",")) {  // a tuple: evaluate like a list
            Expr l;
            l.op = Expr::Op::ListLit;
            l.kids.push_back(inner);
            while (isOp(",")) {
              ++i_;
              if (isOp(")")) break;
              l.kids.push_back(expr());
            }
            expect(")");
            return make(std::move(l));
          }
          expect(")");
          return inner;
        }
        if (t.text == "[") {
          ++i_;
          e.op = Expr::Op::ListLit;
          while (!isOp("]")) {
            e.kids.push_back(expr());
            if (!isOp(",")) break;
            ++i_;
          }
          expect("]");
          return make(std::move(e));
        }
        fail("unexpected '" + t.text + "'");
      case Token::Type::End:
        fail("unexpected end of expression");
    }
    fail("unexpected token");
  }

  std::string text_;
  std::vector<Token> toks_;
  size_t i_ = 0;
  size_t nesting_ = 0;
};

}  // namespace

ExprPtr parseExpression(const std::string& text) {
  return Parser(text).parseAll();
}

std::string dottedName(const Expr& e) {
  if (e.op == Expr::Op::Name) return e.name;
  if (e.op == Expr::Op::Attr) {
    std::string head = dottedName(*e.kids[0]);
    return head.empty() ? "" : head + "." + e.name;
  }
  return "";
}

}  // namespace fmcib::config
