// YAML <-> Value, with the source line of every path kept for error messages.
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>
#include <set>
#include <sstream>

#include "config_impl.hpp"

namespace fmcib::config {

namespace {

// Plain (unquoted) scalars are typed like YAML 1.2's core schema (also `1e-6` is a float).
Value typedScalar(const std::string& s) {
  static const std::regex intRe("[-+]?[0-9]+");
  static const std::regex floatRe("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Value();
  // Booleans as PyYAML (YAML 1.1) reads them, since lighter configs are written for it.
  static const std::set<std::string> yes = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
  static const std::set<std::string> no = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
  if (yes.count(s)) return Value(true);
  if (no.count(s)) return Value(false);
  if (std::regex_match(s, intRe)) {
    try {
      return Value(static_cast<int64_t>(std::stoll(s)));
    } catch (const std::exception&) {
      return Value(s);
    }
  }
  if (std::regex_match(s, floatRe)) return Value(std::stod(s));
  if (s == ".inf" || s == ".Inf" || s == "+.inf") return Value(std::numeric_limits<double>::infinity());
  if (s == "-.inf" || s == "-.Inf") return Value(-std::numeric_limits<double>::infinity());
  if (s == ".nan" || s == ".NaN") return Value(std::numeric_limits<double>::quiet_NaN());
  return Value(s);
}

Value convert(const YAML::Node& n, const std::string& path, const std::string& file,
              std::map<std::string, Location>& sources) {
  sources[path] = Location{file, n.Mark().line >= 0 ? n.Mark().line + 1 : 0};
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return Value();
    case YAML::NodeType::Scalar:
      return n.Tag() == "!" ? Value(n.Scalar()) : typedScalar(n.Scalar());
    case YAML::NodeType::Sequence: {
      List out;
      for (size_t i = 0; i < n.size(); ++i)
        out.push_back(convert(n[i], joinPath(path, std::to_string(i)), file, sources));
      return Value(std::move(out));
    }
    case YAML::NodeType::Map: {
      Value out = Value(Map{});
      for (const auto& kv : n) {
        std::string key = kv.first.Scalar();
        if (out.find(key)) {
          throw ConfigError(file + ":" + std::to_string(kv.first.Mark().line + 1) + ": " +
                            joinPath(path, key) + ": duplicate key '" + key + "'");
        }
        out.mutableMap().emplace_back(key, convert(kv.second, joinPath(path, key), file, sources));
        sources[joinPath(path, key)].line = kv.first.Mark().line + 1;
      }
      return out;
    }
  }
  return Value();
}

bool looksTyped(const std::string& s) {
  return !typedScalar(s).isString() || s.empty();
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
    case Value::Kind::Float:
      out << v.repr();
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
  YAML::Node node;
  try {
    node = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(file + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                      ": malformed YAML: " + e.msg);
  }
  return convert(node, prefix, file, sources);
}

Value readYamlFile(const std::string& file, std::map<std::string, Location>& sources) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    throw ConfigError("config file '" + file + "' does not exist or is not a file");
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
