#include "fmcib/data/targets.hpp"

#include "fmcib/data/ssl_radiomics_dataset.hpp"

namespace fmcib::data {

namespace detail {
void registerCsvTargets(config::Registry& r);
}  // namespace detail

namespace {

using config::arg;
using config::Args;
using config::required;
using config::Value;
using namespace config;  // ArgKind bits

constexpr const char* kDatasetName = "fmcib.datasets.SSLRadiomicsDataset";

Value buildSslRadiomics(const Args& a) {
  SSLRadiomicsOptions o;
  o.path = a.getString("path");
  const Value label = a.get("label");
  if (label.isString()) o.label = label.asString();
  o.radius = a.getInt("radius");
  if (o.radius < 1) a.fail("radius", "must be a positive number of voxels, got " + std::to_string(o.radius));
  o.orient = a.getBool("orient");
  if (!a.get("resample_spacing").isNull()) {
    const std::vector<double> s = a.getDoublesOrScalar("resample_spacing", 3);
    for (double v : s)
      if (!(v > 0))
        a.fail("resample_spacing", "spacing values must be positive (mm), got " + std::to_string(v));
    o.resampleSpacing = io::Vec3{s[0], s[1], s[2]};
  }
  o.enableNegatives = a.getBool("enable_negatives");
  o.transform = a.getObject<transforms::Transform>("transform");
  o.orientPatch = a.getBool("orient_patch");
  o.inputIsTarget = a.getBool("input_is_target");
  const std::string mode = a.getString("crop_mode");
  if (mode == "region")
    o.cropMode = CropMode::kRegion;
  else if (mode == "whole_image")
    o.cropMode = CropMode::kWholeImage;
  else
    a.fail("crop_mode", "expected 'region' or 'whole_image', got '" + mode + "'");
  if (a.get("cache_dir").isString()) o.cacheDir = a.getString("cache_dir");
  o.cacheBytes = a.getInt("cache_bytes");
  if (o.cacheBytes < 0) a.fail("cache_bytes", "must be ≥ 0 bytes, got " + std::to_string(o.cacheBytes));
  if (!o.cacheDir.empty()) {
    try {
      ScanCache check(ScanCacheOptions{o.cacheDir, 0});
    } catch (const ConfigError& e) {
      a.fail("cache_dir", e.what());
    }
  }
  try {
    return Value::object<Dataset>(std::make_shared<SSLRadiomicsDataset>(std::move(o)), a.target());
  } catch (const ConfigError& e) {
    a.fail("path", e.what());
  } catch (const InputError& e) {
    // Bad data stays an InputError, located in the config too.
    throw InputError(a.where("path") + ": " + e.what());
  }
}

}  // namespace

void registerTargets(config::Registry& r) {
  detail::registerCsvTargets(r);
  if (!r.find(kDatasetName)) {
    config::TargetSpec spec;
    spec.name = kDatasetName;
    spec.doc = "Patches around CSV seed points (DESIGN §4); items {positive, negative} views + target + row";
    spec.args = {
        required("path", kString, "CSV with image_path, coordX, coordY, coordZ (LPS mm) and other columns"),
        arg("label", kString | kNull, nullptr,
            "column used as the target (int64 when integral, else float32)"),
        arg("radius", kInt, 25, "half the patch size in voxels of the (resampled) image"),
        arg("orient", kBool, false, "reorient the scan to DICOM LPI before cropping (DeepLesion)"),
        arg("resample_spacing", kList | kNumber | kNull, nullptr, "linear resampling to this spacing (mm)"),
        arg("enable_negatives", kBool, true, "also return a random negative patch of the same scan"),
        arg("transform", kObject | kNull, nullptr, "transform applied to each patch"),
        arg("orient_patch", kBool, true, "reorient each patch to DICOM LPS"),
        arg("input_is_target", kBool, false, "the target is the input (autoencoders) when no label"),
        arg("crop_mode", kString, "region",
            "'region' resamples only the patch's region; 'whole_image' runs the reference order on the whole "
            "scan"),
        arg("cache_dir", kString | kNull, nullptr,
            "folder for decoded scans (uncompressed .mha, written once, then read region by region); "
            "null = none"),
        arg("cache_bytes", kInt, 0, "in-memory LRU of decoded scans, budget in bytes of voxels; 0 = none"),
    };
    spec.build = buildSslRadiomics;
    r.add(std::move(spec));
  }
  if (!r.method(typeid(Dataset), "__len__")) {
    r.addMethod<Dataset>("__len__", [](const Value& self, const List& args, const Map& kwargs) {
      if (!args.empty() || !kwargs.empty()) throw ConfigError("len() of a dataset takes no arguments");
      return Value(static_cast<int64_t>(self.as<Dataset>()->size()));
    });
  }
}

}  // namespace fmcib::data
