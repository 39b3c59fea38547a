// A GPU's peak arithmetic rate, the yardstick of the benchmarks' peak_share
// counters. Host-only (no CUDA here), so the formula is tested on the CPU.
#pragma once

namespace astrocnn::bench {

struct GpuPeak {
  double fp32 = 0;  // FLOP/s of the FP32 lanes (CUDA cores)
  double tf32 = 0;  // FLOP/s of the tensor cores on TF32 inputs, dense; 0 when not known
  double bf16 = 0;  // ... on BF16 inputs: twice the TF32 rate on sm_80 and sm_90
};

// Peak = SMs x operations per SM per clock x clock, where an FMA counts as
// two FLOPs: FP32 = SMs x FP32 lanes per SM x 2 x clock.
//
// Per SM per clock, from NVIDIA's architecture whitepapers:
//   sm_80 (A100):       64 FP32 lanes (128 FLOP), TF32 tensor 1024 FLOP
//   sm_90 (H100, H200): 128 FP32 lanes (256 FLOP), TF32 tensor 2048 FLOP
//   other sm_8x and newer: 128 FP32 lanes, TF32 rate not tabulated here;
//   older: 64 FP32 lanes.
// `clock_khz` is cudaDevAttrClockRate, the peak (boost) clock. So an H100 SXM
// or an H200 (132 SMs at 1980 MHz) gives 66.9 TFLOP/s FP32, NVIDIA's figure,
// and 535 TFLOP/s TF32 (NVIDIA quotes 495 dense, at the lower clock the
// tensor cores sustain); an H100 PCIe (114 SMs, 1755 MHz) gives 51.2 FP32; an
// A100 (108 SMs, 1410 MHz) 19.5 FP32 and 156 TF32.
inline GpuPeak gpu_peak(int cc_major, int cc_minor, int sms, double clock_khz) {
  const double sm_clocks_per_second = static_cast<double>(sms) * clock_khz * 1e3;
  double fp32_lanes = cc_major >= 8 ? 128 : 64;
  double tf32_flop_per_clock = 0;
  if (cc_major == 8 && cc_minor == 0) {
    fp32_lanes = 64;
    tf32_flop_per_clock = 1024;
  } else if (cc_major == 9 && cc_minor == 0) {
    tf32_flop_per_clock = 2048;
  }
  return GpuPeak{sm_clocks_per_second * fp32_lanes * 2, sm_clocks_per_second * tf32_flop_per_clock,
                 sm_clocks_per_second * tf32_flop_per_clock * 2};
}

}  // namespace astrocnn::bench
