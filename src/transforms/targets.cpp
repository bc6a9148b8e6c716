// `_target_` registrations of the transforms area: pipelines, utility and crop/pad transforms here,
// intensity and spatial ones in targets_image.cpp. Argument names and defaults are MONAI 1.2's.
#include "fmcib/transforms/targets.hpp"

#include <torch/torch.h>

#include "fmcib/transforms/compose.hpp"
#include "fmcib/transforms/croppad.hpp"
#include "fmcib/transforms/utility.hpp"
#include "target_helpers.hpp"

namespace fmcib::transforms {

namespace detail {
void registerImageTargets(config::Registry& r);
}  // namespace detail

namespace {

using config::arg;
using config::required;
using config::Value;
using detail::Args;
using detail::buildTransform;
using namespace config;  // ArgKind constants

/// A Compose of array transforms, or of dictionary transforms (stored as a MapTransform).
Value buildCompose(const Args& a, const std::string& name) {
  if (auto maps = detail::mapTransformList(a, "transforms"))
    return Value::object<MapTransform>(std::make_shared<MapCompose>(std::move(*maps), name), a.target());
  return buildTransform(
      a, [&] { return std::make_shared<Compose>(detail::transformList(a, "transforms"), name); });
}

void registerPipelineTargets(Registry& r) {
  detail::addTarget(r, "monai.transforms.Compose",
                    "Applies transforms in order; views of a Duplicate propagate.",
                    {arg("transforms", kList | kObject | kNull, nullptr, "the transforms, in order"),
                     arg("map_items", kBool, true, "accepted (MONAI list mapping)"),
                     arg("unpack_items", kBool, false, "accepted (MONAI tuple unpacking)"),
                     arg("log_stats", kBool | kString, false, "accepted (MONAI logging)"), detail::lazyArg(),
                     arg("overrides", kMap | kNull, nullptr, "accepted (MONAI lazy-resampling overrides)")},
                    [](const Args& a) { return buildCompose(a, "monai.transforms.Compose"); });
  detail::addTarget(r, "torchvision.transforms.Compose", "Applies transforms in order.",
                    {required("transforms", kList | kObject, "the transforms, in order")},
                    [](const Args& a) { return buildCompose(a, "torchvision.transforms.Compose"); });
  detail::addTarget(
      r, "fmcib.transforms.Duplicate",
      "Two copies of the input, augmented independently by transforms1 and transforms2 (a null one "
      "leaves its copy unchanged).",
      {arg("transforms1", kObject | kList | kNull, nullptr, "transform of the first view"),
       arg("transforms2", kObject | kList | kNull, nullptr, "transform of the second view")},
      [](const Args& a) {
        return buildTransform(a, [&] {
          return std::make_shared<Duplicate>(detail::transformArg(a, "transforms1"),
                                             detail::transformArg(a, "transforms2"));
        });
      });
  detail::addTarget(r, "fmcib.transforms.RandomResizedCrop3D",
                    "Random crop of ceil(s*dim) per axis, s uniform in scale, resized trilinearly to size^3.",
                    {detail::probArg(1.0), arg("size", kInt, 50, "output side (voxels)"),
                     arg("scale", kList, List{0.5, 1.0}, "range [min, max] of the crop scale")},
                    [](const Args& a) {
                      return buildTransform(a, [&] {
                        const auto range = detail::range2(a, "scale");
                        return std::make_shared<RandomResizedCrop3D>(
                            a.getDouble("prob"), a.getInt("size"),
                            std::vector<double>{range.first, range.second});
                      });
                    });
}

void registerUtilityTargets(Registry& r) {
  detail::addTarget(r, "monai.transforms.ToTensor", "Tensor in, tensor out; converts the dtype when given.",
                    {arg("dtype", kString | kNull, nullptr, "output dtype (null keeps it)"),
                     arg("device", kString | kNull, nullptr, "accepted (tensors stay where they are)"),
                     arg("wrap_sequence", kBool, true, "accepted"),
                     arg("track_meta", kBool | kNull, nullptr, "accepted (no MONAI metadata here)")},
                    [](const Args& a) {
                      return buildTransform(a,
                                            [&] { return std::make_shared<ToTensor>(detail::dtypeArg(a)); });
                    });
  detail::addTarget(
      r, "monai.transforms.EnsureChannelFirst", "Adds (no_channel) or moves the channel axis to the front.",
      {arg("strict_check", kBool, true, "fail when the channel axis is unknown"),
       arg("channel_dim", kInt | kString | kNull, nullptr, "'no_channel' or the index of the channel axis")},
      [](const Args& a) {
        return buildTransform(a, [&] {
          const Value v = a.get("channel_dim");
          int64_t dim = EnsureChannelFirst::kFromMetadata;
          if (v.isString()) {
            if (v.asString() != "no_channel")
              a.fail("channel_dim", "expected 'no_channel' or an int, got " + v.repr());
            dim = EnsureChannelFirst::kNoChannel;
          } else if (v.isInt()) {
            dim = v.asInt();
          }
          return std::make_shared<EnsureChannelFirst>(dim, a.getBool("strict_check"));
        });
      });
  detail::addTarget(
      r, "monai.transforms.Transpose", "Permutes all axes (channel included).",
      {arg("indices", kList | kNull, nullptr, "new axis order; null reverses")}, [](const Args& a) {
        return buildTransform(a, [&] {
          return std::make_shared<Transpose>(detail::ints(a, "indices").value_or(std::vector<int64_t>{}));
        });
      });
}

void registerCropPadTargets(Registry& r) {
  detail::addTarget(
      r, "monai.transforms.SpatialPad", "Pads each spatial axis up to spatial_size.",
      {required("spatial_size", kInt | kList, "output size: one int or one per spatial axis (3)"),
       arg("method", kString, "symmetric", "symmetric | end"),
       arg("mode", kString, "constant", "constant | edge | replicate | reflect | wrap | circular"),
       arg("value", kNumber, 0.0, "fill value of mode constant"), detail::lazyArg()},
      [](const Args& a) {
        return buildTransform(a, [&] {
          return std::make_shared<SpatialPad>(detail::sizes3(a, "spatial_size", true), a.getString("method"),
                                              a.getString("mode"), a.getDouble("value"));
        });
      });
  detail::addTarget(r, "monai.transforms.CenterSpatialCrop", "Crops roi_size around the image centre.",
                    {required("roi_size", kInt | kList, "crop size: one int or one per spatial axis (3)"),
                     detail::lazyArg()},
                    [](const Args& a) {
                      return buildTransform(a, [&] {
                        return std::make_shared<CenterSpatialCrop>(detail::sizes3(a, "roi_size", true));
                      });
                    });
  detail::addTarget(
      r, "monai.transforms.RandSpatialCrop", "Crops roi_size (or a random size) at a random position.",
      {required("roi_size", kInt | kList, "crop size (minimum with random_size)"),
       arg("max_roi_size", kInt | kList | kNull, nullptr, "maximum size with random_size (null: the image)"),
       arg("random_center", kBool, true, "random position (else centred)"),
       arg("random_size", kBool, false, "size uniform in [roi_size, max_roi_size]"), detail::lazyArg()},
      [](const Args& a) {
        return buildTransform(a, [&] {
          std::optional<std::vector<int64_t>> maxRoi;
          if (!a.get("max_roi_size").isNull()) maxRoi = detail::sizes3(a, "max_roi_size", true);
          return std::make_shared<RandSpatialCrop>(detail::sizes3(a, "roi_size", true), maxRoi,
                                                   a.getBool("random_center"), a.getBool("random_size"));
        });
      });
  detail::addTarget(
      r, "monai.transforms.RandScaleCrop", "RandSpatialCrop with sizes ceil(roi_scale * image size).",
      {required("roi_scale", kNumber | kList, "scale: one number or one per spatial axis"),
       arg("max_roi_scale", kNumber | kList | kNull, nullptr, "maximum scale with random_size"),
       arg("random_center", kBool, true, "random position (else centred)"),
       arg("random_size", kBool, false, "scale uniform in [roi_scale, max_roi_scale]"), detail::lazyArg()},
      [](const Args& a) {
        return buildTransform(a, [&] {
          auto scale = *detail::numbers(a, "roi_scale");
          auto maxScale = detail::numbers(a, "max_roi_scale");
          for (const auto* s : {&scale, maxScale ? &*maxScale : nullptr})
            if (s && s->size() != 1 && s->size() != 3)
              a.fail(s == &scale ? "roi_scale" : "max_roi_scale",
                     "needs one scale or 3 (one per spatial axis)");
          return std::make_shared<RandScaleCrop>(scale, maxScale, a.getBool("random_center"),
                                                 a.getBool("random_size"));
        });
      });
}

}  // namespace

void registerTargets(config::Registry& r) {
  registerPipelineTargets(r);
  registerUtilityTargets(r);
  registerCropPadTargets(r);
  detail::registerImageTargets(r);
  detail::registerDictionaryTargets(r);
}

}  // namespace fmcib::transforms
