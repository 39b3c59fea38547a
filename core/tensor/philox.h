// Philox-4x32-10 counter-based random numbers (Salmon et al., SC'11).
//
// A counter-based generator maps (seed, counter) to random bits with no
// hidden state, so the CPU and a CUDA kernel produce identical numbers for the
// same seed and offset, and any element can be drawn independently (the i-th
// dropout mask value is uniform(seed, offset + i) on every backend).
// Header-only and usable from device code.
#pragma once
#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define ASTRO_HD __host__ __device__ __forceinline__
#else
#define ASTRO_HD inline
#endif

namespace astrocnn {
namespace philox {

struct U32x4 { uint32_t v[4]; };

ASTRO_HD void mulhilo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  uint64_t p = static_cast<uint64_t>(a) * b;
  hi = static_cast<uint32_t>(p >> 32);
  lo = static_cast<uint32_t>(p);
}

// Ten rounds of Philox-4x32 on counter `ctr` with 64-bit key `key`.
ASTRO_HD U32x4 philox4x32(uint64_t counter, uint64_t key) {
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32);
  uint32_t c2 = 0, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo(0xD2511F53u, c0, hi0, lo0);
    mulhilo(0xCD9E8D57u, c2, hi1, lo1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return U32x4{{c0, c1, c2, c3}};
}

// The 32 random bits for stream position `index`: four positions share one Philox block.
ASTRO_HD uint32_t bits(uint64_t seed, uint64_t index) {
  return philox4x32(index >> 2, seed).v[index & 3];
}

// SplitMix64's finaliser: spreads structured inputs (seed, epoch, batch,
// image index) into unrelated Philox keys.
ASTRO_HD uint64_t mix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Uniform float in [0, 1) from the top 24 bits (exactly representable in float).
ASTRO_HD float uniform(uint64_t seed, uint64_t index) {
  return static_cast<float>(bits(seed, index) >> 8) * (1.0f / 16777216.0f);
}

// Standard normal by Box-Muller on stream positions index and index + 1
// (it consumes two positions).
ASTRO_HD double normal(uint64_t seed, uint64_t index) {
  double u1 = (static_cast<double>(bits(seed, index) >> 8) + 1.0) * (1.0 / 16777217.0);  // (0,1)
  double u2 = static_cast<double>(bits(seed, index + 1) >> 8) * (1.0 / 16777216.0);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

}  // namespace philox

// A stream over Philox positions: a seed plus a running offset, so that
// successive draws (weight init, dropout masks, shuffles) never overlap and a
// run is reproducible from the seed alone.
class Rng {
 public:
  explicit Rng(uint64_t seed = 0, uint64_t offset = 0) : seed_(seed), offset_(offset) {}
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void set_offset(uint64_t o) { offset_ = o; }
  // Reserves n positions and returns the first; the caller draws them itself
  // (this is how a kernel gets its slice of the stream).
  uint64_t reserve(uint64_t n) { uint64_t o = offset_; offset_ += n; return o; }
  float uniform() { return philox::uniform(seed_, offset_++); }
  double normal() { double v = philox::normal(seed_, offset_); offset_ += 2; return v; }
  // Uniform integer in [0, n) (n > 0), with negligible bias for n << 2^32.
  uint64_t below(uint64_t n) {
    uint64_t r = (static_cast<uint64_t>(philox::bits(seed_, offset_)) << 32) | philox::bits(seed_, offset_ + 1);
    offset_ += 2;
    return r % n;
  }

 private:
  uint64_t seed_, offset_;
};

// The process-wide generator used by layers that draw (dropout) and by
// initialisers when no Rng is passed. Seed it once with manual_seed().
Rng& global_rng();
void manual_seed(uint64_t seed);

}  // namespace astrocnn
