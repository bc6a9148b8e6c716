// Static checks of a whole config before anything is built; every problem is reported at once.
#include <algorithm>
#include <set>

#include "config_impl.hpp"
#include "fmcib/common/elide.hpp"
#include "fmcib/config/expression.hpp"

namespace fmcib::config {

namespace {

const std::set<std::string> kBuiltins = {"len", "int", "float", "round", "min", "max", "abs"};

// Arguments each command accepts under args#<command>.
const std::map<std::string, std::set<std::string>>& commandArgKeys() {
  static const std::map<std::string, std::set<std::string>> keys = {
      {"fit", {"ckpt_path"}},
      {"validate", {"ckpt_path", "verbose"}},
      {"test", {"ckpt_path", "verbose"}},
      {"predict", {"ckpt_path", "return_predictions"}}};
  return keys;
}

std::string joinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

class Validator {
 public:
  explicit Validator(const Config::Impl& c) : c_(c) {}

  std::vector<std::string> run() {
    const Value& root = c_.root;
    for (const auto& [key, value] : root.asMap()) {
      const auto& allowed = topLevelKeys();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        problem(key, "unknown top-level key '" + key + "' (accepted: " + joinNames(allowed) + ")");
        continue;
      }
      if (key == "args") checkArgs(value);
      if (key == "project" && !(value.isString() || value.isNull()))
        problem(key, "expected a path string, got " + value.kindName());
      if (key == "trainer" || key == "system") {
        if (!value.isMap() || !value.find("_target_"))
          problem(key, "'" + key + "' must be a component with a _target_");
      }
      edge("", key);
      walk(value, key);
    }
    findCycles();
    return problems_;
  }

 private:
  void problem(const std::string& path, const std::string& msg) {
    problems_.push_back(c_.where(path) + ": " + msg);
  }
  void edge(const std::string& from, const std::string& to) { edges_[from].push_back(to); }

  void checkArgs(const Value& args) {
    if (args.isNull()) return;
    if (!args.isMap()) return problem("args", "expected a map of commands, got " + args.kindName());
    for (const auto& [cmd, value] : args.asMap()) {
      auto it = commandArgKeys().find(cmd);
      if (it == commandArgKeys().end()) {
        problem("args#" + cmd, "unknown command '" + cmd + "' (accepted: fit, validate, test, predict)");
        continue;
      }
      if (value.isNull()) continue;
      if (!value.isMap()) {
        problem("args#" + cmd, "expected a map of arguments, got " + value.kindName());
        continue;
      }
      for (const auto& kv : value.asMap())
        if (!it->second.count(kv.first)) {
          std::vector<std::string> names(it->second.begin(), it->second.end());
          problem("args#" + cmd + "#" + kv.first,
                  "unknown argument '" + kv.first + "' of " + cmd + " (accepted: " + joinNames(names) + ")");
        }
    }
  }

  void walk(const Value& v, const std::string& path) {
    if (v.isMap()) {
      if (v.find("_target_")) component(v, path);
      for (const auto& kv : v.asMap()) {
        std::string child = joinPath(path, kv.first);
        edge(path, child);
        walk(kv.second, child);
      }
    } else if (v.isList()) {
      for (size_t i = 0; i < v.asList().size(); ++i) {
        std::string child = joinPath(path, std::to_string(i));
        edge(path, child);
        walk(v.asList()[i], child);
      }
    } else if (v.isString() && !v.asString().empty()) {
      const std::string& s = v.asString();
      if (s[0] == '@') {
        reference(s.substr(1), path);
      } else if (s[0] == '$') {
        expression(s.substr(1), path);
      }
    }
  }

  void reference(const std::string& target, const std::string& from) {
    if (!c_.lookup(target))
      return problem(from, "missing reference @" + elide(target) + ": no such key path");
    edge(from, target);
  }

  void expression(const std::string& text, const std::string& path) {
    try {
      Expression e = Expression::parse(text);
      for (const auto& r : e.references()) reference(r, path);
      for (const auto& f : e.functionNames())
        if (!kBuiltins.count(f) && !c_.registry->function(f))
          problem(path, "unsupported expression '$" + elide(text) + "': unknown function '" + elide(f, 80) +
                            "'. Supported forms: " + supportedExpressionForms());
      for (const auto& m : e.methodNames())
        if (!c_.registry->hasMethodName(m))
          problem(path, "unsupported expression '$" + elide(text) + "': unknown method '." + elide(m, 80) +
                            "()'. Supported forms: " + supportedExpressionForms());
    } catch (const ConfigError& err) {
      problem(path, err.what());
    }
  }

  static bool isDeferred(const Value& v) {
    return v.isString() && !v.asString().empty() && (v.asString()[0] == '@' || v.asString()[0] == '$');
  }

  void checkKind(const ArgSpec& spec, const Value& v, const std::string& path, const std::string& owner) {
    if (isDeferred(v)) return;  // checked when resolved
    bool ok = (v.isMap() && v.find("_target_")) ? (spec.kinds & kObject) != 0 : kindAccepted(spec.kinds, v);
    if (!ok)
      problem(path, "wrong type for '" + spec.name + "' of " + owner + ": expected " + kindsName(spec.kinds) +
                        ", got " +
                        ((v.isMap() && v.find("_target_")) ? std::string("a _target_ component")
                                                           : v.kindName() + " " + v.repr()));
  }

  void checkFields(const Value& map, const std::vector<ArgSpec>& fields, const std::string& path,
                   const std::string& owner, bool skipSpecial) {
    std::vector<std::string> names;
    for (const auto& f : fields) names.push_back(f.name);
    for (const auto& [key, value] : map.asMap()) {
      if (skipSpecial && isSpecialKey(key)) continue;
      std::string child = joinPath(path, key);
      const ArgSpec* spec = nullptr;
      for (const auto& f : fields)
        if (f.name == key) spec = &f;
      if (!spec) {
        problem(child,
                "unknown argument '" + key + "' of " + owner + " (accepted: " + joinNames(names) + ")");
        continue;
      }
      checkKind(*spec, value, child, owner);
      if (!spec->fields.empty() && value.isMap() && !value.find("_target_"))
        checkFields(value, spec->fields, child, owner + " " + key, false);
    }
    for (const auto& f : fields)
      if (f.required && !map.find(f.name))
        problem(path, "missing required argument '" + f.name + "' of " + owner + " (" + f.doc + ")");
  }

  void component(const Value& v, const std::string& path) {
    const Value& t = *v.find("_target_");
    if (!t.isString()) return problem(joinPath(path, "_target_"), "_target_ must be a string");
    const TargetSpec* spec = c_.registry->find(t.asString());
    if (!spec) {
      return problem(joinPath(path, "_target_"),
                     "unknown _target_ '" + t.asString() + "' (closest registered: " +
                         joinNames(c_.registry->suggest(t.asString())) + "; `fmcib targets` lists all)");
    }
    checkFields(v, spec->args, path, spec->name, true);
  }

  // Depth-first search with an explicit stack: a chain of 50,000 references is a deep graph.
  void findCycles() {
    std::map<std::string, int> state;  // absent: new, 1: on the path, 2: done
    std::vector<std::string> path;     // the nodes on the current path, root first
    std::vector<std::pair<const std::vector<std::string>*, size_t>> next;  // each one's edges, next index
    std::map<std::string, size_t> position;                                // index in `path`
    std::set<std::string> reported;
    static const std::vector<std::string> kNoEdges;
    auto enter = [&](const std::string& n) {
      state[n] = 1;
      position[n] = path.size();
      path.push_back(n);
      auto it = edges_.find(n);
      next.emplace_back(it == edges_.end() ? &kNoEdges : &it->second, 0);
    };
    enter("");
    while (!path.empty()) {
      auto& [edges, i] = next.back();
      if (i == edges->size()) {
        state[path.back()] = 2;
        position.erase(path.back());
        path.pop_back();
        next.pop_back();
        continue;
      }
      const std::string& m = (*edges)[i++];
      auto st = state.find(m);
      if (st == state.end()) {
        enter(m);
      } else if (st->second == 1 && reported.insert(m).second) {
        problem(path.back(), "reference cycle: " + chainText(path, position.at(m), m));
      }
    }
  }

  const Config::Impl& c_;
  std::vector<std::string> problems_;
  std::map<std::string, std::vector<std::string>> edges_;
};

}  // namespace

void Config::validate() const {
  std::vector<std::string> problems = Validator(*impl_).run();
  if (problems.empty()) return;
  if (problems.size() == 1) throw ConfigError(problems.front());
  std::string msg = "the configuration has " + std::to_string(problems.size()) + " problems:";
  for (const auto& p : problems) msg += "\n  " + p;
  throw ConfigError(msg);
}

}  // namespace fmcib::config
