#pragma once
/// The one value type of the configuration engine: raw YAML (null, bool, int, float, string, list,
/// map) and, once resolved, built objects. It knows nothing of torch: an object is a type-erased
/// shared pointer tagged with the type it was stored as.
#include <cstdint>
#include <memory>
#include <string>
#include <typeindex>
#include <utility>
#include <variant>
#include <vector>

#include "fmcib/config/error.hpp"

namespace fmcib::config {

class Value;
using List = std::vector<Value>;
/// Insertion-ordered mapping (YAML key order is kept for printing and for error messages).
using Map = std::vector<std::pair<std::string, Value>>;

/// A built object. `type` is the exact type the builder stored it as (areas store one base type
/// per family, e.g. transforms::Transform), `target` is the `_target_` that built it.
struct Object {
  std::shared_ptr<void> ptr;
  std::type_index type = typeid(void);
  std::string target;
};

class Value {
 public:
  enum class Kind { Null, Bool, Int, Float, String, Seq, Dict, Object };

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : v_(b) {}
  Value(int i) : v_(static_cast<int64_t>(i)) {}
  Value(int64_t i) : v_(i) {}
  Value(double d) : v_(d) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(List l) : v_(std::make_shared<List>(std::move(l))) {}
  Value(Map m) : v_(std::make_shared<Map>(std::move(m))) {}
  Value(Object o) : v_(std::move(o)) {}

  template <class T>
  static Value object(std::shared_ptr<T> p, std::string target = {}) {
    return Value(Object{std::static_pointer_cast<void>(std::move(p)), typeid(T), std::move(target)});
  }

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  /// "null", "bool", "int", "float", "string", "list", "map", or "object <target>".
  std::string kindName() const;
  static const char* kindName(Kind k);

  bool isNull() const { return kind() == Kind::Null; }
  bool isBool() const { return kind() == Kind::Bool; }
  bool isInt() const { return kind() == Kind::Int; }
  bool isFloat() const { return kind() == Kind::Float; }
  bool isNumber() const { return isInt() || isFloat(); }
  bool isString() const { return kind() == Kind::String; }
  bool isList() const { return kind() == Kind::Seq; }
  bool isMap() const { return kind() == Kind::Dict; }
  bool isObject() const { return kind() == Kind::Object; }

  // Accessors throw ConfigError naming the expected and actual kinds.
  bool asBool() const;
  int64_t asInt() const;
  /// Ints convert to double (YAML `1` is a valid float argument).
  double asDouble() const;
  const std::string& asString() const;
  const List& asList() const;
  const Map& asMap() const;
  const Object& asObject() const;
  List& mutableList();
  Map& mutableMap();

  /// The stored object as T; T must be the exact type it was stored as.
  template <class T>
  std::shared_ptr<T> as() const {
    const Object& o = asObject();
    if (o.type != typeid(T)) throwObjectType(typeid(T).name());
    return std::static_pointer_cast<T>(o.ptr);
  }
  template <class T>
  bool holds() const {
    return isObject() && asObject().type == typeid(T);
  }

  /// Map lookup; nullptr when absent or not a map.
  const Value* find(const std::string& key) const;
  Value* find(const std::string& key);
  /// Sets (or appends) a map key.
  void set(const std::string& key, Value v);

  /// Copy with every list and map duplicated (values share lists and maps otherwise).
  Value deepCopy() const;

  /// Compact YAML-ish rendering for messages and --print_config.
  std::string repr() const;

  bool operator==(const Value& o) const;
  bool operator!=(const Value& o) const { return !(*this == o); }

 private:
  [[noreturn]] void throwKind(const char* expected) const;
  [[noreturn]] void throwObjectType(const char* expected) const;
  std::variant<std::monostate, bool, int64_t, double, std::string, std::shared_ptr<List>,
               std::shared_ptr<Map>, Object>
      v_;
};

}  // namespace fmcib::config
