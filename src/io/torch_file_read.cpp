// readTorchFile: LibTorch's PyTorchStreamReader opens the zip container and serves the
// `data/<key>` storage records; detail::Unpickler (torch_file_unpickler.hpp) rebuilds data.pkl.
#include <caffe2/serialize/inline_container.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <unordered_map>

#include "fmcib/config/error.hpp"
#include "fmcib/io/torch_file.hpp"
#include "torch_file_unpickler.hpp"
#include "torch_file_zip.hpp"

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

/// The archive's records; nullopt (and the caller's "not a zip" message) without a zip directory.
std::optional<std::unordered_map<std::string, detail::ZipRecord>> zipRecords(const std::string& path) {
  auto records = detail::readZipDirectory(path);
  if (records) {
    auto pkl = records->find("data.pkl");
    if (pkl != records->end() && pkl->second.size > detail::kMaxPickleBytes)
      throw PickleError("data.pkl holds " + std::to_string(pkl->second.size) + " bytes (at most " +
                        std::to_string(detail::kMaxPickleBytes) + " are read)");
  }
  return records;
}

}  // namespace

c10::IValue readTorchFile(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto status = fs::status(path, ec);  // before any open: a FIFO would block it
  if (!fs::exists(status)) throw InputError(path + ": no such file");
  if (!fs::is_regular_file(status)) throw InputError(path + ": not a regular file");
  try {
    const auto records = zipRecords(path);
    // Without a directory, PyTorchStreamReader fails with the message the catch below explains.
    caffe2::serialize::PyTorchStreamReader reader(path);
    if (!records || !reader.hasRecord("data.pkl"))
      throw PickleError("no data.pkl record (a TorchScript archive, not a torch.save file?)");
    auto [pickle, pickleSize] = reader.getRecord("data.pkl");
    std::unordered_map<std::string, at::Storage> storages;
    auto loader = [&](const std::string& key, c10::ScalarType dtype, int64_t numel) {
      const std::string record = "data/" + key;
      auto it = storages.find(key);
      if (it == storages.end()) {
        auto entry = records->find(record);
        if (entry == records->end() || !reader.hasRecord(record))
          throw PickleError("missing storage record " + detail::printable(record));
        // Checked against the directory before anything is read: a record is exactly its storage.
        uint64_t need = 0;
        if (__builtin_mul_overflow(static_cast<uint64_t>(numel), c10::elementSize(dtype), &need) ||
            entry->second.size != need)
          throw PickleError("storage record " + detail::printable(record) + " holds " +
                            std::to_string(entry->second.size) + " bytes, its storage of " +
                            std::to_string(numel) + " " + c10::toString(dtype) + " elements needs " +
                            (need ? std::to_string(need) : std::string("more")));
        auto [data, size] = reader.getRecord(record);
        at::Storage s(at::Storage::use_byte_size_t(), size, std::move(data), nullptr, false);
        it = storages.emplace(key, std::move(s)).first;
      }
      if (it->second.nbytes() != static_cast<size_t>(numel) * c10::elementSize(dtype))
        throw PickleError("storage record " + detail::printable(record) +
                          " is used with two sizes or dtypes");
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
