#include "fmcib/transforms/dictionary.hpp"

#include <algorithm>

#include "common.hpp"
#include "fmcib/config/error.hpp"

namespace fmcib::transforms {

bool DataDict::contains(const std::string& key) const {
  return std::any_of(entries_.begin(), entries_.end(), [&](const auto& e) { return e.first == key; });
}

const DataDict::Entry& DataDict::at(const std::string& key) const {
  for (const auto& e : entries_)
    if (e.first == key) return e.second;
  throw InputError("no key '" + key + "' in the item (keys: " + detail::joined(keys()) + ")");
}

const std::string& DataDict::text(const std::string& key) const {
  const Entry& e = at(key);
  if (const auto* s = std::get_if<std::string>(&e)) return *s;
  throw InputError("key '" + key + "' holds an image, not text");
}

const MetaImage& DataDict::image(const std::string& key) const {
  const Entry& e = at(key);
  if (const auto* m = std::get_if<MetaImage>(&e)) return *m;
  throw InputError("key '" + key + "' holds the text '" + std::get<std::string>(e) +
                   "', not an image (monai.transforms.LoadImaged reads it)");
}

void DataDict::set(const std::string& key, Entry value) {
  for (auto& e : entries_)
    if (e.first == key) {
      e.second = std::move(value);
      return;
    }
  entries_.emplace_back(key, std::move(value));
}

void DataDict::keepOnly(const std::vector<std::string>& keys) {
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const auto& e) {
                                  return std::find(keys.begin(), keys.end(), e.first) == keys.end();
                                }),
                 entries_.end());
}

std::vector<std::string> DataDict::keys() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(e.first);
  return out;
}

std::vector<std::string> DataDict::imageKeys() const {
  std::vector<std::string> out;
  for (const auto& e : entries_)
    if (std::holds_alternative<MetaImage>(e.second)) out.push_back(e.first);
  return out;
}

MapCompose::MapCompose(std::vector<MapTransformPtr> transforms, std::string registeredName)
    : transforms_(std::move(transforms)), name_(std::move(registeredName)) {
  for (const auto& t : transforms_)
    if (!t) throw ConfigError("transforms: a Compose member is null");
}

void MapCompose::operator()(DataDict& d, Generator& gen) const {
  for (const auto& t : transforms_) (*t)(d, gen);
}

std::vector<std::string> KeySelection::present(const DataDict& d, const std::string& who) const {
  std::vector<std::string> out;
  for (const auto& k : keys) {
    if (d.contains(k))
      out.push_back(k);
    else if (!allowMissing)
      throw InputError(who + ": key '" + k + "' is not in the item (keys: " + detail::joined(d.keys()) + ")");
  }
  return out;
}

void ImageMapTransform::operator()(DataDict& d, Generator& gen) const {
  for (const auto& k : keys_.present(d, name_)) {
    try {
      d.set(k, apply(d.image(k), d, gen));
    } catch (const InputError& e) {
      throw InputError(name_ + " (key '" + k + "'): " + e.what());
    }
  }
}

void SelectItemsd::operator()(DataDict& d, Generator&) const {
  d.keepOnly(keys_.present(d, name()));
}

}  // namespace fmcib::transforms
