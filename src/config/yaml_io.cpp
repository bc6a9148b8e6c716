// YAML <-> Value, with the source line of every path kept for error messages. The tree is built
// from yaml-cpp's parser events (no YAML::Node graph), so that limits on depth, node count and text
// size hold while it grows, and an alias is copied only after its size has been counted.
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <regex>
#include <sstream>
#include <unordered_set>

#include "config_impl.hpp"
#include "fmcib/common/elide.hpp"
#include "fmcib/common/parse_number.hpp"
#include "fmcib/config/limits.hpp"

namespace fmcib::config {

namespace {

bool isOneOf(const std::string& s, std::initializer_list<const char*> words) {
  for (const char* w : words)
    if (s == w) return true;
  return false;
}

// `[-+]?[0-9]+`
bool isIntegerText(const std::string& s) {
  size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

// Plain (unquoted) scalars are typed like YAML 1.2's core schema for numbers (also `1e-6` is a
// float), like PyYAML (YAML 1.1) for booleans, since lighter configs are written for it. An integer
// beyond 64 bits stays a string (every use as a number then names it).
Value typedScalar(const std::string& s) {
  if (s.empty() || isOneOf(s, {"~", "null", "Null", "NULL"})) return Value();
  if (isOneOf(s, {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"})) return Value(true);
  if (isOneOf(s, {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"})) return Value(false);
  if (isIntegerText(s)) {
    if (std::optional<int64_t> v = parseInt64(s)) return Value(*v);
    return Value(s);
  }
  if (std::optional<double> d = parseDecimal(s)) return Value(*d);
  if (isOneOf(s, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}))
    return Value(std::numeric_limits<double>::infinity());
  if (isOneOf(s, {"-.inf", "-.Inf", "-.INF"})) return Value(-std::numeric_limits<double>::infinity());
  if (isOneOf(s, {".nan", ".NaN", ".NAN"})) return Value(std::numeric_limits<double>::quiet_NaN());
  return Value(s);
}

}  // namespace

const char* SizeBudget::add(const Value& v, size_t pathLength, size_t depth) {
  if (depth > limits::kMaxDepth) return "levels of nesting";
  ++nodes;
  bytes += pathLength + (v.isString() ? v.asString().size() : 0);
  if (nodes > limits::kMaxNodes) return "nodes";
  if (bytes > limits::kMaxBytes) return "bytes of keys, strings and id paths";
  if (v.isMap()) {
    for (const auto& kv : v.asMap())
      if (const char* over = add(kv.second, pathLength + 1 + kv.first.size(), depth + 1)) return over;
  } else if (v.isList()) {
    const List& l = v.asList();
    for (size_t i = 0; i < l.size(); ++i)
      if (const char* over = add(l[i], pathLength + 1 + std::to_string(i).size(), depth + 1)) return over;
  }
  return nullptr;
}

std::string SizeBudget::limitText(const char* what) {
  const std::string w = what;
  if (w == "nodes") return std::to_string(limits::kMaxNodes) + " nodes (limits::kMaxNodes)";
  if (w == "levels of nesting")
    return std::to_string(limits::kMaxDepth) + " levels of nesting (limits::kMaxDepth)";
  return std::to_string(limits::kMaxBytes) + " " + w + " (limits::kMaxBytes)";
}

namespace {

class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(std::string file, std::map<std::string, Location>& sources, std::string prefix)
      : file_(std::move(file)), sources_(sources), prefix_(std::move(prefix)) {}

  Value take() { return std::move(root_); }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnAnchor(const YAML::Mark&, const std::string& name) override { anchorName_ = name; }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (expectingKey()) return setKey(mark, "");
    place(mark, Value(), anchor);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& text) override {
    const bool quoted = tag == "!" || tag == "tag:yaml.org,2002:str";
    Value v = quoted ? Value(text) : typedScalar(text);
    if (expectingKey()) {
      if (anchor != YAML::NullAnchor) anchors_[anchor] = {std::move(v), "", false, takeAnchorName(), text};
      return setKey(mark, text);
    }
    place(mark, std::move(v), anchor, &text);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) fail(mark, childPath(), "alias to an unknown anchor");
    const Anchor& a = it->second;
    if (a.open)
      fail(mark, childPath(),
           "recursive alias *" + a.name + ": it is inside the node anchored &" + a.name + " at '" +
               shown(a.path) + "', which would contain itself");
    if (expectingKey()) {
      if (!a.scalarText)
        fail(mark, childPath(), "a mapping key must be a scalar, not an alias to a " + a.value.kindName());
      return setKey(mark, *a.scalarText);
    }
    const std::string path = childPath();
    if (const char* over = budget_.add(a.value, path.size(), depth()))
      fail(mark, path,
           "the config expands to more than " + SizeBudget::limitText(over) + " (at alias *" + a.name + ")");
    // The copy has the locations of the anchored original.
    const int line = lineOf(mark);
    std::vector<std::pair<std::string, Location>> copied;
    if (a.value.isMap() || a.value.isList()) {
      const std::string from = a.path + "#";
      for (auto s = sources_.lower_bound(from);
           s != sources_.end() && s->first.compare(0, from.size(), from) == 0; ++s)
        copied.emplace_back(path + s->first.substr(a.path.size()), s->second);
    }
    attach(a.value.deepCopy(), path, line);
    for (auto& [p, loc] : copied) sources_[p] = std::move(loc);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, Value(List{}), anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, Value(Map{}), anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Anchor {
    Value value;
    std::string path;
    bool open = false;
    std::string name;
    std::optional<std::string> scalarText;  // as written, for an alias used as a key
  };
  struct Frame {
    Value value;
    std::string path;
    YAML::anchor_t anchor = YAML::NullAnchor;
    bool haveKey = false;
    std::string key;
    int keyLine = 0;
    std::unordered_set<std::string> keys;  // duplicate detection in linear time
  };

  static int lineOf(const YAML::Mark& mark) { return mark.line >= 0 ? mark.line + 1 : 0; }
  size_t depth() const { return stack_.size(); }
  bool expectingKey() const {
    return !stack_.empty() && stack_.back().value.isMap() && !stack_.back().haveKey;
  }

  std::string childPath() const {
    if (stack_.empty()) return prefix_;
    const Frame& f = stack_.back();
    if (f.value.isMap()) return f.haveKey ? joinPath(f.path, f.key) : f.path;
    return joinPath(f.path, std::to_string(f.value.asList().size()));
  }

  std::string takeAnchorName() {
    std::string n = anchorName_.empty() ? "?" : anchorName_;
    anchorName_.clear();
    return n;
  }

  static std::string shown(const std::string& path) { return path.empty() ? "<root>" : elide(path); }

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& path, const std::string& msg) const {
    throw ConfigError(file_ + ":" + std::to_string(lineOf(mark)) + ": " + shown(path) + ": " + msg);
  }

  void setKey(const YAML::Mark& mark, const std::string& key) {
    Frame& f = stack_.back();
    if (!f.keys.insert(key).second) fail(mark, joinPath(f.path, key), "duplicate key '" + elide(key) + "'");
    f.key = key;
    f.haveKey = true;
    f.keyLine = lineOf(mark);
  }

  // A finished value at the current position.
  void place(const YAML::Mark& mark, Value v, YAML::anchor_t anchor, const std::string* text = nullptr) {
    const std::string path = childPath();
    if (const char* over = budget_.add(v, path.size(), depth()))
      fail(mark, path, "the config has more than " + SizeBudget::limitText(over));
    if (anchor != YAML::NullAnchor)
      anchors_[anchor] = {v, path, false, takeAnchorName(),
                          text ? std::optional<std::string>(*text) : std::nullopt};
    attach(std::move(v), path, lineOf(mark));
  }

  void attach(Value v, const std::string& path, int line) {
    if (stack_.empty()) {
      sources_[path] = Location{file_, line};
      root_ = std::move(v);
      return;
    }
    Frame& f = stack_.back();
    if (f.value.isMap()) {
      sources_[path] = Location{file_, f.keyLine};
      f.value.mutableMap().emplace_back(std::move(f.key), std::move(v));
      f.key.clear();
      f.haveKey = false;
    } else {
      sources_[path] = Location{file_, line};
      f.value.mutableList().push_back(std::move(v));
    }
  }

  void open(const YAML::Mark& mark, Value v, YAML::anchor_t anchor) {
    if (expectingKey()) fail(mark, stack_.back().path, "a mapping key must be a scalar, not a list or map");
    const std::string path = childPath();
    if (depth() >= limits::kMaxDepth)
      fail(mark, path,
           "nested deeper than " + std::to_string(limits::kMaxDepth) + " levels (limits::kMaxDepth)");
    if (const char* over = budget_.add(Value(), path.size(), depth()))
      fail(mark, path, "the config has more than " + SizeBudget::limitText(over));
    Frame f;
    f.value = std::move(v);
    f.path = path;
    f.anchor = anchor;
    if (anchor != YAML::NullAnchor) anchors_[anchor] = {Value(), path, true, takeAnchorName(), std::nullopt};
    marks_.push_back(mark);
    stack_.push_back(std::move(f));
  }

  void close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    const YAML::Mark mark = marks_.back();
    marks_.pop_back();
    if (f.anchor != YAML::NullAnchor) {
      Anchor& a = anchors_[f.anchor];
      a.value = f.value;
      a.open = false;
    }
    // The node itself was counted when it opened.
    attach(std::move(f.value), f.path, lineOf(mark));
  }

  std::string file_;
  std::map<std::string, Location>& sources_;
  std::string prefix_;
  Value root_;
  std::vector<Frame> stack_;
  std::vector<YAML::Mark> marks_;
  std::map<YAML::anchor_t, Anchor> anchors_;
  std::string anchorName_;
  SizeBudget budget_;
};

// PyYAML (YAML 1.1, what lighter reads configs with) takes a scalar for a float only with a '.' in
// it and a signed exponent: `1e-06` would read back as a string. Python's repr is already that
// shortest form with a signed exponent (printf's %e always signs it); the mantissa gets ".0" as
// PyYAML's own representer writes it (1.0e-06).
std::string yaml11Float(std::string s) {
  const size_t e = s.find_first_of("eE");
  if (e != std::string::npos && s.find('.') == std::string::npos) s.insert(e, ".0");
  return s;
}

// Plain scalars PyYAML's resolver (YAML 1.1) would not read back as strings: sexagesimal, octal,
// hex and underscored numbers, dates, `<<` and `=` (yaml.resolver.Resolver's implicit patterns).
// Long strings are quoted when they could start such a scalar: std::regex recurses per character.
bool pyYamlRetypes(const std::string& s) {
  if (s.size() > 64) return s.find_first_of("0123456789+-.<=") == 0;
  static const std::regex implicit(
      R"(^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?)"
      R"(|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))"
      R"(|[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)"
      R"(|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*|<<|=)$)");
  return std::regex_match(s, implicit);
}

bool looksTyped(const std::string& s) {
  return !typedScalar(s).isString() || s.empty() || pyYamlRetypes(s);
}

void emit(YAML::Emitter& out, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Null:
      out << YAML::Null;
      break;
    case Value::Kind::Bool:
      out << (v.asBool() ? "true" : "false");
      break;
    case Value::Kind::Int:
      out << v.repr();
      break;
    case Value::Kind::Float:
      out << yaml11Float(v.repr());
      break;
    case Value::Kind::String:
      if (looksTyped(v.asString()))
        out << YAML::DoubleQuoted << v.asString();
      else
        out << v.asString();
      break;
    case Value::Kind::Seq:
      out << YAML::BeginSeq;
      for (const auto& e : v.asList()) emit(out, e);
      out << YAML::EndSeq;
      break;
    case Value::Kind::Dict:
      out << YAML::BeginMap;
      for (const auto& kv : v.asMap()) {
        out << YAML::Key << kv.first << YAML::Value;
        emit(out, kv.second);
      }
      out << YAML::EndMap;
      break;
    case Value::Kind::Object:
      out << v.repr();
      break;
  }
}

}  // namespace

Value parseYaml(const std::string& text, const std::string& file, std::map<std::string, Location>& sources,
                const std::string& prefix) {
  if (text.size() > limits::kMaxFileBytes)
    throw ConfigError(file + ": " + std::to_string(text.size()) + " bytes of YAML, more than the " +
                      std::to_string(limits::kMaxFileBytes) + " a config may have (limits::kMaxFileBytes)");
  TreeBuilder builder(file, sources, prefix);
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    parser.HandleNextDocument(builder);
  } catch (const YAML::Exception& e) {
    throw ConfigError(file + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                      ": malformed YAML: " + e.msg);
  }
  return builder.take();
}

Value readYamlFile(const std::string& file, std::map<std::string, Location>& sources) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    throw ConfigError("config file '" + file + "' does not exist or is not a file");
  const auto size = std::filesystem::file_size(file, ec);
  if (!ec && size > limits::kMaxFileBytes)
    throw ConfigError(file + ": " + std::to_string(size) + " bytes, more than the " +
                      std::to_string(limits::kMaxFileBytes) +
                      " a config file may have (limits::kMaxFileBytes)");
  std::ifstream in(file);
  if (!in) throw ConfigError("config file '" + file + "' cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  Value v = parseYaml(ss.str(), file, sources);
  if (v.isNull()) v = Value(Map{});
  if (!v.isMap())
    throw ConfigError(file + ": the top level of a config must be a mapping, got " + v.kindName());
  return v;
}

std::string emitYaml(const Value& v) {
  YAML::Emitter out;
  emit(out, v);
  return std::string(out.c_str()) + "\n";
}

}  // namespace fmcib::config
