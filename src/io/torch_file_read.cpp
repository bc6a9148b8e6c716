// readTorchFile: LibTorch's PyTorchStreamReader opens the zip container and serves the
// `data/<key>` storage records; detail::Unpickler (torch_file_unpickler.hpp) rebuilds data.pkl.
#include <caffe2/serialize/inline_container.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <unordered_map>

#include "fmcib/config/error.hpp"
#include "fmcib/io/torch_file.hpp"
#include "torch_file_unpickler.hpp"

namespace fmcib::io {
namespace {

using detail::PickleError;

/// First line of a c10::Error message, without LibTorch's backtrace.
std::string firstLine(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

bool looksLikeLegacyPickle(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[2] = {0, 0};
  in.read(head, 2);
  return in && static_cast<uint8_t>(head[0]) == 0x80;  // a bare pickle, no zip signature
}

}  // namespace

c10::IValue readTorchFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw InputError(path + ": no such file");
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    if (!reader.hasRecord("data.pkl"))
      throw PickleError("no data.pkl record (a TorchScript archive, not a torch.save file?)");
    auto [pickle, pickleSize] = reader.getRecord("data.pkl");
    std::unordered_map<std::string, at::Storage> storages;
    auto loader = [&](const std::string& key, c10::ScalarType dtype, int64_t numel) {
      const size_t need = static_cast<size_t>(numel) * c10::elementSize(dtype);
      if (static_cast<size_t>(numel) > (size_t{1} << 56))
        throw PickleError("storage " + key + " is too large");
      auto it = storages.find(key);
      if (it == storages.end()) {
        const std::string record = "data/" + key;
        if (!reader.hasRecord(record)) throw PickleError("missing storage record " + record);
        auto [data, size] = reader.getRecord(record);
        at::Storage s(at::Storage::use_byte_size_t(), size, std::move(data), nullptr, false);
        it = storages.emplace(key, std::move(s)).first;
      }
      if (it->second.nbytes() < need)
        throw PickleError("storage record data/" + key + " holds " + std::to_string(it->second.nbytes()) +
                          " bytes, " + std::to_string(need) + " expected");
      return it->second;
    };
    detail::Unpickler unpickler(static_cast<const char*>(pickle.get()), pickleSize, loader);
    return unpickler.run();
  } catch (const PickleError& e) {
    throw InputError(path + ": cannot read torch.save archive: " + e.what());
  } catch (const c10::Error& e) {
    const std::string hint = looksLikeLegacyPickle(path)
                                 ? " (the legacy pre-1.6 torch.save format is not supported: re-save it "
                                   "with a current torch.save)"
                                 : " (truncated, corrupted, or not a torch.save zip archive)";
    throw InputError(path + ": cannot read torch.save archive" + hint + ": " +
                     firstLine(e.what_without_backtrace()));
  } catch (const std::bad_alloc&) {
    throw InputError(path + ": cannot read torch.save archive: a record claims more memory than available");
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(path + ": cannot read torch.save archive: " + e.what());
  }
}

}  // namespace fmcib::io
