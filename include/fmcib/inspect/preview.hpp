#pragma once
/// `fmcib preview`: one image per dataset item that a person can check at a glance. Rows of panels
/// (axial, coronal, sagittal mid-slices): the raw positive patch, each augmented positive view, the
/// raw negative patch, each augmented negative view; a header with row number, seed, label and image.
///
/// Raw patches are shown in a CT window (default W 1500 / L −300, a lung window in which air, lung,
/// soft tissue and bone all differ; --window 400,40 for soft tissue): grey = 255·clamp((HU − (L −
/// W/2)) / W, 0, 1), rounded. Augmented views are no longer in HU (NormalizeIntensity,
/// ScaleIntensityRange, histogram shifts), so they share one min..max range per item, printed on the
/// image. Slices assume LPS-oriented patches (orient_patch: true, the default) and are drawn the
/// radiological way: axial with the patient's right on the left and anterior up, coronal and
/// sagittal with superior up. Small yellow ticks outside each raw panel point at the seed voxel.
#include <cstdint>
#include <string>
#include <vector>

#include "fmcib/data/ssl_radiomics_dataset.hpp"
#include "fmcib/inspect/image.hpp"

namespace fmcib::inspect {

struct PreviewOptions {
  double windowWidth = 1500;
  double windowLevel = -300;
  /// Panels are magnified by an integer factor so the largest patch side is about this many pixels.
  int tile = 100;
};

/// What the header says about an item.
struct PreviewCaption {
  int64_t row = 0;
  io::Vec3 seed{0, 0, 0};
  std::string label;  ///< "-" when the dataset has none
  std::string image;
};

/// Where one slice went: voxel (u, v) of the slice is the scale×scale block at (x + u·scale, y + v·scale).
struct PreviewPanel {
  std::string row;   ///< "POS RAW", "POS VIEW 1", ...
  std::string view;  ///< "AXIAL", "CORONAL", "SAGITTAL"
  int x = 0, y = 0, scale = 1;
  int64_t width = 0, height = 0;  ///< in voxels
};

/// The grey value of `hu` in the window.
uint8_t windowValue(double hu, const PreviewOptions& options);

/// Draws one item; `panels` (optional) receives where each slice went.
RgbImage renderPreview(const data::DetailedItem& item, const PreviewCaption& caption,
                       const PreviewOptions& options, std::vector<PreviewPanel>* panels = nullptr);

}  // namespace fmcib::inspect
