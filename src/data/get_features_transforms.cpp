#include "fmcib/data/get_features_transforms.hpp"

#include <torch/torch.h>

#include "fmcib/data/load_image.hpp"
#include "fmcib/transforms/croppad.hpp"
#include "fmcib/transforms/intensity.hpp"
#include "fmcib/transforms/map_transforms.hpp"
#include "fmcib/transforms/utility.hpp"

namespace fmcib::data {

using namespace transforms;

MapTransformPtr getFeaturesTransforms(const GetFeaturesTransformOptions& o) {
  for (int64_t s : o.spatialSize)
    if (s < 1) throw ConfigError("spatial size must be positive, got " + std::to_string(s));
  const KeySelection key{{o.key}, false};
  std::vector<MapTransformPtr> t;
  t.push_back(std::make_shared<LoadImaged>(LoadImageOptions{key, o.cacheBytes, o.eager}));
  t.push_back(std::make_shared<EnsureChannelFirstd>(key));
  NormalizeIntensity::Options norm;
  norm.subtrahend = std::vector<double>{-1024.0};
  norm.divisor = std::vector<double>{3072.0};
  t.push_back(std::make_shared<ArrayMapTransform>(key, "monai.transforms.NormalizeIntensityd",
                                                  std::make_shared<NormalizeIntensity>(norm), true));
  if (!o.precropped) {
    SpacingOptions resampling;
    resampling.pixdim = {1.0};
    resampling.diagonal = true;
    resampling.mode = InterpMode::kLinear;
    resampling.padding = PaddingMode::kZeros;
    resampling.alignCorners = true;
    t.push_back(std::make_shared<Spacingd>(key, resampling));
    t.push_back(std::make_shared<Orientationd>(key, "LPS"));
    const auto& s = o.spatialSize;
    t.push_back(std::make_shared<SeedBasedPatchCropd>(key, std::array<int64_t, 3>{s[2], s[1], s[0]},
                                                      CoordOrientation::kLPS, true));
    t.push_back(std::make_shared<SelectItemsd>(key));
    t.push_back(std::make_shared<ArrayMapTransform>(
        key, "monai.transforms.Transposed", std::make_shared<Transpose>(std::vector<int64_t>{0, 3, 2, 1}),
        false));
  }
  const std::vector<int64_t> size(o.spatialSize.begin(), o.spatialSize.end());
  t.push_back(std::make_shared<SpatialPadd>(key, size, "symmetric", "constant", 0.0));
  return std::make_shared<MapCompose>(std::move(t), "fmcib.preprocessing.get_transforms");
}

std::vector<std::string> getFeaturesColumns(bool precropped) {
  if (precropped) return {"image_path"};
  return {"image_path", "coordX", "coordY", "coordZ"};
}

}  // namespace fmcib::data
