#include "fmcib/data/load_image.hpp"

#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include "fmcib/data/stage_timer.hpp"
#include "fmcib/io/image_io.hpp"

namespace fmcib::data {

namespace fs = std::filesystem;

transforms::Affine rasAffine(const io::ImageGeometry& g) {
  transforms::Affine a = transforms::identityAffine();
  for (int i = 0; i < 3; ++i) {
    const double flip = i < 2 ? -1.0 : 1.0;
    for (int j = 0; j < 3; ++j) a[4 * i + j] = flip * (g.dir(i, j) * g.spacing[j]);
    a[4 * i + 3] = flip * g.origin[i];
  }
  return a;
}

transforms::MetaImage metaImageFromVolume(const io::Volume& volume, bool eager) {
  if (volume.empty()) throw RuntimeError("metaImageFromVolume: an empty volume");
  const auto& n = volume.geometry().size;
  std::optional<at::ScalarType> dtype;
  switch (volume.pixelType()) {
    case io::PixelType::kUInt8:
      dtype = at::kByte;
      break;
    case io::PixelType::kInt8:
      dtype = at::kChar;
      break;
    case io::PixelType::kInt16:
      dtype = at::kShort;
      break;
    case io::PixelType::kInt32:
      dtype = at::kInt;
      break;
    case io::PixelType::kInt64:
      dtype = at::kLong;
      break;
    case io::PixelType::kFloat32:
      dtype = at::kFloat;
      break;
    case io::PixelType::kFloat64:
      dtype = at::kDouble;
      break;
    default:
      break;
  }
  at::Tensor zyx;
  if (dtype) {
    auto keep = std::make_shared<io::Volume>(volume);  // shares the buffer
    zyx = torch::from_blob(
        keep->data(), {n[2], n[1], n[0]}, [keep](void*) {}, torch::TensorOptions().dtype(*dtype));
  } else {
    zyx = volume.toFloatTensor();
  }
  return transforms::MetaImage::fromVoxels(zyx.permute({2, 1, 0}), rasAffine(volume.geometry()), eager);
}

std::string resolveDataPath(const std::string& raw, const std::string& folder) {
  const fs::path p(raw);
  std::error_code ec;  // a path that cannot be looked up (too long, ...) fails when it is read
  if (p.is_absolute() || folder.empty() || fs::exists(p, ec)) return raw;
  const fs::path beside = fs::path(folder) / p;
  return fs::exists(beside, ec) ? beside.string() : raw;
}

LoadImaged::LoadImaged(LoadImageOptions options) : options_(std::move(options)) {
  if (options_.keys.keys.empty()) throw ConfigError("LoadImaged: keys: at least one key is needed");
  if (options_.cacheBytes < 0)
    throw ConfigError("LoadImaged: cache_bytes must be >= 0, got " + std::to_string(options_.cacheBytes));
  // ITK initialises its factory list lazily; do it here, before loader threads read images.
  io::ensureImageIOFactories();
  if (options_.cacheBytes > 0)
    cache_ = std::make_shared<const ScanCache>(ScanCacheOptions{"", options_.cacheBytes});
}

void LoadImaged::operator()(transforms::DataDict& d, transforms::Generator&) const {
  for (const auto& key : options_.keys.present(d, name())) {
    std::string raw = d.text(key);
    if (raw.empty()) throw InputError("column '" + key + "': the image path is empty");
    const char* home = std::getenv("HOME");
    if (options_.expandUser && raw.rfind("~/", 0) == 0 && home && *home)
      raw = std::string(home) + raw.substr(1);
    const std::string path = resolveDataPath(raw, d.baseDir);
    io::Volume scan;
    try {
      ScopedStage timer(Stage::kRead);
      scan = cache_ ? cache_->open(path)->whole() : io::readImage(path);
    } catch (const InputError& e) {
      throw InputError("column '" + key + "': " + e.what());
    }
    transforms::MetaImage image = metaImageFromVolume(scan, options_.eager);
    d.set(key, options_.ensureChannelFirst ? image.withChannel() : image);
  }
}

}  // namespace fmcib::data
