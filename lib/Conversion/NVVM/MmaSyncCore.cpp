//===- MmaSyncCore.cpp - the tile product on NVIDIA tensor cores ----------===//
//
// sm_80 / sm_90, f16 and bf16 inputs, f32 accumulate, through the warp-level
// `mma.sync.aligned.m16n8k16.row.col` (nvgpu.mma.sync, shape [16, 8, 16]).
//
// Warps tile the workgroup tile as a wm x wn grid (warp w at row w / wn,
// column w % wn), each warp owning repM x repN instruction tiles of 16 x 8.
// Per K step of 16, each warp reads its A and B fragments from LDS with
// `ldmatrix` and issues repM x repN mma.sync.
//
// Fragment layouts (PTX ISA, "Matrix Fragments for mma.m16n8k16 with
// floating point type"), g = lane / 4, t = lane % 4:
//   A 16x16 (row): reg 0 = (g, 2t..2t+1), reg 1 = (g+8, 2t..), reg 2 =
//     (g, 2t+8..), reg 3 = (g+8, 2t+8..). Those are four 8x8 b16 matrices
//     [rows 0-7 | 8-15] x [k 0-7 | 8-15] in the order ldmatrix.x4 returns
//     them when lane l points at row l % 16, k 8 (l / 16): ldmatrix gives
//     lane l of matrix i the pair at (l / 4, 2 (l % 4)), exactly reg i.
//   B 16x8 (col): reg 0 = (k 2t..2t+1, n g), reg 1 = (k 2t+8.., n g). LDS
//     keeps B^T as [n][k], so these are two 8x8 matrices with rows = n and
//     k runs inside a row: ldmatrix (non-transposed) with lane l pointing at
//     n = l % 8, k = 8 ((l / 8) % 2). The x4 form loads two neighbouring n8
//     tiles at once (lanes 16-31 point at n + 8).
//   With B as [k][n] in LDS (GemmKernelSpec::ldsBIsKxN), the same two 8x8
//     matrices have rows = k: ldmatrix.trans gives lane l the pair at
//     (k 2 (l % 4).., n l / 4), exactly reg i again. Lane l points at k =
//     l % 8 + 8 ((l / 8) % 2), n + 8 (l / 16) for the x4 pair of n8 tiles.
//   C/D 16x8 f32: reg (r, c) = (row g + 8 r, col 2t + c), r, c in {0, 1}.
//
// fp8 (OCP e4m3 / e5m2, sm_89+): `mma.sync.aligned.m16n8k32.row.col.f32.
// <a>.<b>.f32`, which neither nvgpu.mma.sync nor nvvm.mma.sync (MLIR 22)
// offers dense, so it is inline PTX. Its fragments are the 16-bit ones with
// K doubled: A reg i holds 4 fp8 of (row g [+8], k 4t..4t+3 [+16]) and B
// reg i (k 4t..4t+3 [+16], n g): the same 8 rows x 16 bytes per ldmatrix
// matrix, so ldmatrix loads them unchanged (k offsets of 16 elements, not
// 8), and each 32-bit register is bitcast to i32 for the asm. C/D as above.
// The PTX needs ISA 8.4 (lib/Driver/Compiler.cpp raises the version for a
// module with this asm).
//
// ldmatrix needs each 8-element row (16 bytes) 16-byte aligned: LDS rows are
// block_k x 2 bytes with block_k a multiple of 16 and the k offsets are
// multiples of 8 elements, so every row is one whole swizzle chunk
// (LdsLayout.h). The swizzle puts the eight rows of one 8x8 matrix in eight
// different 16-byte bank groups, so ldmatrix is conflict-free.
//
//===----------------------------------------------------------------------===//

#include "moec/Conversion/MatrixCores.h"
#include "moec/Transforms/MatrixCore.h"
#include "moec/Dialect/TargetChecks.h"
#include "moec/Transforms/LdsLayout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>

using namespace mlir;
using namespace moec;

namespace {

constexpr int64_t kWarp = 32;
constexpr int64_t kInstrM = 16, kInstrN = 8;

/// The PTX name of an OCP fp8 type ("e4m3", "e5m2"), "" for others.
llvm::StringRef ptxFp8(Type t) {
  if (isa<Float8E4M3FNType>(t))
    return "e4m3";
  if (isa<Float8E5M2Type>(t))
    return "e5m2";
  return "";
}

/// Picks a wm x wn grid of warps over the block_m x block_n tile, each warp
/// covering whole 16 x 8 instruction tiles, with the warp tile as square as
/// divisibility allows (fewest fragment loads per mma). Ties go to an even
/// repN, which lets B fragments load two n8 tiles per ldmatrix.x4.
std::pair<int64_t, int64_t> arrangeWarps(int64_t warps, int64_t blockM,
                                         int64_t blockN) {
  int64_t tilesM = blockM / kInstrM, tilesN = blockN / kInstrN;
  std::pair<int64_t, int64_t> best = {0, 0};
  double bestScore = 1e30;
  for (int64_t wm = 1; wm <= warps; wm *= 2) {
    int64_t wn = warps / wm;
    if (wm * wn != warps || tilesM % wm || tilesN % wn)
      continue;
    double score = std::abs(std::log2(double(blockM / wm)) -
                            std::log2(double(blockN / wn)));
    if ((tilesN / wn) % 2)
      score += 0.5;
    if (score < bestScore) {
      bestScore = score;
      best = {wm, wn};
    }
  }
  return best;
}

class MmaSyncCore final : public MatrixCore {
public:
  explicit MmaSyncCore(const GemmKernelSpec &spec)
      : spec(spec), fp8(isFp8(spec.aType)), kInstrK(fp8 ? 32 : 16) {
    std::tie(wm, wn) = arrangeWarps(spec.cfg().num_warps, spec.cfg().block_m, spec.cfg().block_n);
    if (wm) {
      repM = spec.cfg().block_m / wm / kInstrM;
      repN = spec.cfg().block_n / wn / kInstrN;
    }
  }

  bool valid() const {
    auto is16Bit = [](Type t) { return t.isF16() || t.isBF16(); };
    bool types = fp8 ? !ptxFp8(spec.aType).empty() &&
                           !ptxFp8(spec.bType).empty()
                     : is16Bit(spec.aType) && spec.aType == spec.bType;
    return wm > 0 && types && spec.cfg().block_k % kInstrK == 0;
  }

  int64_t lanes() const override { return spec.plan.lanes; }

  SmallVector<Value> initAccumulators(OpBuilder &b, Location loc) override {
    auto t = VectorType::get({2, 2}, b.getF32Type());
    Value zero = arith::ConstantOp::create(b, loc, t, b.getZeroAttr(t));
    return SmallVector<Value>(repM * repN, zero);
  }

  SmallVector<Value> multiply(OpBuilder &b, Location loc, Value ldsA,
                              Value ldsB, Value buf, Value tid,
                              ValueRange accIn) override {
    SmallVector<Value> acc(accIn);
    auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
    auto add = [&](Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); };
    auto mul = [&](Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); };
    auto divU = [&](Value x, int64_t d) {
      return arith::DivUIOp::create(b, loc, x, c(d));
    };
    auto remU = [&](Value x, int64_t d) {
      return arith::RemUIOp::create(b, loc, x, c(d));
    };
    Value warp = divU(tid, kWarp);
    Value lane = remU(tid, kWarp);
    Value rowA0 = mul(divU(warp, wn), c(spec.cfg().block_m / wm));
    Value rowB0 = mul(remU(warp, wn), c(spec.cfg().block_n / wn));

    // Where this lane points ldmatrix (see the file comment): 16-byte
    // halves of the K step, 8 elements of 16 bits or 16 of fp8.
    const int64_t kHalf = kInstrK / 2;
    Value laneRowA = add(rowA0, remU(lane, 16));
    Value laneKA = mul(divU(lane, 16), c(kHalf));
    // x4 over two n8 tiles: matrices (n0-7,k0-7), (n0-7,k8-15),
    // (n8-15,k0-7), (n8-15,k8-15); x2 uses the first two.
    Value laneRowB = add(rowB0, add(remU(lane, 8), mul(divU(lane, 16), c(8))));
    Value laneKB = mul(remU(divU(lane, 8), 2), c(kHalf));
    // x2 reads the addresses of lanes 0-15 only; keep the others in the tile.
    Value laneRowB2 = add(rowB0, remU(lane, 8));

    // B as [k][n]: lane l points at row k (l % 8 + 8 ((l / 8) % 2)) and
    // column n + 8 (l / 16) (x2: lanes 16-31 repeat lanes 0-15).
    const bool kxn = spec.ldsBIsKxN;
    Value laneKT = add(remU(lane, 8), mul(remU(divU(lane, 8), 2), c(8)));
    Value laneNT = add(rowB0, mul(divU(lane, 16), c(8)));

    // Elements per 32-bit register of a fragment.
    const int64_t perReg = fp8 ? 4 : 2;
    auto ldmatrix = [&](Value lds, Value row, Value k, int64_t tiles,
                        bool transpose = false) {
      Type elt = cast<MemRefType>(lds.getType()).getElementType();
      auto t = VectorType::get({tiles, perReg}, elt);
      return nvgpu::LdMatrixOp::create(b, loc, t, lds,
                                       ValueRange{buf, row,
                                                  swizzledLdsCol(b, loc, lds,
                                                                 row, k)},
                                       transpose,
                                       static_cast<uint32_t>(tiles))
          .getResult();
    };

    // fp8: ldmatrix reads i8 views of the same LDS bytes (nvgpu.ldmatrix
    // cannot return fp8 vectors in MLIR 22); where no such view can be
    // made, or B is K x N (ldmatrix.trans moves 16-bit elements only), one
    // 32-bit LDS load per register.
    if (fp8) {
      Value a8 = kxn ? Value() : bytesView(b, loc, ldsA);
      Value b8 = a8 ? bytesView(b, loc, ldsB) : Value();
      if (!b8)
        return multiplyFp8(b, loc, ldsA, ldsB, buf, lane, rowA0, rowB0, acc);
      ldsA = a8;
      ldsB = b8;
    }
    for (int64_t ks = 0; ks < spec.cfg().block_k / kInstrK; ++ks) {
      Value kA = add(laneKA, c(ks * kInstrK));
      Value kB = add(laneKB, c(ks * kInstrK));
      SmallVector<Value> a, bf;
      for (int64_t i = 0; i < repM; ++i)
        a.push_back(ldmatrix(ldsA, add(laneRowA, c(i * kInstrM)), kA, 4));
      Value kT = add(laneKT, c(ks * kInstrK));
      for (int64_t j = 0; j < repN; j += 2) {
        if (j + 1 == repN) {
          bf.push_back(
              kxn ? ldmatrix(ldsB, kT, add(rowB0, c(j * kInstrN)), 2, true)
                  : ldmatrix(ldsB, add(laneRowB2, c(j * kInstrN)), kB, 2));
          break;
        }
        Value pair =
            kxn ? ldmatrix(ldsB, kT, add(laneNT, c(j * kInstrN)), 4, true)
                : ldmatrix(ldsB, add(laneRowB, c(j * kInstrN)), kB, 4);
        for (int64_t h = 0; h < 2; ++h)
          bf.push_back(vector::ExtractStridedSliceOp::create(
              b, loc, pair, ArrayRef<int64_t>{2 * h, 0},
              ArrayRef<int64_t>{2, perReg}, ArrayRef<int64_t>{1, 1}));
      }
      for (int64_t i = 0; i < repM; ++i)
        for (int64_t j = 0; j < repN; ++j) {
          Value &d = acc[i * repN + j];
          d = fp8 ? mmaFp8(b, loc, words(b, loc, a[i]), words(b, loc, bf[j]),
                           d)
                  : nvgpu::MmaSyncOp::create(
                        b, loc, a[i], bf[j], d,
                        ArrayRef<int64_t>{kInstrM, kInstrN, kInstrK});
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
    Value warp = arith::DivUIOp::create(b, loc, tid, c(kWarp));
    Value lane = arith::RemUIOp::create(b, loc, tid, c(kWarp));
    Value g = arith::DivUIOp::create(b, loc, lane, c(4));
    Value t = arith::RemUIOp::create(b, loc, lane, c(4));
    Value row0 = add(mul(arith::DivUIOp::create(b, loc, warp, c(wn)),
                         c(spec.cfg().block_m / wm)),
                     g);
    Value col0 = add(mul(arith::RemUIOp::create(b, loc, warp, c(wn)),
                         c(spec.cfg().block_n / wn)),
                     mul(t, c(2)));
    for (int64_t i = 0; i < repM; ++i)
      for (int64_t j = 0; j < repN; ++j)
        for (int64_t r = 0; r < 2; ++r)
          for (int64_t cc = 0; cc < 2; ++cc) {
            Value row = add(row0, c(i * kInstrM + r * 8));
            Value col = add(col0, c(j * kInstrN + cc));
            Value &tile = acc[i * repN + j];
            Value v = vector::ExtractOp::create(b, loc, tile,
                                                ArrayRef<int64_t>{r, cc});
            Value old = v;
            fn(b, loc, row, col, v);
            if (v != old)
              tile = vector::InsertOp::create(b, loc, v, tile,
                                              ArrayRef<int64_t>{r, cc});
          }
    return acc;
  }

  // cp.async (sm_80+): 16-byte copies that bypass L1 (.cg), committed and
  // waited on in groups.
  bool copiesAsync() const override { return spec.plan.asyncCopy; }

  void asyncCopy(OpBuilder &b, Location loc, Value src, ValueRange srcIdx,
                 Value dst, ValueRange dstIdx, int64_t elems,
                 Value valid) override {
    auto eltType = cast<MemRefType>(dst.getType()).getElementType();
    bool sixteenBytes = elems * elementBytes(eltType) == 16;
    // cp.async's src-size: 0 bytes read and the rest zero-filled.
    Value srcElements;
    if (valid)
      srcElements = arith::SelectOp::create(
          b, loc, valid, arith::ConstantIndexOp::create(b, loc, elems),
          arith::ConstantIndexOp::create(b, loc, 0));
    nvgpu::DeviceAsyncCopyOp::create(
        b, loc, nvgpu::DeviceAsyncTokenType::get(b.getContext()), dst, dstIdx,
        src, srcIdx, b.getIndexAttr(elems), srcElements,
        sixteenBytes ? b.getUnitAttr() : UnitAttr());
  }

  void commitAsyncCopies(OpBuilder &b, Location loc) override {
    NVVM::CpAsyncCommitGroupOp::create(b, loc);
  }

  void waitAsyncCopies(OpBuilder &b, Location loc, int64_t pending) override {
    NVVM::CpAsyncWaitGroupOp::create(b, loc, b.getI32IntegerAttr(pending));
  }

private:
  /// `lds` (a memref.view of the workgroup buffer) as an i8 view of the same
  /// bytes, shape and swizzle (1-byte elements either way); null when `lds`
  /// is not such a view.
  static Value bytesView(OpBuilder &b, Location loc, Value lds) {
    auto view = lds.getDefiningOp<memref::ViewOp>();
    if (!view)
      return {};
    auto t = cast<MemRefType>(lds.getType());
    auto bytes = MemRefType::get(t.getShape(), b.getI8Type(), t.getLayout(),
                                 t.getMemorySpace());
    return memref::ViewOp::create(b, loc, bytes, view.getSource(),
                                  view.getByteShift(), view.getSizes());
  }

  /// The rows of an ldmatrix result of i8 (vector<n x 4 x i8>) as n i32
  /// registers, the operands of the fp8 mma's asm.
  static SmallVector<Value> words(OpBuilder &b, Location loc, Value frag) {
    auto t = cast<VectorType>(frag.getType());
    SmallVector<Value> regs;
    for (int64_t r = 0; r < t.getDimSize(0); ++r) {
      Value row = vector::ExtractOp::create(b, loc, frag, ArrayRef<int64_t>{r});
      Value word = vector::BitCastOp::create(
          b, loc, VectorType::get({1}, b.getI32Type()), row);
      regs.push_back(
          vector::ExtractOp::create(b, loc, word, ArrayRef<int64_t>{0}));
    }
    return regs;
  }

  /// The fp8 K loop body where ldmatrix cannot be used (no i8 view of the
  /// operands, or B as K x N): fragments read with one 32-bit LDS load per
  /// register (4 consecutive fp8 of a row, inside one swizzle chunk); the
  /// product through mmaFp8.
  SmallVector<Value> multiplyFp8(OpBuilder &b, Location loc, Value ldsA,
                                 Value ldsB, Value buf, Value lane,
                                 Value rowA0, Value rowB0,
                                 SmallVector<Value> acc) {
    auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
    auto add = [&](Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); };
    Value g = arith::DivUIOp::create(b, loc, lane, c(4));
    Value t4 = arith::MulIOp::create(
        b, loc, arith::RemUIOp::create(b, loc, lane, c(4)), c(4));
    Type i32 = b.getI32Type();
    auto reg = [&](Value lds, Value row, Value k) -> Value {
      Type elt = cast<MemRefType>(lds.getType()).getElementType();
      Value v = vector::LoadOp::create(
          b, loc, VectorType::get({4}, elt), lds,
          ValueRange{buf, row, swizzledLdsCol(b, loc, lds, row, k)});
      Value word =
          vector::BitCastOp::create(b, loc, VectorType::get({1}, i32), v);
      return vector::ExtractOp::create(b, loc, word, ArrayRef<int64_t>{0});
    };
    for (int64_t ks = 0; ks < spec.cfg().block_k / kInstrK; ++ks) {
      Value k0 = add(t4, c(ks * kInstrK)), k1 = add(k0, c(16));
      SmallVector<SmallVector<Value, 4>> a(repM), bf(repN);
      for (int64_t i = 0; i < repM; ++i) {
        Value r0 = add(rowA0, add(g, c(i * kInstrM)));
        Value r8 = add(r0, c(8));
        a[i] = {reg(ldsA, r0, k0), reg(ldsA, r8, k0), reg(ldsA, r0, k1),
                reg(ldsA, r8, k1)};
      }
      for (int64_t j = 0; j < repN; ++j) {
        Value n = add(rowB0, add(g, c(j * kInstrN)));
        bf[j] = {reg(ldsB, n, k0), reg(ldsB, n, k1)};
      }
      for (int64_t i = 0; i < repM; ++i)
        for (int64_t j = 0; j < repN; ++j) {
          Value &d = acc[i * repN + j];
          d = mmaFp8(b, loc, a[i], bf[j], d);
        }
    }
    return acc;
  }

  /// d + a x b with m16n8k32 fp8 mma.sync as inline PTX: a four A registers
  /// (i32), b two B registers, d vector<2x2xf32>.
  Value mmaFp8(OpBuilder &b, Location loc, ArrayRef<Value> a,
               ArrayRef<Value> bv, Value d) {
    Type f32 = b.getF32Type();
    SmallVector<Value> operands(a);
    operands.append(bv.begin(), bv.end());
    for (int64_t r = 0; r < 2; ++r)
      for (int64_t cc = 0; cc < 2; ++cc)
        operands.push_back(
            vector::ExtractOp::create(b, loc, d, ArrayRef<int64_t>{r, cc}));
    std::string text =
        ("mma.sync.aligned.m16n8k32.row.col.f32." + ptxFp8(spec.aType) + "." +
         ptxFp8(spec.bType) +
         ".f32 {$0, $1, $2, $3}, {$4, $5, $6, $7}, {$8, $9}, {$10, $11, "
         "$12, $13};")
            .str();
    auto resType = LLVM::LLVMStructType::getLiteral(
        b.getContext(), SmallVector<Type>(4, f32));
    auto asmOp = LLVM::InlineAsmOp::create(
        b, loc, resType, operands, text,
        "=f,=f,=f,=f,r,r,r,r,r,r,0,1,2,3", /*has_side_effects=*/false,
        /*is_align_stack=*/false, LLVM::tailcallkind::TailCallKind::None,
        LLVM::AsmDialectAttr(), ArrayAttr());
    SmallVector<Value> out;
    for (int64_t k = 0; k < 4; ++k)
      out.push_back(
          LLVM::ExtractValueOp::create(b, loc, asmOp.getRes(), k));
    return vector::FromElementsOp::create(
        b, loc, VectorType::get({2, 2}, f32), out);
  }

  /// sm_89+: cvt.rn.f16x2.e4m3x2 per pair of codes (exact: every e4m3
  /// value is an f16), then f16 -> f32.
  Value decodeE4M3(OpBuilder &b, Location loc, Value codes) override {
    if (spec.plan.target->fp8 != Fp8Flavor::OCP)
      return {};
    int64_t n = cast<VectorType>(codes.getType()).getNumElements();
    auto f16x2 = VectorType::get({2}, b.getF16Type());
    Value halves = arith::ConstantOp::create(
        b, loc, b.getZeroAttr(VectorType::get({n}, b.getF16Type())));
    for (int64_t i = 0; i < n; i += 2) {
      Value pair = vector::ExtractStridedSliceOp::create(
          b, loc, codes, ArrayRef<int64_t>{i}, ArrayRef<int64_t>{2},
          ArrayRef<int64_t>{1});
      Value h = NVVM::ConvertF8x2ToF16x2Op::create(
          b, loc, f16x2, pair, b.getBoolAttr(false),
          TypeAttr::get(Float8E4M3FNType::get(b.getContext())));
      halves = vector::InsertStridedSliceOp::create(b, loc, h, halves,
                                                    ArrayRef<int64_t>{i},
                                                    ArrayRef<int64_t>{1});
    }
    return arith::ExtFOp::create(
        b, loc, VectorType::get({n}, b.getF32Type()), halves);
  }

  const GemmKernelSpec &spec;
  bool fp8 = false;
  int64_t kInstrK = 16;
  int64_t wm = 0, wn = 0, repM = 0, repN = 0;
};

} // namespace

void moec::registerNVVMMatrixCore() {
  MatrixCoreFactory f;
  f.create = [](const GemmKernelSpec &spec,
                Location loc) -> FailureOr<std::unique_ptr<MatrixCore>> {
    if ((isFp8(spec.aType) || isFp8(spec.bType)) &&
        (ptxFp8(spec.aType).empty() || ptxFp8(spec.bType).empty() ||
         spec.plan.target->fp8 == Fp8Flavor::None))
      return emitError(loc) << "fp8 GEMM on " << spec.plan.target->chip
                            << ": mma.sync takes the OCP fp8 types (e4m3, "
                               "e5m2) on sm_89 and later",
             failure();
    auto core = std::make_unique<MmaSyncCore>(spec);
    if (!core->valid())
      return std::unique_ptr<MatrixCore>();
    return std::unique_ptr<MatrixCore>(std::move(core));
  };
  f.dependentDialects = [](DialectRegistry &registry) {
    registry.insert<nvgpu::NVGPUDialect, NVVM::NVVMDialect,
                    LLVM::LLVMDialect>();
  };
  f.gpuModuleTarget = [](MLIRContext *ctx, const TargetInfo &t) -> Attribute {
    return NVVM::NVVMTargetAttr::get(ctx, /*optLevel=*/3, t.triple, t.chip);
  };
  registerMatrixCore(TargetKind::NVPTX, std::move(f));
}
