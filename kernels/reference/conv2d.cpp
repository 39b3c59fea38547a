// Reference kernels: 2-D convolution (cross-correlation, as in every deep
// learning framework), NCHW, with groups, stride and asymmetric zero padding.
//
//   y[n,k,p,q] = b[k] + sum_{c,r,s} x[n, g*Cg + c, p*sh - pad_top + r, q*sw - pad_left + s]
//                                   * w[k, c, r, s]
//
// where g = k / Kg is the group of output channel k, Cg = C / groups input
// channels per group and Kg = K / groups output channels per group. Input
// positions outside the image are the zero padding, so they are skipped.
// Every sum accumulates in double whatever T is. Under a narrow math
// precision (kernels/precision.h) the two operands of each product are first
// rounded to that format, so the loops are then the oracle of that precision.
#include <vector>

#include "kernels/precision.h"
#include "kernels/reference/reference_backend.h"

namespace astrocnn {
namespace {

// Index helpers for contiguous NCHW / KCRS tensors.
struct Conv2dIndex {
  const Conv2dParams& p;
  int64_t Cg() const { return p.C / p.groups; }
  int64_t Kg() const { return p.K / p.groups; }
  int64_t x_at(int64_t n, int64_t c, int64_t h, int64_t col) const {
    return ((n * p.C + c) * p.H + h) * p.W + col;
  }
  int64_t w_at(int64_t k, int64_t c, int64_t r, int64_t s) const {
    return ((k * Cg() + c) * p.R + r) * p.S + s;
  }
  int64_t y_at(int64_t n, int64_t k, int64_t oh, int64_t ow) const {
    return ((n * p.K + k) * p.P() + oh) * p.Q() + ow;
  }
  // The input row/column that kernel tap r/s of output position oh/ow reads.
  int64_t in_row(int64_t oh, int64_t r) const { return oh * p.stride_h - p.pad_top + r; }
  int64_t in_col(int64_t ow, int64_t s) const { return ow * p.stride_w - p.pad_left + s; }
  bool inside(int64_t h, int64_t col) const { return h >= 0 && h < p.H && col >= 0 && col < p.W; }
};

template <class T>
void conv2d_forward_ref(const Conv2dParams& p, const T* x, const T* w, const T* b, T* y) {
  const Conv2dIndex ix{p};
  for (int64_t n = 0; n < p.N; ++n)
    for (int64_t k = 0; k < p.K; ++k) {
      const int64_t c0 = (k / ix.Kg()) * ix.Cg();  // first input channel of k's group
      for (int64_t oh = 0; oh < p.P(); ++oh)
        for (int64_t ow = 0; ow < p.Q(); ++ow) {
          double acc = b ? b[k] : 0.0;
          for (int64_t c = 0; c < ix.Cg(); ++c)
            for (int64_t r = 0; r < p.R; ++r)
              for (int64_t s = 0; s < p.S; ++s) {
                const int64_t h = ix.in_row(oh, r), col = ix.in_col(ow, s);
                if (!ix.inside(h, col)) continue;  // zero padding
                acc += static_cast<double>(x[ix.x_at(n, c0 + c, h, col)]) * w[ix.w_at(k, c, r, s)];
              }
          y[ix.y_at(n, k, oh, ow)] = static_cast<T>(acc);
        }
    }
}

// dx is the transpose of the forward map: every product x * w that the
// forward pass formed sends dy * w back to that x. Written as the same loop
// nest as the forward pass, scattering into a double buffer; input pixels no
// window touches (e.g. cut off by a stride) end with gradient 0.
template <class T>
void conv2d_backward_data_ref(const Conv2dParams& p, const T* dy, const T* w, T* dx) {
  const Conv2dIndex ix{p};
  std::vector<double> acc(static_cast<size_t>(p.N * p.C * p.H * p.W), 0.0);
  for (int64_t n = 0; n < p.N; ++n)
    for (int64_t k = 0; k < p.K; ++k) {
      const int64_t c0 = (k / ix.Kg()) * ix.Cg();
      for (int64_t oh = 0; oh < p.P(); ++oh)
        for (int64_t ow = 0; ow < p.Q(); ++ow) {
          const double g = dy[ix.y_at(n, k, oh, ow)];
          for (int64_t c = 0; c < ix.Cg(); ++c)
            for (int64_t r = 0; r < p.R; ++r)
              for (int64_t s = 0; s < p.S; ++s) {
                const int64_t h = ix.in_row(oh, r), col = ix.in_col(ow, s);
                if (!ix.inside(h, col)) continue;
                acc[ix.x_at(n, c0 + c, h, col)] += g * w[ix.w_at(k, c, r, s)];
              }
        }
    }
  for (size_t i = 0; i < acc.size(); ++i) dx[i] = static_cast<T>(acc[i]);
}

// dw[k,c,r,s] = sum_{n,p,q} dy[n,k,p,q] * x[n, g*Cg + c, in_row(p,r), in_col(q,s)]
// db[k]       = sum_{n,p,q} dy[n,k,p,q]
template <class T>
void conv2d_backward_weights_ref(const Conv2dParams& p, const T* x, const T* dy, T* dw, T* db) {
  const Conv2dIndex ix{p};
  for (int64_t k = 0; k < p.K; ++k) {
    const int64_t c0 = (k / ix.Kg()) * ix.Cg();
    for (int64_t c = 0; c < ix.Cg(); ++c)
      for (int64_t r = 0; r < p.R; ++r)
        for (int64_t s = 0; s < p.S; ++s) {
          double acc = 0;
          for (int64_t n = 0; n < p.N; ++n)
            for (int64_t oh = 0; oh < p.P(); ++oh)
              for (int64_t ow = 0; ow < p.Q(); ++ow) {
                const int64_t h = ix.in_row(oh, r), col = ix.in_col(ow, s);
                if (!ix.inside(h, col)) continue;
                acc += static_cast<double>(dy[ix.y_at(n, k, oh, ow)]) * x[ix.x_at(n, c0 + c, h, col)];
              }
          dw[ix.w_at(k, c, r, s)] = static_cast<T>(acc);
        }
    if (db) {
      double acc = 0;
      for (int64_t n = 0; n < p.N; ++n)
        for (int64_t oh = 0; oh < p.P(); ++oh)
          for (int64_t ow = 0; ow < p.Q(); ++ow) acc += dy[ix.y_at(n, k, oh, ow)];
      db[k] = static_cast<T>(acc);
    }
  }
}

}  // namespace

void ReferenceBackend::conv2d_forward(const Conv2dParams& p, const Tensor& x_in, const Tensor& w_in,
                                      const Tensor* bias, Tensor& y) {
  const Tensor x = rounded_to_math_precision(x_in), w = rounded_to_math_precision(w_in);
  ASTRO_REFERENCE_DISPATCH(x.dtype(), T,
                           conv2d_forward_ref(p, x.data<T>(), w.data<T>(),
                                              bias ? bias->data<T>() : nullptr, y.data<T>()));
}

void ReferenceBackend::conv2d_backward_data(const Conv2dParams& p, const Tensor& dy_in,
                                            const Tensor& w_in, Tensor& dx) {
  const Tensor dy = rounded_to_math_precision(dy_in), w = rounded_to_math_precision(w_in);
  ASTRO_REFERENCE_DISPATCH(dy.dtype(), T,
                           conv2d_backward_data_ref(p, dy.data<T>(), w.data<T>(), dx.data<T>()));
}

void ReferenceBackend::conv2d_backward_weights(const Conv2dParams& p, const Tensor& x_in,
                                               const Tensor& dy_in, Tensor& dw, Tensor* dbias) {
  const Tensor x = rounded_to_math_precision(x_in), dy = rounded_to_math_precision(dy_in);
  ASTRO_REFERENCE_DISPATCH(x.dtype(), T,
                           conv2d_backward_weights_ref(p, x.data<T>(), dy.data<T>(), dw.data<T>(),
                                                       dbias ? dbias->data<T>() : nullptr));
}

}  // namespace astrocnn
