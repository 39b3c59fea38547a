// Reference kernels: max / average pooling over R x S windows of an NCHW
// tensor, and global average pooling [N,C,H,W] -> [N,C].
//
// Output position (oh, ow) covers input rows oh*stride_h - pad_top + r and
// columns ow*stride_w - pad_left + s for r < R, s < S. Positions outside the
// image are padding: max pooling never picks them, average pooling counts
// them as zeros or not at all (Pool2dParams::count_include_pad).
// Pool2dParams::validate() keeps every padding below the window size, so each
// window holds at least one real pixel.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/reference/reference_backend.h"

namespace astrocnn {
namespace {

// One N*C "plane" at a time: pooling never mixes channels or images.
struct PoolGeometry {
  const Pool2dParams& p;
  int64_t planes() const { return p.N * p.C; }
  int64_t in_size() const { return p.H * p.W; }
  int64_t out_size() const { return p.P() * p.Q(); }
  int64_t in_row(int64_t oh, int64_t r) const { return oh * p.stride_h - p.pad_top + r; }
  int64_t in_col(int64_t ow, int64_t s) const { return ow * p.stride_w - p.pad_left + s; }
  bool inside(int64_t h, int64_t col) const { return h >= 0 && h < p.H && col >= 0 && col < p.W; }

  // The number of real (non-padding) pixels under window (oh, ow).
  int64_t real_pixels(int64_t oh, int64_t ow) const {
    int64_t count = 0;
    for (int64_t r = 0; r < p.R; ++r)
      for (int64_t s = 0; s < p.S; ++s) count += inside(in_row(oh, r), in_col(ow, s)) ? 1 : 0;
    return count;
  }
  // What average pooling divides window (oh, ow) by.
  double divisor(int64_t oh, int64_t ow) const {
    return p.count_include_pad ? static_cast<double>(p.R * p.S)
                               : static_cast<double>(real_pixels(oh, ow));
  }
};

// The offset (h*W + w) within a plane of the element that max pooling picks
// for window (oh, ow): the first maximum in row-major window order. A NaN
// wins over any number (the first NaN, if several), so NaN propagates as in
// PyTorch instead of silently disappearing.
template <class T>
int64_t argmax_in_window(const PoolGeometry& g, const T* plane, int64_t oh, int64_t ow) {
  int64_t best = -1;
  for (int64_t r = 0; r < g.p.R; ++r)
    for (int64_t s = 0; s < g.p.S; ++s) {
      const int64_t h = g.in_row(oh, r), col = g.in_col(ow, s);
      if (!g.inside(h, col)) continue;  // padding never wins
      const int64_t i = h * g.p.W + col;
      if (best < 0) { best = i; continue; }
      const T v = plane[i], b = plane[best];
      if (std::isnan(b)) continue;
      if (v > b || std::isnan(v)) best = i;  // strict '>': ties keep the first maximum
    }
  return best;
}

template <class T>
void max_pool2d_forward_ref(const Pool2dParams& p, const T* x, T* y) {
  const PoolGeometry g{p};
  for (int64_t pl = 0; pl < g.planes(); ++pl) {
    const T* xp = x + pl * g.in_size();
    T* yp = y + pl * g.out_size();
    for (int64_t oh = 0; oh < p.P(); ++oh)
      for (int64_t ow = 0; ow < p.Q(); ++ow) yp[oh * p.Q() + ow] = xp[argmax_in_window(g, xp, oh, ow)];
  }
}

// Each output's gradient goes to the element its forward pass picked; an
// element picked by several overlapping windows receives the sum.
template <class T>
void max_pool2d_backward_ref(const Pool2dParams& p, const T* x, const T* dy, T* dx) {
  const PoolGeometry g{p};
  std::vector<double> acc(static_cast<size_t>(g.in_size()));
  for (int64_t pl = 0; pl < g.planes(); ++pl) {
    const T* xp = x + pl * g.in_size();
    const T* dyp = dy + pl * g.out_size();
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t oh = 0; oh < p.P(); ++oh)
      for (int64_t ow = 0; ow < p.Q(); ++ow)
        acc[argmax_in_window(g, xp, oh, ow)] += dyp[oh * p.Q() + ow];
    for (int64_t i = 0; i < g.in_size(); ++i) dx[pl * g.in_size() + i] = static_cast<T>(acc[i]);
  }
}

template <class T>
void avg_pool2d_forward_ref(const Pool2dParams& p, const T* x, T* y) {
  const PoolGeometry g{p};
  for (int64_t pl = 0; pl < g.planes(); ++pl) {
    const T* xp = x + pl * g.in_size();
    T* yp = y + pl * g.out_size();
    for (int64_t oh = 0; oh < p.P(); ++oh)
      for (int64_t ow = 0; ow < p.Q(); ++ow) {
        double sum = 0;
        for (int64_t r = 0; r < p.R; ++r)
          for (int64_t s = 0; s < p.S; ++s) {
            const int64_t h = g.in_row(oh, r), col = g.in_col(ow, s);
            if (g.inside(h, col)) sum += xp[h * p.W + col];  // padding adds zero
          }
        yp[oh * p.Q() + ow] = static_cast<T>(sum / g.divisor(oh, ow));
      }
  }
}

// Every real pixel under window (oh, ow) receives dy / divisor, summed over
// the windows that cover it.
template <class T>
void avg_pool2d_backward_ref(const Pool2dParams& p, const T* dy, T* dx) {
  const PoolGeometry g{p};
  std::vector<double> acc(static_cast<size_t>(g.in_size()));
  for (int64_t pl = 0; pl < g.planes(); ++pl) {
    const T* dyp = dy + pl * g.out_size();
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t oh = 0; oh < p.P(); ++oh)
      for (int64_t ow = 0; ow < p.Q(); ++ow) {
        const double share = dyp[oh * p.Q() + ow] / g.divisor(oh, ow);
        for (int64_t r = 0; r < p.R; ++r)
          for (int64_t s = 0; s < p.S; ++s) {
            const int64_t h = g.in_row(oh, r), col = g.in_col(ow, s);
            if (g.inside(h, col)) acc[h * p.W + col] += share;
          }
      }
    for (int64_t i = 0; i < g.in_size(); ++i) dx[pl * g.in_size() + i] = static_cast<T>(acc[i]);
  }
}

// y[plane] = mean of the plane's HW elements.
template <class T>
void global_avg_pool_forward_ref(const T* x, T* y, int64_t planes, int64_t HW) {
  for (int64_t pl = 0; pl < planes; ++pl) {
    double sum = 0;
    for (int64_t i = 0; i < HW; ++i) sum += x[pl * HW + i];
    y[pl] = static_cast<T>(sum / static_cast<double>(HW));
  }
}

// Every element of a plane contributed 1/HW of its mean.
template <class T>
void global_avg_pool_backward_ref(const T* dy, T* dx, int64_t planes, int64_t HW) {
  for (int64_t pl = 0; pl < planes; ++pl) {
    const T share = static_cast<T>(static_cast<double>(dy[pl]) / static_cast<double>(HW));
    for (int64_t i = 0; i < HW; ++i) dx[pl * HW + i] = share;
  }
}

}  // namespace

void ReferenceBackend::max_pool2d_forward(const Pool2dParams& p, const Tensor& x, Tensor& y) {
  ASTRO_REFERENCE_DISPATCH(x.dtype(), T, max_pool2d_forward_ref(p, x.data<T>(), y.data<T>()));
}

void ReferenceBackend::max_pool2d_backward(const Pool2dParams& p, const Tensor& x,
                                           const Tensor& dy, Tensor& dx) {
  ASTRO_REFERENCE_DISPATCH(x.dtype(), T,
                           max_pool2d_backward_ref(p, x.data<T>(), dy.data<T>(), dx.data<T>()));
}

void ReferenceBackend::avg_pool2d_forward(const Pool2dParams& p, const Tensor& x, Tensor& y) {
  ASTRO_REFERENCE_DISPATCH(x.dtype(), T, avg_pool2d_forward_ref(p, x.data<T>(), y.data<T>()));
}

void ReferenceBackend::avg_pool2d_backward(const Pool2dParams& p, const Tensor& dy, Tensor& dx) {
  ASTRO_REFERENCE_DISPATCH(dy.dtype(), T, avg_pool2d_backward_ref(p, dy.data<T>(), dx.data<T>()));
}

// x [N,C,H,W] -> y [N,C]
void ReferenceBackend::global_avg_pool_forward(const Tensor& x, Tensor& y) {
  ASTRO_REFERENCE_DISPATCH(x.dtype(), T,
                           global_avg_pool_forward_ref(x.data<T>(), y.data<T>(),
                                                       x.size(0) * x.size(1), x.size(2) * x.size(3)));
}

// dy [N,C] -> dx [N,C,H,W]
void ReferenceBackend::global_avg_pool_backward(const Tensor& dy, Tensor& dx) {
  ASTRO_REFERENCE_DISPATCH(dy.dtype(), T,
                           global_avg_pool_backward_ref(dy.data<T>(), dx.data<T>(),
                                                        dx.size(0) * dx.size(1),
                                                        dx.size(2) * dx.size(3)));
}

}  // namespace astrocnn
