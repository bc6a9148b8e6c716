#pragma once
/// MONAI's dictionary transforms (`monai.transforms.*d`): they act on an item dict — the columns of
/// one CSV row (text, as monai.data.CSVDataset hands them on) and, once LoadImaged has run, images
/// (meta_image.hpp) — on the entries named by `keys`. Configs store them as
/// `config::Value::object<transforms::MapTransform>`; a monai.transforms.Compose of map transforms is
/// itself one (MapCompose).
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "fmcib/transforms/meta_image.hpp"
#include "fmcib/transforms/transform.hpp"

namespace fmcib::transforms {

/// One item: insertion-ordered entries, each CSV text or an image.
class DataDict {
 public:
  using Entry = std::variant<std::string, MetaImage>;

  bool contains(const std::string& key) const;
  /// InputError naming the key and the keys there are when absent.
  const Entry& at(const std::string& key) const;
  /// The text of a key (InputError when it holds an image).
  const std::string& text(const std::string& key) const;
  /// The image of a key (InputError when it holds text: "run LoadImaged first").
  const MetaImage& image(const std::string& key) const;
  /// Sets (or appends) an entry.
  void set(const std::string& key, Entry value);
  /// Keeps only `keys` (in the dict's order).
  void keepOnly(const std::vector<std::string>& keys);
  std::vector<std::string> keys() const;
  /// Keys whose entry is an image.
  std::vector<std::string> imageKeys() const;

  /// Where relative paths of this item are also looked for (the CSV's folder); "" = nowhere else.
  std::string baseDir;

 private:
  std::vector<std::pair<std::string, Entry>> entries_;
};

class MapTransform {
 public:
  virtual ~MapTransform() = default;
  /// Transforms `d` in place; random draws come from `gen`. Bad data (an unreadable image, a
  /// non-numeric coordinate) is an InputError naming the key.
  virtual void operator()(DataDict& d, Generator& gen) const = 0;
  /// The registered name, e.g. "monai.transforms.Spacingd".
  virtual std::string name() const = 0;
};

using MapTransformPtr = std::shared_ptr<const MapTransform>;

/// monai.transforms.Compose (or torchvision's) of map transforms.
class MapCompose final : public MapTransform {
 public:
  explicit MapCompose(std::vector<MapTransformPtr> transforms,
                      std::string registeredName = "monai.transforms.Compose");
  void operator()(DataDict& d, Generator& gen) const override;
  std::string name() const override { return name_; }
  const std::vector<MapTransformPtr>& transforms() const { return transforms_; }

 private:
  std::vector<MapTransformPtr> transforms_;
  std::string name_;
};

/// The `keys` / `allow_missing_keys` part every MONAI MapTransform shares.
struct KeySelection {
  std::vector<std::string> keys;
  bool allowMissing = false;
  /// The keys present in `d` (InputError for a missing one unless allowMissing).
  std::vector<std::string> present(const DataDict& d, const std::string& who) const;
};

/// A map transform that applies one image operation to the image of every selected key.
class ImageMapTransform : public MapTransform {
 public:
  ImageMapTransform(KeySelection keys, std::string name) : keys_(std::move(keys)), name_(std::move(name)) {}
  void operator()(DataDict& d, Generator& gen) const override;
  std::string name() const override { return name_; }
  virtual MetaImage apply(const MetaImage& image, const DataDict& d, Generator& gen) const = 0;

 private:
  KeySelection keys_;
  std::string name_;
};

/// monai.transforms.SelectItemsd: keeps only `keys`.
class SelectItemsd final : public MapTransform {
 public:
  explicit SelectItemsd(KeySelection keys) : keys_(std::move(keys)) {}
  void operator()(DataDict& d, Generator& gen) const override;
  std::string name() const override { return "monai.transforms.SelectItemsd"; }

 private:
  KeySelection keys_;
};

}  // namespace fmcib::transforms
