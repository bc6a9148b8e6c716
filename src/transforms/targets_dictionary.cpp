// `_target_` registrations of the dictionary transforms (MONAI 1.4 names and defaults, and fmcib's
// SeedBasedPatchCropd). A dictionary form of an array transform declares the array form's
// arguments plus `keys` / `allow_missing_keys` and builds the array transform with its builder.
#include <torch/torch.h>

#include <stdexcept>

#include "fmcib/transforms/map_transforms.hpp"
#include "target_helpers.hpp"

namespace fmcib::transforms::detail {

namespace {

using config::arg;
using config::List;
using config::Registry;
using config::required;
using namespace config;  // ArgKind constants

std::vector<ArgSpec> keyArgs() {
  return {required("keys", kString | kList, "the item keys to transform (one key or a list)"),
          arg("allow_missing_keys", kBool, false, "skip keys the item does not have (else an error)")};
}

KeySelection keysOf(const Args& a) {
  KeySelection k;
  const Value v = a.get("keys");
  if (v.isString()) {
    k.keys.push_back(v.asString());
  } else {
    for (const auto& item : v.asList()) {
      if (!item.isString()) a.fail("keys", "expected key names, got " + item.repr());
      k.keys.push_back(item.asString());
    }
  }
  if (k.keys.empty()) a.fail("keys", "at least one key is needed");
  k.allowMissing = a.getBool("allow_missing_keys");
  return k;
}

Value buildMap(const Args& a, const std::function<std::shared_ptr<MapTransform>()>& make) {
  try {
    return Value::object<MapTransform>(make(), a.target());
  } catch (const ArgumentError& e) {
    a.fail(e.arg(), e.message());
  }
}

void addMapTarget(Registry& r, const std::string& name, const std::string& doc, std::vector<ArgSpec> args,
                  config::BuildFn build) {
  std::vector<ArgSpec> all = keyArgs();
  all.insert(all.end(), args.begin(), args.end());
  addTarget(r, name, doc, std::move(all), std::move(build));
}

/// `<array>d`: the array target's arguments; `pointwise` says, from the arguments, whether the
/// transform may stay pending.
void addArrayMapTarget(Registry& r, const std::string& arrayName,
                       std::function<bool(const Args&)> pointwise) {
  const TargetSpec* array = r.find(arrayName);
  if (!array) throw std::logic_error("register " + arrayName + " before its dictionary form");
  const config::BuildFn arrayBuild = array->build;
  addMapTarget(r, arrayName + "d", "Dictionary form of " + arrayName + ": " + array->doc, array->args,
               [arrayBuild, pointwise](const Args& a) {
                 const KeySelection keys = keysOf(a);
                 const Value built = arrayBuild(a);
                 auto t = built.as<Transform>();
                 return buildMap(a, [&] {
                   return std::make_shared<ArrayMapTransform>(keys, a.target(), t, pointwise(a));
                 });
               });
}

InterpMode modeOf(const Args& a) {
  const std::string m = a.getString("mode");
  if (m == "bilinear" || m == "linear") return InterpMode::kLinear;
  if (m == "nearest") return InterpMode::kNearest;
  a.fail("mode", "supported: bilinear (or linear) and nearest, got '" + m + "'");
}

PaddingMode paddingOf(const Args& a) {
  const std::string m = a.getString("padding_mode");
  if (m == "zeros") return PaddingMode::kZeros;
  if (m == "border") return PaddingMode::kBorder;
  a.fail("padding_mode", "supported: zeros and border, got '" + m + "'");
}

void registerSpatial(Registry& r) {
  addMapTarget(
      r, "monai.transforms.Spacingd",
      "Resamples to pixdim (mm) as MONAI's Spacing (zoom_affine, compute_shape_offset, grid_sample in "
      "float64); only the voxels later steps keep are computed",
      {required("pixdim", kNumber | kList,
                "output voxel size: one value or one per axis; <= 0 keeps the axis"),
       arg("diagonal", kBool, false, "output affine along RAS axes (true) or with the input's rotation"),
       arg("mode", kString, "bilinear", "bilinear (= linear) | nearest"),
       arg("padding_mode", kString, "border", "zeros | border"),
       arg("align_corners", kBool, false,
           "grid_sample's align_corners (voxel centres land alike either way)"),
       arg("dtype", kString | kNull, "float64", "computation dtype (the resampling runs in float64 here)"),
       arg("scale_extent", kBool, false, "output extent from voxel edges instead of centres"),
       arg("recompute_affine", kBool, false, "only false is supported"),
       arg("min_pixdim", kAny, nullptr, "only null is supported"),
       arg("max_pixdim", kAny, nullptr, "only null is supported"),
       arg("ensure_same_shape", kBool, true, "accepted (one key per item here)"), lazyArg()},
      [](const Args& a) {
        const KeySelection keys = keysOf(a);
        SpacingOptions o;
        o.pixdim = *numbers(a, "pixdim");
        if (o.pixdim.empty()) a.fail("pixdim", "at least one value is needed");
        o.diagonal = a.getBool("diagonal");
        o.mode = modeOf(a);
        o.padding = paddingOf(a);
        o.alignCorners = a.getBool("align_corners");
        o.scaleExtent = a.getBool("scale_extent");
        if (!a.get("dtype").isNull()) {
          const auto dt = dtypeArg(a);
          if (dt != torch::kFloat64 && dt != torch::kFloat32) a.fail("dtype", "float64 or float32");
        }
        if (a.getBool("recompute_affine")) a.fail("recompute_affine", "only false is supported");
        for (const char* n : {"min_pixdim", "max_pixdim"})
          if (!a.get(n).isNull()) a.fail(n, "only null is supported");
        return buildMap(a, [&] { return std::make_shared<Spacingd>(keys, o); });
      });
  addMapTarget(r, "monai.transforms.Orientationd",
               "Reorients to axcodes (nibabel letters: 'LPS' = axis 0 towards L, 1 towards P, 2 towards S)",
               {arg("axcodes", kString | kNull, nullptr, "three letters, e.g. LPS or RAS"),
                arg("as_closest_canonical", kBool, false, "reorient to the closest canonical (RAS) order"),
                arg("labels", kList | kNull, nullptr, "only MONAI's default (L,R),(P,A),(I,S) is supported"),
                lazyArg()},
               [](const Args& a) {
                 const KeySelection keys = keysOf(a);
                 std::string codes;
                 if (!a.getBool("as_closest_canonical")) {
                   if (a.get("axcodes").isNull())
                     a.fail("axcodes", "give axcodes or set as_closest_canonical: true");
                   codes = a.getString("axcodes");
                 }
                 if (!a.get("labels").isNull()) a.fail("labels", "only the default labels are supported");
                 try {
                   axcodesToOrientation(codes.empty() ? "RAS" : codes);
                 } catch (const ConfigError& e) {
                   a.fail("axcodes", e.what());
                 }
                 return buildMap(a, [&] { return std::make_shared<Orientationd>(keys, codes); });
               });
  for (const char* name :
       {"fmcib.preprocessing.SeedBasedPatchCropd", "fmcib.preprocessing.seed_based_crop.SeedBasedPatchCropd"})
    addMapTarget(
        r, name,
        "Crops roi_size around the item's coordX/coordY/coordZ seed: int(affine^-1 * seed), [c - roi//2, c + "
        "roi//2) clamped to the image",
        {required("roi_size", kInt | kList, "crop size per axis of the (reoriented) image"),
         arg("coord_orientation", kString, "RAS", "RAS | LPS: the convention of the seed coordinates"),
         arg("global_coordinates", kBool, true, "seeds in mm (true) or voxel indices (false)")},
        [](const Args& a) {
          const KeySelection keys = keysOf(a);
          const auto roi = sizes3(a, "roi_size", true);
          const std::string c = a.getString("coord_orientation");
          if (c != "RAS" && c != "LPS") a.fail("coord_orientation", "RAS or LPS, got '" + c + "'");
          return buildMap(a, [&] {
            return std::make_shared<SeedBasedPatchCropd>(
                keys, std::array<int64_t, 3>{roi[0], roi[1], roi[2]},
                c == "LPS" ? CoordOrientation::kLPS : CoordOrientation::kRAS,
                a.getBool("global_coordinates"));
          });
        });
}

void registerOthers(Registry& r) {
  addMapTarget(
      r, "monai.transforms.EnsureChannelFirstd",
      "Adds the channel axis a scan read by LoadImaged lacks (MONAI's 'no_channel' metadata)",
      {arg("meta_keys", kAny, nullptr, "accepted (metadata lives with the image here)"),
       arg("strict_check", kBool, true, "accepted"),
       arg("channel_dim", kString | kInt | kNull, nullptr, "null (from the metadata) or 'no_channel'")},
      [](const Args& a) {
        const KeySelection keys = keysOf(a);
        const Value c = a.get("channel_dim");
        if (!c.isNull() && !(c.isString() && c.asString() == "no_channel"))
          a.fail("channel_dim", "scans have no channel axis: use null or 'no_channel', got " + c.repr());
        return buildMap(a, [&] { return std::make_shared<EnsureChannelFirstd>(keys); });
      });
  addMapTarget(r, "monai.transforms.SelectItemsd", "Keeps only the given keys of the item", {},
               [](const Args& a) {
                 const KeySelection keys = keysOf(a);
                 return buildMap(a, [&] { return std::make_shared<SelectItemsd>(keys); });
               });
  addArrayMapTarget(r, "monai.transforms.NormalizeIntensity", [](const Args& a) {
    return !a.get("subtrahend").isNull() && !a.get("divisor").isNull();
  });
  addArrayMapTarget(r, "monai.transforms.ScaleIntensityRange", [](const Args&) { return true; });
  addArrayMapTarget(r, "monai.transforms.ThresholdIntensity", [](const Args&) { return true; });
  addArrayMapTarget(r, "monai.transforms.Transpose", [](const Args&) { return false; });
  const TargetSpec* pad = r.find("monai.transforms.SpatialPad");
  if (!pad) throw std::logic_error("register monai.transforms.SpatialPad before SpatialPadd");
  addMapTarget(r, "monai.transforms.SpatialPadd",
               "Dictionary form of monai.transforms.SpatialPad: " + pad->doc, pad->args, [](const Args& a) {
                 const KeySelection keys = keysOf(a);
                 return buildMap(a, [&] {
                   return std::make_shared<SpatialPadd>(keys, sizes3(a, "spatial_size", true),
                                                        a.getString("method"), a.getString("mode"),
                                                        a.getDouble("value"));
                 });
               });
}

}  // namespace

void registerDictionaryTargets(Registry& r) {
  registerSpatial(r);
  registerOthers(r);
}

std::optional<std::vector<MapTransformPtr>> mapTransformList(const Args& a, const std::string& name) {
  const Value v = a.get(name);
  if (v.isNull()) return std::nullopt;
  const List items = v.isList() ? v.asList() : List{v};
  if (items.empty() || !items.front().holds<MapTransform>()) return std::nullopt;
  std::vector<MapTransformPtr> out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].holds<MapTransform>())
      a.fail(name, "item " + std::to_string(i) + " is " + items[i].kindName() +
                       ": a Compose takes either dictionary transforms (…d, working on item dicts) or array "
                       "transforms, not both");
    out.push_back(items[i].as<MapTransform>());
  }
  return out;
}

}  // namespace fmcib::transforms::detail
