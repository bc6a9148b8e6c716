#pragma once
// A minimal PNG writer (8-bit grayscale, stored deflate blocks: no zlib needed) for prediction
// previews, laid out as torchvision's make_grid(nrow=8, padding=2, pad_value=0) + save_image.
#include <ATen/Tensor.h>

#include <string>
#include <vector>

namespace fmcib::engine {

/// Writes 8-bit grayscale `pixels` (row-major, width*height). RuntimeError on I/O failure.
void writePng(const std::string& path, int64_t width, int64_t height, const std::vector<uint8_t>& pixels);

/// 2D float images in [0, 1] side by side with 2-pixel black borders, scaled to 0..255.
void writePngGrid(const std::string& path, const std::vector<at::Tensor>& images);

}  // namespace fmcib::engine
