// `_target_` registrations of the intensity and spatial transforms (MONAI 1.2 names and defaults).
#include <torch/torch.h>

#include "fmcib/transforms/intensity.hpp"
#include "fmcib/transforms/spatial.hpp"
#include "target_helpers.hpp"

namespace fmcib::transforms::detail {

namespace {

using config::arg;
using config::List;
using config::Registry;
using config::required;
using namespace config;  // ArgKind constants

std::pair<int64_t, int64_t> axesPair(const Args& a, const std::string& name) {
  const auto v = ints(a, name);
  if (!v || v->size() != 2) a.fail(name, "expected two spatial axes, got " + a.get(name).repr());
  return {(*v)[0], (*v)[1]};
}

GaussianApprox approxArg(const Args& a) {
  try {
    return parseGaussianApprox(a.getString("approx"));
  } catch (const ArgumentError& e) {
    a.fail("approx", e.message());
  }
}

// MONAI RandRange: null (nothing drawn), a number f ([-f, f] for the first axis only), or a list
// whose entries are numbers f ([-f, f]), [min, max] pairs, or null (skipped).
RandAffine::Ranges randRange(const Args& a, const std::string& name) {
  const Value v = a.get(name);
  RandAffine::Ranges out;
  auto one = [&](const Value& item) {
    if (item.isNull()) return;
    if (item.isNumber()) {
      out.emplace_back(-item.asDouble(), item.asDouble());
      return;
    }
    if (item.isList() && item.asList().size() == 2 && item.asList()[0].isNumber() &&
        item.asList()[1].isNumber()) {
      out.emplace_back(item.asList()[0].asDouble(), item.asList()[1].asDouble());
      return;
    }
    a.fail(name, "each entry must be a number f (range [-f, f]) or a pair [min, max], got " + item.repr());
  };
  if (v.isList()) {
    for (const auto& item : v.asList()) one(item);
  } else {
    one(v);
  }
  return out;
}

void registerIntensityTargets(Registry& r) {
  addTarget(r, "monai.transforms.NormalizeIntensity", "(x - subtrahend) / divisor (mean / std when null).",
            {arg("subtrahend", kNumber | kList | kNull, nullptr, "value to subtract (null: the mean)"),
             arg("divisor", kNumber | kList | kNull, nullptr, "value to divide by (null: the std)"),
             arg("nonzero", kBool, false, "only normalize non-zero voxels"),
             arg("channel_wise", kBool, false, "per-channel statistics / values"),
             arg("dtype", kString | kNull, "float32", "output dtype")},
            [](const Args& a) {
              return buildTransform(a, [&] {
                NormalizeIntensity::Options o;
                o.subtrahend = numbers(a, "subtrahend");
                o.divisor = numbers(a, "divisor");
                o.nonzero = a.getBool("nonzero");
                o.channelWise = a.getBool("channel_wise");
                o.dtype = dtypeArg(a);
                return std::make_shared<NormalizeIntensity>(o);
              });
            });
  addTarget(r, "monai.transforms.ThresholdIntensity",
            "Keeps values above (below) threshold, sets the rest to cval.",
            {required("threshold", kNumber, "the threshold"), arg("above", kBool, true, "keep values above"),
             arg("cval", kNumber, 0.0, "value of the other voxels")},
            [](const Args& a) {
              return buildTransform(a, [&] {
                return std::make_shared<ThresholdIntensity>(a.getDouble("threshold"), a.getBool("above"),
                                                            a.getDouble("cval"));
              });
            });
  addTarget(r, "monai.transforms.ScaleIntensityRange", "Maps [a_min, a_max] linearly to [b_min, b_max].",
            {required("a_min", kNumber, "input range min"), required("a_max", kNumber, "input range max"),
             arg("b_min", kNumber | kNull, nullptr, "output range min"),
             arg("b_max", kNumber | kNull, nullptr, "output range max"),
             arg("clip", kBool, false, "clip to [b_min, b_max]"),
             arg("dtype", kString | kNull, "float32", "output dtype")},
            [](const Args& a) {
              return buildTransform(a, [&] {
                auto opt = [&](const char* n) {
                  return a.get(n).isNull() ? std::nullopt : std::optional<double>(a.getDouble(n));
                };
                return std::make_shared<ScaleIntensityRange>(a.getDouble("a_min"), a.getDouble("a_max"),
                                                             opt("b_min"), opt("b_max"), a.getBool("clip"),
                                                             dtypeArg(a));
              });
            });
  addTarget(r, "monai.transforms.GaussianSmooth", "Separable Gaussian filter (zero padding).",
            {arg("sigma", kNumber | kList, 1.0, "std (voxels): one, or one per spatial axis"),
             arg("approx", kString, "erf", "erf | sampled | scalespace")},
            [](const Args& a) {
              return buildTransform(a, [&] {
                const auto sigma = *numbers(a, "sigma");
                if (sigma.size() != 1 && sigma.size() != 3)
                  a.fail("sigma", "needs one value or 3 (one per axis)");
                return std::make_shared<GaussianSmooth>(sigma, approxArg(a));
              });
            });
  addTarget(r, "monai.transforms.RandGaussianSmooth",
            "GaussianSmooth with sigma per axis uniform in sigma_x/y/z.",
            {arg("sigma_x", kList, List{0.25, 1.5}, "sigma range of the first spatial axis"),
             arg("sigma_y", kList, List{0.25, 1.5}, "sigma range of the second spatial axis"),
             arg("sigma_z", kList, List{0.25, 1.5}, "sigma range of the third spatial axis"), probArg(0.1),
             arg("approx", kString, "erf", "erf | sampled | scalespace")},
            [](const Args& a) {
              return buildTransform(a, [&] {
                return std::make_shared<RandGaussianSmooth>(range2(a, "sigma_x"), range2(a, "sigma_y"),
                                                            range2(a, "sigma_z"), a.getDouble("prob"),
                                                            approxArg(a));
              });
            });
  addTarget(
      r, "monai.transforms.RandHistogramShift", "Random piecewise-linear intensity remapping.",
      {arg("num_control_points", kInt | kList, 10, "number of control points (>= 3), or a range [min, max]"),
       probArg(0.1)},
      [](const Args& a) {
        return buildTransform(a, [&] {
          const auto n = *ints(a, "num_control_points");
          if (n.size() != 1 && n.size() != 2)
            a.fail("num_control_points", "expected a number or a pair [min, max]");
          return std::make_shared<RandHistogramShift>(n.front(), n.back(), a.getDouble("prob"));
        });
      });
}

void registerSpatialTargets(Registry& r) {
  addTarget(r, "monai.transforms.Flip", "Flips spatial axes.",
            {arg("spatial_axis", kInt | kList | kNull, nullptr, "axis or axes (null: all)"), lazyArg()},
            [](const Args& a) {
              return buildTransform(a, [&] {
                return std::make_shared<Flip>(ints(a, "spatial_axis").value_or(std::vector<int64_t>{}));
              });
            });
  addTarget(r, "monai.transforms.RandAxisFlip", "Flips one random spatial axis.", {probArg(0.1), lazyArg()},
            [](const Args& a) {
              return buildTransform(a, [&] { return std::make_shared<RandAxisFlip>(a.getDouble("prob")); });
            });
  addTarget(r, "monai.transforms.Rotate90", "k quarter turns in the plane of spatial_axes.",
            {arg("k", kInt, 1, "number of quarter turns"),
             arg("spatial_axes", kList, List{0, 1}, "the two spatial axes of the plane"), lazyArg()},
            [](const Args& a) {
              return buildTransform(
                  a, [&] { return std::make_shared<Rotate90>(a.getInt("k"), axesPair(a, "spatial_axes")); });
            });
  addTarget(r, "monai.transforms.RandRotate90", "Rotate90 with k uniform in 1..max_k.",
            {probArg(0.1), arg("max_k", kInt, 3, "largest number of quarter turns"),
             arg("spatial_axes", kList, List{0, 1}, "the two spatial axes of the plane"), lazyArg()},
            [](const Args& a) {
              return buildTransform(a, [&] {
                return std::make_shared<RandRotate90>(a.getDouble("prob"), a.getInt("max_k"),
                                                      axesPair(a, "spatial_axes"));
              });
            });
  addTarget(r, "monai.transforms.Resize", "torch interpolate to spatial_size.",
            {required("spatial_size", kInt | kList, "output size: 3 sizes (size_mode all) or one (longest)"),
             arg("size_mode", kString, "all", "all | longest"),
             arg("mode", kString, "area", "nearest | nearest-exact | trilinear | area (3D volumes)"),
             arg("align_corners", kBool | kNull, nullptr, "for the linear modes"),
             arg("anti_aliasing", kBool, false, "Gaussian smoothing before downsampling"),
             arg("anti_aliasing_sigma", kNumber | kList | kNull, nullptr, "its sigma (null: automatic)"),
             arg("dtype", kString | kNull, "float32", "computation dtype"), lazyArg()},
            [](const Args& a) {
              return buildTransform(a, [&] {
                ResizeOptions o;
                o.sizeMode = a.getString("size_mode");
                if (o.sizeMode == "longest") {
                  if (!a.get("spatial_size").isNumber())
                    a.fail("spatial_size", "size_mode 'longest' takes one int");
                  o.spatialSize = *ints(a, "spatial_size");
                } else {
                  o.spatialSize = sizes3(a, "spatial_size", false);
                }
                o.mode = a.getString("mode");
                if (!a.get("align_corners").isNull()) o.alignCorners = a.getBool("align_corners");
                o.antiAliasing = a.getBool("anti_aliasing");
                o.antiAliasingSigma = numbers(a, "anti_aliasing_sigma");
                o.dtype = dtypeArg(a).value_or(c10::ScalarType::Float);
                return std::make_shared<Resize>(o);
              });
            });
  addTarget(r, "monai.transforms.RandAffine", "Random rotation, shear, translation and scaling (resampled).",
            {probArg(0.1), arg("rotate_range", kNumber | kList | kNull, nullptr, "radians, per axis"),
             arg("shear_range", kNumber | kList | kNull, nullptr, "shear factors (up to 6)"),
             arg("translate_range", kNumber | kList | kNull, nullptr, "voxels, per axis"),
             arg("scale_range", kNumber | kList | kNull, nullptr, "added to 1, per axis"),
             arg("spatial_size", kInt | kList | kNull, nullptr, "output size (null: the input size)"),
             arg("mode", kString, "bilinear", "bilinear | nearest"),
             arg("padding_mode", kString, "reflection", "zeros | border | reflection"),
             arg("cache_grid", kBool, false, "accepted (the grid is cheap here)"),
             arg("device", kString | kNull, nullptr, "accepted (computed where the tensor is)"), lazyArg()},
            [](const Args& a) {
              return buildTransform(a, [&] {
                RandAffine::Options o;
                o.prob = a.getDouble("prob");
                o.rotateRange = randRange(a, "rotate_range");
                o.shearRange = randRange(a, "shear_range");
                o.translateRange = randRange(a, "translate_range");
                o.scaleRange = randRange(a, "scale_range");
                if (!a.get("spatial_size").isNull()) o.spatialSize = sizes3(a, "spatial_size", true);
                o.mode = a.getString("mode");
                o.paddingMode = a.getString("padding_mode");
                return std::make_shared<RandAffine>(o);
              });
            });
}

}  // namespace

void registerImageTargets(Registry& r) {
  registerIntensityTargets(r);
  registerSpatialTargets(r);
}

}  // namespace fmcib::transforms::detail
