// `_target_`s of the get_features path: monai.data.CSVDataset and monai.transforms.LoadImaged.
#include "fmcib/data/csv_dataset.hpp"
#include "fmcib/data/load_image.hpp"
#include "fmcib/data/targets.hpp"

namespace fmcib::data::detail {

namespace {

using config::arg;
using config::Args;
using config::required;
using config::Value;
using namespace config;  // ArgKind bits

std::vector<std::string> strings(const Args& a, const std::string& name) {
  const Value v = a.get(name);
  std::vector<std::string> out;
  if (v.isNull()) return out;
  if (v.isString()) return {v.asString()};
  for (const auto& item : v.asList()) {
    if (!item.isString()) a.fail(name, "expected names, got " + item.repr());
    out.push_back(item.asString());
  }
  return out;
}

void onlyNull(const Args& a, const std::string& name) {
  if (!a.get(name).isNull()) a.fail(name, "only null is supported");
}

Value buildLoadImaged(const Args& a) {
  LoadImageOptions o;
  o.keys.keys = strings(a, "keys");
  if (o.keys.keys.empty()) a.fail("keys", "at least one key is needed");
  o.keys.allowMissing = a.getBool("allow_missing_keys");
  const Value reader = a.get("reader");
  if (!reader.isNull()) {
    const std::string r = reader.asString();
    if (r != "ITKReader" && r != "itkreader" && r != "NibabelReader" && r != "nibabelreader")
      a.fail("reader",
             "supported: ITKReader (and NibabelReader, same array and affine for NIfTI), got '" + r + "'");
  }
  const Value dtype = a.get("dtype");
  if (!dtype.isNull() && dtype.asString() != "float32" && dtype.asString() != "np.float32" &&
      dtype.asString() != "numpy.float32")
    a.fail("dtype", "voxels are read as float32 (MONAI's default); got '" + dtype.asString() + "'");
  for (const char* n : {"prune_meta_pattern"}) onlyNull(a, n);
  o.ensureChannelFirst = a.getBool("ensure_channel_first");
  o.expandUser = a.getBool("expanduser");
  o.cacheBytes = a.getInt("cache_bytes");
  if (o.cacheBytes < 0) a.fail("cache_bytes", "must be >= 0 bytes, got " + std::to_string(o.cacheBytes));
  return Value::object<transforms::MapTransform>(std::make_shared<LoadImaged>(std::move(o)), a.target());
}

Value buildCsvDataset(const Args& a) {
  CSVDatasetOptions o;
  const Value src = a.get("src");
  if (src.isList()) {
    if (src.asList().size() != 1 || !src.asList()[0].isString())
      a.fail("src", "one CSV file is supported (MONAI joins several with pandas.merge), got " + src.repr());
    o.src = src.asList()[0].asString();
  } else {
    o.src = src.asString();
  }
  const Value rows = a.get("row_indices");
  if (!rows.isNull())
    for (const auto& item : rows.asList()) {
      if (item.isInt()) {
        o.rowIndices.push_back(item.asInt());
      } else if (item.isList() && item.asList().size() == 2 && item.asList()[0].isInt() &&
                 item.asList()[1].isInt()) {
        for (int64_t r = item.asList()[0].asInt(); r < item.asList()[1].asInt(); ++r)
          o.rowIndices.push_back(r);
      } else {
        a.fail("row_indices", "expected row numbers or [start, end) pairs, got " + item.repr());
      }
    }
  o.colNames = strings(a, "col_names");
  for (const char* n : {"col_types", "col_groups", "kwargs_read_csv"}) onlyNull(a, n);
  const Value t = a.get("transform");
  if (t.holds<transforms::MapTransform>()) {
    o.transform = t.as<transforms::MapTransform>();
  } else if (t.isList()) {
    std::vector<transforms::MapTransformPtr> list;
    for (const auto& item : t.asList()) {
      if (!item.holds<transforms::MapTransform>())
        a.fail("transform",
               "items are dicts of the row's columns: use dictionary transforms (monai.transforms.*d), got " +
                   item.kindName());
      list.push_back(item.as<transforms::MapTransform>());
    }
    o.transform = std::make_shared<transforms::MapCompose>(std::move(list));
  } else if (!t.isNull()) {
    a.fail("transform",
           "items are dicts of the row's columns: use dictionary transforms (monai.transforms.*d), got " +
               t.kindName());
  }
  try {
    return Value::object<Dataset>(std::make_shared<CSVDataset>(std::move(o)), a.target());
  } catch (const InputError& e) {
    throw InputError(a.where("src") + ": " + e.what());
  }
}

}  // namespace

void registerCsvTargets(config::Registry& r) {
  if (!r.find("monai.transforms.LoadImaged")) {
    config::TargetSpec spec;
    spec.name = "monai.transforms.LoadImaged";
    spec.doc =
        "Reads the scan each key names (ITK), as MONAI's ITKReader: [i][j][k] array, float32, RAS affine";
    spec.args = {
        required("keys", kString | kList, "the item keys holding image paths"),
        arg("allow_missing_keys", kBool, false, "skip keys the item does not have (else an error)"),
        arg("reader", kString | kNull, nullptr, "ITKReader (default) or NibabelReader (same for NIfTI)"),
        arg("image_only", kBool, true, "accepted (the metadata lives with the image)"),
        arg("dtype", kString | kNull, "float32", "voxel dtype: float32"),
        arg("meta_keys", kAny, nullptr, "accepted"),
        arg("meta_key_postfix", kString, "meta_dict", "accepted"),
        arg("overwriting", kBool, false, "accepted"),
        arg("ensure_channel_first", kBool, false, "add the channel axis right away"),
        arg("simple_keys", kBool, false, "accepted"),
        arg("prune_meta_pattern", kString | kNull, nullptr, "null only"),
        arg("prune_meta_sep", kString, ".", "accepted"),
        arg("expanduser", kBool, true, "expand a leading ~/"),
        arg("cache_bytes", kInt, 0,
            "fmcib: in-memory LRU of decoded scans (bytes), so rows of one scan decode it once; 0 = none"),
    };
    spec.build = buildLoadImaged;
    r.add(std::move(spec));
  }
  if (!r.find("monai.data.CSVDataset")) {
    config::TargetSpec spec;
    spec.name = "monai.data.CSVDataset";
    spec.doc =
        "One item per CSV row: the row's columns as a dict, through `transform`; the model input is the one "
        "image the transformed item holds";
    spec.args = {
        required("src", kString | kList, "the CSV file"),
        arg("row_indices", kList | kNull, nullptr, "rows to use: numbers or [start, end) pairs; null = all"),
        arg("col_names", kList | kNull, nullptr, "columns put in the item; null = all"),
        arg("col_types", kMap | kNull, nullptr, "null only (values stay text; transforms parse numbers)"),
        arg("col_groups", kMap | kNull, nullptr, "null only"),
        arg("transform", kObject | kList | kNull, nullptr,
            "dictionary transform (a Compose of …d transforms)"),
        arg("kwargs_read_csv", kMap | kNull, nullptr, "null only"),
    };
    spec.build = buildCsvDataset;
    r.add(std::move(spec));
  }
}

}  // namespace fmcib::data::detail
