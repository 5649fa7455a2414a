//===- Numeric.h - element encodings of the emulator ------------*- C++ -*-===//
//
// Bit-exact encodings of the element types the kernels use: f16, bf16,
// f32, f64 and the four fp8 flavours (gfx942's fnuz e4m3/e5m2, gfx950's OCP
// e4m3fn/e5m2). Decoding is exact; encoding rounds to nearest even.
//
//===----------------------------------------------------------------------===//

#ifndef MOEC_EMULATOR_NUMERIC_H
#define MOEC_EMULATOR_NUMERIC_H

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace moec::emu {

/// Element kinds of a slot. Index is I64; pointers are I64; a buffer
/// resource is four I64 cells (base, stride, num_records, flags).
enum class EK : uint8_t {
  I1, I8, I16, I32, I64,
  F16, BF16, F32, F64,
  F8E4M3FNUZ, F8E5M2FNUZ, F8E4M3FN, F8E5M2,
  F4E2M1FN, ///< OCP MX fp4 (gfx950's scaled MFMA operands), 4 bits
};

inline unsigned bitsOf(EK k) {
  switch (k) {
  case EK::I1: return 1;
  case EK::F4E2M1FN: return 4;
  case EK::I8: case EK::F8E4M3FNUZ: case EK::F8E5M2FNUZ: case EK::F8E4M3FN:
  case EK::F8E5M2: return 8;
  case EK::I16: case EK::F16: case EK::BF16: return 16;
  case EK::I32: case EK::F32: return 32;
  case EK::I64: case EK::F64: return 64;
  }
  return 64;
}
inline unsigned bytesOf(EK k) { return bitsOf(k) <= 8 ? 1 : bitsOf(k) / 8; }
inline bool isFloat(EK k) { return k >= EK::F16; }
inline bool isFp8(EK k) { return k >= EK::F8E4M3FNUZ && k <= EK::F8E5M2; }

/// OCP e2m1 (no infinities, no NaN): sign, 2 exponent bits (bias 1), one
/// mantissa bit; the magnitudes 0, 0.5, 1, 1.5, 2, 3, 4, 6.
inline double decodeFp4(uint8_t code) {
  static const double mag[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
  double v = mag[code & 7];
  return code & 8 ? -v : v;
}
/// Nearest e2m1 code (ties to the even code), saturating at 6.
inline uint8_t encodeFp4(double x) {
  uint8_t best = 0;
  double bestErr = INFINITY;
  for (uint8_t c = 0; c < 8; ++c) {
    double err = std::fabs(decodeFp4(c) - std::fabs(x));
    if (err < bestErr || (err == bestErr && (c & 1) == 0))
      bestErr = err, best = c;
  }
  return static_cast<uint8_t>(best | (std::signbit(x) ? 8 : 0));
}
/// An e8m0 scale byte: 2^(b - 127), NaN for 0xFF.
inline double decodeE8M0(uint8_t b) {
  return b == 0xFF ? std::numeric_limits<double>::quiet_NaN()
                   : std::ldexp(1.0, int(b) - 127);
}

inline uint64_t truncBits(uint64_t v, unsigned bits) {
  return bits >= 64 ? v : v & ((uint64_t(1) << bits) - 1);
}
inline int64_t sext(uint64_t v, unsigned bits) {
  if (bits >= 64)
    return static_cast<int64_t>(v);
  uint64_t m = uint64_t(1) << (bits - 1);
  v = truncBits(v, bits);
  return static_cast<int64_t>((v ^ m) - m);
}

/// Decodes one fp8 byte exactly.
inline double decodeFp8(EK k, uint8_t b) {
  bool e4 = k == EK::F8E4M3FNUZ || k == EK::F8E4M3FN;
  bool fnuz = k == EK::F8E4M3FNUZ || k == EK::F8E5M2FNUZ;
  int man = e4 ? 3 : 2, expBits = e4 ? 4 : 5;
  int bias = e4 ? (fnuz ? 8 : 7) : (fnuz ? 16 : 15);
  double nan = std::numeric_limits<double>::quiet_NaN();
  if (fnuz && b == 0x80)
    return nan;
  int s = b >> 7, e = (b >> man) & ((1 << expBits) - 1), f = b & ((1 << man) - 1);
  if (k == EK::F8E4M3FN && e == 15 && f == 7)
    return nan;
  if (k == EK::F8E5M2 && e == 31)
    return f ? nan : (s ? -INFINITY : INFINITY);
  double v = e == 0 ? std::ldexp(double(f), 1 - bias - man)
                    : std::ldexp(1.0 + double(f) / (1 << man), e - bias);
  return s ? -v : v;
}

/// Nearest fp8 code (ties to even code), NaN for NaN; out-of-range values
/// saturate to NaN (fnuz, e4m3fn) or infinity (e5m2), as APFloat converts.
inline uint8_t encodeFp8(EK k, double x) {
  bool fnuz = k == EK::F8E4M3FNUZ || k == EK::F8E5M2FNUZ;
  if (std::isnan(x))
    return fnuz ? 0x80 : 0x7f;
  if (std::isinf(x)) {
    if (k == EK::F8E5M2)
      return x > 0 ? 0x7c : 0xfc;
    return fnuz ? 0x80 : (x > 0 ? 0x7f : 0xff);
  }
  int best = -1;
  double bestErr = INFINITY, maxFinite = 0;
  for (int c = 0; c < 256; ++c) {
    double v = decodeFp8(k, static_cast<uint8_t>(c));
    if (std::isnan(v))
      continue;
    if (std::isfinite(v))
      maxFinite = std::max(maxFinite, v);
    double err = std::fabs(v - x);
    if (err < bestErr || (err == bestErr && best >= 0 && (c & 1) == 0 &&
                          std::signbit(v) == std::signbit(x))) {
      bestErr = err;
      best = c;
    }
  }
  if (std::fabs(x) > maxFinite && k != EK::F8E5M2) {
    // Beyond the largest finite value by more than half an ulp: NaN.
    double v = decodeFp8(k, static_cast<uint8_t>(best));
    if (std::fabs(x) - std::fabs(v) > 0 && std::fabs(x) > maxFinite * 1.0625)
      return k == EK::F8E4M3FNUZ || k == EK::F8E5M2FNUZ ? 0x80 : 0x7f;
  }
  return static_cast<uint8_t>(best);
}

inline float bitsToF32(uint64_t b) {
  uint32_t u = static_cast<uint32_t>(b);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline uint64_t f32ToBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline uint16_t f32ToBF16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if (std::isnan(f))
    return 0x7FC0;
  u += 0x7FFF + ((u >> 16) & 1);
  return static_cast<uint16_t>(u >> 16);
}

/// The value of a cell of kind k (floats and integers; integers signed).
inline double decode(EK k, uint64_t b) {
  switch (k) {
  case EK::F16: {
    uint16_t u = static_cast<uint16_t>(b);
    _Float16 h;
    std::memcpy(&h, &u, 2);
    return static_cast<double>(h);
  }
  case EK::BF16:
    return bitsToF32(b << 16);
  case EK::F32:
    return bitsToF32(b);
  case EK::F64: {
    double d;
    std::memcpy(&d, &b, 8);
    return d;
  }
  case EK::F8E4M3FNUZ: case EK::F8E5M2FNUZ: case EK::F8E4M3FN: case EK::F8E5M2:
    return decodeFp8(k, static_cast<uint8_t>(b));
  case EK::F4E2M1FN:
    return decodeFp4(static_cast<uint8_t>(b));
  default:
    return static_cast<double>(sext(b, bitsOf(k)));
  }
}

/// The cell of kind k holding x, rounded to nearest even.
inline uint64_t encode(EK k, double x) {
  switch (k) {
  case EK::F16: {
    _Float16 h = static_cast<_Float16>(x);
    uint16_t u;
    std::memcpy(&u, &h, 2);
    return u;
  }
  case EK::BF16:
    // double -> f32 -> bf16 rounds twice; exact for every f32 input.
    return f32ToBF16(static_cast<float>(x));
  case EK::F32:
    return f32ToBits(static_cast<float>(x));
  case EK::F64: {
    uint64_t u;
    std::memcpy(&u, &x, 8);
    return u;
  }
  case EK::F8E4M3FNUZ: case EK::F8E5M2FNUZ: case EK::F8E4M3FN: case EK::F8E5M2:
    return encodeFp8(k, x);
  case EK::F4E2M1FN:
    return encodeFp4(x);
  default:
    return truncBits(static_cast<uint64_t>(static_cast<int64_t>(x)), bitsOf(k));
  }
}

} // namespace moec::emu

#endif // MOEC_EMULATOR_NUMERIC_H
