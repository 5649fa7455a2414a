//===- Mfma.h - per-lane operand layouts of the CDNA MFMAs ------*- C++ -*-===//
//
// Which matrix element each lane holds, per the AMD CDNA3/CDNA4 ISA guides
// and the AMD matrix instruction calculator, for the single-block MFMAs
// (the ones moec emits; m = n = 16 or 32):
//
//   A (m x k), lane l, element v of the lane's source vector:
//     classic forms (f16/bf16 16x16x16, 32x32x8; gfx950 16x16x32,
//     32x32x16; fp8/i8 16x16x32, 32x32x16):   i = l % m,
//                                              k = perLane * (l / m) + v
//     gfx950 f8f6f4 (16x16x128, 32x32x64; 32 fp8 per lane): the lane's
//     32 bytes are two 16-byte halves h = v / 16, each 16 consecutive K:
//                                 k = 16 * (64 / m) * h + 16 * (l / m) + v % 16
//   B (k x n): the same with (k, j = l % n).
//     gfx950 scaled f8f6f4 (v_mfma_scale_f32_16x16x128_f8f6f4, 32x32x64;
//     AMD's CDNA4 ISA guide and "Matrix Core programming on CDNA3/CDNA4"):
//     8-bit operands as above (two 16-element halves), fp4 (e2m1) operands
//     contiguous: the lane's 16 bytes are 32 consecutive K, element v in
//     nibble v (low nibble first):         k = 32 * (l / m) + v
//     Each operand has one e8m0 scale per (row, 32 K): lane l supplies
//     the byte (of its 32-bit scale register picked by OPSEL) for row
//     l % m and K block l / m, whichever lane holds the data:
//       A[i][k] x 2^(scaleA(lane m * (k / 32) + i) - 127), B likewise.
//   C/D (m x n), lane l, register r (4 registers per row group):
//     i = 4 * (64 / m) * (r / 4) + 4 * (l / m) + r % 4,   j = l % m
//     (16x16: i = 4 (l / 16) + r; 32x32: i = 8 (r / 4) + 4 (l / 32) + r % 4)
//
//===----------------------------------------------------------------------===//

#ifndef MOEC_LIB_EMULATOR_MFMA_H
#define MOEC_LIB_EMULATOR_MFMA_H

#include "moec/Emulator/Numeric.h"

#include "mlir/Support/LLVM.h"

#include <utility>

namespace moec::emu {

struct MfmaShape {
  int m = 0, n = 0, k = 0;
  int perLaneAB = 0, perLaneC = 0;
  bool split16 = false; ///< gfx950 f8f6f4 two-half K layout (A and B)
  /// Scaled f8f6f4 (gfx950): each operand's own layout (8-bit: split16;
  /// fp4: 32 consecutive K per lane) and per-(row, 32 K) e8m0 scales.
  bool scaled = false;
  bool splitA = false, splitB = false;
  EK a = EK::F16, b = EK::F16, c = EK::F32;

  /// v_mfma_scale_f32_{16x16x128,32x32x64}_f8f6f4 with A and B each OCP
  /// fp8 (e4m3, e5m2) or fp4 (e2m1); fp6 is not supported.
  static mlir::FailureOr<MfmaShape> getScaled(int m, int n, int k, EK a,
                                              EK b) {
    auto ok = [](EK t) {
      return t == EK::F8E4M3FN || t == EK::F8E5M2 || t == EK::F4E2M1FN;
    };
    if (m != n || !((m == 16 && k == 128) || (m == 32 && k == 64)) ||
        !ok(a) || !ok(b))
      return mlir::failure();
    MfmaShape s;
    s.m = m, s.n = n, s.k = k, s.a = a, s.b = b, s.c = EK::F32;
    s.perLaneAB = m * k / 64; // 32
    s.perLaneC = m * n / 64;
    s.scaled = true;
    s.splitA = a != EK::F4E2M1FN;
    s.splitB = b != EK::F4E2M1FN;
    return s;
  }
  /// The lane whose scale byte scales A[i][k] (or B[k][j] with j for i).
  int scaleLane(int row, int k) const { return m * (k / 32) + row; }

  static mlir::FailureOr<MfmaShape> get(int m, int n, int k, EK a, EK b, EK c) {
    if (m != n || (m != 16 && m != 32))
      return mlir::failure();
    bool f16 = (a == EK::F16 || a == EK::BF16) && a == b && c == EK::F32;
    bool fp8 = isFp8(a) && isFp8(b) && c == EK::F32;
    bool i8 = a == EK::I8 && b == EK::I8 && c == EK::I32;
    MfmaShape s;
    s.m = m, s.n = n, s.k = k, s.a = a, s.b = b, s.c = c;
    s.perLaneAB = m * k / 64;
    s.perLaneC = m * n / 64;
    bool ok = false;
    if (f16)
      ok = (m == 16 && (k == 16 || k == 32)) || (m == 32 && (k == 8 || k == 16));
    if (fp8 || i8)
      ok = (m == 16 && (k == 32 || k == 64 || k == 128)) ||
           (m == 32 && (k == 16 || k == 32 || k == 64));
    if (fp8 && ((m == 16 && k == 128) || (m == 32 && k == 64)))
      s.split16 = true;
    if (!ok)
      return mlir::failure();
    return s;
  }

  /// (row i, column k) of A held by lane l in element v.
  std::pair<int, int> aElement(int l, int v) const {
    return {l % m, kOf(l, v, scaled ? splitA : split16)};
  }
  /// (row k, column j) of B held by lane l in element v.
  std::pair<int, int> bElement(int l, int v) const {
    return {kOf(l, v, scaled ? splitB : split16), l % n};
  }
  /// (row i, column j) of C/D held by lane l in register r.
  std::pair<int, int> cElement(int l, int r) const {
    int groups = 64 / m;
    return {4 * groups * (r / 4) + 4 * (l / m) + r % 4, l % m};
  }

private:
  int kOf(int l, int v, bool split) const {
    if (split)
      return 16 * (64 / m) * (v / 16) + 16 * (l / m) + v % 16;
    return perLaneAB * (l / m) + v;
  }
};

} // namespace moec::emu

#endif // MOEC_LIB_EMULATOR_MFMA_H
