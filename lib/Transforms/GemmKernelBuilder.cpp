//===- GemmKernelBuilder.cpp - the target-independent GEMM skeleton -------===//
//
// Builds one workgroup's program for `moec.gemm`:
//
//   pid -> (pid_m, pid_n) with the group_m swizzle
//   K loop over block_k tiles, software-pipelined through LDS:
//     num_stages 1: load, store to LDS, barrier, multiply, barrier
//     num_stages 2: the next tile's global loads are issued before the
//                   current tile's multiply (one LDS buffer, prefetch in
//                   registers: Triton-on-ROCm semantics)
//     num_stages s > 2: a ring of s - 1 LDS buffers, loads s - 2 tiles ahead
//     with `async_copy = true` on NVIDIA (num_stages >= 2): a ring of s LDS
//     buffers filled by cp.async s - 1 tiles ahead, no register staging
//   epilogue: scale, bias, activation, convert, then either store straight
//   from the accumulator layout (`direct`) or through LDS for wide stores.
//
// `moec.moe_gemm` is the same program with a row map (GemmKernelSpec::moe):
// the workgroup's block of sorted_token_ids is staged in LDS as, per tile
// row, the A row, the C row (-1 for padding) and the routing weight; A's
// tile rows are gathered through it (each lane reads the rows of its load
// slots once, before the K loop; padding rows are invalid accesses), B is
// the block's expert slice W[expert_ids[block]], a block past
// num_tokens_post_padded or of expert -1 does nothing, and the epilogue
// scatters through the same map (times the weight; an atomic add with
// `reduce`).
// With a gated activation (MoeRouting::gate) the B tile's rows come half
// from W's gate rows and half from the matching up rows, and the epilogue
// pairs them through an f32 LDS tile: C = w * act(gate) * up, N/2 wide.
//
// Global memory goes through the core's windows (MatrixCore::globalWindow):
// every load and store carries a validity bit, so edge tiles take the same
// code as interior ones. Where the leading dimension is a multiple of the
// 16-byte vector, validity is per vector; otherwise per element (a uniform
// branch, taken the same way by every workgroup).
//
//===----------------------------------------------------------------------===//

#include "moec/Transforms/MatrixCore.h"
#include "moec/Dialect/OpPlans.h"
#include "moec/Dialect/TargetChecks.h"
#include "moec/Transforms/Activation.h"
#include "moec/Transforms/GemmKernel.h"
#include "moec/Transforms/KernelBuilding.h"
#include "moec/Transforms/LdsLayout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace moec;

//===----------------------------------------------------------------------===//
// GemmKernelSpec
//===----------------------------------------------------------------------===//

static Type elementTypeOf(Value v) {
  return cast<MemRefType>(v.getType()).getElementType();
}

static bool isPerTensor(Value scale) {
  auto t = cast<MemRefType>(scale.getType());
  return t.getRank() == 0 || (t.getRank() == 1 && t.getDimSize(0) == 1);
}

static int64_t kernelScaleRank(Value scale) {
  return std::max<int64_t>(1, cast<MemRefType>(scale.getType()).getRank());
}

GemmKernelSpec GemmKernelSpec::get(MoeGemmOp op, const TargetInfo &target) {
  GemmKernelSpec s;
  s.plan = getMoeGemmPlan(op, target);
  s.transposeB = true; // W[e] is N x K
  s.aType = elementTypeOf(op.getA());
  s.bType = elementTypeOf(op.getW());
  if (op.getQuant() == MoeGemmOp::Quant::Int8W8A16 ||
      op.getQuant() == MoeGemmOp::Quant::Mxfp4W4A16) {
    s.bMemoryType = s.bType;
    s.bType = s.aType;
  }
  s.mxfp4 = op.getQuant() == MoeGemmOp::Quant::Mxfp4W4A16;
  // gfx950: the scaled MFMA, where the tile holds whole instructions.
  if (s.mxfp4 && target.chip == "gfx950" && s.plan.kpack == 1) {
    int64_t instrK = s.plan.nonKDim == 16 ? 128 : 64;
    if (s.cfg().block_k % instrK == 0) {
      s.mxfp4Native = true;
      s.bType = Float8E4M3FNType::get(op.getContext());
    }
  }
  s.cType = elementTypeOf(op.getC());
  s.hasScaleA = static_cast<bool>(op.getAScale());
  s.hasScaleB = static_cast<bool>(op.getBScale());
  s.scaleAPerTensor = !s.hasScaleA || isPerTensor(op.getAScale());
  if (s.hasScaleA)
    s.scaleARank = kernelScaleRank(op.getAScale());
  if (s.hasScaleB) {
    // b_scale: [] per tensor, [E] per expert (one value per workgroup
    // either way), [E, N] per channel.
    int64_t rank = cast<MemRefType>(op.getBScale().getType()).getRank();
    s.scaleBRank = kernelScaleRank(op.getBScale());
    s.scaleBType = elementTypeOf(op.getBScale());
    s.scaleBPerTensor = rank <= 1;
    s.scaleBPerExpert = rank == 1;
  }
  if (s.mxfp4)
    s.scaleBPerTensor = s.scaleBPerExpert = false;
  if (op.isBlockQuantized()) {
    s.groupN = *op.getGroupN();
    s.groupK = *op.getGroupK();
    s.scaleAPerTensor = s.scaleBPerTensor = s.scaleBPerExpert = false;
  }
  MoeRouting r;
  r.topK = op.getTopK();
  r.aPerCopy = op.getAPerCopy();
  r.reduce = op.getReduce();
  r.cRank = cast<MemRefType>(op.getC().getType()).getRank();
  if (Value w = op.getTopkWeights())
    r.topkWeightsType = elementTypeOf(w);
  if (std::optional<Activation> act = op.getActivation())
    r.gate = *act;
  s.moe = r;
  return s;
}

//===----------------------------------------------------------------------===//
// Builder
//===----------------------------------------------------------------------===//

namespace {

/// Width of one global memory transaction per lane.
constexpr int64_t kVectorBytes = KernelPlan::kVectorBytes;

/// One operand's journey from global memory to its LDS tile.
struct OperandTile {
  Value global;      ///< 2-D memref in global memory
  Value lds;         ///< [buffers][rows][BK] view of LDS (LdsLayout.h)
  Type elt;          ///< element type in global memory
  Type ldsElt;       ///< in LDS: elt, or the type an integer elt converts to
  int64_t rows;      ///< BM for A, BN for B
  bool kContiguous;  ///< global layout is rows x K (else K x rows)
  Value rowBase;     ///< m0 or n0
  Value rowLimit;    ///< M or N
  int64_t vec;       ///< elements per vector load
  bool ldAligned;    ///< leading dimension known to be a multiple of vec
  /// Rows gathered through the row map (moe_gemm's A): the tile row of
  /// vector slot i of this lane is global row gatherRow[i] (clamped to 0
  /// for padding rows), valid iff gatherValid[i]. Read once, before the K
  /// loop; loads then take offsets from row 0 of the operand.
  bool gathered = false;
  SmallVector<Value> gatherRow, gatherValid;
  /// moe_gemm with a gated activation (B = W[e]): tile row r < rows/2 is
  /// gate row n0/2 + r, the others up row N/2 + n0/2 + r - rows/2
  /// (GemmBuilder::gatedRow); set with `gathered`.
  bool gated = false;
  /// MXFP4 (GemmKernelSpec::mxfp4): `global` is the expert's [N, K/2] bytes,
  /// two e2m1 values each, and `mxScale` its [N, K/32] f8E8M0FNU scales.
  /// Offsets and the window's column are in bytes (K / 2); each vector of
  /// `vec` K elements (vec / 2 bytes, inside one 32-element block) is
  /// dequantized to ldsElt as it is loaded.
  bool packed = false;
  Value mxScale;
};

class GemmBuilder {
public:
  GemmBuilder(OpBuilder &b, Location loc, const GemmKernelSpec &spec,
              MatrixCore &core)
      : b(b), loc(loc), spec(spec), core(core) {}

  LogicalResult build(gpu::GPUFuncOp func);
  /// The kernel of a GEMM tile program (moec-tile-to-lanes): its index
  /// arithmetic and epilogue come from `hooks`.
  LogicalResult buildFromTiles(gpu::GPUFuncOp func, const GemmTileHooks &hooks);

private:
  /// What build and buildFromTiles share once the sizes and the tile origin
  /// are known: LDS, the operand tiles, the K loop over `numK` tiles and the
  /// epilogue. `afterLds` runs once LDS is allocated (moe_gemm opens its
  /// guard, per-tensor scales are loaded), `withTiles` once the operand
  /// tiles exist (moe_gemm's row map).
  void buildBody(gpu::GPUFuncOp func, Value aArg, Value bArg,
                 llvm::function_ref<Value()> numK,
                 llvm::function_ref<void(Value raw)> afterLds,
                 llvm::function_ref<void(Value raw, OperandTile &,
                                         OperandTile &)> withTiles);

  Value cst(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value minS(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }
  Value maxS(Value x, Value y) { return arith::MaxSIOp::create(b, loc, x, y); }
  Value andI(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value f32(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }

  /// Global -> registers for one K tile: the vectors this lane loads.
  SmallVector<Value> loadTile(OperandTile &t, Value k0);
  /// Registers -> LDS buffer `buf`.
  void storeTile(OperandTile &t, Value buf, ValueRange vecs);
  /// A loaded element or vector in LDS's type (int8 weights -> A's type).
  Value toLdsType(const OperandTile &t, Value v);
  /// MXFP4: the vectors of one K tile of the packed operand `t`, each
  /// dequantized to t.ldsElt.
  SmallVector<Value> loadPackedTile(OperandTile &t, Value k0);
  /// MXFP4: e2m1 codes (i32 scalar or vector, low 4 bits) times the e8m0
  /// scale `scale` (f8E8M0FNU) as f32.
  Value decodeMxfp4(Value codes, Value scale);
  /// MXFP4 on gfx950's scaled MFMA: packed bytes (vec / 2 of them) -> vec
  /// e4m3 values of the same e2m1 magnitudes (exact; the scale stays
  /// apart).
  Value mxfp4ToE4M3(Value bytes, const OperandTile &t);
  /// Global -> LDS buffer `buf` for one K tile through the core's async
  /// copies where the tile is interior and K-contiguous; otherwise with
  /// plain (masked) loads and stores.
  void copyTileAsync(OperandTile &t, Value k0, Value buf);
  /// Vector slot `i` of this lane: (row, k) of its first element in the tile.
  std::pair<Value, Value> slotCoords(OperandTile &t, Value slot);
  /// Whether the K x rows operand `t` pairs its vectors: a lane's vectors
  /// 2p and 2p + 1 are K rows 2k and 2k + 1 of the same columns, so that
  /// the transposing LDS store writes two K elements at once.
  bool pairsKRows(const OperandTile &t) const {
    return !t.kContiguous && slotsPerTile(t) % (2 * core.lanes()) == 0;
  }
  /// Tile coordinates (row, k) of this lane's vector `i`.
  std::pair<Value, Value> vectorCoords(OperandTile &t, int64_t i);
  int64_t slotsPerTile(const OperandTile &t) const {
    return t.rows * spec.cfg().block_k / t.vec;
  }
  int64_t slotsPerLane(const OperandTile &t) const {
    return llvm::divideCeil(slotsPerTile(t), core.lanes());
  }

  SmallVector<Value> kLoop(OperandTile &a, OperandTile &b2, Value numK);
  /// acc + the product of the tiles in LDS buffer `buf` (K tile `kt`); with
  /// block-wise scales the tile's product is scaled by its K group's
  /// a_scale x b_scale first.
  SmallVector<Value> multiplyTile(OperandTile &a, OperandTile &b2, Value buf,
                                  ValueRange acc, Value kt);
  SmallVector<Value> kLoopAsync(OperandTile &a, OperandTile &b2, Value numK);
  /// Whether tile k0 of `t` lies wholly inside the matrix with 16-byte rows.
  Value isInterior(OperandTile &t, Value k0);
  Value applyActivation(Value x);
  void epilogue(ValueRange acc, Value ldsRaw);

  // moe_gemm: the routing (GemmKernelSpec::moe).
  /// Opens the guard of a block that has work (below
  /// num_tokens_post_padded, expert in [0, E)) and leaves the builder
  /// inside it; sets `expert`.
  void openMoeGuard(Value bArg);
  /// Stages the block's row map in LDS, then a barrier.
  void stageRowMap(Value raw);
  /// Reads the row map for the A slots of this lane.
  void gatherRows(OperandTile &a);
  /// A 2-D view of a contiguous [d0, d1, d2] memref: the slice m[e]
  /// ([d1, d2]: the expert's W [N, K]) or, without `e`, all of it as
  /// [d0 x d1, d2] (C [tokens, top_k, N] as rows of copies).
  Value rowsView(Value m, Value e = {});
  /// Where tile row `row` goes in the epilogue: the row of the output
  /// window, whether it exists, the routing weight (null if none) and the
  /// row index of per-row scales (finish clamps it into range). `between`
  /// runs after the row's index and before its check (so that a gemm's
  /// epilogue keeps its instruction order).
  struct RowTarget {
    Value row, valid, weight, scaleRow;
  };
  RowTarget rowTarget(Value row, llvm::function_ref<void()> between = {});
  /// A store of the epilogue: plain, or an atomic add with `reduce`.
  void storeOut(Value window, Value value, Value offset, Value valid);

  // moe_gemm with a gated activation (MoeRouting::gate).
  bool isGated() const {
    return spec.moe && spec.moe->gate != Activation::none;
  }
  /// W's row behind B tile row (= accumulator column) `r` and whether it
  /// exists: gate row n0/2 + r for r < block_n/2, else up row
  /// N/2 + n0/2 + r - block_n/2; the row is clamped into [0, N).
  std::pair<Value, Value> gatedRow(Value r);
  /// The global column (W's row) of accumulator column `col`.
  Value globalCol(Value col) {
    return isGated() ? gatedRow(col).first : add(n0, col);
  }
  /// Reads the gated row map for the B slots of this lane.
  void gatherGatedRows(OperandTile &bt);
  /// The gated epilogue: park the scaled f32 tile in LDS, then each lane
  /// takes (row, c) pairs, c < block_n/2: act(tile[row][c]) *
  /// tile[row][c + block_n/2], times the routing weight, into C's column
  /// n0/2 + c.
  void gatedEpilogue(ValueRange acc, Value ldsRaw);

  OpBuilder &b;
  Location loc;
  const GemmKernelSpec &spec;
  MatrixCore &core;
  /// Set for a tile program's kernel: the epilogue's elements come from it.
  const GemmTileHooks *hooks = nullptr;

  Value tid, M, N, K, m0, n0;
  Value biasArg, scaleAArg, scaleBArg, cArg;
  Value scaleAValue, scaleBValue; // hoisted per-tensor scales
  // moe_gemm
  Value sortedArg, expertsArg, npadArg, topkwArg;
  Value numValid;      ///< tokens x top_k: row ids below it are real
  Value expert;        ///< the block's expert (index)
  Value ldsRowMap;     ///< [2][block_m] i32: A row, C row (-1: padding)
  Value ldsWeights;    ///< [block_m] f32 routing weights
};

} // namespace

std::pair<Value, Value> GemmBuilder::slotCoords(OperandTile &t, Value slot) {
  // kContiguous: a row holds BK / vec slots. Otherwise a K row of the global
  // layout holds rows / vec slots.
  if (t.kContiguous) {
    int64_t perRow = spec.cfg().block_k / t.vec;
    Value r = arith::DivUIOp::create(b, loc, slot, cst(perRow));
    Value c = mul(arith::RemUIOp::create(b, loc, slot, cst(perRow)),
                  cst(t.vec));
    return {r, c};
  }
  int64_t perK = t.rows / t.vec;
  Value k = arith::DivUIOp::create(b, loc, slot, cst(perK));
  Value r = mul(arith::RemUIOp::create(b, loc, slot, cst(perK)), cst(t.vec));
  return {r, k};
}

std::pair<Value, Value> GemmBuilder::vectorCoords(OperandTile &t, int64_t i) {
  if (!pairsKRows(t)) {
    Value slot = add(cst(i * core.lanes()), tid);
    if ((i + 1) * core.lanes() > slotsPerTile(t)) // the last round may be partial
      slot = minS(slot, cst(slotsPerTile(t) - 1));
    return slotCoords(t, slot);
  }
  // Pair p of this lane: slot p * lanes + tid of a tile with half the K rows.
  int64_t perK = t.rows / t.vec;
  Value pair = add(cst((i / 2) * core.lanes()), tid);
  Value k = add(mul(arith::DivUIOp::create(b, loc, pair, cst(perK)), cst(2)),
                cst(i % 2));
  Value r = mul(arith::RemUIOp::create(b, loc, pair, cst(perK)), cst(t.vec));
  return {r, k};
}

Value GemmBuilder::isInterior(OperandTile &t, Value k0) {
  // Interior: the whole tile is inside the matrix and rows are 16-byte
  // aligned, so plain wide loads are safe.
  // Gathered rows are clamped into the operand (a padding row reads row 0,
  // which only its own, discarded, accumulator row sees).
  Value ld = memref::DimOp::create(b, loc, t.global, 1);
  Value rowsIn = t.gathered
                     ? arith::ConstantIntOp::create(b, loc, 1, 1).getResult()
                     : cmp(arith::CmpIPredicate::sle,
                           add(t.rowBase, cst(t.rows)), t.rowLimit);
  Value kIn = cmp(arith::CmpIPredicate::sle, add(k0, cst(spec.cfg().block_k)), K);
  Value aligned = cmp(arith::CmpIPredicate::eq,
                      arith::RemUIOp::create(b, loc, ld, cst(t.vec)), cst(0));
  return andI(andI(rowsIn, kIn), aligned);
}

SmallVector<Value> GemmBuilder::loadTile(OperandTile &t, Value k0) {
  if (t.packed)
    return loadPackedTile(t, k0);
  // One window per tile, at its first element; each vector is valid or not
  // as a whole when the leading dimension is a multiple of the vector (then
  // the vector's extent, K or the rows, is too). Otherwise the tile goes
  // element by element: the same offsets, one validity bit per element.
  auto vecType = VectorType::get({t.vec}, t.elt);
  int64_t perLane = slotsPerLane(t);
  // A gathered operand's window starts at row 0: its offsets are rows of
  // the row map.
  Value window =
      t.kContiguous
          ? core.globalWindow(b, loc, t.global, t.gathered ? cst(0) : t.rowBase,
                              k0)
          : core.globalWindow(b, loc, t.global, k0, t.rowBase);
  Value ld = memref::DimOp::create(b, loc, t.global, 1);
  auto emitLoads = [&](bool wholeVectors) {
    SmallVector<Value> vecs;
    for (int64_t i = 0; i < perLane; ++i) {
      auto [r, c] = vectorCoords(t, i);
      Value gRow = add(t.rowBase, r), gK = add(k0, c);
      Value row = t.gathered ? t.gatherRow[i] : r;
      Value offset =
          t.kContiguous ? add(mul(row, ld), c) : add(mul(c, ld), row);
      auto valid = [&](int64_t e) {
        Value k = !t.kContiguous || !e ? gK : add(gK, cst(e));
        Value kIn = cmp(arith::CmpIPredicate::slt, k, K);
        if (t.gathered)
          return andI(t.gatherValid[i], kIn);
        Value rowE = t.kContiguous || !e ? gRow : add(gRow, cst(e));
        return andI(cmp(arith::CmpIPredicate::slt, rowE, t.rowLimit), kIn);
      };
      if (wholeVectors) {
        vecs.push_back(
            core.loadGlobal(b, loc, window, vecType, offset, valid(0)));
        continue;
      }
      SmallVector<Value> elems;
      for (int64_t e = 0; e < t.vec; ++e)
        elems.push_back(core.loadGlobal(b, loc, window, t.elt,
                                        add(offset, cst(e)), valid(e)));
      vecs.push_back(vector::FromElementsOp::create(b, loc, vecType, elems));
    }
    return vecs;
  };
  if (t.ldAligned)
    return emitLoads(true);
  Value aligned = cmp(arith::CmpIPredicate::eq,
                      arith::RemUIOp::create(b, loc, ld, cst(t.vec)), cst(0));
  SmallVector<Type> types(perLane, vecType);
  auto ifOp = scf::IfOp::create(b, loc, types, aligned, /*withElse=*/true);
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    scf::YieldOp::create(b, loc, emitLoads(true));
    b.setInsertionPointToStart(ifOp.elseBlock());
    scf::YieldOp::create(b, loc, emitLoads(false));
  }
  return SmallVector<Value>(ifOp.getResults());
}

Value GemmBuilder::decodeMxfp4(Value codes, Value scale) {
  // e2m1 (sign, 2 exponent bits, 1 mantissa bit, bias 1) as f32 bits:
  // exponent field e = 0 is 0 or 0.5 (the subnormal), else
  // 2^(e - 1) x (1 + m / 2): f32 exponent e + 126, mantissa bit 22.
  Type i32 = b.getI32Type(), f32T = b.getF32Type();
  auto shaped = [&](Type elt) -> Type {
    if (auto vt = dyn_cast<VectorType>(codes.getType()))
      return VectorType::get(vt.getShape(), elt);
    return elt;
  };
  auto c = [&](int64_t v) -> Value {
    Type t = shaped(i32);
    if (auto vt = dyn_cast<VectorType>(t))
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(vt, b.getI32IntegerAttr(v)));
    return arith::ConstantIntOp::create(b, loc, i32, v);
  };
  Value e = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, codes, c(1)), c(3));
  Value m = arith::AndIOp::create(b, loc, codes, c(1));
  Value sign = arith::ShLIOp::create(
      b, loc, arith::AndIOp::create(b, loc, codes, c(8)), c(28));
  Value normal = arith::OrIOp::create(
      b, loc,
      arith::ShLIOp::create(b, loc, arith::AddIOp::create(b, loc, e, c(126)),
                            c(23)),
      arith::ShLIOp::create(b, loc, m, c(22)));
  // e = 0: m = 1 is 0.5 (0x3F000000), m = 0 is zero.
  Value sub = arith::MulIOp::create(b, loc, m, c(0x3F000000));
  Value isSub = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, e, c(0));
  Value bits = arith::OrIOp::create(
      b, loc, arith::SelectOp::create(b, loc, isSub, sub, normal), sign);
  Value value = arith::BitcastOp::create(b, loc, shaped(f32T), bits);
  // e8m0: 2^(s - 127) is the f32 with exponent field s, except s = 0
  // (2^-127, an f32 subnormal) and s = 255 (NaN).
  Value s = arith::ExtUIOp::create(
      b, loc, i32, arith::BitcastOp::create(b, loc, b.getI8Type(), scale));
  auto ci = [&](int64_t v) { return arith::ConstantIntOp::create(b, loc, i32, v); };
  Value sBits = arith::ShLIOp::create(b, loc, s, ci(23));
  sBits = arith::SelectOp::create(
      b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, s, ci(0)),
      ci(0x00400000), sBits);
  sBits = arith::SelectOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, s, ci(255)),
      ci(0x7FC00000), sBits);
  Value sf = arith::BitcastOp::create(b, loc, f32T, sBits);
  if (auto vt = dyn_cast<VectorType>(value.getType()))
    sf = vector::BroadcastOp::create(b, loc, vt, sf);
  return arith::MulFOp::create(b, loc, value, sf);
}

Value GemmBuilder::mxfp4ToE4M3(Value bytes, const OperandTile &t) {
  // e2m1 magnitude code m (exponent e = m >> 1, mantissa m & 1) -> e4m3:
  // e = 0 is 0 or 0.5 = 2^-1 (e4m3 exponent field 6: 0x30); otherwise
  // exponent field e + 6, mantissa bit 2. The sign moves from bit 3 to 7.
  Type i32 = b.getI32Type();
  auto vt = VectorType::get({t.vec}, i32);
  auto c = [&](int64_t v) -> Value {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vt, b.getI32IntegerAttr(v)));
  };
  SmallVector<Value> codes;
  for (int64_t j = 0; j < t.vec / 2; ++j) {
    Value byte = arith::ExtUIOp::create(
        b, loc, i32, vector::ExtractOp::create(b, loc, bytes, j));
    codes.push_back(arith::AndIOp::create(
        b, loc, byte, arith::ConstantIntOp::create(b, loc, i32, 15)));
    codes.push_back(arith::ShRUIOp::create(
        b, loc, byte, arith::ConstantIntOp::create(b, loc, i32, 4)));
  }
  Value code = vector::FromElementsOp::create(b, loc, vt, codes);
  Value e = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, code, c(1)), c(3));
  Value m = arith::AndIOp::create(b, loc, code, c(1));
  Value normal = arith::OrIOp::create(
      b, loc,
      arith::ShLIOp::create(b, loc, arith::AddIOp::create(b, loc, e, c(6)),
                            c(3)),
      arith::ShLIOp::create(b, loc, m, c(2)));
  Value isSub = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, e, c(0));
  Value mag = arith::SelectOp::create(
      b, loc, isSub, arith::MulIOp::create(b, loc, m, c(0x30)), normal);
  Value sign = arith::ShLIOp::create(
      b, loc, arith::AndIOp::create(b, loc, code, c(8)), c(4));
  Value bits = arith::TruncIOp::create(
      b, loc, VectorType::get({t.vec}, b.getI8Type()),
      arith::OrIOp::create(b, loc, mag, sign));
  return arith::BitcastOp::create(b, loc, VectorType::get({t.vec}, t.ldsElt),
                                  bits);
}

SmallVector<Value> GemmBuilder::loadPackedTile(OperandTile &t, Value k0) {
  // W[e] is N x K (kContiguous). A vector of vec K elements is vec / 2
  // bytes at byte offset row x (K / 2) + c / 2; vec divides 32, so it lies
  // in one scale block, and K is a multiple of 32, so it is wholly inside
  // or outside K. Rows past N (or padding rows of a gated tile) and K past
  // its end read zeros; their scale is read at clamped indices.
  assert(t.kContiguous && t.vec % 2 == 0 && 32 % t.vec == 0);
  Type i32 = b.getI32Type();
  auto bytesType = VectorType::get({t.vec / 2}, b.getI8Type());
  Value window = core.globalWindow(b, loc, t.global,
                                   t.gathered ? cst(0) : t.rowBase,
                                   arith::DivUIOp::create(b, loc, k0, cst(2)));
  Value ld = memref::DimOp::create(b, loc, t.global, 1);
  Value lastRow = sub(memref::DimOp::create(b, loc, t.mxScale, 0), cst(1));
  Value lastBlock = sub(memref::DimOp::create(b, loc, t.mxScale, 1), cst(1));
  SmallVector<Value> vecs;
  for (int64_t i = 0; i < slotsPerLane(t); ++i) {
    auto [r, c] = vectorCoords(t, i);
    Value gRow = t.gathered ? t.gatherRow[i] : add(t.rowBase, r);
    Value gK = add(k0, c);
    Value kIn = cmp(arith::CmpIPredicate::slt, gK, K);
    Value valid =
        t.gathered ? andI(t.gatherValid[i], kIn)
                   : andI(cmp(arith::CmpIPredicate::slt, gRow, t.rowLimit), kIn);
    Value row = t.gathered ? t.gatherRow[i] : r;
    Value offset = add(mul(row, ld), arith::DivUIOp::create(b, loc, c, cst(2)));
    Value bytes = core.loadGlobal(b, loc, window, bytesType, offset, valid);
    if (spec.mxfp4Native) {
      vecs.push_back(mxfp4ToE4M3(bytes, t));
      continue;
    }
    Value scale = memref::LoadOp::create(
        b, loc, t.mxScale,
        ValueRange{minS(gRow, lastRow),
                   minS(arith::DivUIOp::create(b, loc, gK, cst(32)),
                        lastBlock)});
    // Element 2j is byte j's low nibble, 2j + 1 its high one.
    SmallVector<Value> codes;
    for (int64_t j = 0; j < t.vec / 2; ++j) {
      Value byte = arith::ExtUIOp::create(
          b, loc, i32, vector::ExtractOp::create(b, loc, bytes, j));
      codes.push_back(arith::AndIOp::create(
          b, loc, byte, arith::ConstantIntOp::create(b, loc, i32, 15)));
      codes.push_back(arith::ShRUIOp::create(
          b, loc, byte, arith::ConstantIntOp::create(b, loc, i32, 4)));
    }
    Value codeVec = vector::FromElementsOp::create(
        b, loc, VectorType::get({t.vec}, i32), codes);
    vecs.push_back(arith::TruncFOp::create(
        b, loc, VectorType::get({t.vec}, t.ldsElt),
        decodeMxfp4(codeVec, scale)));
  }
  return vecs;
}

Value GemmBuilder::toLdsType(const OperandTile &t, Value v) {
  if (t.ldsElt == t.elt || t.packed)
    return v;
  // Integer weights are exact in A's 16-bit float type (|x| <= 128).
  Type to = t.ldsElt;
  if (auto vt = dyn_cast<VectorType>(v.getType()))
    to = VectorType::get(vt.getShape(), t.ldsElt);
  return arith::SIToFPOp::create(b, loc, to, v);
}

void GemmBuilder::storeTile(OperandTile &t, Value buf, ValueRange loaded) {
  SmallVector<Value> vecs;
  for (Value v : loaded)
    vecs.push_back(toLdsType(t, v));
  if (pairsKRows(t)) {
    // Vectors 2p and 2p + 1 hold K rows k, k + 1 (k even) of the same
    // columns: transpose them into K-contiguous LDS two K elements a store.
    auto pairType = VectorType::get({2}, t.ldsElt);
    for (int64_t p = 0; 2 * p < static_cast<int64_t>(vecs.size()); ++p) {
      auto [r, k] = vectorCoords(t, 2 * p);
      for (int64_t e = 0; e < t.vec; ++e) {
        Value pair = vector::FromElementsOp::create(
            b, loc, pairType,
            ValueRange{vector::ExtractOp::create(b, loc, vecs[2 * p], e),
                       vector::ExtractOp::create(b, loc, vecs[2 * p + 1], e)});
        // k is even: the pair stays inside one swizzle chunk.
        Value row = add(r, cst(e));
        vector::StoreOp::create(
            b, loc, pair, t.lds,
            ValueRange{buf, row, swizzledLdsCol(b, loc, t.lds, row, k)},
            /*nontemporal=*/false, llvm::MaybeAlign(2 * elementBytes(t.ldsElt)));
      }
    }
    return;
  }
  int64_t total = slotsPerTile(t);
  for (auto [i, v] : llvm::enumerate(vecs)) {
    Value slot = add(cst(i * core.lanes()), tid);
    auto emitStore = [&] {
      auto [r, c] = slotCoords(t, slot);
      if (t.kContiguous) {
        // c is chunk-aligned: the vector is one swizzle chunk (or, for
        // MXFP4's e4m3 bytes on gfx950, half of one).
        vector::StoreOp::create(
            b, loc, v, t.lds,
            ValueRange{buf, r, swizzledLdsCol(b, loc, t.lds, r, c)},
            /*nontemporal=*/false,
            llvm::MaybeAlign(std::min<int64_t>(
                kVectorBytes, t.vec * elementBytes(t.ldsElt))));
        return;
      }
      // The global layout runs along rows: transpose into K-contiguous LDS.
      for (int64_t e = 0; e < t.vec; ++e) {
        Value x = vector::ExtractOp::create(b, loc, v, e);
        Value row = add(r, cst(e));
        memref::StoreOp::create(
            b, loc, x, t.lds,
            ValueRange{buf, row, swizzledLdsCol(b, loc, t.lds, row, c)});
      }
    };
    if ((static_cast<int64_t>(i) + 1) * core.lanes() <= total) {
      emitStore();
      continue;
    }
    auto guard = scf::IfOp::create(
        b, loc, cmp(arith::CmpIPredicate::slt, slot, cst(total)), false);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(guard.thenBlock());
    emitStore();
  }
}

void GemmBuilder::copyTileAsync(OperandTile &t, Value k0, Value buf) {
  if (!t.kContiguous || t.ldsElt != t.elt) {
    // A copy can neither transpose nor convert: the K x rows layout and
    // int8 weights go through registers.
    storeTile(t, buf, loadTile(t, k0));
    return;
  }
  auto ifOp = scf::IfOp::create(b, loc, isInterior(t, k0), /*withElse=*/true);
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  int64_t total = slotsPerTile(t);
  for (int64_t i = 0; i < slotsPerLane(t); ++i) {
    Value slot = add(cst(i * core.lanes()), tid);
    auto emitCopy = [&] {
      auto [r, c] = slotCoords(t, slot);
      Value row = t.gathered ? t.gatherRow[i] : add(t.rowBase, r);
      core.asyncCopy(b, loc, t.global, ValueRange{row, add(k0, c)},
                     t.lds,
                     ValueRange{buf, r, swizzledLdsCol(b, loc, t.lds, r, c)},
                     t.vec);
    };
    if ((i + 1) * core.lanes() <= total) {
      emitCopy();
      continue;
    }
    auto guard = scf::IfOp::create(
        b, loc, cmp(arith::CmpIPredicate::slt, slot, cst(total)), false);
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(guard.thenBlock());
    emitCopy();
  }
  // Edge tiles: masked loads (zeros outside), stored now.
  b.setInsertionPointToStart(ifOp.elseBlock());
  storeTile(t, buf, loadTile(t, k0));
}

SmallVector<Value> GemmBuilder::kLoopAsync(OperandTile &a, OperandTile &bt,
                                           Value numK) {
  // A ring of s = num_stages LDS buffers filled by async copies, s - 1 tiles
  // ahead. Tiles 0 .. s - 2 are issued up front, one commit group per tile.
  // Iteration kt: wait until tile kt's group has landed (at most s - 2 newer
  // groups pending), barrier (tile kt is visible to all, and everyone is done
  // reading buffer (kt - 1) % s), issue tile kt + s - 1 into that buffer,
  // commit, multiply tile kt. The commit is unconditional so every iteration
  // adds exactly one group, even past the last tile.
  SmallVector<Value> acc = core.initAccumulators(b, loc);
  int64_t s = spec.plan.numLdsBuffers;
  auto issue = [&](Value kt, Value buf) {
    auto inRange = scf::IfOp::create(
        b, loc, cmp(arith::CmpIPredicate::slt, kt, numK), false);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(inRange.thenBlock());
      Value k0 = mul(kt, cst(spec.cfg().block_k));
      copyTileAsync(a, k0, buf);
      copyTileAsync(bt, k0, buf);
    }
    core.commitAsyncCopies(b, loc);
  };
  for (int64_t i = 0; i + 1 < s; ++i)
    issue(cst(i), cst(i));
  auto loop = scf::ForOp::create(b, loc, cst(0), numK, cst(1), acc);
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    Value kt = loop.getInductionVar();
    core.waitAsyncCopies(b, loc, s - 2);
    gpu::BarrierOp::create(b, loc);
    Value ahead = add(kt, cst(s - 1));
    issue(ahead, arith::RemUIOp::create(b, loc, ahead, cst(s)));
    SmallVector<Value> next = multiplyTile(
        a, bt, arith::RemUIOp::create(b, loc, kt, cst(s)),
        loop.getRegionIterArgs(), kt);
    scf::YieldOp::create(b, loc, next);
  }
  // Nothing may still be landing in LDS when the epilogue reuses it.
  core.waitAsyncCopies(b, loc, 0);
  return SmallVector<Value>(loop.getResults());
}

SmallVector<Value> GemmBuilder::multiplyTile(OperandTile &a, OperandTile &bt,
                                             Value buf, ValueRange acc,
                                             Value kt) {
  if (spec.mxfp4Native) {
    // The MFMA applies W's e8m0 scales: B tile row r, K block at k of this
    // K tile (W's row and block clamped; rows and K outside read zeros).
    Value k0 = mul(kt, cst(spec.cfg().block_k));
    core.mxScaleB = [this, &bt, k0](OpBuilder &, Location, Value r,
                                    Value k) -> Value {
      Value row = bt.gated ? gatedRow(r).first
                           : minS(add(n0, r), sub(N, cst(1)));
      Value blk = arith::DivUIOp::create(b, loc, add(k0, k), cst(32));
      Value last = sub(memref::DimOp::create(b, loc, bt.mxScale, 1), cst(1));
      return memref::LoadOp::create(b, loc, bt.mxScale,
                                    ValueRange{row, minS(blk, last)});
    };
  }
  if (!spec.groupK)
    return core.multiply(b, loc, a.lds, bt.lds, buf, tid, acc);
  // Block-wise fp8 (moe_gemm): group_k is a multiple of block_k, so the
  // tile lies in one K group g: acc += (A x B) * a_scale[row, g] *
  // b_scale[e, col / group_n, g].
  SmallVector<Value> tileAcc = core.multiply(
      b, loc, a.lds, bt.lds, buf, tid, core.initTileAccumulators(b, loc));
  Value g = arith::DivUIOp::create(b, loc, mul(kt, cst(spec.cfg().block_k)),
                                   cst(spec.groupK));
  tileAcc = core.updateElements(
      b, loc, tid, tileAcc,
      [&](OpBuilder &, Location, Value row, Value col, Value v) -> Value {
        Value aRow = maxS(arith::IndexCastOp::create(
                              b, loc, b.getIndexType(),
                              memref::LoadOp::create(b, loc, ldsRowMap,
                                                     ValueRange{cst(0), row})),
                          cst(0));
        Value gCol = minS(globalCol(col), sub(N, cst(1)));
        Value nGroup = arith::DivUIOp::create(b, loc, gCol, cst(spec.groupN));
        Value sa = memref::LoadOp::create(b, loc, scaleAArg, ValueRange{aRow, g});
        Value sb = memref::LoadOp::create(b, loc, scaleBArg,
                                          ValueRange{expert, nGroup, g});
        return arith::MulFOp::create(b, loc, v,
                                     arith::MulFOp::create(b, loc, sa, sb));
      });
  return core.addAccumulators(b, loc, acc, tileAcc);
}

SmallVector<Value> GemmBuilder::kLoop(OperandTile &a, OperandTile &bt,
                                      Value numK) {
  if (spec.plan.asyncCopy && core.copiesAsync())
    return kLoopAsync(a, bt, numK);
  SmallVector<Value> acc = core.initAccumulators(b, loc);
  auto tileK = [&](Value kt) { return mul(kt, cst(spec.cfg().block_k)); };
  auto barrier = [&] { gpu::BarrierOp::create(b, loc); };

  int64_t nA = slotsPerLane(a), nB = slotsPerLane(bt);
  auto loadBoth = [&](Value k0) {
    SmallVector<Value> regs = loadTile(a, k0);
    llvm::append_range(regs, loadTile(bt, k0));
    return regs;
  };
  auto storeBoth = [&](ValueRange regs, Value buf) {
    storeTile(a, buf, regs.take_front(nA));
    storeTile(bt, buf, regs.drop_front(nA).take_front(nB));
  };
  int64_t nAcc = acc.size();

  if (spec.plan.numStages == 1) {
    auto loop = scf::ForOp::create(b, loc, cst(0), numK, cst(1), acc);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    SmallVector<Value> regs = loadBoth(tileK(loop.getInductionVar()));
    storeBoth(regs, cst(0));
    barrier();
    SmallVector<Value> next = multiplyTile(
        a, bt, cst(0), loop.getRegionIterArgs(), loop.getInductionVar());
    barrier();
    // A core that keeps its accumulators in memory (the host) carries
    // nothing: the loop was built with its yield.
    if (nAcc)
      scf::YieldOp::create(b, loc, next);
    return SmallVector<Value>(loop.getResults());
  }

  int64_t nbuf = spec.plan.numLdsBuffers;
  if (nbuf == 1) {
    // num_stages = 2: registers hold tile kt + 1 while tile kt multiplies.
    SmallVector<Value> init = acc;
    llvm::append_range(init, loadBoth(cst(0)));
    auto loop = scf::ForOp::create(b, loc, cst(0), numK, cst(1), init);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    ValueRange args = loop.getRegionIterArgs();
    storeBoth(args.drop_front(nAcc), cst(0));
    barrier();
    Value kt = loop.getInductionVar();
    SmallVector<Value> prefetch = loadBoth(tileK(add(kt, cst(1))));
    SmallVector<Value> next =
        multiplyTile(a, bt, cst(0), args.take_front(nAcc), kt);
    barrier();
    llvm::append_range(next, prefetch);
    scf::YieldOp::create(b, loc, next);
    return SmallVector<Value>(loop.getResults().take_front(nAcc));
  }

  // num_stages = s > 2: a ring of s - 1 LDS buffers. Tiles 0 .. s - 3 go to
  // LDS up front and tile s - 2 waits in registers. Iteration kt: barrier
  // (tile kt is in LDS, everyone is done with iteration kt - 1), store the
  // waiting tile kt + s - 2 into the buffer iteration kt - 1 read, issue the
  // loads of tile kt + s - 1, multiply tile kt.
  for (int64_t i = 0; i + 1 < nbuf; ++i)
    storeBoth(loadBoth(tileK(cst(i))), cst(i));
  SmallVector<Value> init = acc;
  llvm::append_range(init, loadBoth(tileK(cst(nbuf - 1))));
  auto loop = scf::ForOp::create(b, loc, cst(0), numK, cst(1), init);
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(loop.getBody());
  ValueRange args = loop.getRegionIterArgs();
  Value kt = loop.getInductionVar();
  barrier();
  Value writeBuf =
      arith::RemUIOp::create(b, loc, add(kt, cst(nbuf - 1)), cst(nbuf));
  storeBoth(args.drop_front(nAcc), writeBuf);
  SmallVector<Value> prefetch = loadBoth(tileK(add(kt, cst(nbuf))));
  Value readBuf = arith::RemUIOp::create(b, loc, kt, cst(nbuf));
  SmallVector<Value> next =
      multiplyTile(a, bt, readBuf, args.take_front(nAcc), kt);
  llvm::append_range(next, prefetch);
  scf::YieldOp::create(b, loc, next);
  b.setInsertionPointAfter(loop);
  return SmallVector<Value>(loop.getResults().take_front(nAcc));
}

Value GemmBuilder::applyActivation(Value x) {
  return buildActivation(b, loc, spec.activation, x);
}

void GemmBuilder::epilogue(ValueRange acc, Value ldsRaw) {
  if (isGated())
    return gatedEpilogue(acc, ldsRaw);
  Type cElt = spec.cType;
  auto convert = [&](Value v) -> Value {
    if (cElt.isF32())
      return v;
    return arith::TruncFOp::create(b, loc, cElt, v);
  };
  auto toF32 = [&](Value v) -> Value {
    if (v.getType().isF32())
      return v;
    return arith::ExtFOp::create(b, loc, b.getF32Type(), v);
  };
  // Everything but the store: f32 in, the output element out. Reads of the
  // row/column operands use indices clamped into range.
  auto finish = [&](Value row, Value col, const RowTarget &rt, Value gCol,
                    Value v) -> Value {
    if (hooks)
      return hooks->element(b, loc, row, col, rt.scaleRow, gCol, v);
    Value gRow = spec.moe ? rt.scaleRow : minS(rt.scaleRow, sub(M, cst(1)));
    gCol = minS(gCol, sub(N, cst(1)));
    // Per-row scales are [M] or [M, 1]; per-column ones [N] (gemm) or
    // [E, N] (moe_gemm, the block's expert).
    auto rowIndex = [&]() -> SmallVector<Value> {
      if (spec.scaleARank == 2)
        return {gRow, cst(0)};
      return {gRow};
    };
    auto colIndex = [&]() -> SmallVector<Value> {
      if (spec.moe)
        return {expert, gCol};
      return {gCol};
    };
    if (spec.hasScaleA && !spec.groupK)
      v = arith::MulFOp::create(
          b, loc, v,
          spec.scaleAPerTensor
              ? scaleAValue
              : memref::LoadOp::create(b, loc, scaleAArg, rowIndex())
                    .getResult());
    if (spec.scaleBInEpilogue())
      v = arith::MulFOp::create(
          b, loc, v,
          spec.scaleBPerTensor
              ? scaleBValue
              : memref::LoadOp::create(b, loc, scaleBArg, colIndex())
                    .getResult());
    if (biasArg)
      v = arith::AddFOp::create(
          b, loc, v,
          toF32(memref::LoadOp::create(b, loc, biasArg, ValueRange{gCol})));
    if (rt.weight)
      v = arith::MulFOp::create(b, loc, v, rt.weight);
    return convert(applyActivation(v));
  };

  // moe_gemm scatters through the row map: its window starts at row 0.
  Value ldc = memref::DimOp::create(b, loc, cArg, 1);
  Value window = core.globalWindow(b, loc, cArg, spec.moe ? cst(0) : m0, n0);
  if (spec.plan.epilogue == EpilogueKind::direct) {
    // Straight from the accumulator layout: each lane stores what it holds.
    // The bias and scales are read at clamped indices: lanes outside the
    // matrix compute a value that their store then drops.
    core.forEachElement(
        b, loc, tid, acc,
        [&](OpBuilder &, Location, Value row, Value col, Value v) {
          Value gCol;
          RowTarget rt = rowTarget(row, [&] { gCol = add(n0, col); });
          Value inside =
              andI(rt.valid, cmp(arith::CmpIPredicate::slt, gCol, N));
          Value out = finish(row, col, rt, gCol, v);
          storeOut(window, out, add(mul(rt.row, ldc), col), inside);
        });
    return;
  }

  // Through LDS: park the finished tile in LDS (aliasing the K loop's
  // buffers, hence the barrier first), then store 16-byte row vectors.
  int64_t vec = spec.plan.vecC;
  gpu::BarrierOp::create(b, loc);
  Value tile = ldsView(b, loc, ldsRaw, {spec.cfg().block_m, spec.cfg().block_n},
                       cElt, 0);
  core.forEachElement(
      b, loc, tid, acc,
      [&](OpBuilder &, Location, Value row, Value col, Value v) {
        Value gCol;
        RowTarget rt = rowTarget(row, [&] { gCol = add(n0, col); });
        memref::StoreOp::create(
            b, loc, finish(row, col, rt, gCol, v), tile,
            ValueRange{row, swizzledLdsCol(b, loc, tile, row, col)});
      });
  gpu::BarrierOp::create(b, loc);

  // Whole 16-byte row vectors where the leading dimension allows (each is
  // then inside or outside N as a whole), else element by element.
  auto vecType = VectorType::get({vec}, cElt);
  int64_t perRow = spec.cfg().block_n / vec;
  int64_t total = spec.cfg().block_m * perRow;
  int64_t perLane = llvm::divideCeil(total, core.lanes());
  auto emitStores = [&](bool wholeVectors) {
    for (int64_t i = 0; i < perLane; ++i) {
      Value slot = add(cst(i * core.lanes()), tid);
      auto body = [&] {
        Value row = arith::DivUIOp::create(b, loc, slot, cst(perRow));
        Value col =
            mul(arith::RemUIOp::create(b, loc, slot, cst(perRow)), cst(vec));
        // col is chunk-aligned: the vector is one swizzle chunk.
        Value v = vector::LoadOp::create(
            b, loc, vecType, tile,
            ValueRange{row, swizzledLdsCol(b, loc, tile, row, col)});
        Value gCol;
        RowTarget rt = rowTarget(row, [&] { gCol = add(n0, col); });
        Value rowIn = rt.valid;
        Value offset = add(mul(rt.row, ldc), col);
        if (wholeVectors) {
          storeOut(window, v, offset,
                   andI(rowIn, cmp(arith::CmpIPredicate::slt, gCol, N)));
          return;
        }
        for (int64_t e = 0; e < vec; ++e)
          storeOut(
              window, vector::ExtractOp::create(b, loc, v, e),
              add(offset, cst(e)),
              andI(rowIn,
                   cmp(arith::CmpIPredicate::slt, add(gCol, cst(e)), N)));
      };
      if ((i + 1) * core.lanes() <= total) {
        body();
        continue;
      }
      auto guard = scf::IfOp::create(
          b, loc, cmp(arith::CmpIPredicate::slt, slot, cst(total)), false);
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(guard.thenBlock());
      body();
    }
  };
  if (spec.plan.ldAligned[2])
    return emitStores(true);
  Value aligned = cmp(arith::CmpIPredicate::eq,
                      arith::RemUIOp::create(b, loc, ldc, cst(vec)), cst(0));
  auto ifOp = scf::IfOp::create(b, loc, aligned, /*withElse=*/true);
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    emitStores(true);
    b.setInsertionPointToStart(ifOp.elseBlock());
    emitStores(false);
  }
}

//===----------------------------------------------------------------------===//
// moe_gemm with a gated activation
//===----------------------------------------------------------------------===//

std::pair<Value, Value> GemmBuilder::gatedRow(Value r) {
  int64_t half = spec.cfg().block_n / 2;
  Value nHalf = arith::DivUIOp::create(b, loc, N, cst(2));
  Value h0 = arith::DivUIOp::create(b, loc, n0, cst(2));
  Value isUp = cmp(arith::CmpIPredicate::uge, r, cst(half));
  Value local = arith::SelectOp::create(b, loc, isUp, sub(r, cst(half)), r);
  Value hRow = add(h0, local);
  Value valid = cmp(arith::CmpIPredicate::slt, hRow, nHalf);
  Value row = add(hRow, arith::SelectOp::create(b, loc, isUp, nHalf, cst(0)));
  return {minS(row, sub(N, cst(1))), valid};
}

void GemmBuilder::gatherGatedRows(OperandTile &bt) {
  bt.gathered = bt.gated = true;
  for (int64_t i = 0; i < slotsPerLane(bt); ++i) {
    auto [row, valid] = gatedRow(vectorCoords(bt, i).first);
    bt.gatherRow.push_back(row);
    bt.gatherValid.push_back(valid);
  }
}

void GemmBuilder::gatedEpilogue(ValueRange acc, Value ldsRaw) {
  int64_t bm = spec.cfg().block_m, half = spec.cfg().block_n / 2;
  Type f32Type = b.getF32Type();
  // Park the scaled accumulators as f32 (gate columns [0, half), up
  // columns [half, block_n)); the tile aliases the K loop's buffers.
  gpu::BarrierOp::create(b, loc);
  Value tile = ldsView(b, loc, ldsRaw, {bm, spec.cfg().block_n}, f32Type, 0);
  core.forEachElement(
      b, loc, tid, acc,
      [&](OpBuilder &, Location, Value row, Value col, Value v) {
        if (spec.hasScaleA && !spec.groupK) {
          Value s = scaleAValue;
          if (!spec.scaleAPerTensor) {
            Value aRow = rowTarget(row).scaleRow;
            SmallVector<Value> idx{aRow};
            if (spec.scaleARank == 2)
              idx.push_back(cst(0));
            s = memref::LoadOp::create(b, loc, scaleAArg, idx);
          }
          v = arith::MulFOp::create(b, loc, v, s);
        }
        if (spec.scaleBInEpilogue()) {
          Value s = scaleBValue;
          if (!spec.scaleBPerTensor)
            s = memref::LoadOp::create(b, loc, scaleBArg,
                                       ValueRange{expert, globalCol(col)});
          v = arith::MulFOp::create(b, loc, v, s);
        }
        memref::StoreOp::create(b, loc, v, tile, ValueRange{row, col});
      });
  gpu::BarrierOp::create(b, loc);

  // out[row][c] = w(row) * act(gate) * up into C's column n0/2 + c.
  Value nHalf = arith::DivUIOp::create(b, loc, N, cst(2));
  Value h0 = arith::DivUIOp::create(b, loc, n0, cst(2));
  Value ldc = memref::DimOp::create(b, loc, cArg, 1);
  Value window = core.globalWindow(b, loc, cArg, cst(0), h0);
  auto loop = scf::ForOp::create(b, loc, tid, cst(bm * half), cst(core.lanes()));
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(loop.getBody());
  Value slot = loop.getInductionVar();
  Value row = arith::DivUIOp::create(b, loc, slot, cst(half));
  Value c = arith::RemUIOp::create(b, loc, slot, cst(half));
  Value gate = memref::LoadOp::create(b, loc, tile, ValueRange{row, c});
  Value up = memref::LoadOp::create(b, loc, tile,
                                    ValueRange{row, add(c, cst(half))});
  Value v = arith::MulFOp::create(
      b, loc, buildActivation(b, loc, spec.moe->gate, gate), up);
  RowTarget rt = rowTarget(row);
  if (rt.weight)
    v = arith::MulFOp::create(b, loc, v, rt.weight);
  if (!spec.cType.isF32())
    v = arith::TruncFOp::create(b, loc, spec.cType, v);
  Value inside = andI(rt.valid, cmp(arith::CmpIPredicate::slt, add(h0, c), nHalf));
  storeOut(window, v, add(mul(rt.row, ldc), c), inside);
}

//===----------------------------------------------------------------------===//
// moe_gemm: the row map
//===----------------------------------------------------------------------===//

Value GemmBuilder::rowsView(Value m, Value e) {
  auto meta = memref::ExtractStridedMetadataOp::create(b, loc, m);
  auto type = cast<MemRefType>(m.getType());
  auto viewType = MemRefType::get(
      {ShapedType::kDynamic, ShapedType::kDynamic}, type.getElementType(),
      StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic,
                             {ShapedType::kDynamic, 1}),
      type.getMemorySpace());
  // W[e]: W's offset moved by e slices, [N, K]; else [d0 x d1, d2].
  Value offset = meta.getOffset();
  OpFoldResult rows = meta.getSizes()[1];
  if (e)
    offset = add(offset, mul(e, meta.getStrides()[0]));
  else
    rows = mul(meta.getSizes()[0], meta.getSizes()[1]);
  return memref::ReinterpretCastOp::create(
      b, loc, viewType, meta.getBaseBuffer(), OpFoldResult(offset),
      ArrayRef<OpFoldResult>{rows, meta.getSizes()[2]},
      ArrayRef<OpFoldResult>{meta.getStrides()[1], b.getIndexAttr(1)});
}

void GemmBuilder::openMoeGuard(Value bArg) {
  // A block has work when it starts below num_tokens_post_padded and its
  // expert is one of W's (expert_ids says -1 for a block this rank skips).
  // The condition is uniform: the whole workgroup skips, barriers included.
  Type i32 = b.getI32Type();
  auto toIndex = [&](Value v) {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), v).getResult();
  };
  Value npad = toIndex(memref::LoadOp::create(b, loc, npadArg, ValueRange{cst(0)}));
  Value pidM = arith::DivUIOp::create(b, loc, m0, cst(spec.cfg().block_m));
  Value live =
      andI(andI(cmp(arith::CmpIPredicate::slt, m0, npad),
                cmp(arith::CmpIPredicate::slt, pidM,
                    memref::DimOp::create(b, loc, expertsArg, 0))),
           cmp(arith::CmpIPredicate::sgt, numValid, cst(0)));
  auto load = scf::IfOp::create(b, loc, TypeRange{i32}, live, true);
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(load.thenBlock());
    scf::YieldOp::create(
        b, loc,
        ValueRange{memref::LoadOp::create(b, loc, expertsArg, ValueRange{pidM})});
    b.setInsertionPointToStart(load.elseBlock());
    scf::YieldOp::create(b, loc,
                         ValueRange{arith::ConstantIntOp::create(b, loc, i32, -1)});
  }
  expert = toIndex(load.getResult(0));
  Value run = andI(cmp(arith::CmpIPredicate::sge, expert, cst(0)),
                   cmp(arith::CmpIPredicate::slt, expert,
                       memref::DimOp::create(b, loc, bArg, 0)));
  auto guard = scf::IfOp::create(b, loc, run, /*withElse=*/false);
  b.setInsertionPointToStart(guard.thenBlock());
}

void GemmBuilder::stageRowMap(Value raw) {
  // Lane l writes rows l, l + lanes, ...: row r of the block is sorted id
  // s = sorted_token_ids[m0 + r]; it is real iff s < tokens x top_k (ids
  // past the end of sorted_token_ids are padding too).
  const MoeRouting &moe = *spec.moe;
  int64_t bm = spec.cfg().block_m;
  auto wg = gpu::AddressSpaceAttr::get(b.getContext(),
                                       gpu::AddressSpace::Workgroup);
  Type i32 = b.getI32Type();
  int64_t at = spec.plan.extraLdsOffset;
  ldsRowMap = memref::ViewOp::create(
      b, loc, MemRefType::get({2, bm}, i32, MemRefLayoutAttrInterface(), wg),
      raw, cst(at), ValueRange{});
  ldsWeights = memref::ViewOp::create(
      b, loc,
      MemRefType::get({bm}, b.getF32Type(), MemRefLayoutAttrInterface(), wg),
      raw, cst(at + 8 * bm), ValueRange{});
  auto loop = scf::ForOp::create(b, loc, tid, cst(bm), cst(core.lanes()));
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    Value r = loop.getInductionVar();
    Value idx = add(m0, r);
    Value inSorted = cmp(arith::CmpIPredicate::slt, idx, M);
    Value sId = memref::LoadOp::create(b, loc, sortedArg,
                                       ValueRange{minS(idx, sub(M, cst(1)))});
    Value sIdx = arith::IndexCastOp::create(b, loc, b.getIndexType(), sId);
    // Unsigned: a negative id is padding as well.
    Value valid = andI(inSorted, cmp(arith::CmpIPredicate::ult, sIdx, numValid));
    Value token = arith::DivUIOp::create(b, loc, sIdx, cst(moe.topK));
    Value aRow = moe.aPerCopy ? sIdx : token;
    Value cRow = moe.reduce ? token : sIdx;
    auto entry = [&](Value v) {
      return arith::SelectOp::create(
          b, loc, valid, arith::IndexCastOp::create(b, loc, i32, v),
          arith::ConstantIntOp::create(b, loc, i32, -1));
    };
    memref::StoreOp::create(b, loc, entry(aRow), ldsRowMap,
                            ValueRange{cst(0), r});
    memref::StoreOp::create(b, loc, entry(cRow), ldsRowMap,
                            ValueRange{cst(1), r});
    Value w = f32(1.0);
    if (topkwArg) {
      auto ifOp = scf::IfOp::create(b, loc, TypeRange{b.getF32Type()}, valid,
                                    true);
      OpBuilder::InsertionGuard g2(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
      Value x = memref::LoadOp::create(
          b, loc, topkwArg,
          ValueRange{token, arith::RemUIOp::create(b, loc, sIdx, cst(moe.topK))});
      if (!x.getType().isF32())
        x = arith::ExtFOp::create(b, loc, b.getF32Type(), x);
      scf::YieldOp::create(b, loc, x);
      b.setInsertionPointToStart(ifOp.elseBlock());
      scf::YieldOp::create(b, loc, ValueRange{f32(0.0)});
      b.setInsertionPointAfter(ifOp);
      w = ifOp.getResult(0);
    }
    memref::StoreOp::create(b, loc, w, ldsWeights, ValueRange{r});
  }
  gpu::BarrierOp::create(b, loc);
}

void GemmBuilder::gatherRows(OperandTile &a) {
  a.gathered = true;
  for (int64_t i = 0; i < slotsPerLane(a); ++i) {
    Value r = vectorCoords(a, i).first;
    Value row = arith::IndexCastOp::create(
        b, loc, b.getIndexType(),
        memref::LoadOp::create(b, loc, ldsRowMap, ValueRange{cst(0), r}));
    a.gatherValid.push_back(cmp(arith::CmpIPredicate::sge, row, cst(0)));
    a.gatherRow.push_back(maxS(row, cst(0)));
  }
}

GemmBuilder::RowTarget GemmBuilder::rowTarget(Value row,
                                              function_ref<void()> between) {
  RowTarget t;
  if (!spec.moe) {
    // The window starts at row m0.
    Value gRow = add(m0, row);
    if (between)
      between();
    t.row = row;
    t.valid = cmp(arith::CmpIPredicate::slt, gRow, M);
    t.scaleRow = gRow;
    return t;
  }
  if (between)
    between();
  auto mapped = [&](int64_t which) {
    return arith::IndexCastOp::create(
        b, loc, b.getIndexType(),
        memref::LoadOp::create(b, loc, ldsRowMap, ValueRange{cst(which), row}));
  };
  Value cRow = mapped(1);
  t.valid = cmp(arith::CmpIPredicate::sge, cRow, cst(0));
  t.row = maxS(cRow, cst(0));
  t.scaleRow = maxS(mapped(0), cst(0));
  if (topkwArg)
    t.weight = memref::LoadOp::create(b, loc, ldsWeights, ValueRange{row});
  return t;
}

void GemmBuilder::storeOut(Value window, Value value, Value offset,
                           Value valid) {
  if (spec.moe && spec.moe->reduce)
    core.atomicAddGlobal(b, loc, window, value, offset, valid);
  else
    core.storeGlobal(b, loc, window, value, offset, valid);
}

LogicalResult GemmBuilder::build(gpu::GPUFuncOp func) {
  Block &entry = func.getBody().front();
  b.setInsertionPointToStart(&entry);
  ValueRange args = func.getArguments();
  Value aArg = args[0], bArg = args[1];
  cArg = args[2];
  unsigned next = 3;
  if (spec.moe) {
    sortedArg = args[next++];
    expertsArg = args[next++];
    npadArg = args[next++];
    if (spec.moe->topkWeightsType)
      topkwArg = args[next++];
  }
  if (spec.biasType)
    biasArg = args[next++];
  if (spec.hasScaleA)
    scaleAArg = args[next++];
  if (spec.hasScaleB)
    scaleBArg = args[next++];

  if (spec.moe) {
    // The rows of the problem are the sorted ids; W is [E, N, K] and C
    // [tokens, (top_k,) N].
    M = memref::DimOp::create(b, loc, sortedArg, 0);
    K = memref::DimOp::create(b, loc, aArg, 1);
    N = memref::DimOp::create(b, loc, bArg, 1);
    numValid = mul(memref::DimOp::create(b, loc, cArg, 0), cst(spec.moe->topK));
    if (spec.moe->cRank == 3)
      cArg = rowsView(cArg);
  } else {
    M = memref::DimOp::create(b, loc, aArg, spec.transposeA ? 1 : 0);
    K = memref::DimOp::create(b, loc, aArg, spec.transposeA ? 0 : 1);
    N = memref::DimOp::create(b, loc, bArg, spec.transposeB ? 0 : 1);
  }
  tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);

  // Workgroup swizzle (Triton's grouped ordering): group_m row-tiles share
  // the same B columns while they are hot in L2.
  Value pid = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  auto ceilDiv = [&](Value x, int64_t d) {
    return arith::CeilDivUIOp::create(b, loc, x, cst(d));
  };
  Value numPidM = ceilDiv(M, spec.cfg().block_m);
  Value numPidN = ceilDiv(N, spec.cfg().block_n);
  Value inGroup = mul(cst(spec.cfg().group_m), numPidN);
  Value groupId = arith::DivUIOp::create(b, loc, pid, inGroup);
  Value firstPidM = mul(groupId, cst(spec.cfg().group_m));
  Value groupSize = minS(sub(numPidM, firstPidM), cst(spec.cfg().group_m));
  Value local = arith::RemUIOp::create(b, loc, pid, inGroup);
  Value pidM = add(firstPidM, arith::RemUIOp::create(b, loc, local, groupSize));
  Value pidN = arith::DivUIOp::create(b, loc, local, groupSize);
  m0 = mul(pidM, cst(spec.cfg().block_m));
  n0 = mul(pidN, cst(spec.cfg().block_n));

  buildBody(
      func, aArg, bArg, [&] { return ceilDiv(K, spec.cfg().block_k); },
      [&](Value raw) {
        // moe_gemm: everything below runs only for a block with work.
        if (spec.moe)
          openMoeGuard(bArg);
        if (spec.hasScaleA && spec.scaleAPerTensor)
          scaleAValue = memref::LoadOp::create(
              b, loc, scaleAArg,
              cast<MemRefType>(scaleAArg.getType()).getRank()
                  ? ValueRange{cst(0)}
                  : ValueRange{});
        if (spec.scaleBInEpilogue() && spec.scaleBPerTensor)
          scaleBValue = memref::LoadOp::create(
              b, loc, scaleBArg,
              ValueRange{spec.scaleBPerExpert ? expert : cst(0)});
      },
      [&](Value raw, OperandTile &a, OperandTile &bt) {
        if (!spec.moe)
          return;
        bt.global = rowsView(bArg, expert);
        if (spec.mxfp4) {
          bt.packed = true;
          bt.mxScale = rowsView(scaleBArg, expert);
        }
        stageRowMap(raw);
        gatherRows(a);
        if (isGated())
          gatherGatedRows(bt);
      });
  return success();
}

void GemmBuilder::buildBody(
    gpu::GPUFuncOp func, Value aArg, Value bArg, function_ref<Value()> numK,
    function_ref<void(Value)> afterLds,
    function_ref<void(Value, OperandTile &, OperandTile &)> withTiles) {
  // LDS: one raw buffer, viewed as the A and B rings and, after the loop, as
  // the epilogue tile. Tiles are unpadded and swizzled (LdsLayout.h); the
  // plan sizes and places them.
  const KernelPlan &plan = spec.plan;
  int64_t nbuf = plan.numLdsBuffers;
  Value raw = allocateLds(b, loc, func, plan);
  Block *outer = b.getInsertionBlock();
  afterLds(raw);
  // A guard opened by afterLds: the kernel returns after it.
  Block *bodyEnd = b.getInsertionBlock() != outer ? b.getInsertionBlock()
                                                  : nullptr;

  auto ring = [&](int64_t rows, Type elt, int64_t offset) {
    return ldsView(b, loc, raw, {nbuf, rows, spec.cfg().block_k}, elt, offset);
  };
  Value ldsA = ring(spec.cfg().block_m, spec.aType, 0);
  Value ldsB = ring(spec.cfg().block_n, spec.bType, plan.ldsABytes);

  auto tile = [&](Value global, Value lds, Type elt, int64_t rows,
                  bool kContiguous, Value rowBase, Value rowLimit, int64_t vec,
                  bool ldAligned) {
    OperandTile t;
    t.global = global, t.lds = lds, t.elt = elt, t.ldsElt = elt, t.rows = rows;
    t.kContiguous = kContiguous, t.rowBase = rowBase, t.rowLimit = rowLimit;
    t.vec = vec, t.ldAligned = ldAligned;
    return t;
  };
  OperandTile a = tile(aArg, ldsA, spec.aType, spec.cfg().block_m,
                       !spec.transposeA, m0, M, plan.vecA, plan.ldAligned[0]);
  Type bMemory = spec.bMemoryType ? spec.bMemoryType : spec.bType;
  OperandTile bt = tile(bArg, ldsB, bMemory, spec.cfg().block_n,
                        spec.transposeB, n0, N, plan.vecB, plan.ldAligned[1]);
  bt.ldsElt = spec.bType;
  withTiles(raw, a, bt);

  SmallVector<Value> acc = kLoop(a, bt, numK());
  epilogue(acc, raw);
  if (bodyEnd)
    b.setInsertionPointAfter(bodyEnd->getParentOp());
  gpu::ReturnOp::create(b, loc);
}

LogicalResult GemmBuilder::buildFromTiles(gpu::GPUFuncOp func,
                                          const GemmTileHooks &h) {
  hooks = &h;
  Block &entry = func.getBody().front();
  b.setInsertionPointToStart(&entry);
  ValueRange args = func.getArguments();
  Value aArg = args[0], bArg = args[1];
  cArg = args[2];
  FailureOr<GemmTileHooks::Origin> origin =
      h.prologue(b, args, [&]() -> Value {
        tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
        return gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
      });
  if (failed(origin))
    return failure();
  if (!tid)
    tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  M = origin->M, N = origin->N, K = origin->K;
  m0 = origin->m0, n0 = origin->n0;
  buildBody(
      func, aArg, bArg, [&] { return origin->numK(); }, [](Value) {},
      [](Value, OperandTile &, OperandTile &) {});
  return success();
}

/// The kernel function of `spec` with `argTypes`, its body built by `body`
/// on the registered matrix core.
static FailureOr<GemmKernel>
buildKernel(OpBuilder &b, gpu::GPUModuleOp module, StringRef name,
            const GemmKernelSpec &spec, TypeRange argTypes, Location loc,
            function_ref<LogicalResult(GemmBuilder &, gpu::GPUFuncOp)> body) {
  FailureOr<std::unique_ptr<MatrixCore>> core = createMatrixCore(spec, loc);
  if (failed(core))
    return failure();
  OpBuilder::InsertionGuard g(b);
  gpu::GPUFuncOp func =
      createKernelFunc(b, module, name, argTypes, spec.plan, **core, loc);
  GemmBuilder builder(b, loc, spec, **core);
  if (failed(body(builder, func)))
    return failure();
  return GemmKernel{func};
}

FailureOr<GemmKernel> moec::buildGemmKernel(OpBuilder &b,
                                            gpu::GPUModuleOp module,
                                            StringRef name,
                                            const GemmKernelSpec &spec,
                                            Location loc) {
  MLIRContext *ctx = b.getContext();
  auto arg = [&](Type elt, int64_t rank) {
    return globalKernelArgType(ctx, elt, rank);
  };
  SmallVector<Type> argTypes;
  if (spec.moe) {
    // A, W [E, N, K], C, sorted_token_ids, expert_ids,
    // num_tokens_post_padded, topk_weights.
    Type i32 = b.getI32Type();
    argTypes = {arg(spec.aType, 2),
                arg(spec.bMemoryType ? spec.bMemoryType : spec.bType, 3),
                arg(spec.cType, spec.moe->cRank), arg(i32, 1), arg(i32, 1),
                arg(i32, 1)};
    if (spec.moe->topkWeightsType)
      argTypes.push_back(arg(spec.moe->topkWeightsType, 2));
  } else {
    argTypes = {arg(spec.aType, 2), arg(spec.bType, 2), arg(spec.cType, 2)};
  }
  if (spec.biasType)
    argTypes.push_back(globalKernelArgType(ctx, spec.biasType, 1));
  if (spec.hasScaleA)
    argTypes.push_back(arg(b.getF32Type(), spec.scaleARank));
  if (spec.hasScaleB)
    argTypes.push_back(arg(spec.scaleBType ? spec.scaleBType : b.getF32Type(),
                           spec.scaleBRank));
  return buildKernel(b, module, name, spec, argTypes, loc,
                     [](GemmBuilder &builder, gpu::GPUFuncOp func) {
                       return builder.build(func);
                     });
}

FailureOr<GemmKernel> moec::buildGemmKernelFromTiles(
    OpBuilder &b, gpu::GPUModuleOp module, StringRef name,
    const GemmKernelSpec &spec, TypeRange argTypes, const GemmTileHooks &hooks,
    Location loc) {
  return buildKernel(b, module, name, spec, argTypes, loc,
                     [&](GemmBuilder &builder, gpu::GPUFuncOp func) {
                       return builder.buildFromTiles(func, hooks);
                     });
}
