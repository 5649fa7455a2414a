//===- EmulatorTest.cpp - lib/Emulator against the documented hardware ----===//
//
// 1. MFMA semantics, independently of moec's lowering: for each MFMA moec
//    emits, the inputs are placed in lanes by the *documented* layout (AMD
//    CDNA3/CDNA4 ISA guides and the AMD matrix instruction calculator,
//    written here in their element -> (lane, item) form, the inverse of the
//    emulator's), a one-instruction kernel runs on the emulator, and every
//    result register is read back through the documented D layout and
//    compared with the exact product (small integers: exact in every type).
// 2. The checks: hand-written kernels that go out of bounds, read LDS never
//    written, race through LDS without a barrier, diverge at a barrier, use
//    an undefined value; and the buffer range check's semantics.
//
//===----------------------------------------------------------------------===//

#include "moec/Emulator/Emulator.h"
#include "moec/Emulator/Numeric.h"

#include "mlir/Dialect/AMDGPU/IR/AMDGPUDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/ROCDLDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>

using namespace mlir;
using namespace moec::emu;

namespace {

std::unique_ptr<MLIRContext> makeContext() {
  DialectRegistry registry;
  registry.insert<gpu::GPUDialect, arith::ArithDialect, vector::VectorDialect,
                  memref::MemRefDialect, amdgpu::AMDGPUDialect,
                  ROCDL::ROCDLDialect, LLVM::LLVMDialect, cf::ControlFlowDialect,
                  math::MathDialect, ub::UBDialect>();
  auto ctx = std::make_unique<MLIRContext>(registry);
  ctx->loadAllAvailableDialects();
  return ctx;
}

MemRefArg arg2d(void *p, int64_t rows, int64_t cols) {
  return MemRefArg{p, p, 0, {rows, cols}, {cols, 1}};
}

/// Parses `src`, runs its one kernel; returns the error text ("" if none).
std::string run(const std::string &src, std::array<int64_t, 3> grid,
                std::array<int64_t, 3> block, const std::vector<MemRefArg> &args,
                const std::vector<Allocation> &allocs) {
  auto ctx = makeContext();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(src, ctx.get());
  if (!module)
    return "parse error";
  gpu::GPUFuncOp f = findKernel(*module, "");
  if (!f)
    return "no kernel";
  auto emu = Emulator::create(f, "gfx942");
  if (!emu)
    return llvm::toString(emu.takeError());
  if (llvm::Error e = (*emu)->launch(grid, block, args, allocs))
    return llvm::toString(std::move(e));
  return "";
}

//===----------------------------------------------------------------------===//
// MFMA layouts, as documented
//===----------------------------------------------------------------------===//

struct MfmaCase {
  const char *instr; ///< the ISA name, for messages
  int m, n, k;
  const char *type;  ///< MLIR element type of A and B
  EK kind;
  bool f8f6f4;       ///< gfx950's two-half K layout
};

/// Documented A layout, element -> (lane, item): A[i][k] is held by lane
/// i + m * g in item v. Classic MFMAs: each lane holds `per` consecutive K
/// (g = k / per, v = k % per), e.g. v_mfma_f32_16x16x16_bf16: lanes 0-15
/// hold k 0-3 of rows 0-15, lanes 16-31 k 4-7, ... f8f6f4 (CDNA4 ISA,
/// "dense f8f6f4 operand layout" with 8-bit types): two 16-byte halves,
/// k % (16 * groups) / 16 picks the lane group, k / (16 * groups) the half.
std::pair<int, int> docA(const MfmaCase &c, int i, int k) {
  int groups = 64 / c.m, per = c.m * c.k / 64;
  if (c.f8f6f4) {
    int span = 16 * groups;
    return {i + c.m * ((k % span) / 16), 16 * (k / span) + k % 16};
  }
  return {i + c.m * (k / per), k % per};
}
/// B[k][j] mirrors A with j for i.
std::pair<int, int> docB(const MfmaCase &c, int k, int j) {
  return docA(c, j, k);
}
/// Documented D layout, element -> (lane, register): 16x16: D[i][j] in lane
/// j + 16 (i / 4), register i % 4. 32x32: lane j + 32 ((i / 4) % 2),
/// register 4 (i / 8) + i % 4 (the calculator's "v[4*(i/8) + i%4]").
std::pair<int, int> docD(const MfmaCase &c, int i, int j) {
  if (c.m == 16)
    return {j + 16 * (i / 4), i % 4};
  return {j + 32 * ((i / 4) % 2), 4 * (i / 8) + i % 4};
}

class MfmaLayout : public ::testing::TestWithParam<MfmaCase> {};

TEST_P(MfmaLayout, MatchesDocumentedLanes) {
  const MfmaCase c = GetParam();
  int per = c.m * c.k / 64, regs = c.m * c.n / 64;
  std::mt19937 rng(c.m * 1000 + c.k);
  std::uniform_int_distribution<int> small(-3, 3);
  std::vector<int> A(c.m * c.k), B(c.k * c.n);
  for (int &x : A)
    x = small(rng);
  for (int &x : B)
    x = small(rng);
  // Lane-major operand arrays: lane l's items are contiguous.
  int eb = bytesOf(c.kind);
  std::vector<uint8_t> a(64 * per * eb), b(64 * per * eb);
  std::vector<int> seenA(64 * per, 0), seenB(64 * per, 0);
  for (int i = 0; i < c.m; ++i)
    for (int k = 0; k < c.k; ++k) {
      auto [l, v] = docA(c, i, k);
      uint64_t bits = encode(c.kind, A[i * c.k + k]);
      std::memcpy(&a[(l * per + v) * eb], &bits, eb);
      ++seenA[l * per + v];
    }
  for (int k = 0; k < c.k; ++k)
    for (int j = 0; j < c.n; ++j) {
      auto [l, v] = docB(c, k, j);
      uint64_t bits = encode(c.kind, B[k * c.n + j]);
      std::memcpy(&b[(l * per + v) * eb], &bits, eb);
      ++seenB[l * per + v];
    }
  // The documented layouts are bijections onto (lane, item).
  for (int s : seenA)
    ASSERT_EQ(s, 1);
  for (int s : seenB)
    ASSERT_EQ(s, 1);
  std::vector<float> d(64 * regs, NAN);
  std::string src = fmt::format(R"(
module attributes {{gpu.container_module}} {{
  gpu.module @m {{
    gpu.func @k(%a: memref<64x{per}x{t}>, %b: memref<64x{per}x{t}>,
                %d: memref<64x{regs}xf32>) kernel {{
      %tid = gpu.thread_id x
      %c0 = arith.constant 0 : index
      %va = vector.load %a[%tid, %c0] : memref<64x{per}x{t}>, vector<{per}x{t}>
      %vb = vector.load %b[%tid, %c0] : memref<64x{per}x{t}>, vector<{per}x{t}>
      %z = arith.constant dense<0.0> : vector<{regs}xf32>
      %r = amdgpu.mfma {m}x{n}x{k} %va * %vb + %z blgp = none : vector<{per}x{t}>, vector<{per}x{t}>, vector<{regs}xf32>
      vector.store %r, %d[%tid, %c0] : memref<64x{regs}xf32>, vector<{regs}xf32>
      gpu.return
    }}
  }}
}})",
                                fmt::arg("per", per), fmt::arg("t", c.type),
                                fmt::arg("regs", regs), fmt::arg("m", c.m),
                                fmt::arg("n", c.n), fmt::arg("k", c.k));
  std::string err = run(src, {1, 1, 1}, {64, 1, 1},
                        {arg2d(a.data(), 64, per), arg2d(b.data(), 64, per),
                         arg2d(d.data(), 64, regs)},
                        {{a.data(), a.size()}, {b.data(), b.size()},
                         {d.data(), d.size() * 4}});
  ASSERT_EQ(err, "") << c.instr;
  for (int i = 0; i < c.m; ++i)
    for (int j = 0; j < c.n; ++j) {
      int want = 0;
      for (int k = 0; k < c.k; ++k)
        want += A[i * c.k + k] * B[k * c.n + j];
      auto [l, r] = docD(c, i, j);
      ASSERT_EQ(d[l * regs + r], float(want))
          << c.instr << ": D[" << i << "][" << j << "] in lane " << l
          << " register " << r;
    }
}

INSTANTIATE_TEST_SUITE_P(
    Emulator, MfmaLayout,
    ::testing::Values(
        // gfx90a / gfx942 / gfx950, 16-bit inputs
        MfmaCase{"v_mfma_f32_16x16x16_f16", 16, 16, 16, "f16", EK::F16, false},
        MfmaCase{"v_mfma_f32_16x16x16_bf16", 16, 16, 16, "bf16", EK::BF16, false},
        MfmaCase{"v_mfma_f32_32x32x8_f16", 32, 32, 8, "f16", EK::F16, false},
        MfmaCase{"v_mfma_f32_32x32x8_bf16", 32, 32, 8, "bf16", EK::BF16, false},
        // gfx950's double-K forms
        MfmaCase{"v_mfma_f32_16x16x32_f16", 16, 16, 32, "f16", EK::F16, false},
        MfmaCase{"v_mfma_f32_16x16x32_bf16", 16, 16, 32, "bf16", EK::BF16, false},
        MfmaCase{"v_mfma_f32_32x32x16_f16", 32, 32, 16, "f16", EK::F16, false},
        MfmaCase{"v_mfma_f32_32x32x16_bf16", 32, 32, 16, "bf16", EK::BF16, false},
        // gfx942 fp8 (fnuz)
        MfmaCase{"v_mfma_f32_16x16x32_fp8_fp8", 16, 16, 32, "f8E4M3FNUZ", EK::F8E4M3FNUZ, false},
        MfmaCase{"v_mfma_f32_32x32x16_fp8_fp8", 32, 32, 16, "f8E4M3FNUZ", EK::F8E4M3FNUZ, false},
        MfmaCase{"v_mfma_f32_16x16x32_bf8_bf8", 16, 16, 32, "f8E5M2FNUZ", EK::F8E5M2FNUZ, false},
        // gfx950 fp8 (OCP): the classic and the f8f6f4 forms
        MfmaCase{"v_mfma_f32_16x16x32_fp8_fp8 (OCP)", 16, 16, 32, "f8E4M3FN", EK::F8E4M3FN, false},
        MfmaCase{"v_mfma_f32_32x32x16_bf8_bf8 (OCP)", 32, 32, 16, "f8E5M2", EK::F8E5M2, false},
        MfmaCase{"v_mfma_f32_16x16x128_f8f6f4", 16, 16, 128, "f8E4M3FN", EK::F8E4M3FN, true},
        MfmaCase{"v_mfma_f32_32x32x64_f8f6f4", 32, 32, 64, "f8E4M3FN", EK::F8E4M3FN, true},
        MfmaCase{"v_mfma_f32_32x32x64_f8f6f4 (bf8)", 32, 32, 64, "f8E5M2", EK::F8E5M2, true}));

/// The same through rocdl.mfma.* ops, whose operands are integer vectors
/// carrying the elements (bf16 as i16, 8 fp8 as one i64): 16x16x16 bf16_1k
/// against the documented layout, with the element types taken from the
/// op name.
TEST(EmulatorMfma, RocdlForms) {
  MfmaCase c{"v_mfma_f32_16x16x16_bf16", 16, 16, 16, "bf16", EK::BF16, false};
  std::vector<int> A(256), B(256);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> small(-3, 3);
  for (int &x : A)
    x = small(rng);
  for (int &x : B)
    x = small(rng);
  std::vector<uint16_t> a(256), b(256);
  for (int i = 0; i < 16; ++i)
    for (int k = 0; k < 16; ++k) {
      auto [l, v] = docA(c, i, k);
      a[l * 4 + v] = encode(EK::BF16, A[i * 16 + k]);
      auto [l2, v2] = docB(c, k, i);
      b[l2 * 4 + v2] = encode(EK::BF16, B[k * 16 + i]);
    }
  std::vector<float> d(256, NAN);
  std::string src = R"(
module attributes {gpu.container_module} {
  gpu.module @m {
    gpu.func @k(%a: memref<64x4xi16>, %b: memref<64x4xi16>, %d: memref<64x4xf32>) kernel {
      %tid = gpu.thread_id x
      %c0 = arith.constant 0 : index
      %z = arith.constant 0 : i32
      %va = vector.load %a[%tid, %c0] : memref<64x4xi16>, vector<4xi16>
      %vb = vector.load %b[%tid, %c0] : memref<64x4xi16>, vector<4xi16>
      %acc = arith.constant dense<0.0> : vector<4xf32>
      %r = "rocdl.mfma.f32.16x16x16bf16.1k"(%va, %vb, %acc, %z, %z, %z) : (vector<4xi16>, vector<4xi16>, vector<4xf32>, i32, i32, i32) -> vector<4xf32>
      vector.store %r, %d[%tid, %c0] : memref<64x4xf32>, vector<4xf32>
      gpu.return
    }
  }
})";
  std::string err = run(src, {1, 1, 1}, {64, 1, 1},
                        {arg2d(a.data(), 64, 4), arg2d(b.data(), 64, 4),
                         arg2d(d.data(), 64, 4)},
                        {{a.data(), 512}, {b.data(), 512}, {d.data(), 1024}});
  ASSERT_EQ(err, "");
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j) {
      int want = 0;
      for (int k = 0; k < 16; ++k)
        want += A[i * 16 + k] * B[k * 16 + j];
      auto [l, r] = docD(c, i, j);
      ASSERT_EQ(d[l * 4 + r], float(want)) << i << " " << j;
    }
}

/// The layout tests can fail: a D layout with registers transposed (what a
/// lowering bug would assume) disagrees with the emulator.
TEST(EmulatorMfma, WrongLayoutIsDetected) {
  MfmaCase c{"v_mfma_f32_32x32x8_bf16", 32, 32, 8, "bf16", EK::BF16, false};
  int diff = 0;
  for (int i = 0; i < 32; ++i)
    for (int j = 0; j < 32; ++j) {
      auto [l, r] = docD(c, i, j);
      // The bug: "register i % 16" (rows contiguous in registers).
      if (l != j + 32 * (i / 16) || r != i % 16)
        ++diff;
    }
  EXPECT_GT(diff, 0);
}

//===----------------------------------------------------------------------===//
// gfx950 scaled MFMAs (v_mfma_scale_f32_{16x16x128,32x32x64}_f8f6f4)
//===----------------------------------------------------------------------===//

/// Documented operand layouts of the scaled f8f6f4 MFMAs (AMD CDNA4 ISA
/// guide; AMD's "Matrix Core programming on CDNA3 and CDNA4", examples
/// 5.4 and 5.5), element -> (lane, item): 8-bit operands as the unscaled
/// f8f6f4 form above (two 16-byte halves per lane); fp4 operands hold 32
/// consecutive K per lane, item v in nibble v: A[i][k] in lane
/// i + m (k / 32), item k % 32. Scales: one e8m0 per (row, 32 K), from lane
/// i + m (k / 32) (its byte OPSEL), whichever lane holds the data.
struct ScaledCase {
  const char *instr;
  int m, k;
  const char *typeA, *typeB; ///< MLIR element types
  EK kindA, kindB;
};

std::pair<int, int> docScaled(const ScaledCase &c, EK kind, int row, int k) {
  if (kind == EK::F4E2M1FN)
    return {row + c.m * (k / 32), k % 32};
  MfmaCase mc{c.instr, c.m, c.m, c.k, "", kind, true};
  return docA(mc, row, k);
}
int docScaleLane(const ScaledCase &c, int row, int k) {
  return row + c.m * (k / 32);
}

/// Runs one scaled MFMA with A, B and the scales placed by `scaleLane`
/// (OPSEL 1 for A, 2 for B) and returns how many D elements differ from
/// the exact product (-1 on an emulator error, printed).
int scaledMismatches(const ScaledCase &c,
                     int (*scaleLane)(const ScaledCase &, int, int)) {
  int m = c.m, regs = m * m / 64, blocks = c.k / 32;
  std::mt19937 rng(m * 7 + int(c.kindA) * 3 + int(c.kindB));
  static const double e2m1[] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
  std::uniform_int_distribution<int> code(0, 15), expo(124, 130);
  auto val = [&] {
    int x = code(rng);
    return x & 8 ? -e2m1[x & 7] : e2m1[x & 7];
  };
  std::vector<double> A(m * c.k), B(c.k * m);
  std::vector<int> sa(m * blocks), sb(m * blocks);
  for (double &x : A)
    x = val();
  for (double &x : B)
    x = val();
  for (int &x : sa)
    x = expo(rng);
  for (int &x : sb)
    x = expo(rng);
  // Lane-major operands: 32 bytes a lane for 8-bit types, 16 for fp4.
  auto pack = [&](EK kind, bool isA) {
    int bytes = kind == EK::F4E2M1FN ? 16 : 32;
    std::vector<uint8_t> out(64 * bytes, 0);
    for (int r = 0; r < m; ++r)
      for (int k = 0; k < c.k; ++k) {
        double x = isA ? A[r * c.k + k] : B[k * m + r];
        auto [l, v] = docScaled(c, kind, r, k);
        uint8_t bits = static_cast<uint8_t>(encode(kind, x));
        if (kind == EK::F4E2M1FN)
          out[l * 16 + v / 2] |= static_cast<uint8_t>(bits << (4 * (v % 2)));
        else
          out[l * 32 + v] = bits;
      }
    return out;
  };
  std::vector<uint8_t> a = pack(c.kindA, true), b = pack(c.kindB, false);
  // Scale bytes: [lane][4], A's at byte 1, B's at byte 2, the others 0.
  std::vector<uint8_t> scA(256, 0), scB(256, 0);
  for (int r = 0; r < m; ++r)
    for (int blk = 0; blk < blocks; ++blk) {
      scA[scaleLane(c, r, 32 * blk) * 4 + 1] = uint8_t(sa[r * blocks + blk]);
      scB[scaleLane(c, r, 32 * blk) * 4 + 2] = uint8_t(sb[r * blocks + blk]);
    }
  auto load = [](const char *name, EK kind, const char *type) {
    if (kind == EK::F4E2M1FN)
      return fmt::format(
          "%{0}8 = vector.load %{0}[%tid, %c0] : memref<64x16xi8>, "
          "vector<16xi8>\n      %v{0} = vector.bitcast %{0}8 : vector<16xi8> "
          "to vector<32x{1}>",
          name, type);
    return fmt::format("%v{0} = vector.load %{0}[%tid, %c0] : memref<64x32x{1}>, "
                       "vector<32x{1}>",
                       name, type);
  };
  auto memType = [](EK kind, const char *type) {
    return kind == EK::F4E2M1FN ? std::string("memref<64x16xi8>")
                                : fmt::format("memref<64x32x{}>", type);
  };
  std::string src = fmt::format(R"(
module attributes {{gpu.container_module}} {{
  gpu.module @m {{
    gpu.func @k(%a: {ma}, %b: {mb}, %sa: memref<64x4xf8E8M0FNU>,
                %sb: memref<64x4xf8E8M0FNU>, %d: memref<64x{regs}xf32>) kernel {{
      %tid = gpu.thread_id x
      %c0 = arith.constant 0 : index
      {la}
      {lb}
      %xa = vector.load %sa[%tid, %c0] : memref<64x4xf8E8M0FNU>, vector<4xf8E8M0FNU>
      %xb = vector.load %sb[%tid, %c0] : memref<64x4xf8E8M0FNU>, vector<4xf8E8M0FNU>
      %z = arith.constant dense<0.0> : vector<{regs}xf32>
      %r = amdgpu.scaled_mfma {m}x{m}x{k} (%xa[1] * %va) * (%xb[2] * %vb) + %z : vector<4xf8E8M0FNU>, vector<32x{ta}>, vector<4xf8E8M0FNU>, vector<32x{tb}>, vector<{regs}xf32>
      vector.store %r, %d[%tid, %c0] : memref<64x{regs}xf32>, vector<{regs}xf32>
      gpu.return
    }}
  }}
}})",
                                fmt::arg("ma", memType(c.kindA, c.typeA)),
                                fmt::arg("mb", memType(c.kindB, c.typeB)),
                                fmt::arg("la", load("a", c.kindA, c.typeA)),
                                fmt::arg("lb", load("b", c.kindB, c.typeB)),
                                fmt::arg("ta", c.typeA), fmt::arg("tb", c.typeB),
                                fmt::arg("regs", regs), fmt::arg("m", m),
                                fmt::arg("k", c.k));
  std::vector<float> d(64 * regs, NAN);
  int colsA = c.kindA == EK::F4E2M1FN ? 16 : 32;
  int colsB = c.kindB == EK::F4E2M1FN ? 16 : 32;
  auto ctx = makeContext();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(src, ctx.get());
  if (!module) {
    ADD_FAILURE() << "parse error";
    return -1;
  }
  auto emu = Emulator::create(findKernel(*module, ""), "gfx950");
  if (!emu) {
    ADD_FAILURE() << llvm::toString(emu.takeError());
    return -1;
  }
  if (llvm::Error e = (*emu)->launch(
          {1, 1, 1}, {64, 1, 1},
          {arg2d(a.data(), 64, colsA), arg2d(b.data(), 64, colsB),
           arg2d(scA.data(), 64, 4), arg2d(scB.data(), 64, 4),
           arg2d(d.data(), 64, regs)},
          {{a.data(), a.size()}, {b.data(), b.size()}, {scA.data(), 256},
           {scB.data(), 256}, {d.data(), d.size() * 4}})) {
    ADD_FAILURE() << llvm::toString(std::move(e));
    return -1;
  }
  MfmaCase dc{c.instr, m, m, c.k, "", EK::F32, false};
  int bad = 0;
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) {
      double want = 0;
      for (int k = 0; k < c.k; ++k)
        want += A[i * c.k + k] * std::ldexp(1.0, sa[i * blocks + k / 32] - 127) *
                B[k * m + j] * std::ldexp(1.0, sb[j * blocks + k / 32] - 127);
      auto [l, r] = docD(dc, i, j);
      bad += d[l * regs + r] != float(want);
    }
  return bad;
}

class ScaledMfmaLayout : public ::testing::TestWithParam<ScaledCase> {};

TEST_P(ScaledMfmaLayout, MatchesDocumentedLanes) {
  EXPECT_EQ(scaledMismatches(GetParam(), docScaleLane), 0) << GetParam().instr;
}

/// A planted scale-layout bug: scales taken as if each lane scaled the
/// elements it holds (lane of the data instead of lane i + m (k / 32)).
/// For fp4 the two coincide, so the bug shows with 8-bit A or B only.
int dataLaneScale(const ScaledCase &c, int row, int k) {
  return c.kindA == EK::F4E2M1FN ? docScaleLane(c, row, k)
                                 : docScaled(c, c.kindA, row, k).first;
}
/// Another: the scale index transposed (lane 4 row + block).
int transposedScale(const ScaledCase &c, int row, int k) {
  return (row * (c.k / 32) + k / 32) % 64;
}

TEST(EmulatorMfma, WrongScaleLayoutIsDetected) {
  ScaledCase fp8{"v_mfma_scale_f32_16x16x128_f8f6f4 (fp8 x fp4)", 16, 128,
                 "f8E4M3FN", "f4E2M1FN", EK::F8E4M3FN, EK::F4E2M1FN};
  EXPECT_GT(scaledMismatches(fp8, dataLaneScale), 0);
  ScaledCase fp4{"v_mfma_scale_f32_32x32x64_f8f6f4 (fp4)", 32, 64,
                 "f4E2M1FN", "f4E2M1FN", EK::F4E2M1FN, EK::F4E2M1FN};
  EXPECT_GT(scaledMismatches(fp4, transposedScale), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Emulator, ScaledMfmaLayout,
    ::testing::Values(
        ScaledCase{"v_mfma_scale_f32_16x16x128_f8f6f4 (fp4 x fp4)", 16, 128,
                   "f4E2M1FN", "f4E2M1FN", EK::F4E2M1FN, EK::F4E2M1FN},
        ScaledCase{"v_mfma_scale_f32_32x32x64_f8f6f4 (fp4 x fp4)", 32, 64,
                   "f4E2M1FN", "f4E2M1FN", EK::F4E2M1FN, EK::F4E2M1FN},
        ScaledCase{"v_mfma_scale_f32_16x16x128_f8f6f4 (fp8 x fp4)", 16, 128,
                   "f8E4M3FN", "f4E2M1FN", EK::F8E4M3FN, EK::F4E2M1FN},
        ScaledCase{"v_mfma_scale_f32_32x32x64_f8f6f4 (fp8 x fp8)", 32, 64,
                   "f8E4M3FN", "f8E4M3FN", EK::F8E4M3FN, EK::F8E4M3FN},
        ScaledCase{"v_mfma_scale_f32_16x16x128_f8f6f4 (bf8 x fp4)", 16, 128,
                   "f8E5M2", "f4E2M1FN", EK::F8E5M2, EK::F4E2M1FN}));

//===----------------------------------------------------------------------===//
// Fp8 encodings
//===----------------------------------------------------------------------===//

TEST(EmulatorNumeric, Fp8) {
  EXPECT_EQ(decodeFp8(EK::F8E4M3FN, 0x7e), 448.0);
  EXPECT_EQ(decodeFp8(EK::F8E4M3FNUZ, 0x7f), 240.0);
  EXPECT_EQ(decodeFp8(EK::F8E5M2, 0x7b), 57344.0);
  EXPECT_EQ(decodeFp8(EK::F8E5M2FNUZ, 0x7f), 57344.0);
  EXPECT_TRUE(std::isnan(decodeFp8(EK::F8E4M3FNUZ, 0x80)));
  EXPECT_EQ(decodeFp8(EK::F8E4M3FN, 0x80), 0.0);
  EXPECT_EQ(decodeFp8(EK::F8E4M3FN, 0x38), 1.0);  // bias 7
  EXPECT_EQ(decodeFp8(EK::F8E4M3FNUZ, 0x40), 1.0); // bias 8
  EXPECT_EQ(decodeFp8(EK::F8E4M3FN, 0x01), std::ldexp(1.0, -9));
  for (EK k : {EK::F8E4M3FNUZ, EK::F8E5M2FNUZ, EK::F8E4M3FN, EK::F8E5M2})
    for (int c = 0; c < 256; ++c) {
      double v = decodeFp8(k, c);
      if (std::isnan(v) || v == 0)
        continue;
      EXPECT_EQ(decodeFp8(k, encodeFp8(k, v)), v) << int(k) << " " << c;
    }
}

//===----------------------------------------------------------------------===//
// Checks while executing
//===----------------------------------------------------------------------===//

std::string kernel(const std::string &body, const std::string &args = "",
                   const std::string &lds = "") {
  return fmt::format(R"(
module attributes {{gpu.container_module}} {{
  gpu.module @m {{
    gpu.func @k({}) {} kernel {{
      %tid = gpu.thread_id x
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c64 = arith.constant 64 : index
{}
      gpu.return
    }}
  }}
}})",
                     args, lds.empty() ? "" : "workgroup(" + lds + ")", body);
}

const char *kLds = "%lds : memref<128xf32, #gpu.address_space<workgroup>>";

TEST(EmulatorChecks, LdsOutOfBounds) {
  std::string err = run(kernel(R"(
      %i = arith.addi %tid, %c64 : index
      %v = arith.constant 1.0 : f32
      %j = arith.addi %i, %c1 : index
      memref.store %v, %lds[%j] : memref<128xf32, #gpu.address_space<workgroup>>)",
                               "", kLds),
                        {1, 1, 1}, {64, 1, 1}, {}, {});
  EXPECT_NE(err.find("LDS access out of bounds"), std::string::npos) << err;
  EXPECT_NE(err.find("'memref.store'"), std::string::npos) << err;
  EXPECT_NE(err.find("wave 0, lane 63"), std::string::npos) << err;
  EXPECT_NE(err.find("workgroup (0, 0, 0)"), std::string::npos) << err;
}

TEST(EmulatorChecks, GlobalOutOfBounds) {
  std::vector<float> out(64);
  std::string err = run(kernel(R"(
      %v = arith.constant 1.0 : f32
      %j = arith.addi %tid, %c1 : index
      memref.store %v, %out[%j] : memref<64xf32>)",
                               "%out: memref<64xf32>"),
                        {2, 1, 1}, {64, 1, 1},
                        {MemRefArg{out.data(), out.data(), 0, {64}, {1}}},
                        {{out.data(), 256}});
  EXPECT_NE(err.find("global access out of bounds"), std::string::npos) << err;
  EXPECT_NE(err.find("lane 63"), std::string::npos) << err;
}

TEST(EmulatorChecks, LdsNeverWritten) {
  std::vector<float> out(64);
  std::string err = run(kernel(R"(
      %v = memref.load %lds[%tid] : memref<128xf32, #gpu.address_space<workgroup>>
      memref.store %v, %out[%tid] : memref<64xf32>)",
                               "%out: memref<64xf32>", kLds),
                        {1, 1, 1}, {64, 1, 1},
                        {MemRefArg{out.data(), out.data(), 0, {64}, {1}}},
                        {{out.data(), 256}});
  EXPECT_NE(err.find("never written"), std::string::npos) << err;
  EXPECT_NE(err.find("'memref.load'"), std::string::npos) << err;
}

/// Two waves: each writes its half of LDS, both read wave 0's half. With
/// the barrier in between it is correct; without it wave 1 reads what wave
/// 0 wrote in the same barrier interval: a race the emulator names (the
/// numbers would even come out right, since wave 0 happens to run first).
std::string exchange(bool withBarrier, std::vector<float> &out) {
  return run(kernel(fmt::format(R"(
      %f = arith.index_cast %tid : index to i32
      %v = arith.sitofp %f : i32 to f32
      memref.store %v, %lds[%tid] : memref<128xf32, #gpu.address_space<workgroup>>
      {}
      %o = arith.remui %tid, %c64 : index
      %w = memref.load %lds[%o] : memref<128xf32, #gpu.address_space<workgroup>>
      memref.store %w, %out[%tid] : memref<128xf32>)",
                                withBarrier ? "gpu.barrier" : ""),
                    "%out: memref<128xf32>", kLds),
             {1, 1, 1}, {128, 1, 1},
             {MemRefArg{out.data(), out.data(), 0, {128}, {1}}},
             {{out.data(), 512}});
}

TEST(EmulatorChecks, MissingBarrier) {
  std::vector<float> out(128, -1);
  EXPECT_EQ(exchange(true, out), "");
  for (int i = 0; i < 128; ++i)
    EXPECT_EQ(out[i], float(i % 64));
  std::string err = exchange(false, out);
  EXPECT_NE(err.find("missing barrier"), std::string::npos) << err;
  EXPECT_NE(err.find("written by wave 0"), std::string::npos) << err;
  EXPECT_NE(err.find("wave 1, lane 0"), std::string::npos) << err;
}

TEST(EmulatorChecks, BarrierDivergence) {
  // Wave 1 returns early; wave 0 waits at the barrier.
  std::string err = run(kernel(R"(
      %w = arith.divui %tid, %c64 : index
      %first = arith.cmpi eq, %w, %c0 : index
      cf.cond_br %first, ^wait, ^done
    ^wait:
      gpu.barrier
      cf.br ^done
    ^done:)"),
                        {1, 1, 1}, {128, 1, 1}, {}, {});
  EXPECT_NE(err.find("barrier divergence"), std::string::npos) << err;
  // Part of one wave at a barrier.
  err = run(kernel(R"(
      %odd = arith.remui %tid, %c64 : index
      %lo = arith.cmpi ult, %odd, %c1 : index
      cf.cond_br %lo, ^wait, ^done
    ^wait:
      gpu.barrier
      cf.br ^done
    ^done:)"),
            {1, 1, 1}, {64, 1, 1}, {}, {});
  EXPECT_NE(err.find("part of the wave"), std::string::npos) << err;
}

TEST(EmulatorChecks, UndefinedValue) {
  std::vector<float> out(64);
  std::string err = run(kernel(R"(
      %p = ub.poison : f32
      %one = arith.constant 1.0 : f32
      %s = arith.addf %p, %one : f32
      memref.store %s, %out[%tid] : memref<64xf32>)",
                               "%out: memref<64xf32>"),
                        {1, 1, 1}, {64, 1, 1},
                        {MemRefArg{out.data(), out.data(), 0, {64}, {1}}},
                        {{out.data(), 256}});
  EXPECT_NE(err.find("undefined value"), std::string::npos) << err;
  EXPECT_NE(err.find("'arith.addf'"), std::string::npos) << err;
}

/// Divergent control flow reconverges: lanes take different paths through
/// a loop with a lane-dependent trip count and meet again.
TEST(EmulatorExec, DivergentLoopReconverges) {
  std::vector<int32_t> out(64, -1);
  std::string err = run(kernel(R"(
      %z = arith.constant 0 : i32
      %one = arith.constant 1 : i32
      cf.br ^head(%c0, %z : index, i32)
    ^head(%i: index, %acc: i32):
      %more = arith.cmpi ult, %i, %tid : index
      cf.cond_br %more, ^body, ^exit
    ^body:
      %i2 = arith.addi %i, %c1 : index
      %a2 = arith.addi %acc, %one : i32
      cf.br ^head(%i2, %a2 : index, i32)
    ^exit:
      gpu.barrier
      memref.store %acc, %out[%tid] : memref<64xi32>)",
                               "%out: memref<64xi32>"),
                        {1, 1, 1}, {64, 1, 1},
                        {MemRefArg{out.data(), out.data(), 0, {64}, {1}}},
                        {{out.data(), 256}});
  ASSERT_EQ(err, "");
  for (int i = 0; i < 64; ++i)
    EXPECT_EQ(out[i], i);
}

/// Raw buffer semantics: offsets at or past num_records read 0 and drop
/// stores; in-range offsets outside every buffer are errors.
TEST(EmulatorExec, BufferRangeCheck) {
  std::vector<int32_t> in(64), out(64, -1);
  for (int i = 0; i < 64; ++i)
    in[i] = 100 + i;
  auto src = [](int64_t records) {
    return kernel(fmt::format(R"(
      %z16 = arith.constant 0 : i16
      %n = arith.constant {} : i64
      %fl = arith.constant 159744 : i32
      %z32 = arith.constant 0 : i32
      %c4 = arith.constant 4 : index
      %pi = memref.extract_aligned_pointer_as_index %in : memref<64xi32> -> index
      %pi64 = arith.index_castui %pi : index to i64
      %p = llvm.inttoptr %pi64 : i64 to !llvm.ptr<1>
      %r = rocdl.make.buffer.rsrc %p, %z16, %n, %fl : <1> to <8>
      %po = memref.extract_aligned_pointer_as_index %out : memref<64xi32> -> index
      %po64 = arith.index_castui %po : index to i64
      %q = llvm.inttoptr %po64 : i64 to !llvm.ptr<1>
      %w = rocdl.make.buffer.rsrc %q, %z16, %n, %fl : <1> to <8>
      %b = arith.muli %tid, %c4 : index
      %off = arith.index_cast %b : index to i32
      %v = rocdl.raw.ptr.buffer.load %r, %off, %z32, %z32 : i32
      rocdl.raw.ptr.buffer.store %v, %w, %off, %z32, %z32 : i32)",
                              records),
                  "%in: memref<64xi32>, %out: memref<64xi32>");
  };
  auto args = [&] {
    return std::vector<MemRefArg>{
        MemRefArg{in.data(), in.data(), 0, {64}, {1}},
        MemRefArg{out.data(), out.data(), 0, {64}, {1}}};
  };
  std::vector<Allocation> allocs = {{in.data(), 256}, {out.data(), 256}};
  // num_records = 100 bytes: lanes 0..24 in range (offset + 4 <= 100).
  ASSERT_EQ(run(src(100), {1, 1, 1}, {64, 1, 1}, args(), allocs), "");
  for (int i = 0; i < 64; ++i)
    EXPECT_EQ(out[i], i < 25 ? 100 + i : -1) << i;
  // num_records past the buffer: the in-range access outside it is caught.
  std::string err = run(src(1 << 20), {1, 1, 1}, {65, 1, 1}, args(), allocs);
  EXPECT_NE(err.find("outside every buffer"), std::string::npos) << err;
}

} // namespace
