// Element types and devices a tensor can have.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace astrocnn {

// F32 is what models train in. F64 exists so that the reference backend can
// run gradient checks in double precision; I64 holds class labels.
enum class DType : uint8_t { F32, F64, I64 };

inline size_t dtype_size(DType t) { return t == DType::F32 ? 4 : 8; }
inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "float32";
    case DType::F64: return "float64";
    case DType::I64: return "int64";
  }
  return "?";
}

template <class T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::F32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::F64; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::I64; };

enum class Device : uint8_t { CPU, CUDA };
inline const char* device_name(Device d) { return d == Device::CPU ? "cpu" : "cuda"; }

}  // namespace astrocnn
