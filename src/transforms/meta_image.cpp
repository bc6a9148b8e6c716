#include "fmcib/transforms/meta_image.hpp"

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "fmcib/config/error.hpp"

namespace fmcib::transforms {

IndexMap IndexMap::shift(const std::array<int64_t, 3>& start) {
  IndexMap m;
  m.t = start;
  return m;
}

IndexMap IndexMap::then(const IndexMap& next) const {
  IndexMap out;
  for (int i = 0; i < 3; ++i) {
    int64_t shift = t[i];
    for (int k = 0; k < 3; ++k) shift += m[3 * i + k] * next.t[k];
    out.t[i] = shift;
    for (int j = 0; j < 3; ++j) {
      int64_t s = 0;
      for (int k = 0; k < 3; ++k) s += m[3 * i + k] * next.m[3 * k + j];
      out.m[3 * i + j] = s;
    }
  }
  return out;
}

Affine IndexMap::toAffine() const {
  Affine a = identityAffine();
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) a[4 * i + j] = static_cast<double>(m[3 * i + j]);
    a[4 * i + 3] = static_cast<double>(t[i]);
  }
  return a;
}

struct MetaImage::State {
  Affine affine = identityAffine();
  bool channel = false;
  bool eager = false;
  at::Tensor known;  // the voxels, when not pending
  // Pending: base[exact(v)] is voxel v of the grid before the resampling ("pre grid").
  at::Tensor base;  // [X][Y][Z] source voxels, any dtype
  IndexMap exact;
  Shape3 preShape{0, 0, 0};
  std::vector<TransformPtr> pre;  // pointwise, on pre-grid values
  bool resampled = false;
  Affine toPre = identityAffine();  // current grid index → pre-grid continuous index
  InterpMode interp = InterpMode::kLinear;
  PaddingMode padding = PaddingMode::kZeros;
  Shape3 shape{0, 0, 0};           // the current grid
  std::vector<TransformPtr> post;  // pointwise, after the resampling
};

namespace {

Shape3 shapeOf(const at::Tensor& t) {
  return {t.size(0), t.size(1), t.size(2)};
}

}  // namespace

const MetaImage::State& MetaImage::state() const {
  if (!state_) throw RuntimeError("an undefined image (no LoadImaged before this transform?)");
  return *state_;
}

MetaImage MetaImage::fromVoxels(at::Tensor voxels, const Affine& affine, bool eager) {
  if (!voxels.defined() || voxels.dim() != 3)
    throw RuntimeError("MetaImage: a scan needs 3 axes, got " +
                       (voxels.defined() ? c10::str(voxels.sizes()) : std::string("no tensor")));
  auto s = std::make_shared<State>();
  s->affine = affine;
  s->eager = eager;
  s->base = std::move(voxels);
  s->preShape = s->shape = shapeOf(s->base);
  return finish(std::move(s));
}

MetaImage MetaImage::fromTensor(at::Tensor tensor, const Affine& affine, bool channelFirst, bool eager) {
  if (!tensor.defined()) throw RuntimeError("MetaImage: an undefined tensor");
  auto s = std::make_shared<State>();
  s->affine = affine;
  s->channel = channelFirst;
  s->eager = eager;
  s->known = std::move(tensor);
  return MetaImage(std::move(s));
}

const Affine& MetaImage::affine() const {
  return state().affine;
}

bool MetaImage::hasChannel() const {
  return state().channel;
}

bool MetaImage::pending() const {
  return !state().known.defined();
}

bool MetaImage::eager() const {
  return state().eager;
}

Shape3 MetaImage::spatialShape() const {
  const State& s = state();
  if (!s.known.defined()) return s.shape;
  const int64_t n = s.known.dim();
  if (n < 3) throw RuntimeError("an image of shape " + c10::str(s.known.sizes()) + " has no 3 spatial axes");
  return {s.known.size(n - 3), s.known.size(n - 2), s.known.size(n - 1)};
}

namespace {

/// The pre-grid voxels [start, start + size) after the pointwise `pre` transforms: float32
/// [1, sx, sy, sz], read from the base through `exact`.
at::Tensor preBox(const at::Tensor& base, const IndexMap& exact, const std::vector<TransformPtr>& pre,
                  const std::array<int64_t, 3>& start, const std::array<int64_t, 3>& size) {
  std::array<int64_t, 3> axisOf{}, signOf{};
  for (int j = 0; j < 3; ++j)
    for (int a = 0; a < 3; ++a)
      if (exact.m[3 * a + j] != 0) {
        axisOf[j] = a;
        signOf[j] = exact.m[3 * a + j];
      }
  at::Tensor sub = base;
  for (int j = 0; j < 3; ++j) {
    const int64_t a = axisOf[j];
    int64_t first = exact.t[a] + signOf[j] * start[j];
    int64_t last = exact.t[a] + signOf[j] * (start[j] + size[j] - 1);
    if (first > last) std::swap(first, last);
    if (first < 0 || last >= base.size(a))
      throw RuntimeError("MetaImage: a box outside the source (axis " + std::to_string(a) + ": " +
                         std::to_string(first) + ".." + std::to_string(last) + " of " +
                         std::to_string(base.size(a)) + ")");
    sub = sub.narrow(a, first, last - first + 1);
  }
  sub = sub.permute({axisOf[0], axisOf[1], axisOf[2]});
  std::vector<int64_t> flips;
  for (int j = 0; j < 3; ++j)
    if (signOf[j] < 0) flips.push_back(j);
  if (!flips.empty()) sub = sub.flip(flips);
  at::Tensor x = sub.to(at::kFloat).contiguous().unsqueeze(0);
  Generator gen(0);  // pointwise transforms draw nothing
  for (const auto& t : pre) x = (*t)(x, gen);
  return x;
}

at::Tensor applyAll(const std::vector<TransformPtr>& transforms, at::Tensor x) {
  Generator gen(0);
  for (const auto& t : transforms) x = (*t)(x, gen);
  return x;
}

/// MONAI's Spacing core: grid_sample (align_corners as chosen, which does not move voxel centres)
/// of the pre grid at toPre · p, in float64, output float32 [1, ...].
at::Tensor resampled(const MetaImage::State& s) {
  const Shape3& S = s.preShape;
  const Shape3& out = s.shape;
  const Affine& A = s.toPre;
  const bool border = s.padding == PaddingMode::kBorder;
  auto clampCoord = [&](double q, int j) {
    return border ? std::min(std::max(q, 0.0), static_cast<double>(S[j] - 1)) : q;
  };
  // The box of pre-grid voxels any output voxel reads (one voxel of margin against rounding).
  std::array<double, 3> lo, hi;
  lo.fill(std::numeric_limits<double>::infinity());
  hi.fill(-std::numeric_limits<double>::infinity());
  for (int c = 0; c < 8; ++c) {
    const Point3 u{(c & 4) ? static_cast<double>(out[0] - 1) : 0.0,
                   (c & 2) ? static_cast<double>(out[1] - 1) : 0.0,
                   (c & 1) ? static_cast<double>(out[2] - 1) : 0.0};
    const Point3 q = applyAffine(A, u);
    for (int j = 0; j < 3; ++j) {
      lo[j] = std::min(lo[j], clampCoord(q[j], j));
      hi[j] = std::max(hi[j], clampCoord(q[j], j));
    }
  }
  std::array<int64_t, 3> b0{}, bs{};
  bool any = true;
  for (int j = 0; j < 3; ++j) {
    // Coordinates beyond ±1e15 voxels cannot reach the grid; clamping keeps the casts defined.
    const double l = std::max(std::floor(std::max(lo[j], -1e15)) - 1, 0.0);
    const double h = std::min(std::floor(std::min(hi[j], 1e15)) + 2, static_cast<double>(S[j] - 1));
    if (!(l <= h)) {
      any = false;
      break;
    }
    b0[j] = static_cast<int64_t>(l);
    bs[j] = static_cast<int64_t>(h) - b0[j] + 1;
  }
  at::Tensor values;
  const double* v = nullptr;
  if (any) {
    values = preBox(s.base, s.exact, s.pre, b0, bs).squeeze(0).to(at::kDouble).contiguous();
    v = values.data_ptr<double>();
  }
  auto inside = [&](int64_t i, int64_t j, int64_t k) {
    return any && i >= b0[0] && i < b0[0] + bs[0] && j >= b0[1] && j < b0[1] + bs[1] && k >= b0[2] &&
           k < b0[2] + bs[2] && i < S[0] && j < S[1] && k < S[2];
  };
  auto at3 = [&](int64_t i, int64_t j, int64_t k) {
    return v[((i - b0[0]) * bs[1] + (j - b0[1])) * bs[2] + (k - b0[2])];
  };

  at::Tensor result = at::empty({out[0], out[1], out[2]}, at::kFloat);
  float* r = result.data_ptr<float>();
  for (int64_t u0 = 0; u0 < out[0]; ++u0)
    for (int64_t u1 = 0; u1 < out[1]; ++u1)
      for (int64_t u2 = 0; u2 < out[2]; ++u2) {
        const Point3 q =
            applyAffine(A, {static_cast<double>(u0), static_cast<double>(u1), static_cast<double>(u2)});
        const double q0 = clampCoord(q[0], 0), q1 = clampCoord(q[1], 1), q2 = clampCoord(q[2], 2);
        double acc = 0.0;
        if (s.interp == InterpMode::kNearest) {
          const double n0 = std::nearbyint(q0), n1 = std::nearbyint(q1), n2 = std::nearbyint(q2);
          if (n0 >= 0 && n1 >= 0 && n2 >= 0 && n0 < static_cast<double>(S[0]) &&
              n1 < static_cast<double>(S[1]) && n2 < static_cast<double>(S[2])) {
            const auto i = static_cast<int64_t>(n0), j = static_cast<int64_t>(n1),
                       k = static_cast<int64_t>(n2);
            if (inside(i, j, k)) acc = at3(i, j, k);
          }
        } else if (std::abs(q0) < 1e15 && std::abs(q1) < 1e15 && std::abs(q2) < 1e15) {
          // grid_sample's trilinear weights; axis 2 is its x, axis 0 its z.
          const double f0 = std::floor(q0), f1 = std::floor(q1), f2 = std::floor(q2);
          const double w0[2] = {(f0 + 1) - q0, q0 - f0}, w1[2] = {(f1 + 1) - q1, q1 - f1},
                       w2[2] = {(f2 + 1) - q2, q2 - f2};
          const auto i0 = static_cast<int64_t>(f0), j0 = static_cast<int64_t>(f1),
                     k0 = static_cast<int64_t>(f2);
          for (int d0 = 0; d0 < 2; ++d0)
            for (int d1 = 0; d1 < 2; ++d1)
              for (int d2 = 0; d2 < 2; ++d2) {
                const int64_t i = i0 + d0, j = j0 + d1, k = k0 + d2;
                if (i < 0 || j < 0 || k < 0 || !inside(i, j, k)) continue;
                acc += at3(i, j, k) * (w2[d2] * w1[d1] * w0[d0]);
              }
        }
        *r++ = static_cast<float>(acc);
      }
  return applyAll(s.post, result.unsqueeze(0));
}

at::Tensor compute(const MetaImage::State& s) {
  at::Tensor x = s.resampled ? resampled(s) : preBox(s.base, s.exact, s.pre, {0, 0, 0}, s.shape);
  return s.channel ? x : x.squeeze(0);
}

}  // namespace

MetaImage MetaImage::finish(std::shared_ptr<State> s) {
  if (s->eager && !s->known.defined()) {
    s->known = compute(*s);
    s->base = at::Tensor();
    s->pre.clear();
    s->post.clear();
  }
  return MetaImage(std::move(s));
}

at::Tensor MetaImage::tensor() const {
  const State& s = state();
  return s.known.defined() ? s.known : compute(s);
}

MetaImage MetaImage::materialized() const {
  const State& s = state();
  if (s.known.defined()) return *this;
  return fromTensor(compute(s), s.affine, s.channel, s.eager);
}

namespace {

/// A pending copy of `s`: known voxels become the base of an untouched grid.
std::shared_ptr<MetaImage::State> toPending(const MetaImage::State& s) {
  auto p = std::make_shared<MetaImage::State>(s);
  if (!s.known.defined()) return p;
  at::Tensor t = s.known;
  if (s.channel) {
    if (t.dim() != 4 || t.size(0) != 1)
      throw RuntimeError("spatial transforms here take one channel and 3 spatial axes, got shape " +
                         c10::str(t.sizes()));
    t = t.select(0, 0);
  } else if (t.dim() != 3) {
    throw RuntimeError("spatial transforms here take 3 spatial axes, got shape " + c10::str(t.sizes()));
  }
  p->known = at::Tensor();
  p->base = t;
  p->exact = IndexMap();
  p->preShape = p->shape = shapeOf(t);
  p->pre.clear();
  p->resampled = false;
  p->post.clear();
  return p;
}

}  // namespace

MetaImage MetaImage::withChannel() const {
  const State& s = state();
  if (s.channel) return *this;
  auto p = std::make_shared<State>(s);
  p->channel = true;
  if (p->known.defined()) p->known = p->known.unsqueeze(0);
  return MetaImage(std::move(p));
}

MetaImage MetaImage::withTensor(at::Tensor tensor, const Affine& affine) const {
  const State& s = state();
  return fromTensor(std::move(tensor), affine, s.channel, s.eager);
}

MetaImage MetaImage::pointwise(TransformPtr transform) const {
  if (!transform) throw RuntimeError("MetaImage::pointwise: a null transform");
  const State& s = state();
  if (s.known.defined()) {
    // Known voxels stay known: apply the transform to them (channel-first, as transforms expect).
    at::Tensor x = s.channel ? s.known : s.known.unsqueeze(0);
    Generator gen(0);
    x = (*transform)(x, gen);
    return withTensor(s.channel ? x : x.squeeze(0), s.affine);
  }
  auto p = toPending(s);
  (p->resampled ? p->post : p->pre).push_back(std::move(transform));
  return finish(std::move(p));
}

MetaImage MetaImage::remap(const IndexMap& map, const Shape3& shape) const {
  auto p = toPending(state());
  for (int64_t c = 0; c < 8; ++c) {
    const std::array<int64_t, 3> u{(c & 4) ? shape[0] - 1 : 0, (c & 2) ? shape[1] - 1 : 0,
                                   (c & 1) ? shape[2] - 1 : 0};
    for (int i = 0; i < 3; ++i) {
      int64_t m = map.t[i];
      for (int k = 0; k < 3; ++k) m += map.m[3 * i + k] * u[k];
      if (shape[i] < 1 || m < 0 || m >= p->shape[i])
        throw RuntimeError("MetaImage::remap: the map leaves the image (axis " + std::to_string(i) + ")");
    }
  }
  if (p->resampled) {
    p->toPre = matmul(p->toPre, map.toAffine());
  } else {
    p->exact = p->exact.then(map);
    p->preShape = shape;
  }
  p->shape = shape;
  p->affine = matmul(p->affine, map.toAffine());
  return finish(std::move(p));
}

MetaImage MetaImage::resample(const Affine& sampling, const Affine& affineXform, const Shape3& shape,
                              InterpMode mode, PaddingMode padding) const {
  for (int64_t n : shape)
    if (n < 1) throw RuntimeError("MetaImage::resample: an empty output grid");
  auto p = toPending(state());
  if (p->resampled) p = toPending(*materialized().state_);
  p->resampled = true;
  p->toPre = sampling;
  p->interp = mode;
  p->padding = padding;
  p->shape = shape;
  p->affine = matmul(p->affine, affineXform);
  return finish(std::move(p));
}

}  // namespace fmcib::transforms
