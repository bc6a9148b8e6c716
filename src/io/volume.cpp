#include "fmcib/io/volume.hpp"

#include <itkImage.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <sstream>

namespace fmcib::io {

const char* pixelTypeName(PixelType type) {
  switch (type) {
    case PixelType::kUInt8:
      return "uint8";
    case PixelType::kInt8:
      return "int8";
    case PixelType::kUInt16:
      return "uint16";
    case PixelType::kInt16:
      return "int16";
    case PixelType::kUInt32:
      return "uint32";
    case PixelType::kInt32:
      return "int32";
    case PixelType::kUInt64:
      return "uint64";
    case PixelType::kInt64:
      return "int64";
    case PixelType::kFloat32:
      return "float32";
    case PixelType::kFloat64:
      return "float64";
  }
  return "?";
}

size_t pixelSize(PixelType type) {
  return dispatchPixelType(type, [](auto v) { return sizeof(v); });
}

Vec3 ImageGeometry::indexToPhysical(const Vec3& index) const {
  Vec3 p = origin;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) p[r] += dir(r, c) * spacing[c] * index[c];
  return p;
}

Vec3 ImageGeometry::physicalToContinuousIndex(const Vec3& point) const {
  // An unallocated ITK image carries the geometry; ITK inverts direction·spacing exactly as it
  // does for SimpleITK's TransformPhysicalPointToContinuousIndex.
  using Image = itk::Image<unsigned char, 3>;
  auto image = Image::New();
  Image::SpacingType s;
  Image::PointType o;
  Image::DirectionType d;
  for (int i = 0; i < 3; ++i) {
    s[i] = spacing[i];
    o[i] = origin[i];
    for (int j = 0; j < 3; ++j) d[i][j] = dir(i, j);
  }
  image->SetSpacing(s);
  image->SetOrigin(o);
  image->SetDirection(d);
  Image::PointType p;
  for (int i = 0; i < 3; ++i) p[i] = point[i];
  itk::ContinuousIndex<double, 3> cidx;
  image->TransformPhysicalPointToContinuousIndex(p, cidx);
  return {cidx[0], cidx[1], cidx[2]};
}

std::string ImageGeometry::describe() const {
  std::ostringstream os;
  os.precision(6);
  os << "size [" << size[0] << ", " << size[1] << ", " << size[2] << "], spacing [" << spacing[0] << ", "
     << spacing[1] << ", " << spacing[2] << "], origin [" << origin[0] << ", " << origin[1] << ", "
     << origin[2] << "], direction [";
  for (int i = 0; i < 9; ++i) os << (i ? ", " : "") << direction[i];
  os << "]";
  return os.str();
}

bool ImageGeometry::approxEqual(const ImageGeometry& other, double tolerance) const {
  if (size != other.size) return false;
  for (int i = 0; i < 3; ++i) {
    if (std::abs(spacing[i] - other.spacing[i]) > tolerance) return false;
    if (std::abs(origin[i] - other.origin[i]) > tolerance) return false;
  }
  for (int i = 0; i < 9; ++i)
    if (std::abs(direction[i] - other.direction[i]) > tolerance) return false;
  return true;
}

Volume::Volume(PixelType type, const ImageGeometry& geometry) : type_(type), geometry_(geometry) {
  for (int64_t s : geometry.size)
    if (s < 0) throw RuntimeError("negative volume size in " + geometry.describe());
  const size_t bytes = byteSize();
  std::shared_ptr<char> buffer(new char[bytes > 0 ? bytes : 1](), std::default_delete<char[]>());
  data_ = buffer.get();
  owner_ = std::move(buffer);
}

Volume::Volume(PixelType type, const ImageGeometry& geometry, std::shared_ptr<void> owner, void* data)
    : type_(type), geometry_(geometry), owner_(std::move(owner)), data_(data) {}

void Volume::setGeometry(const ImageGeometry& geometry) {
  if (geometry.size != geometry_.size)
    throw RuntimeError("setGeometry cannot change the size: " + geometry_.describe() + " vs " +
                       geometry.describe());
  geometry_ = geometry;
}

void Volume::checkType(PixelType expected) const {
  if (expected != type_)
    throw RuntimeError(std::string("volume holds ") + pixelTypeName(type_) + " voxels, accessed as " +
                       pixelTypeName(expected));
}

namespace {
c10::optional<at::ScalarType> torchType(PixelType type) {
  switch (type) {
    case PixelType::kUInt8:
      return at::kByte;
    case PixelType::kInt8:
      return at::kChar;
    case PixelType::kInt16:
      return at::kShort;
    case PixelType::kInt32:
      return at::kInt;
    case PixelType::kInt64:
      return at::kLong;
    case PixelType::kFloat32:
      return at::kFloat;
    case PixelType::kFloat64:
      return at::kDouble;
    default:
      return c10::nullopt;
  }
}
}  // namespace

at::Tensor Volume::toFloatTensor() const {
  const auto& n = geometry_.size;
  at::Tensor out = torch::empty({n[2], n[1], n[0]}, torch::kFloat32);
  float* dst = out.data_ptr<float>();
  const int64_t count = numVoxels();
  dispatchPixelType(type_, [&](auto tag) {
    using T = decltype(tag);
    const T* src = static_cast<const T*>(data_);
    for (int64_t i = 0; i < count; ++i) dst[i] = static_cast<float>(src[i]);
  });
  return out;
}

Volume Volume::fromTensor(const at::Tensor& zyx, const ImageGeometry& geometry) {
  if (zyx.dim() != 3)
    throw RuntimeError("Volume::fromTensor needs a [z][y][x] tensor, got " + std::to_string(zyx.dim()) +
                       " dimensions");
  ImageGeometry g = geometry;
  g.size = {zyx.size(2), zyx.size(1), zyx.size(0)};
  PixelType type;
  switch (zyx.scalar_type()) {
    case at::kByte:
      type = PixelType::kUInt8;
      break;
    case at::kChar:
      type = PixelType::kInt8;
      break;
    case at::kShort:
      type = PixelType::kInt16;
      break;
    case at::kInt:
      type = PixelType::kInt32;
      break;
    case at::kLong:
      type = PixelType::kInt64;
      break;
    case at::kDouble:
      type = PixelType::kFloat64;
      break;
    default:
      type = PixelType::kFloat32;
      break;
  }
  Volume v(type, g);
  at::Tensor src = zyx.to(torch::kCPU, *torchType(type)).contiguous();
  std::memcpy(v.data(), src.data_ptr(), v.byteSize());
  return v;
}

}  // namespace fmcib::io
