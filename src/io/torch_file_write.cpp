// Writer of torch.save zip archives: a protocol-2 pickle of the value (the opcodes and globals that
// Python's torch.save itself emits, so plain torch.load and weights_only loading accept it) plus one
// `data/<key>` record per storage, in LibTorch's PyTorchStreamWriter container.
#include <caffe2/serialize/inline_container.h>
#include <torch/torch.h>

#include <cstring>
#include <unordered_map>

#include "fmcib/config/error.hpp"
#include "fmcib/io/atomic_file.hpp"
#include "fmcib/io/torch_file.hpp"
#include "torch_file_types.hpp"

namespace fmcib::io {
namespace {

using c10::IValue;

class Pickler {
 public:
  /// The pickle program of `v`; storages() lists the records it refers to.
  void dump(const IValue& v) {
    out_.append("\x80\x02", 2);  // PROTO 2, what torch.save uses by default
    write(v);
    out_.push_back('.');
  }
  const std::string& bytes() const { return out_; }
  const std::vector<std::pair<std::string, at::Storage>>& storages() const { return storages_; }

 private:
  void op(char c) { out_.push_back(c); }
  template <class T>
  void little(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out_.append(b, sizeof(T));
  }
  void writeInt(int64_t v) {
    if (v >= 0 && v < 256) {
      op('K');
      out_.push_back(static_cast<char>(v));
    } else if (v >= 0 && v < 65536) {
      op('M');
      little(static_cast<uint16_t>(v));
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      op('J');
      little(static_cast<int32_t>(v));
    } else {
      op('\x8a');  // LONG1: 8-byte two's complement, little-endian
      out_.push_back(8);
      little(v);
    }
  }
  void writeDouble(double d) {
    uint64_t u;
    std::memcpy(&u, &d, sizeof u);
    op('G');
    for (int i = 7; i >= 0; --i) out_.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
  }
  void writeString(const std::string& s) {
    op('X');
    little(static_cast<uint32_t>(s.size()));
    out_ += s;
  }
  void writeGlobal(const std::string& module, const std::string& name) {
    op('c');
    out_ += module + "\n" + name + "\n";
  }
  void writeIntTuple(c10::IntArrayRef values) {
    if (values.empty()) return op(')');
    op('(');
    for (int64_t v : values) writeInt(v);
    op('t');
  }

  void writeTensor(const at::Tensor& tensor) {
    if (!tensor.defined()) return op('N');
    if (tensor.layout() != at::kStrided || tensor.is_quantized() || tensor.is_mkldnn())
      throw RuntimeError("cannot write a non-strided or quantized tensor");
    const at::Tensor t = tensor.device().is_cpu() ? tensor : tensor.cpu();
    const char* storageType = detail::storageName(t.scalar_type());
    if (!storageType)
      throw RuntimeError(std::string("cannot write a tensor of dtype ") + c10::toString(t.scalar_type()));
    const at::Storage& storage = t.storage();
    auto [it, added] = keys_.emplace(storage.unsafeGetStorageImpl(),
                                     std::make_pair(std::to_string(keys_.size()), t.scalar_type()));
    if (added) {
      storages_.emplace_back(it->second.first, storage);
    } else if (it->second.second != t.scalar_type()) {
      // Python's loader keys storages by record alone, so one record cannot serve two dtypes.
      throw RuntimeError("cannot write tensors of different dtypes viewing the same storage");
    }
    const auto numel = static_cast<int64_t>(storage.nbytes() / t.element_size());
    writeGlobal("torch._utils", "_rebuild_tensor_v2");
    op('(');
    op('(');  // persistent id: ('storage', torch.<T>Storage, key, location, numel)
    writeString("storage");
    writeGlobal("torch", storageType);
    writeString(it->second.first);
    writeString("cpu");
    writeInt(numel);
    op('t');
    op('Q');  // BINPERSID
    writeInt(t.storage_offset());
    writeIntTuple(t.sizes());
    writeIntTuple(t.strides());
    op('\x89');                                 // requires_grad=False
    writeGlobal("collections", "OrderedDict");  // backward hooks: OrderedDict()
    op(')');
    op('R');
    op('t');
    op('R');
  }

  void write(const IValue& v) {
    if (v.isNone()) return op('N');
    if (v.isBool()) return op(v.toBool() ? '\x88' : '\x89');
    if (v.isInt()) return writeInt(v.toInt());
    if (v.isDouble()) return writeDouble(v.toDouble());
    if (v.isString()) return writeString(v.toStringRef());
    if (v.isTensor()) return writeTensor(v.toTensor());
    if (v.isDevice()) {
      writeGlobal("torch", "device");
      op('(');
      writeString(v.toDevice().str());
      op('t');
      return op('R');
    }
    if (v.isList()) {
      op(']');
      const auto list = v.toListRef();
      if (list.empty()) return;
      op('(');
      for (const auto& e : list) write(e);
      return op('e');
    }
    if (v.isTuple()) {
      const auto& elements = v.toTupleRef().elements();
      if (elements.empty()) return op(')');
      op('(');
      for (const auto& e : elements) write(e);
      return op('t');
    }
    if (v.isGenericDict()) {
      op('}');
      const auto dict = v.toGenericDict();
      if (dict.empty()) return;
      op('(');
      for (const auto& entry : dict) {
        const IValue& key = entry.key();
        if (!(key.isString() || key.isInt() || key.isBool() || key.isDouble()))
          throw RuntimeError("cannot write a dict key of type " + key.tagKind());
        write(key);
        write(entry.value());
      }
      return op('u');
    }
    throw RuntimeError("cannot write a value of type " + v.tagKind());
  }

  std::string out_;
  std::unordered_map<const c10::StorageImpl*, std::pair<std::string, c10::ScalarType>> keys_;
  std::vector<std::pair<std::string, at::Storage>> storages_;
};

/// data.pkl, then the storages, then the version record: the order Python's torch.save uses.
void writeArchive(const Pickler& p, const std::function<size_t(const void*, size_t)>& sink) {
  caffe2::serialize::PyTorchStreamWriter writer(sink);
  writer.writeRecord("data.pkl", p.bytes().data(), p.bytes().size());
  static const char kEmpty = 0;
  for (const auto& [key, storage] : p.storages()) {
    const void* data = storage.nbytes() ? storage.data() : &kEmpty;
    writer.writeRecord("data/" + key, data, storage.nbytes());
  }
  writer.writeEndOfFile();
}

Pickler pickle(const c10::IValue& value, const std::string& what) {
  Pickler p;
  try {
    p.dump(value);
  } catch (const RuntimeError& e) {
    throw RuntimeError(what + ": " + e.what());
  }
  return p;
}

}  // namespace

std::string torchFileBytes(const c10::IValue& value) {
  Pickler p = pickle(value, "torchFileBytes");
  std::string out;
  writeArchive(p, [&](const void* buf, size_t n) {
    out.append(static_cast<const char*>(buf), n);
    return n;
  });
  return out;
}

void writeTorchFile(const std::string& path, const c10::IValue& value) {
  const Pickler p = pickle(value, path);  // fails before any file is touched
  AtomicFile file(path);
  // The sink never reports failure to the zip writer (which would throw from its destructor); it
  // remembers the first error, and the file is discarded below.
  std::string error;
  auto sink = [&](const void* buf, size_t n) -> size_t {
    if (error.empty()) {
      try {
        file.write(buf, n);
      } catch (const RuntimeError& e) {
        error = e.what();
      }
    }
    return n;
  };
  try {
    writeArchive(p, sink);
  } catch (const std::exception& e) {
    file.discard();
    throw RuntimeError(path + ": write failed, existing file left unchanged: " + e.what());
  }
  if (!error.empty()) throw RuntimeError(error);
  file.commit();
}

}  // namespace fmcib::io
