#pragma once
// Helpers for the image tests that damage files: small volumes, bytes in and out, DICOM elements.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "fmcib/io/image_io.hpp"

namespace fmcib::io::image_test {

inline std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
/// Replaces the file by unlinking it first: truncating an existing file makes ext4 flush it to disk
/// on close (its replace-via-truncate heuristic), which costs milliseconds per fuzz case.
inline void writeAll(const std::string& path, const std::string& bytes) {
  std::remove(path.c_str());
  std::ofstream(path, std::ios::binary) << bytes;
}

/// A small int16 CT-like volume: values from a fixed seed.
inline Volume smallVolume(const Index3& size = {7, 6, 4}, uint64_t seed = 1) {
  ImageGeometry g;
  g.size = size;
  g.spacing = {0.75, 0.8, 2.5};
  g.origin = {-10.5, 20.25, -30.0};
  Volume v(PixelType::kInt16, g);
  std::mt19937_64 rng(seed);
  auto* d = v.dataAs<int16_t>();
  for (int64_t i = 0; i < v.numVoxels(); ++i)
    d[i] = static_cast<int16_t>(static_cast<int>(rng() % 3000) - 1024);
  return v;
}

template <class T>
void put(std::string& bytes, size_t at, T v) {
  std::memcpy(&bytes[at], &v, sizeof v);
}
template <class T>
T get(const std::string& bytes, size_t at) {
  T v;
  std::memcpy(&v, &bytes[at], sizeof v);
  return v;
}

// DICOM, explicit VR little endian.
inline std::string u16le(uint16_t v) {
  return std::string{static_cast<char>(v & 0xff), static_cast<char>(v >> 8)};
}
inline std::string u32le(uint32_t v) {
  return u16le(static_cast<uint16_t>(v & 0xffff)) + u16le(static_cast<uint16_t>(v >> 16));
}
inline std::string tag(uint16_t group, uint16_t element) {
  return u16le(group) + u16le(element);
}
/// An element with `value` (padded to even length by the caller); long VRs get a 4-byte length.
inline std::string element(uint16_t group, uint16_t element_, const std::string& vr,
                           const std::string& value) {
  const bool longVr = vr == "OB" || vr == "OW" || vr == "SQ" || vr == "UN" || vr == "UT";
  return tag(group, element_) + vr +
         (longVr ? std::string(2, '\0') + u32le(static_cast<uint32_t>(value.size()))
                 : u16le(static_cast<uint16_t>(value.size()))) +
         value;
}
inline std::string sequenceStart(uint16_t group, uint16_t element_) {  // undefined length
  return tag(group, element_) + "SQ" + std::string(2, '\0') + u32le(0xffffffff);
}
inline std::string itemStart() {
  return tag(0xfffe, 0xe000) + u32le(0xffffffff);
}
inline std::string itemEnd() {
  return tag(0xfffe, 0xe00d) + u32le(0);
}
inline std::string sequenceEnd() {
  return tag(0xfffe, 0xe0dd) + u32le(0);
}
/// Preamble, "DICM" and a file meta group naming explicit VR little endian.
inline std::string dicomPrefix() {
  const std::string ts = element(0x0002, 0x0010, "UI", std::string("1.2.840.10008.1.2.1") + '\0');
  return std::string(128, '\0') + "DICM" +
         element(0x0002, 0x0000, "UL", u32le(static_cast<uint32_t>(ts.size()))) + ts;
}

}  // namespace fmcib::io::image_test
