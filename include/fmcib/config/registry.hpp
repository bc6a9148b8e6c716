#pragma once
/// The `_target_` registry. Each area registers the names it builds (with their arguments declared
/// once: name, accepted kinds, default, doc) from its own `registerTargets()`; the configuration
/// engine checks every `_target_` node against those declarations before anything is built.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <typeindex>
#include <vector>

#include "fmcib/config/value.hpp"

namespace fmcib::config {

/// Kinds an argument accepts (bit mask). kFloat also accepts ints; kObject accepts a `_target_` node.
enum ArgKind : unsigned {
  kNull = 1u << 0,
  kBool = 1u << 1,
  kInt = 1u << 2,
  kFloat = 1u << 3,
  kString = 1u << 4,
  kList = 1u << 5,
  kMap = 1u << 6,
  kObject = 1u << 7,
  kNumber = kInt | kFloat,
  kAny = 0xffu,
};
/// "int|float|null" for messages.
std::string kindsName(unsigned kinds);
/// True when a value of this kind is acceptable for the mask.
bool kindAccepted(unsigned kinds, const Value& v);

/// One declared argument.
struct ArgSpec {
  std::string name;
  unsigned kinds = kAny;
  bool required = false;
  Value defaultValue;
  std::string doc;
  /// For map-valued arguments: the accepted keys (checked like arguments); empty = any key.
  std::vector<ArgSpec> fields;
};

/// An optional argument with a default.
ArgSpec arg(std::string name, unsigned kinds, Value defaultValue, std::string doc);
/// A required argument.
ArgSpec required(std::string name, unsigned kinds, std::string doc);
/// A map argument whose keys are themselves declared.
ArgSpec section(std::string name, std::vector<ArgSpec> fields, std::string doc,
                unsigned kinds = kMap | kNull);

/// Resolves YAML paths to built values (implemented by Config).
class Resolver {
 public:
  virtual ~Resolver() = default;
  virtual Value resolvePath(const std::string& path) = 0;
  /// "file:line" of a path, or "" when unknown.
  virtual std::string locate(const std::string& path) const = 0;
};

struct TargetSpec;

/// Arguments of one `_target_` node, resolved lazily (only what the builder asks for is built).
class Args {
 public:
  Args(const TargetSpec& spec, std::string path, Value raw, Resolver& resolver);

  const std::string& path() const { return path_; }
  const std::string& target() const;
  /// True when the config wrote this argument (even as null).
  bool given(const std::string& name) const;
  /// The resolved value, or the declared default; checked against the declared kinds.
  Value get(const std::string& name) const;
  bool getBool(const std::string& name) const { return get(name).asBool(); }
  int64_t getInt(const std::string& name) const;
  double getDouble(const std::string& name) const;
  std::string getString(const std::string& name) const;
  /// A list of numbers (a single number is not promoted; use getDoublesOrScalar for that).
  std::vector<double> getDoubles(const std::string& name) const;
  std::vector<int64_t> getInts(const std::string& name) const;
  /// MONAI's "float or sequence" arguments: a scalar is repeated `n` times.
  std::vector<double> getDoublesOrScalar(const std::string& name, size_t n) const;
  /// The object stored as T (nullptr when the value is null).
  template <class T>
  std::shared_ptr<T> getObject(const std::string& name) const {
    Value v = get(name);
    if (v.isNull()) return nullptr;
    if (!v.holds<T>()) fail(name, "expected " + std::string(typeid(T).name()) + ", got " + v.kindName());
    return v.as<T>();
  }
  /// A callable that resolves the argument when first called (for parts used only by some commands).
  std::function<Value()> lazy(const std::string& name) const;
  /// Throws ConfigError naming file, line and path of the argument.
  [[noreturn]] void fail(const std::string& name, const std::string& message) const;
  /// "file:line: path#name" for messages.
  std::string where(const std::string& name) const;
  Resolver& resolver() const { return *resolver_; }

 private:
  const ArgSpec& spec(const std::string& name) const;
  const TargetSpec* target_;
  std::string path_;
  Value raw_;
  Resolver* resolver_;
};

using BuildFn = std::function<Value(const Args&)>;

struct TargetSpec {
  std::string name;
  std::string doc;
  std::vector<ArgSpec> args;
  BuildFn build;
};

/// Functions callable from `$` expressions and lambdas (e.g. "torch.softmax"), with positional
/// and keyword arguments.
using FunctionFn = std::function<Value(const List& args, const Map& kwargs)>;
/// Methods on built objects (e.g. `.parameters()`, `.squeeze(1)`), looked up by stored type.
using MethodFn = std::function<Value(const Value& self, const List& args, const Map& kwargs)>;

class Registry {
 public:
  /// The process-wide registry the CLI uses.
  static Registry& global();

  /// Adds a target; a second registration of one name is a programming error (std::logic_error).
  void add(TargetSpec spec);
  const TargetSpec* find(const std::string& name) const;
  std::vector<std::string> names() const;
  /// Registered names closest to `name` (for "did you mean" messages).
  std::vector<std::string> suggest(const std::string& name, size_t n = 3) const;

  void addFunction(const std::string& name, FunctionFn fn);
  const FunctionFn* function(const std::string& name) const;
  std::vector<std::string> functionNames() const;

  void addMethod(std::type_index type, const std::string& name, MethodFn fn);
  template <class T>
  void addMethod(const std::string& name, MethodFn fn) {
    addMethod(typeid(T), name, std::move(fn));
  }
  const MethodFn* method(std::type_index type, const std::string& name) const;
  bool hasMethodName(const std::string& name) const;

 private:
  std::map<std::string, TargetSpec> targets_;
  std::map<std::string, FunctionFn> functions_;
  std::map<std::pair<std::type_index, std::string>, MethodFn> methods_;
};

/// Levenshtein distance (for suggestions).
size_t editDistance(const std::string& a, const std::string& b);

}  // namespace fmcib::config
