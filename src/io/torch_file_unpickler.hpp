#pragma once
// The pickle interpreter behind readTorchFile (private to the io area). It builds values only: the
// few globals it accepts map to fixed C++ constructors (torch_file_globals.cpp), so a hostile file
// cannot run code. Every malformed input is a PickleError naming the byte offset.
#include <ATen/core/ivalue.h>
#include <c10/core/Storage.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace fmcib::io::detail {

/// What one pickle may build. They bound the time and memory a hostile data.pkl can take (a few
/// hundred MB at most) far above what state dicts and checkpoints need (README "Limits").
inline constexpr uint32_t kMaxPickleNesting =
    1000;  // containers within containers (Python's recursion limit)
inline constexpr uint64_t kMaxPickleValues = uint64_t{1} << 22;  // values pushed or memoized in total
inline constexpr uint64_t kMaxPickleTensors = uint64_t{1} << 18;
inline constexpr uint64_t kMaxPickleBytes = uint64_t{256} << 20;  // the data.pkl record

/// Raised inside the interpreter; readTorchFile prefixes the file name.
struct PickleError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The allowed globals.
enum class Callable {
  OrderedDict,
  RebuildTensorV2,
  RebuildParameter,
  RebuildParameterWithState,
  Device,
  StorageType
};

struct Item;
using Items = std::vector<Item>;

/// A pickle stack entry: a finished value, or one of the intermediate objects that never reach the
/// result (an allowed global, a storage, a tuple holding those).
struct Item {
  enum class Kind { Value, Callable, Storage, RawTuple };
  Kind kind = Kind::Value;
  c10::IValue value;
  Callable callable = Callable::OrderedDict;
  c10::ScalarType dtype = c10::ScalarType::Undefined;  // of a StorageType callable or a Storage
  c10::Storage storage;
  std::shared_ptr<Items> tuple;
  uint32_t height = 0;  // of a RawTuple (containers' shapes live in Unpickler::shapes_)
  uint64_t size = 1;

  static Item of(c10::IValue v) {
    Item i;
    i.value = std::move(v);
    return i;
  }
};

/// Returns the storage record `key` holding at least `numel` elements of `dtype` (shared per key).
using StorageLoader = std::function<c10::Storage(const std::string& key, c10::ScalarType, int64_t numel)>;

/// `s` safe to echo in a message: non-printable bytes as \xNN, at most 100 characters.
std::string printable(const std::string& s);

/// Nesting depth and size (values counted once per place a shared container appears) of a
/// container; `sealed` once it sits inside another, after which it may no longer change, so every
/// shape is final when a parent adds it and no cycle can form.
struct Shape {
  uint32_t height = 1;
  uint64_t size = 1;
  bool sealed = false;
};

class Unpickler {
 public:
  Unpickler(const char* data, size_t size, StorageLoader loader)
      : data_(data), size_(size), loader_(std::move(loader)) {}

  /// Runs the program to STOP and returns the pickled value.
  c10::IValue run();

 private:
  using IValue = c10::IValue;
  // reading (torch_file_unpickler.cpp)
  [[noreturn]] void fail(const std::string& what) const;
  const char* take(size_t n);
  uint8_t byte();
  template <class T>
  T little() {  // pickle stores integers little-endian; so does every host fmcib supports
    T v;
    std::memcpy(&v, take(sizeof(T)), sizeof(T));
    return v;
  }
  std::string bytes(uint64_t n);
  std::string line();
  int64_t signedLE(const char* p, size_t n);
  // stack, memo, containers (torch_file_unpickler.cpp)
  void push(Item i);
  void pushValue(IValue v);
  Item pop();
  Item& top();
  Items popMark();
  Item makeTuple(Items items);
  Items tupleItems(const Item& t, const char* what);
  const IValue& value(const Item& i, const char* what);
  int64_t intArg(const Item& i, const char* what);
  std::vector<int64_t> intTuple(const Item& i, const char* what);
  void setItem(Item& target, const Item& k, const Item& v);
  void append(Item& target, const Item& v);
  IValue container(IValue v, Shape shape = {});
  Shape shapeOf(const Item& i) const;
  void seal(const Item& i);
  void grow(const IValue& target, const Item& child);
  void memoPut(uint64_t index);
  void memoGet(uint64_t index);
  void step(uint8_t op);
  // the allowed globals (torch_file_globals.cpp)
  Item global(const std::string& module, const std::string& name);
  IValue rebuildTensor(const Items& a);
  void reduce();
  void persistentId();

  const char* data_;
  size_t size_;
  StorageLoader loader_;
  size_t pos_ = 0;
  size_t opPos_ = 0;  // start of the current opcode, for messages
  Items stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Item> memo_;
  std::unordered_map<const void*, Shape> shapes_;
  uint64_t values_ = 0;  // pushes and memo stores so far
  uint64_t tensors_ = 0;
};

}  // namespace fmcib::io::detail
