#include "expression_parser.hpp"

#include <cctype>

#include "fmcib/config/expression.hpp"

namespace fmcib::config {

namespace {

struct Token {
  enum class Type { Number, String, Ref, Ident, Op, End } type;
  std::string text;
  Value value;
  size_t pos;
};

[[noreturn]] void syntaxError(const std::string& text, size_t pos, const std::string& what) {
  throw ConfigError("unsupported expression '$" + text + "': " + what + " at character " +
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
      try {
        v = isFloat ? Value(std::stod(t)) : Value(static_cast<int64_t>(std::stoll(t)));
      } catch (const std::exception&) {
        syntaxError(s, start, "number out of range");
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
    if (peek().type != Token::Type::End) fail("unexpected '" + peek().text + "'");
    return e;
  }

 private:
  const Token& peek() const { return toks_[i_]; }
  bool isOp(const char* op) const { return peek().type == Token::Type::Op && peek().text == op; }
  bool isIdent(const char* id) const { return peek().type == Token::Type::Ident && peek().text == id; }
  [[noreturn]] void fail(const std::string& what) const { syntaxError(text_, peek().pos, what); }
  void expect(const char* op) {
    if (!isOp(op)) fail(std::string("expected '") + op + "'");
    ++i_;
  }
  static ExprPtr make(Expr e) { return std::make_shared<const Expr>(std::move(e)); }

  ExprPtr expr() {
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

  ExprPtr binary(ExprPtr lhs, const std::string& op, ExprPtr rhs) {
    Expr e;
    e.op = Expr::Op::Binary;
    e.name = op;
    e.kids = {std::move(lhs), std::move(rhs)};
    return make(std::move(e));
  }

  ExprPtr additive() {
    ExprPtr lhs = term();
    while (isOp("+") || isOp("-")) {
      std::string op = peek().text;
      ++i_;
      lhs = binary(lhs, op, term());
    }
    return lhs;
  }

  ExprPtr term() {
    ExprPtr lhs = unary();
    while (isOp("*") || isOp("/") || isOp("//") || isOp("%")) {
      std::string op = peek().text;
      ++i_;
      lhs = binary(lhs, op, unary());
    }
    return lhs;
  }

  ExprPtr unary() {
    if (isOp("-") || isOp("+")) {
      Expr e;
      e.op = Expr::Op::Unary;
      e.name = peek().text;
      ++i_;
      e.kids.push_back(unary());
      return make(std::move(e));
    }
    return power();
  }

  ExprPtr power() {
    ExprPtr base = postfix();
    if (isOp("**")) {
      ++i_;
      return binary(base, "**", unary());  // right-associative, binds tighter than unary on its left
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
