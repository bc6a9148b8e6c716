#include "fmcib/data/grid_map.hpp"

#include <cctype>
#include <cmath>
#include <cstring>

#include "fmcib/config/error.hpp"

namespace fmcib::data {

GridMap GridMap::crop(const io::Index3& start) {
  GridMap m;
  m.offset = start;
  return m;
}

io::Index3 GridMap::apply(const io::Index3& u) const {
  io::Index3 m = offset;
  for (int k = 0; k < 3; ++k) m[axis[k]] += sign[k] * u[k];
  return m;
}

GridMap GridMap::then(const GridMap& next) const {
  GridMap out;
  for (int k = 0; k < 3; ++k) {
    out.axis[k] = axis[next.axis[k]];
    out.sign[k] = sign[next.axis[k]] * next.sign[k];
  }
  out.offset = apply(next.offset);
  return out;
}

io::Index3 GridMap::permutedSize(const io::Index3& inSize) const {
  return {inSize[axis[0]], inSize[axis[1]], inSize[axis[2]]};
}

io::ImageGeometry GridMap::outputGeometry(const io::ImageGeometry& in, const io::Index3& outSize) const {
  io::ImageGeometry g;
  g.size = outSize;
  g.origin = in.indexToPhysical(
      {static_cast<double>(offset[0]), static_cast<double>(offset[1]), static_cast<double>(offset[2])});
  for (int k = 0; k < 3; ++k) {
    g.spacing[k] = in.spacing[axis[k]];
    for (int r = 0; r < 3; ++r) g.direction[3 * r + k] = sign[k] * in.dir(r, axis[k]);
  }
  return g;
}

void GridMap::inputBox(const io::Index3& outSize, io::Index3& start, io::Index3& size) const {
  start = offset;
  size = {1, 1, 1};
  for (int k = 0; k < 3; ++k) {
    const int a = axis[k];
    size[a] = outSize[k];
    if (sign[k] < 0) start[a] = offset[a] - (outSize[k] - 1);
  }
}

bool GridMap::isIdentity() const {
  return axis == std::array<int, 3>{0, 1, 2} && sign == std::array<int, 3>{1, 1, 1} &&
         offset == io::Index3{0, 0, 0};
}

namespace {

// For each index axis: the physical coordinate it follows (0 = x, 1 = y, 2 = z) and its sign.
void closestAxes(const io::ImageGeometry& g, std::array<int, 3>& coordOfAxis,
                 std::array<int, 3>& signOfAxis) {
  bool rowUsed[3] = {false, false, false}, colUsed[3] = {false, false, false};
  for (int step = 0; step < 3; ++step) {
    int bestR = -1, bestC = -1;
    double best = -1;
    for (int c = 0; c < 3; ++c)
      for (int r = 0; r < 3; ++r)
        if (!rowUsed[r] && !colUsed[c] && std::abs(g.dir(r, c)) > best) {
          best = std::abs(g.dir(r, c));
          bestR = r;
          bestC = c;
        }
    rowUsed[bestR] = colUsed[bestC] = true;
    coordOfAxis[bestC] = bestR;
    signOfAxis[bestC] = g.dir(bestR, bestC) < 0 ? -1 : 1;
  }
}

// Letter → (coordinate, sign) in LPS: L=+x R=-x P=+y A=-y S=+z I=-z.
bool parseLetter(char letter, int& coord, int& sign) {
  switch (letter) {
    case 'L':
      coord = 0, sign = 1;
      return true;
    case 'R':
      coord = 0, sign = -1;
      return true;
    case 'P':
      coord = 1, sign = 1;
      return true;
    case 'A':
      coord = 1, sign = -1;
      return true;
    case 'S':
      coord = 2, sign = 1;
      return true;
    case 'I':
      coord = 2, sign = -1;
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string orientationCode(const io::ImageGeometry& geometry) {
  static const char kLetters[3][2] = {{'R', 'L'}, {'A', 'P'}, {'I', 'S'}};
  std::array<int, 3> coord{}, sign{};
  closestAxes(geometry, coord, sign);
  std::string code;
  for (int j = 0; j < 3; ++j) code += kLetters[coord[j]][sign[j] > 0 ? 1 : 0];
  return code;
}

GridMap orientationMap(const io::ImageGeometry& geometry, const std::string& code) {
  std::array<int, 3> wantCoord{}, wantSign{};
  bool seen[3] = {false, false, false};
  bool ok = code.size() == 3;
  for (size_t k = 0; ok && k < 3; ++k) {
    ok = parseLetter(static_cast<char>(std::toupper(static_cast<unsigned char>(code[k]))), wantCoord[k],
                     wantSign[k]) &&
         !seen[wantCoord[k]];
    if (ok) seen[wantCoord[k]] = true;
  }
  if (!ok)
    throw RuntimeError("invalid orientation code '" + code +
                       "': use three letters, one of L/R, one of P/A and one of S/I (e.g. LPS)");
  std::array<int, 3> coordOfAxis{}, signOfAxis{};
  closestAxes(geometry, coordOfAxis, signOfAxis);
  GridMap m;
  for (int k = 0; k < 3; ++k) {
    int j = 0;
    while (coordOfAxis[j] != wantCoord[k]) ++j;
    m.axis[k] = j;
    m.sign[k] = signOfAxis[j] == wantSign[k] ? 1 : -1;
    m.offset[j] = m.sign[k] < 0 ? geometry.size[j] - 1 : 0;
  }
  return m;
}

io::Volume applyGridMap(const io::Volume& in, const GridMap& map, const io::Index3& outSize) {
  const io::ImageGeometry& g = in.geometry();
  io::Index3 start, size;
  map.inputBox(outSize, start, size);
  for (int a = 0; a < 3; ++a)
    if (outSize[a] > 0 && (start[a] < 0 || start[a] + size[a] > g.size[a]))
      throw RuntimeError("grid map reads outside the volume (" + g.describe() + ")");
  io::Volume out(in.pixelType(), map.outputGeometry(g, outSize));
  if (out.numVoxels() == 0) return out;
  const int64_t stride[3] = {1, g.size[0], g.size[0] * g.size[1]};
  int64_t base = 0, step[3];
  for (int a = 0; a < 3; ++a) base += map.offset[a] * stride[a];
  for (int k = 0; k < 3; ++k) step[k] = map.sign[k] * stride[map.axis[k]];
  io::dispatchPixelType(in.pixelType(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = in.dataAs<T>();
    T* dst = out.dataAs<T>();
    for (int64_t z = 0; z < outSize[2]; ++z)
      for (int64_t y = 0; y < outSize[1]; ++y) {
        const T* p = src + base + z * step[2] + y * step[1];
        if (step[0] == 1) {
          std::memcpy(dst, p, static_cast<size_t>(outSize[0]) * sizeof(T));
          dst += outSize[0];
        } else {
          for (int64_t x = 0; x < outSize[0]; ++x) *dst++ = p[x * step[0]];
        }
      }
  });
  return out;
}

}  // namespace fmcib::data
