//===- MfmaCore.cpp - the tile product on CDNA matrix cores ---------------===//
//
// Waves tile the workgroup tile as a wm x wn grid; each wave owns
// repM x repN MFMA output tiles of nonkdim x nonkdim. Per K step of
// instrK * kpack, lane l reads perLane * kpack contiguous K elements of row
// (l % nonkdim) of A and of B^T from LDS (one ds_read_b64 at kpack 1 for
// 16-bit types, one ds_read_b128 at kpack 2) and issues kpack MFMAs.
// Since A and B see the same K permutation, the dot product is unchanged.
// The reads go through the LDS swizzle (LdsLayout.h) one 16-byte chunk at a
// time; only gfx950's 32-byte f8f6f4 fragments take two.
//
// Accumulator layout (CDNA ISA guide, "dependent MFMA layouts"):
//   16x16: lane l, register r -> row 4 (l / 16) + r, column l % 16
//   32x32: lane l, register r -> row 8 (r / 4) + 4 (l / 32) + r % 4, col l % 32
//
//===----------------------------------------------------------------------===//

#include "moec/Conversion/MatrixCores.h"
#include "moec/Transforms/MatrixCore.h"
#include "moec/Dialect/TargetChecks.h"
#include "moec/Transforms/LdsLayout.h"

#include "mlir/Dialect/AMDGPU/IR/AMDGPUDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/ROCDLDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace moec;

namespace {

/// Picks a wm x wn arrangement of waves over tilesM x tilesN MFMA tiles,
/// as square in per-wave work as divisibility allows.
std::pair<int64_t, int64_t> arrangeWaves(int64_t waves, int64_t tilesM,
                                         int64_t tilesN) {
  std::pair<int64_t, int64_t> best = {0, 0};
  double bestScore = 1e30;
  for (int64_t wm = 1; wm <= waves; wm *= 2) {
    int64_t wn = waves / wm;
    if (tilesM % wm || tilesN % wn)
      continue;
    double score = std::abs(std::log2(double(tilesM / wm)) -
                            std::log2(double(tilesN / wn)));
    if (score < bestScore) {
      bestScore = score;
      best = {wm, wn};
    }
  }
  return best;
}

class MfmaCore final : public MatrixCore {
public:
  explicit MfmaCore(const GemmKernelSpec &spec) : spec(spec) {
    nk = spec.plan.nonKDim;
    kpack = spec.plan.kpack;
    // The largest K this family offers that the tile still divides.
    instrK = spec.plan.instrK;
    // MXFP4 on gfx950: v_mfma_scale_f32_16x16x128 / 32x32x64_f8f6f4.
    if (spec.mxfp4Native)
      instrK = nk == 16 ? 128 : 64;
    int64_t laneGroups = 64 / nk;
    perLane = instrK / laneGroups;
    accLen = nk * nk / 64;
    std::tie(wm, wn) =
        arrangeWaves(spec.cfg().num_warps, spec.cfg().block_m / nk, spec.cfg().block_n / nk);
    repM = spec.cfg().block_m / nk / wm;
    repN = spec.cfg().block_n / nk / wn;
  }

  bool valid() const { return instrK > 0 && wm > 0; }
  int64_t lanes() const override { return spec.plan.lanes; }

  void decorateKernel(OpBuilder &b, gpu::GPUFuncOp func) override {
    // Exactly `lanes` lanes launch. Without this the ROCDL translation
    // declares "1,256": the backend then budgets registers for at most 256
    // lanes (wrong for 8 or 16 waves), and the metadata's
    // max_flat_workgroup_size ignores num_warps.
    func->setAttr(
        ROCDL::ROCDLDialect::FlatWorkGroupSizeAttrHelper::getNameStr(),
        b.getStringAttr(llvm::formatv("{0},{0}", spec.plan.lanes).str()));
    if (spec.cfg().waves_per_eu > 0)
      func->setAttr(ROCDL::ROCDLDialect::WavesPerEuAttrHelper::getNameStr(),
                    b.getI32IntegerAttr(spec.cfg().waves_per_eu));
  }

  SmallVector<Value> initAccumulators(OpBuilder &b, Location loc) override {
    auto t = VectorType::get({accLen}, b.getF32Type());
    Value zero = arith::ConstantOp::create(b, loc, t, b.getZeroAttr(t));
    return SmallVector<Value>(repM * repN, zero);
  }

  SmallVector<Value> multiply(OpBuilder &b, Location loc, Value ldsA,
                              Value ldsB, Value buf, Value tid,
                              ValueRange accIn) override {
    if (spec.mxfp4Native)
      return multiplyMx(b, loc, ldsA, ldsB, buf, tid, accIn);
    SmallVector<Value> acc(accIn);
    auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
    auto add = [&](Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); };
    auto mul = [&](Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); };
    auto [lane, waveM, waveN] = wavePosition(b, loc, tid);
    Value laneRow = arith::RemUIOp::create(b, loc, lane, c(nk));
    Value laneGrp = arith::DivUIOp::create(b, loc, lane, c(nk));
    Value rowBaseA = add(mul(waveM, c(spec.cfg().block_m / wm)), laneRow);
    Value rowBaseB = add(mul(waveN, c(spec.cfg().block_n / wn)), laneRow);
    int64_t fragLen = perLane * kpack;
    int64_t kStep = instrK * kpack;
    Value laneK = mul(laneGrp, c(fragLen));

    auto loadFrags = [&](Value lds, Type elt, Value rowBase, int64_t reps,
                         bool kxn = false) {
      auto t = VectorType::get({fragLen}, elt);
      // The fragment starts fragLen-aligned: pieces of up to one chunk each
      // stay inside their chunk.
      LdsSwizzle swz = LdsSwizzle::get(lds);
      int64_t piece = swz.isIdentity()
                          ? fragLen
                          : std::min<int64_t>(fragLen, swz.chunkElems);
      auto pieceType = VectorType::get({piece}, elt);
      int64_t align = std::min<int64_t>(piece * elementBytes(elt), 16);
      return [=, &b](Value kOff) {
        SmallVector<SmallVector<Value>> out;
        for (int64_t i = 0; i < reps; ++i) {
          Value row = add(rowBase, c(i * nk));
          Value k = add(kOff, laneK);
          auto load = [&](int64_t at) {
            return vector::LoadOp::create(
                b, loc, pieceType, lds,
                ValueRange{buf, row, swz.col(b, loc, row, add(k, c(at)))},
                false, llvm::MaybeAlign(align));
          };
          Value whole;
          if (kxn) {
            // B as [k][n] (GemmKernelSpec::ldsBIsKxN): the lane's K run is
            // a column, read element by element.
            SmallVector<Value> elems;
            for (int64_t e = 0; e < fragLen; ++e) {
              Value ke = add(k, c(e));
              elems.push_back(memref::LoadOp::create(
                  b, loc, lds, ValueRange{buf, ke, swz.col(b, loc, ke, row)}));
            }
            whole = vector::FromElementsOp::create(b, loc, t, elems);
          } else if (piece == fragLen) {
            whole = load(0);
          } else {
            whole = arith::ConstantOp::create(b, loc, t, b.getZeroAttr(t));
            for (int64_t at = 0; at < fragLen; at += piece)
              whole = vector::InsertStridedSliceOp::create(b, loc, load(at),
                                                           whole, {at}, {1});
          }
          SmallVector<Value> parts;
          for (int64_t p = 0; p < kpack; ++p)
            parts.push_back(kpack == 1 ? whole
                                       : vector::ExtractStridedSliceOp::create(
                                             b, loc, whole, {p * perLane},
                                             {perLane}, {1})
                                             .getResult());
          out.push_back(parts);
        }
        return out;
      };
    };
    auto fragsA = loadFrags(ldsA, spec.aType, rowBaseA, repM);
    auto fragsB = loadFrags(ldsB, spec.bType, rowBaseB, repN, spec.ldsBIsKxN);
    for (int64_t ks = 0; ks < spec.cfg().block_k / kStep; ++ks) {
      Value kOff = c(ks * kStep);
      auto a = fragsA(kOff);
      auto bf = fragsB(kOff);
      for (int64_t i = 0; i < repM; ++i)
        for (int64_t j = 0; j < repN; ++j)
          for (int64_t p = 0; p < kpack; ++p) {
            Value &d = acc[i * repN + j];
            d = amdgpu::MFMAOp::create(b, loc, d.getType(), nk, nk, instrK,
                                       /*blocks=*/1, a[i][p], bf[j][p], d);
          }
    }
    return acc;
  }

  /// e4m3 codes of x x 2^-s (x a vector of f32, s an i32 exponent chosen
  /// so that |x| x 2^-s < 256), rounded to nearest even, and the values
  /// they stand for (x rounded, in x's units).
  std::pair<Value, Value> quantE4M3(OpBuilder &b, Location loc, Value x,
                                    Value s) {
    auto vt = cast<VectorType>(x.getType());
    Type i32 = b.getI32Type(), f32 = b.getF32Type();
    auto vi = VectorType::get(vt.getShape(), i32);
    auto ci = [&](int64_t v) -> Value {
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(vi, b.getI32IntegerAttr(v)));
    };
    auto cf = [&](double v) -> Value {
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(vt, b.getF32FloatAttr(v)));
    };
    auto pow2 = [&](Value e) -> Value { // 2^e, e in [-126, 127]
      Value bits = arith::ShLIOp::create(
          b, loc,
          arith::AddIOp::create(b, loc, e,
                                arith::ConstantIntOp::create(b, loc, i32, 127)),
          arith::ConstantIntOp::create(b, loc, i32, 23));
      return vector::BroadcastOp::create(
          b, loc, vt, arith::BitcastOp::create(b, loc, f32, bits));
    };
    Value negS = arith::SubIOp::create(
        b, loc, arith::ConstantIntOp::create(b, loc, i32, 0), s);
    Value y = arith::MulFOp::create(b, loc, x, pow2(negS));
    Value ay = math::AbsFOp::create(b, loc, y);
    // Normal e4m3 (|y| >= 2^-6): round the f32 mantissa to 3 bits (ties to
    // even), rebias the exponent (127 -> 7: minus 120 << 3).
    Value bits = arith::BitcastOp::create(b, loc, vi, ay);
    Value lsb = arith::AndIOp::create(
        b, loc, arith::ShRUIOp::create(b, loc, bits, ci(20)), ci(1));
    Value r = arith::AddIOp::create(
        b, loc, bits, arith::AddIOp::create(b, loc, lsb, ci(0x7FFFF)));
    Value codeN = arith::SubIOp::create(
        b, loc, arith::ShRUIOp::create(b, loc, r, ci(20)), ci(960));
    Value valN = arith::BitcastOp::create(
        b, loc, vt, arith::AndIOp::create(b, loc, r, ci(int32_t(0xFFF00000))));
    // Subnormal (|y| < 2^-6): multiples of 2^-9.
    Value q = math::RoundEvenOp::create(
        b, loc, arith::MulFOp::create(b, loc, ay, cf(512.0)));
    Value codeS = arith::FPToSIOp::create(b, loc, vi, q);
    Value valS = arith::MulFOp::create(b, loc, q, cf(1.0 / 512));
    Value sub = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, ay,
                                      cf(1.0 / 64));
    Value code = arith::SelectOp::create(b, loc, sub, codeS, codeN);
    Value val = arith::SelectOp::create(b, loc, sub, valS, valN);
    Value sign = arith::AndIOp::create(
        b, loc,
        arith::ShRUIOp::create(b, loc, arith::BitcastOp::create(b, loc, vi, y),
                               ci(24)),
        ci(0x80));
    Value bytes = arith::TruncIOp::create(
        b, loc, VectorType::get(vt.getShape(), b.getI8Type()),
        arith::OrIOp::create(b, loc, code, sign));
    Value value = arith::MulFOp::create(
        b, loc, math::CopySignOp::create(b, loc, val, y), pow2(s));
    return {bytes, value};
  }

  /// The MXFP8 exponent of a block whose largest magnitude is `amax` (f32):
  /// floor(log2(amax)) - 7, so the block's values scale below 256; clamped
  /// to [-126, 120].
  Value blockExponent(OpBuilder &b, Location loc, Value amax) {
    Type i32 = b.getI32Type();
    auto ci = [&](int64_t v) { return arith::ConstantIntOp::create(b, loc, i32, v); };
    Value e = arith::SubIOp::create(
        b, loc,
        arith::AndIOp::create(
            b, loc,
            arith::ShRUIOp::create(
                b, loc, arith::BitcastOp::create(b, loc, i32, amax), ci(23)),
            ci(255)),
        ci(127 + 7));
    return arith::MaxSIOp::create(b, loc, e, ci(-126));
  }

  /// MXFP4 on gfx950 (GemmKernelSpec::mxfp4Native): per K step of instrK
  /// (128 at nonkdim 16, 64 at 32), lane l = i + nk g holds, as the
  /// hardware's 8-bit layout has it, K [16g, 16g + 16) and
  /// [16 (64 / nk) + 16g, ...) of row i of A and of B^T. B is e4m3 in LDS
  /// already. A is bf16 in LDS: each half's 32-element block is read whole,
  /// its hi exponent taken from its largest magnitude, its values rounded
  /// to e4m3 (hi), the remainders' exponent and e4m3 codes taken the same
  /// way (lo); the lane's 16 values become its hi and lo operands. Lane l
  /// supplies the scales of K block g of row i: A's hi/lo exponents of that
  /// block (computed the same way, so every lane agrees) and W's e8m0 byte
  /// (mxScaleB). Two scaled MFMAs per tile: hi x B + lo x B.
  SmallVector<Value> multiplyMx(OpBuilder &b, Location loc, Value ldsA,
                                Value ldsB, Value buf, Value tid,
                                ValueRange accIn) {
    SmallVector<Value> acc(accIn);
    auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
    auto add = [&](Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); };
    auto mul = [&](Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); };
    Type i32 = b.getI32Type(), f32 = b.getF32Type(), i8 = b.getI8Type();
    Type f8 = Float8E4M3FNType::get(b.getContext());
    Type e8m0 = Float8E8M0FNUType::get(b.getContext());
    auto [lane, waveM, waveN] = wavePosition(b, loc, tid);
    Value laneRow = arith::RemUIOp::create(b, loc, lane, c(nk));
    Value laneGrp = arith::DivUIOp::create(b, loc, lane, c(nk));
    Value rowBaseA = add(mul(waveM, c(spec.cfg().block_m / wm)), laneRow);
    Value rowBaseB = add(mul(waveN, c(spec.cfg().block_n / wn)), laneRow);
    int64_t halfSpan = 16 * (64 / nk);
    LdsSwizzle swzA = LdsSwizzle::get(ldsA), swzB = LdsSwizzle::get(ldsB);
    // n contiguous elements at (row, k) of an LDS tile, a chunk at a time.
    auto readLds = [&](Value lds, const LdsSwizzle &swz, Type elt, Value row,
                       Value k, int64_t n) {
      int64_t piece = std::min<int64_t>(n, swz.chunkElems);
      auto t = VectorType::get({n}, elt);
      Value whole = arith::ConstantOp::create(b, loc, t, b.getZeroAttr(t));
      for (int64_t at = 0; at < n; at += piece)
        whole = vector::InsertStridedSliceOp::create(
            b, loc,
            vector::LoadOp::create(
                b, loc, VectorType::get({piece}, elt), lds,
                ValueRange{buf, row, swz.col(b, loc, row, add(k, c(at)))},
                false, llvm::MaybeAlign(piece * elementBytes(elt))),
            whole, {at}, {1});
      return whole;
    };
    auto toF32 = [&](Value v) {
      auto vt = cast<VectorType>(v.getType());
      return arith::ExtFOp::create(b, loc, VectorType::get(vt.getShape(), f32),
                                   v)
          .getResult();
    };
    auto amax = [&](Value v) -> Value {
      return vector::ReductionOp::create(b, loc, vector::CombiningKind::MAXNUMF,
                                         math::AbsFOp::create(b, loc, v));
    };
    // The hi and lo exponents of the 32-element block of A at (row, k).
    auto blockScales = [&](Value row, Value k) -> std::pair<Value, Value> {
      Value x = toF32(readLds(ldsA, swzA, spec.aType, row, k, 32));
      Value sHi = blockExponent(b, loc, amax(x));
      Value hi = quantE4M3(b, loc, x, sHi).second;
      Value sLo = blockExponent(
          b, loc, amax(arith::SubFOp::create(b, loc, x, hi)));
      return {sHi, sLo};
    };
    auto scaleByte = [&](Value s) -> Value {
      Value byte = arith::TruncIOp::create(
          b, loc, i8,
          arith::AddIOp::create(b, loc, s,
                                arith::ConstantIntOp::create(b, loc, i32, 127)));
      return arith::BitcastOp::create(b, loc, e8m0, byte);
    };
    auto as32 = [&](Value bytes0, Value bytes1) {
      auto t = VectorType::get({32}, i8);
      Value v = arith::ConstantOp::create(b, loc, t, b.getZeroAttr(t));
      v = vector::InsertStridedSliceOp::create(b, loc, bytes0, v, {0}, {1});
      v = vector::InsertStridedSliceOp::create(b, loc, bytes1, v, {16}, {1});
      return arith::BitcastOp::create(b, loc, VectorType::get({32}, f8), v)
          .getResult();
    };
    Value g16 = mul(laneGrp, c(16)), g32 = mul(laneGrp, c(32));
    for (int64_t ks = 0; ks < spec.cfg().block_k / instrK; ++ks) {
      Value kOff = c(ks * instrK);
      // The K of each half of this lane, and the start of its 32-block.
      Value kHalf[2], kBlock[2];
      for (int h = 0; h < 2; ++h) {
        kHalf[h] = add(kOff, add(c(h * halfSpan), g16));
        Value within = add(c(h * halfSpan), g16);
        kBlock[h] = add(kOff, mul(arith::DivUIOp::create(b, loc, within, c(32)),
                                  c(32)));
      }
      Value kDuty = add(kOff, g32);
      SmallVector<Value> bFrag, bScale;
      for (int64_t j = 0; j < repN; ++j) {
        Value row = add(rowBaseB, c(j * nk));
        Value h0 = readLds(ldsB, swzB, spec.bType, row, kHalf[0], 16);
        Value h1 = readLds(ldsB, swzB, spec.bType, row, kHalf[1], 16);
        auto t = VectorType::get({32}, spec.bType);
        Value v = arith::ConstantOp::create(b, loc, t, b.getZeroAttr(t));
        v = vector::InsertStridedSliceOp::create(b, loc, h0, v, {0}, {1});
        v = vector::InsertStridedSliceOp::create(b, loc, h1, v, {16}, {1});
        bFrag.push_back(v);
        bScale.push_back(mxScaleB(b, loc, row, kDuty));
      }
      for (int64_t i = 0; i < repM; ++i) {
        Value row = add(rowBaseA, c(i * nk));
        Value hiBytes[2], loBytes[2];
        for (int h = 0; h < 2; ++h) {
          auto [sHi, sLo] = blockScales(row, kBlock[h]);
          Value x = toF32(readLds(ldsA, swzA, spec.aType, row, kHalf[h], 16));
          auto [hb, hv] = quantE4M3(b, loc, x, sHi);
          hiBytes[h] = hb;
          loBytes[h] =
              quantE4M3(b, loc, arith::SubFOp::create(b, loc, x, hv), sLo)
                  .first;
        }
        auto [dHi, dLo] = blockScales(row, kDuty);
        Value aHi = as32(hiBytes[0], hiBytes[1]);
        Value aLo = as32(loBytes[0], loBytes[1]);
        Value sAHi = scaleByte(dHi), sALo = scaleByte(dLo);
        for (int64_t j = 0; j < repN; ++j) {
          Value &d = acc[i * repN + j];
          d = amdgpu::ScaledMFMAOp::create(b, loc, d.getType(), nk, nk, instrK,
                                           aHi, bFrag[j], d, sAHi, bScale[j],
                                           0, 0);
          d = amdgpu::ScaledMFMAOp::create(b, loc, d.getType(), nk, nk, instrK,
                                           aLo, bFrag[j], d, sALo, bScale[j],
                                           0, 0);
        }
      }
    }
    return acc;
  }

  SmallVector<Value> visitElements(OpBuilder &b, Location loc, Value tid,
                                   ValueRange accIn, VisitFn fn) override {
    SmallVector<Value> acc(accIn);
    auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
    auto add = [&](Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); };
    auto mul = [&](Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); };
    auto [lane, waveM, waveN] = wavePosition(b, loc, tid);
    Value col0 = add(mul(waveN, c(spec.cfg().block_n / wn)),
                     arith::RemUIOp::create(b, loc, lane, c(nk)));
    Value row0 = mul(waveM, c(spec.cfg().block_m / wm));
    // Row offset of register r within an MFMA tile, for this lane.
    Value grp = arith::DivUIOp::create(b, loc, lane, c(nk));
    Value grpRows = mul(grp, c(4));
    for (int64_t i = 0; i < repM; ++i)
      for (int64_t j = 0; j < repN; ++j)
        for (int64_t r = 0; r < accLen; ++r) {
          int64_t fixed = nk == 16 ? r : (r / 4) * 8 + r % 4;
          Value row = add(add(row0, c(i * nk + fixed)), grpRows);
          Value col = add(col0, c(j * nk));
          Value &tile = acc[i * repN + j];
          Value v = vector::ExtractOp::create(b, loc, tile, r);
          Value old = v;
          fn(b, loc, row, col, v);
          if (v != old)
            tile = vector::InsertOp::create(b, loc, v, tile, r);
        }
    return acc;
  }

  // Global access through buffer instructions (Triton's AMD idiom): a
  // buffer resource whose base is the window's first element, a 32-bit
  // per-lane byte offset, and out-of-range offsets for invalid accesses,
  // which the hardware's range check turns into zeros (loads) or drops
  // (stores). No branch, no exec-mask juggling, and the resource (base and
  // size) lives in SGPRs.
  Value globalWindow(OpBuilder &b, Location loc, Value memref, Value row,
                     Value col) override {
    Value elems = windowStart(b, loc, memref, row, col).second;
    Type elt = cast<MemRefType>(memref.getType()).getElementType();
    Value bytes = arith::MulIOp::create(
        b, loc, elems,
        arith::ConstantIndexOp::create(b, loc, elementBytes(elt)));
    Value base = arith::AddIOp::create(
        b, loc,
        memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref), bytes);
    Type i64 = b.getI64Type();
    Value ptr = LLVM::IntToPtrOp::create(
        b, loc, LLVM::LLVMPointerType::get(b.getContext(), 1),
        arith::IndexCastUIOp::create(b, loc, i64, base), nullptr);
    auto cst = [&](Type t, int64_t v) -> Value {
      return arith::ConstantOp::create(b, loc, t, b.getIntegerAttr(t, v));
    };
    // Raw buffer (stride 0), every byte below kBufferRecords in range; the
    // word-3 flags are the gfx9 family's (CDNA 1-4): 32-bit data format,
    // components in order.
    return ROCDL::MakeBufferRsrcOp::create(
        b, loc, LLVM::LLVMPointerType::get(b.getContext(), 8), ptr,
        cst(b.getI16Type(), 0), cst(i64, kBufferRecords),
        cst(b.getI32Type(), kGfx9BufferFlags));
  }

  Value loadGlobal(OpBuilder &b, Location loc, Value window, Type type,
                   Value offset, Value valid) override {
    Type raw = rawType(b, type);
    Value v = ROCDL::RawPtrBufferLoadOp::create(
        b, loc, raw, window, byteOffset(b, loc, type, offset, valid),
        i32(b, loc, 0), i32(b, loc, 0), nullptr, nullptr, nullptr);
    return fromRaw(b, loc, v, type);
  }

  void storeGlobal(OpBuilder &b, Location loc, Value window, Value value,
                   Value offset, Value valid) override {
    Type type = value.getType();
    ROCDL::RawPtrBufferStoreOp::create(
        b, loc, toRaw(b, loc, value), window, byteOffset(b, loc, type, offset, valid),
        i32(b, loc, 0), i32(b, loc, 0), nullptr, nullptr, nullptr);
  }

  // Atomic adds (moe_gemm's reduce): f32 one element at a time, f16/bf16
  // as packed pairs (a lone element pairs with a zero in its dword's other
  // half). Buffer atomics where the chip has them, whose range check drops
  // invalid ones as stores are dropped; bf16 pairs without the buffer form
  // (gfx90a, gfx942) take the global atomic through the window's base
  // pointer (global_atomic_pk_add_bf16 on gfx942; a compare-and-swap loop
  // on gfx90a, which has no bf16 atomic add).
  void atomicAddGlobal(OpBuilder &b, Location loc, Value window, Value value,
                       Value offset, Value valid) override {
    auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
    auto vt = dyn_cast<VectorType>(value.getType());
    Type elt = vt ? vt.getElementType() : value.getType();
    int64_t n = vt ? vt.getNumElements() : 1;
    auto element = [&](int64_t e) -> Value {
      return vt ? vector::ExtractOp::create(b, loc, value, e).getResult()
                : value;
    };
    auto at = [&](int64_t e) -> Value {
      return e ? arith::AddIOp::create(b, loc, offset, c(e)).getResult()
               : offset;
    };
    if (elt.isF32()) {
      for (int64_t e = 0; e < n; ++e)
        bufferAtomicAdd(b, loc, window, element(e), at(e), valid);
      return;
    }
    auto pairType = VectorType::get({2}, elt);
    if (n % 2 == 0) {
      // Whole vectors start at even offsets (the lds epilogue's row vectors
      // with an even leading dimension).
      for (int64_t e = 0; e < n; e += 2)
        pairAtomicAdd(b, loc, window,
                      vector::ExtractStridedSliceOp::create(b, loc, value, {e},
                                                            {2}, {1}),
                      at(e), valid);
      return;
    }
    for (int64_t e = 0; e < n; ++e) {
      Value x = element(e), off = at(e);
      Value odd = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::ne,
          arith::RemUIOp::create(b, loc, off, c(2)), c(0));
      Value zero = arith::ConstantOp::create(b, loc, elt, b.getZeroAttr(elt));
      Value lo = arith::SelectOp::create(b, loc, odd, zero, x);
      Value hi = arith::SelectOp::create(b, loc, odd, x, zero);
      Value pair =
          vector::FromElementsOp::create(b, loc, pairType, ValueRange{lo, hi});
      Value even = arith::SubIOp::create(
          b, loc, off, arith::SelectOp::create(b, loc, odd, c(1), c(0)));
      pairAtomicAdd(b, loc, window, pair, even, valid);
    }
  }

private:
  void bufferAtomicAdd(OpBuilder &b, Location loc, Value window, Value value,
                       Value offset, Value valid) {
    ROCDL::RawPtrBufferAtomicFaddOp::create(
        b, loc, value, window, byteOffset(b, loc, value.getType(), offset, valid),
        i32(b, loc, 0), i32(b, loc, 0), nullptr, nullptr, nullptr);
  }

  /// Adds a pair of 16-bit floats at the even element `offset`.
  void pairAtomicAdd(OpBuilder &b, Location loc, Value window, Value pair,
                     Value offset, Value valid) {
    Type elt = cast<VectorType>(pair.getType()).getElementType();
    // LLVM's FeatureAtomicBufferPkAddBF16Inst: gfx950 (of the chips here).
    if (!elt.isBF16() || spec.plan.target->chip == "gfx950")
      return bufferAtomicAdd(b, loc, window, pair, offset, valid);
    auto rsrc = window.getDefiningOp<ROCDL::MakeBufferRsrcOp>();
    Value base = LLVM::PtrToIntOp::create(b, loc, b.getI64Type(), rsrc.getBase());
    auto ifOp = scf::IfOp::create(b, loc, valid, /*withElse=*/false);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    Value bytes = arith::MulIOp::create(
        b, loc, offset, arith::ConstantIndexOp::create(b, loc, 2));
    Value addr = arith::AddIOp::create(
        b, loc, base, arith::IndexCastOp::create(b, loc, b.getI64Type(), bytes));
    Value ptr = LLVM::IntToPtrOp::create(
        b, loc, LLVM::LLVMPointerType::get(b.getContext(), 1), addr, nullptr);
    auto rmw = LLVM::AtomicRMWOp::create(b, loc, LLVM::AtomicBinOp::fadd, ptr,
                                         pair, LLVM::AtomicOrdering::monotonic,
                                         /*syncscope=*/"agent", /*alignment=*/4);
    // Output buffers are ordinary device memory (hipMalloc): the hardware
    // atomic is exact there.
    rmw->setAttr(ROCDL::ROCDLDialect::NoFineGrainedMemoryAttrHelper::getNameStr(),
                 b.getUnitAttr());
  }

  /// num_records of every window: offsets below 2^31 are in range, and the
  /// offset of an invalid access, kOutOfRange, is not.
  static constexpr int64_t kBufferRecords = 0x7fffffff;
  static constexpr int64_t kOutOfRange = 0x80000000;
  static constexpr int64_t kGfx9BufferFlags = 0x27000;

  static Value i32(OpBuilder &b, Location loc, int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getI32Type(),
                                     b.getI32IntegerAttr(v));
  }
  /// The integer type a buffer access of `type` moves: i8/i16/i32 or
  /// vector<n x i32> of the same size.
  static Type rawType(OpBuilder &b, Type type) {
    int64_t bits = 8 * accessBytes(type);
    if (bits <= 32)
      return b.getIntegerType(bits);
    return VectorType::get({bits / 32}, b.getI32Type());
  }
  static Value toRaw(OpBuilder &b, Location loc, Value v) {
    Type raw = rawType(b, v.getType());
    auto vt = dyn_cast<VectorType>(v.getType());
    if (!vt)
      return arith::BitcastOp::create(b, loc, raw, v);
    if (isa<VectorType>(raw))
      return vector::BitCastOp::create(b, loc, cast<VectorType>(raw), v);
    Value one = vector::BitCastOp::create(
        b, loc, VectorType::get({1}, raw), v); // e.g. vector<2xbf16> -> i32
    return vector::ExtractOp::create(b, loc, one, 0);
  }
  static Value fromRaw(OpBuilder &b, Location loc, Value v, Type type) {
    if (auto vt = dyn_cast<VectorType>(type)) {
      if (!isa<VectorType>(v.getType())) // e.g. vector<2xbf16> from an i32
        v = vector::BroadcastOp::create(
            b, loc, VectorType::get({1}, v.getType()), v);
      return vector::BitCastOp::create(b, loc, vt, v);
    }
    return arith::BitcastOp::create(b, loc, type, v);
  }
  /// Byte offset `offset` x element size as an i32, or kOutOfRange.
  static Value byteOffset(OpBuilder &b, Location loc, Type type, Value offset,
                          Value valid) {
    Type elt = isa<VectorType>(type) ? cast<VectorType>(type).getElementType()
                                     : type;
    Value bytes = arith::MulIOp::create(
        b, loc, offset, arith::ConstantIndexOp::create(b, loc, elementBytes(elt)));
    Value off = arith::IndexCastOp::create(b, loc, b.getI32Type(), bytes);
    return arith::SelectOp::create(
        b, loc, valid, off,
        arith::ConstantOp::create(
            b, loc, b.getI32Type(),
            b.getI32IntegerAttr(static_cast<int32_t>(kOutOfRange))));
  }

  /// This lane's id within its wave and its wave's (row, column) in the
  /// wm x wn wave grid; multiply and forEachElement must agree on it.
  std::tuple<Value, Value, Value> wavePosition(OpBuilder &b, Location loc,
                                               Value tid) const {
    auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
    Value wave = arith::DivUIOp::create(b, loc, tid, c(64));
    Value lane = arith::RemUIOp::create(b, loc, tid, c(64));
    Value waveM = arith::DivUIOp::create(b, loc, wave, c(wn));
    Value waveN = arith::RemUIOp::create(b, loc, wave, c(wn));
    return {lane, waveM, waveN};
  }

  const GemmKernelSpec &spec;
  int64_t nk = 16, kpack = 1, instrK = 0, perLane = 0, accLen = 0;
  int64_t wm = 0, wn = 0, repM = 0, repN = 0;
};

} // namespace

void moec::registerAMDGPUMatrixCore() {
  MatrixCoreFactory f;
  f.create = [](const GemmKernelSpec &spec,
                Location) -> FailureOr<std::unique_ptr<MatrixCore>> {
    auto core = std::make_unique<MfmaCore>(spec);
    if (!core->valid())
      return std::unique_ptr<MatrixCore>();
    return std::unique_ptr<MatrixCore>(std::move(core));
  };
  f.dependentDialects = [](DialectRegistry &registry) {
    registry.insert<amdgpu::AMDGPUDialect, ROCDL::ROCDLDialect,
                    math::MathDialect>();
  };
  f.gpuModuleTarget = [](MLIRContext *ctx, const TargetInfo &t) -> Attribute {
    // Code object v5 ("500"), what ROCm 6 expects (lib/Target).
    return ROCDL::ROCDLTargetAttr::get(ctx, /*optLevel=*/3, t.triple, t.chip,
                                       /*features=*/"", /*abiVersion=*/"500");
  };
  registerMatrixCore(TargetKind::AMDGPU, std::move(f));
}
