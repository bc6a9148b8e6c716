#pragma once
/// How a CSV's `image_path` is resolved, shared by SSLRadiomicsDataset and check-data.
#include <string>

namespace fmcib::data {

/// Absolute, or from the current folder when it exists there (as the Python original does), else
/// beside the CSV. A path the system cannot look up (too long) is returned unchanged, for the image
/// reader to name.
std::string resolveImagePath(const std::string& raw, const std::string& csvPath);

}  // namespace fmcib::data
