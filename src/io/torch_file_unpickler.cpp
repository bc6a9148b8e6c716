// The pickle opcodes torch.save emits (protocols 2-5: what Python writes by default and with a
// higher pickle_protocol), the stack and memo machinery, and the containers they build.
#include "torch_file_unpickler.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>

#include "fmcib/io/excerpt.hpp"

namespace fmcib::io::detail {
namespace {

using c10::IValue;

/// The type used for dict keys/values and list elements: exact for scalars and tensors, Any otherwise.
c10::TypePtr coarseType(const IValue& v) {
  if (v.isString()) return c10::StringType::get();
  if (v.isInt()) return c10::IntType::get();
  if (v.isDouble()) return c10::FloatType::get();
  if (v.isBool()) return c10::BoolType::get();
  if (v.isTensor()) return c10::TensorType::get();
  return c10::AnyType::get();
}

/// The common type after adding an element of type `t` to a container that had `count` elements.
c10::TypePtr joinType(const c10::TypePtr& current, size_t count, const c10::TypePtr& t) {
  if (count == 0) return t;
  return *current == *t ? current : c10::AnyType::get();
}

bool isContainer(const IValue& v) {
  return v.isList() || v.isGenericDict() || v.isTuple();
}

}  // namespace

std::string printable(const std::string& s) {
  return excerpt(s, 100, true);
}

IValue Unpickler::run() {
  while (true) {
    opPos_ = pos_;
    const uint8_t op = byte();
    if (op == '.') {  // STOP
      Item result = pop();
      if (result.kind != Item::Kind::Value) fail("the pickled object is not a plain value");
      return result.value;
    }
    step(op);
  }
}

void Unpickler::fail(const std::string& what) const {
  char where[64];
  std::snprintf(where, sizeof where, "data.pkl byte %zu: ", opPos_);
  throw PickleError(where + what);
}

const char* Unpickler::take(size_t n) {
  if (n > size_ - pos_) fail("unexpected end of the pickle (truncated data.pkl)");
  const char* p = data_ + pos_;
  pos_ += n;
  return p;
}

uint8_t Unpickler::byte() {
  return static_cast<uint8_t>(*take(1));
}

std::string Unpickler::bytes(uint64_t n) {
  if (n > size_) fail("string length beyond the end of the pickle");
  return std::string(take(static_cast<size_t>(n)), static_cast<size_t>(n));
}

std::string Unpickler::line() {
  const void* nl = std::memchr(data_ + pos_, '\n', size_ - pos_);
  if (!nl) fail("unterminated GLOBAL name");
  size_t n = static_cast<const char*>(nl) - (data_ + pos_);
  std::string s(take(n), n);
  take(1);
  return s;
}

int64_t Unpickler::signedLE(const char* p, size_t n) {
  if (n == 0) return 0;
  if (n > 8) fail("integer wider than 64 bits");
  uint64_t u = 0;
  for (size_t i = 0; i < n; ++i) u |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  if (n < 8 && (static_cast<uint8_t>(p[n - 1]) & 0x80)) u |= ~uint64_t{0} << (8 * n);  // sign-extend
  return static_cast<int64_t>(u);
}

void Unpickler::push(Item i) {
  if (++values_ > kMaxPickleValues)
    fail("the pickle builds more than " + std::to_string(kMaxPickleValues) + " values");
  stack_.push_back(std::move(i));
}

void Unpickler::pushValue(IValue v) {
  push(Item::of(std::move(v)));
}

IValue Unpickler::container(IValue v, Shape shape) {
  shapes_[v.internalToPointer()] = shape;  // a new object: an entry left at this address is stale
  return v;
}

Shape Unpickler::shapeOf(const Item& i) const {
  if (i.kind == Item::Kind::RawTuple) return {i.height, i.size, true};
  if (i.kind == Item::Kind::Value && isContainer(i.value)) {
    auto it = shapes_.find(i.value.internalToPointer());
    if (it != shapes_.end()) return it->second;
  }
  return {0, 1, false};
}

void Unpickler::seal(const Item& i) {
  if (i.kind == Item::Kind::Value && isContainer(i.value)) shapes_[i.value.internalToPointer()].sealed = true;
}

void Unpickler::grow(const IValue& target, const Item& child) {
  if (child.kind == Item::Kind::Value && child.value.isPtrType() &&
      child.value.internalToPointer() == target.internalToPointer())
    fail("a list or dict contains itself: cyclic structures are not read");
  const Shape c = shapeOf(child);
  Shape& t = shapes_[target.internalToPointer()];
  if (t.sealed)
    fail(
        "a list or dict changes after it was placed in another container (a cyclic structure?): only "
        "trees of values are read");
  t.height = std::max(t.height, c.height + 1);
  t.size += c.size;
  if (t.height > kMaxPickleNesting)
    fail("containers nest deeper than " + std::to_string(kMaxPickleNesting) + " levels");
  if (t.size > kMaxPickleValues)
    fail("a container holds more than " + std::to_string(kMaxPickleValues) +
         " values (a container referenced several times counts each time)");
  seal(child);
}

Item Unpickler::pop() {
  if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) fail("pickle stack underflow");
  Item i = std::move(stack_.back());
  stack_.pop_back();
  return i;
}

Item& Unpickler::top() {
  if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) fail("pickle stack underflow");
  return stack_.back();
}

Items Unpickler::popMark() {
  if (marks_.empty()) fail("no MARK on the pickle stack");
  const size_t m = marks_.back();
  marks_.pop_back();
  Items items(std::make_move_iterator(stack_.begin() + m), std::make_move_iterator(stack_.end()));
  stack_.resize(m);
  return items;
}

Item Unpickler::makeTuple(Items items) {
  Shape s;
  bool plain = true;
  for (const auto& i : items) {
    plain = plain && i.kind == Item::Kind::Value;
    const Shape c = shapeOf(i);
    s.height = std::max(s.height, c.height + 1);
    s.size += c.size;
    if (s.height > kMaxPickleNesting)
      fail("containers nest deeper than " + std::to_string(kMaxPickleNesting) + " levels");
    if (s.size > kMaxPickleValues)
      fail("a tuple holds more than " + std::to_string(kMaxPickleValues) + " values");
  }
  for (const auto& i : items) seal(i);
  if (!plain) {
    Item t;
    t.kind = Item::Kind::RawTuple;
    t.tuple = std::make_shared<Items>(std::move(items));
    t.height = s.height;
    t.size = s.size;
    return t;
  }
  std::vector<IValue> values;
  values.reserve(items.size());
  for (auto& i : items) values.push_back(std::move(i.value));
  return Item::of(container(c10::ivalue::Tuple::create(std::move(values)), s));
}

Items Unpickler::tupleItems(const Item& t, const char* what) {
  if (t.kind == Item::Kind::RawTuple) return *t.tuple;
  if (t.kind != Item::Kind::Value || !t.value.isTuple()) fail(std::string(what) + " expects a tuple");
  Items out;
  for (const auto& v : t.value.toTupleRef().elements()) out.push_back(Item::of(v));
  return out;
}

const IValue& Unpickler::value(const Item& i, const char* what) {
  if (i.kind != Item::Kind::Value) fail(std::string(what) + ": a class, function or storage is not a value");
  return i.value;
}

int64_t Unpickler::intArg(const Item& i, const char* what) {
  const IValue& v = value(i, what);
  if (!v.isInt()) fail(std::string(what) + " must be an int");
  return v.toInt();
}

std::vector<int64_t> Unpickler::intTuple(const Item& i, const char* what) {
  std::vector<int64_t> out;
  for (const auto& e : tupleItems(i, what)) out.push_back(intArg(e, what));
  return out;
}

void Unpickler::setItem(Item& target, const Item& k, const Item& v) {
  if (target.kind != Item::Kind::Value || !target.value.isGenericDict()) fail("SETITEM on a non-dict");
  const IValue& key = value(k, "dict key");
  if (!(key.isString() || key.isInt() || key.isBool() || key.isDouble()))
    fail("unsupported dict key of type " + key.tagKind());
  const IValue& val = value(v, "dict value");
  grow(target.value, v);
  auto dict = target.value.toGenericDict();
  dict.unsafeSetKeyType(joinType(dict.keyType(), dict.size(), coarseType(key)));
  dict.unsafeSetValueType(joinType(dict.valueType(), dict.size(), coarseType(val)));
  dict.insert_or_assign(key, val);
}

void Unpickler::append(Item& target, const Item& v) {
  if (target.kind != Item::Kind::Value || !target.value.isList()) fail("APPEND on a non-list");
  const IValue& val = value(v, "list element");
  grow(target.value, v);
  auto list = target.value.toList();
  list.unsafeSetElementType(joinType(list.elementType(), list.size(), coarseType(val)));
  list.push_back(val);
}

void Unpickler::memoPut(uint64_t index) {
  if (++values_ > kMaxPickleValues)
    fail("the pickle builds more than " + std::to_string(kMaxPickleValues) + " values");
  memo_[index] = top();
}

void Unpickler::memoGet(uint64_t index) {
  auto it = memo_.find(index);
  if (it == memo_.end()) fail("memo entry " + std::to_string(index) + " was never stored");
  push(it->second);
}

void Unpickler::step(uint8_t op) {
  switch (op) {
    case 0x80: {  // PROTO
      if (byte() > 5) fail("pickle protocol newer than 5");
      return;
    }
    case 0x95:
      take(8);
      return;  // FRAME (protocol 4 framing: only a length hint)
    case '(':
      marks_.push_back(stack_.size());
      return;
    case '0':
      pop();
      return;
    case '1':
      popMark();
      return;
    case '}':
      return pushValue(container(c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get())));
    case ']':
      return pushValue(container(c10::impl::GenericList(c10::AnyType::get())));
    case ')':
      return pushValue(container(c10::ivalue::Tuple::create(std::vector<IValue>{})));
    case 'N':
      return pushValue(IValue());
    case 0x88:
      return pushValue(true);
    case 0x89:
      return pushValue(false);
    case 'J':
      return pushValue(static_cast<int64_t>(little<int32_t>()));
    case 'K':
      return pushValue(static_cast<int64_t>(byte()));
    case 'M':
      return pushValue(static_cast<int64_t>(little<uint16_t>()));
    case 0x8a: {  // LONG1
      const size_t n = byte();
      return pushValue(signedLE(take(n), n));
    }
    case 0x8b: {  // LONG4
      const auto n = little<uint32_t>();
      if (n > 8) fail("integer wider than 64 bits");
      return pushValue(signedLE(take(n), n));
    }
    case 'G': {  // BINFLOAT: big-endian IEEE double
      const char* p = take(8);
      uint64_t u = 0;
      for (int i = 0; i < 8; ++i) u = (u << 8) | static_cast<uint8_t>(p[i]);
      double d;
      std::memcpy(&d, &u, sizeof d);
      return pushValue(d);
    }
    case 'X':
      return pushValue(bytes(little<uint32_t>()));  // BINUNICODE
    case 0x8c:
      return pushValue(bytes(byte()));  // SHORT_BINUNICODE
    case 0x8d:
      return pushValue(bytes(little<uint64_t>()));  // BINUNICODE8
    case 'U':
      return pushValue(bytes(byte()));  // SHORT_BINSTRING (Python 2 str)
    case 'T': {                         // BINSTRING
      const auto n = little<int32_t>();
      if (n < 0) fail("negative string length");
      return pushValue(bytes(static_cast<uint64_t>(n)));
    }
    case 't':
      return push(makeTuple(popMark()));
    case 0x85:
    case 0x86:
    case 0x87: {  // TUPLE1..3
      Items items(op - 0x84);
      for (auto it = items.rbegin(); it != items.rend(); ++it) *it = pop();
      return push(makeTuple(std::move(items)));
    }
    case 's': {
      Item v = pop();
      Item k = pop();
      return setItem(top(), k, v);
    }
    case 'u': {
      Items kv = popMark();
      if (kv.size() % 2) fail("SETITEMS with an odd number of items");
      Item& target = top();
      for (size_t i = 0; i < kv.size(); i += 2) setItem(target, kv[i], kv[i + 1]);
      return;
    }
    case 'a': {
      Item v = pop();
      return append(top(), v);
    }
    case 'e': {
      Items items = popMark();
      Item& target = top();
      for (const auto& v : items) append(target, v);
      return;
    }
    case 'q':
      return memoPut(byte());
    case 'r':
      return memoPut(little<uint32_t>());
    case 0x94:
      return memoPut(memo_.size());  // MEMOIZE
    case 'h':
      return memoGet(byte());
    case 'j':
      return memoGet(little<uint32_t>());
    case 'c': {
      std::string module = line();
      std::string name = line();
      return push(global(module, name));
    }
    case 0x93: {  // STACK_GLOBAL
      Item name = pop();
      Item module = pop();
      if (!value(name, "global name").isString() || !value(module, "global module").isString())
        fail("STACK_GLOBAL expects two strings");
      return push(global(module.value.toStringRef(), name.value.toStringRef()));
    }
    case 'R':
      return reduce();
    case 'b': {  // BUILD: only the OrderedDict attribute dict (`_metadata`), which is dropped
      Item state = pop();
      const Item& target = top();
      if (target.kind != Item::Kind::Value || !target.value.isGenericDict())
        fail("BUILD (setting object state) is only supported on OrderedDict");
      return;
    }
    case 'Q':
      return persistentId();
    default: {
      char msg[64];
      std::snprintf(msg, sizeof msg, "unsupported pickle opcode 0x%02x", op);
      fail(msg);
    }
  }
}

}  // namespace fmcib::io::detail
