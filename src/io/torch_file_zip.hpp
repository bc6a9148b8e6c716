#pragma once
// The zip central directory of a torch.save archive, read and checked before LibTorch's
// PyTorchStreamReader (miniz) serves records: miniz trusts each directory entry's offset, so two
// entries pointing at the same bytes, or an entry reaching past the archive, would read one record
// as another (a tensor made of pickle bytes). Private to the io area.
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

namespace fmcib::io::detail {

struct ZipRecord {
  uint64_t size = 0;            // uncompressed bytes
  uint64_t compressedSize = 0;  // bytes in the archive
  uint16_t method = 0;          // 0 stored, 8 deflated
};

/// Records by name without the archive's top folder ("data.pkl", "data/0", "version"). nullopt when
/// the file has no zip end-of-central-directory record (not a zip, or cut short). Throws PickleError
/// for an inconsistent directory: entries outside the archive or overlapping one another or the
/// directory, a local header that disagrees with its directory entry, duplicate names, encryption,
/// a compression method other than stored/deflate, a stored entry whose sizes differ, a deflated
/// one claiming more than deflate can expand to, or a directory over kMaxZipDirectoryBytes.
std::optional<std::unordered_map<std::string, ZipRecord>> readZipDirectory(const std::string& path);

/// Upper bound on the central directory (1 MiB holds about 15,000 entries; torch.save writes one
/// per storage plus a few).
inline constexpr uint64_t kMaxZipDirectoryBytes = uint64_t{64} << 20;

}  // namespace fmcib::io::detail
