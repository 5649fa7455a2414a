//===- SparseAttentionKernelBuilder.cpp - sparse MLA decode skeleton ------===//
//
// Builds one workgroup's program for `moec.sparse_attention`: query token t
// and heads h0 .. h0 + block_h (pid = t * ceil(h_q / block_h) + head group).
//
//   Q tile [block_h][d_qk] -> LDS once
//   for each block of block_kv indices of row t:
//     gather the KV rows (flat row = index; -1, or past topk, or outside
//     the cache: masked) into the KV ring in LDS, once for all block_h
//     heads; num_stages 2 loads the next block into registers while this one
//     is computed, num_stages s > 2 keeps s - 1 LDS buffers, s - 2 ahead;
//     with async_copy (NVIDIA) cp.async fills a ring of s LDS buffers,
//     s - 1 blocks ahead, through no registers
//     S = Q KV^T                       matrix core (the plan's qk product),
//                                      a rolled loop over d_qk
//     scores -> LDS (f32, scaled by scale * log2(e))
//     online softmax per row, f32, G lanes a row combined by shuffles:
//       running max m, sum l, correction alpha; P = exp2(S - m) (0 where
//       masked) -> LDS in the KV element type
//     for each dvChunk of d_v:
//       O_chunk *= alpha (MatrixCore::updateElements)
//       O_chunk += P V_chunk           matrix core (the plan's pv product),
//                                      V read in place from the gathered
//                                      rows ([block_kv][d] is K x N)
//   out = O / l (0 where l = 0), lse = (m + log2 l) ln 2 (-inf where l = 0)
//
// Everything but the two products is target-independent: it goes through
// the core's global windows (validity bits: a masked load reads zeros) and
// plain LDS accesses through the skeleton's swizzle (LdsLayout.h).
//
//===----------------------------------------------------------------------===//

#include "moec/Transforms/SparseAttentionKernel.h"
#include "moec/Dialect/TargetChecks.h"
#include "moec/Transforms/KernelBuilding.h"
#include "moec/Transforms/LdsLayout.h"
#include "moec/Transforms/MatrixCore.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace moec;

SparseAttentionKernelSpec
SparseAttentionKernelSpec::get(SparseAttentionOp op, const TargetInfo &target) {
  SparseAttentionKernelSpec s;
  s.plan = getSparseAttentionPlan(op, target);
  s.elt = cast<MemRefType>(op.getQ().getType()).getElementType();
  s.kvType = cast<MemRefType>(op.getKvCache().getType()).getElementType();
  s.outType = cast<MemRefType>(op.getOut().getType()).getElementType();
  s.hasLse = static_cast<bool>(op.getLse());
  s.hasWorkspace = static_cast<bool>(op.getWorkspace());
  s.scale = op.getScale().convertToFloat();
  for (auto [g, plan] : {std::pair{&s.qk, &s.plan.qk}, {&s.pv, &s.plan.pv}}) {
    g->plan = *plan;
    g->aType = g->bType = s.elt;
    g->cType = Float32Type::get(op.getContext());
  }
  // P x V reads V in place: the gathered rows are [block_kv][d], i.e. K x N.
  s.pv.ldsBIsKxN = true;
  return s;
}

static Value log2AtLeastOne(OpBuilder &b, Location loc, Value x);

namespace {

using Pred = arith::CmpIPredicate;

/// The op's operands in ODS order as kernel arguments.
SmallVector<Type> kernelArgTypes(OpBuilder &b,
                                 const SparseAttentionKernelSpec &spec) {
  MLIRContext *ctx = b.getContext();
  SmallVector<Type> types = {globalKernelArgType(ctx, spec.elt, 3),
                             globalKernelArgType(ctx, spec.kvType, 3),
                             globalKernelArgType(ctx, b.getI32Type(), 2),
                             globalKernelArgType(ctx, spec.outType, 3)};
  if (spec.hasLse)
    types.push_back(globalKernelArgType(ctx, b.getF32Type(), 2));
  if (spec.hasWorkspace)
    types.push_back(globalKernelArgType(ctx, b.getF32Type(), 3));
  return types;
}

class AttentionBuilder {
public:
  AttentionBuilder(OpBuilder &b, Location loc,
                   const SparseAttentionKernelSpec &spec, MatrixCore &qkCore,
                   ArrayRef<std::unique_ptr<MatrixCore>> pvCores)
      : b(b), loc(loc), im{b, loc}, spec(spec), plan(spec.plan),
        qkCore(qkCore), pvCores(pvCores) {}

  void build(gpu::GPUFuncOp func);

private:
  Value cst(int64_t v) { return im.cst(v); }
  int64_t lanes() const { return plan.kernel.lanes; }
  /// Lanes of the first `waves` waves.
  int64_t lanesOf(int64_t waves) const {
    return waves * (plan.kernel.lanes / plan.kernel.config.num_warps);
  }
  int64_t bh() const { return spec.cfg().block_h; }
  int64_t bkv() const { return spec.cfg().block_kv; }
  int64_t nbuf() const { return plan.kernel.numLdsBuffers; }

  /// `fn(i)` for i = tid, tid + lanes, ... below `total`: work spread over
  /// the workgroup's lanes.
  void coopFor(int64_t total, llvm::function_ref<void(Value)> fn);
  /// `body` on the first `activeLanes` lanes; the others pass `acc` on.
  SmallVector<Value> onLanes(int64_t activeLanes, ValueRange acc,
                             llvm::function_ref<SmallVector<Value>()> body);
  void barrier() { gpu::BarrierOp::create(b, loc); }
  /// Ends `loop`'s body with `values` (replacing the implicit yield a loop
  /// without iteration arguments was built with).
  void yield(scf::ForOp loop, ValueRange values) {
    Block *body = loop.getBody();
    if (!body->empty() && isa<scf::YieldOp>(body->back()))
      body->back().erase();
    b.setInsertionPointToEnd(body);
    scf::YieldOp::create(b, loc, values);
  }

  /// A gather of `perRow` slots per KV row (bkv() rows), slot s of a row
  /// covering `width` columns of the KV tile from col0 + s * width. A bf16
  /// cache has one (the row in vectors); the fp8_ds_mla cache two, the
  /// latent codes (16 a slot, with their scale) and the bf16 rope.
  struct Segment {
    int64_t perRow, width, col0;
  };
  Segment plainRows() const { return {plan.dQK / plan.vec, plan.vec, 0}; }
  static constexpr int64_t kFp8Slot = 16; ///< e4m3 codes per latent slot
  Segment fp8Latent() const {
    return {kFp8DsMlaLatent / kFp8Slot, kFp8Slot, 0};
  }
  Segment fp8Rope() const {
    return {kFp8DsMlaRope / plan.vec, plan.vec, kFp8DsMlaLatent};
  }
  /// (row, column) in the KV tile of this lane's slot of round `i`.
  std::pair<Value, Value> gatherCoords(const Segment &seg, int64_t i);
  int64_t gatherSlots(const Segment &seg) const { return bkv() * seg.perRow; }
  int64_t gatherPerLane(const Segment &seg) const {
    return llvm::divideCeil(gatherSlots(seg), lanes());
  }
  /// This lane's gather registers of the block at kv0: a bf16 cache's
  /// vectors, then their (masked) indices; an fp8_ds_mla cache's latent
  /// codes and scale bytes per round (see loadKVFp8), then the rope.
  SmallVector<Value> loadKV(Value kv0);
  SmallVector<Value> loadKVFp8(Value kv0);
  /// `body(i, row, col)` for this lane's slot of round i, under a guard in
  /// the last round when the lanes outnumber the segment's slots.
  void forGatherSlots(const Segment &seg,
                      llvm::function_ref<void(int64_t, Value, Value)> body);
  /// 16 e4m3fn codes times their f32 scale, rounded to the KV tile's type.
  Value dequantFp8(Value codes, Value scaleBytes);
  /// Row j's index into the index row of buffer `buf`, by the lane holding
  /// the row's first vector (column c = 0).
  void storeIndex(Value idx, Value buf, Value j, Value c);
  /// Registers from loadKV -> KV buffer `buf` and its index row.
  void storeKV(ValueRange regs, Value buf);
  /// Async copies (NVIDIA cp.async): starts copying the block at kv0 into
  /// buffer `buf` (masked rows zero-filled) and stores its index row; no
  /// registers hold the block on its way.
  void copyKVAsync(Value kv0, Value buf);
  /// The flat row of index position `pos` of this token, or -1 (as i32)
  /// where masked, with its validity.
  std::pair<Value, Value> loadIndex(Value pos);

  /// One KV block already in buffer `buf`: scores, softmax, P x V.
  /// `afterScores` runs right after the barrier that ends the score product
  /// (every lane is then past the previous block's P x V: the pipelined
  /// loop refills the buffer that block read there). `trailingBarrier` ends
  /// the block with a barrier (a one-buffer ring is refilled next).
  SmallVector<Value> computeBlock(Value buf, ValueRange acc,
                                  llvm::function_ref<void()> afterScores,
                                  bool trailingBarrier);

  Value stat(int64_t which, Value row) {
    return memref::LoadOp::create(b, loc, statL, ValueRange{cst(which), row});
  }
  void setStat(int64_t which, Value row, Value v) {
    memref::StoreOp::create(b, loc, v, statL, ValueRange{cst(which), row});
  }

  OpBuilder &b;
  Location loc;
  IndexMath im;
  const SparseAttentionKernelSpec &spec;
  const SparseAttentionPlan &plan;
  MatrixCore &qkCore;
  ArrayRef<std::unique_ptr<MatrixCore>> pvCores;

  Value tid, t, h0, hQ, topk, numRows, rowQ0;
  /// Index positions at or past it are masked: min(topk, this split's end),
  /// so the prefetch past a split's last block fetches nothing.
  Value posEnd;
  Value kvRows; ///< kv_cache as [rows, d_qk]
  Value kvArg, kvWin, idxWin;
  Value kvRing, qL, pL, sL, idxL, statL;
  SmallVector<Value> qkInit;
  SmallVector<size_t> pvAccCount; ///< accumulators per d_v chunk
};

} // namespace

void AttentionBuilder::coopFor(int64_t total, llvm::function_ref<void(Value)> fn) {
  auto loop = scf::ForOp::create(b, loc, tid, cst(total), cst(lanes()));
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(loop.getBody());
  fn(loop.getInductionVar());
}

SmallVector<Value>
AttentionBuilder::onLanes(int64_t activeLanes, ValueRange acc,
                          llvm::function_ref<SmallVector<Value>()> body) {
  if (activeLanes >= lanes())
    return body();
  Value active = im.cmp(Pred::ult, tid, cst(activeLanes));
  if (acc.empty()) {
    auto ifOp = scf::IfOp::create(b, loc, active, /*withElse=*/false);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    body();
    return {};
  }
  auto ifOp = scf::IfOp::create(b, loc, acc.getTypes(), active,
                                /*withElse=*/true);
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  scf::YieldOp::create(b, loc, body());
  b.setInsertionPointToStart(ifOp.elseBlock());
  scf::YieldOp::create(b, loc, acc);
  return SmallVector<Value>(ifOp.getResults());
}

std::pair<Value, Value> AttentionBuilder::loadIndex(Value pos) {
  Type i32 = b.getI32Type();
  Value inTopk = im.cmp(Pred::slt, pos, posEnd);
  Value raw = qkCore.loadGlobal(b, loc, idxWin, i32, pos, inTopk);
  Value idx = arith::IndexCastOp::create(b, loc, b.getIndexType(), raw);
  Value valid = im.andI(inTopk, im.andI(im.cmp(Pred::sge, idx, cst(0)),
                                        im.cmp(Pred::slt, idx, numRows)));
  Value masked = arith::SelectOp::create(
      b, loc, valid, raw,
      arith::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(-1)));
  return {masked, valid};
}

std::pair<Value, Value> AttentionBuilder::gatherCoords(const Segment &seg,
                                                      int64_t i) {
  Value slot = im.add(cst(i * lanes()), tid);
  if ((i + 1) * lanes() > gatherSlots(seg)) // the last round may be partial
    slot = im.minS(slot, cst(gatherSlots(seg) - 1));
  Value c = im.mul(im.remU(slot, cst(seg.perRow)), cst(seg.width));
  return {im.divU(slot, cst(seg.perRow)),
          seg.col0 ? im.add(c, cst(seg.col0)) : c};
}

SmallVector<Value> AttentionBuilder::loadKV(Value kv0) {
  if (plan.kvFp8)
    return loadKVFp8(kv0);
  auto vecType = VectorType::get({plan.vec}, spec.elt);
  SmallVector<Value> vecs, idxs;
  for (int64_t i = 0; i < gatherPerLane(plainRows()); ++i) {
    auto [j, c] = gatherCoords(plainRows(), i);
    auto [idx, valid] = loadIndex(im.add(kv0, j));
    Value row = arith::IndexCastOp::create(b, loc, b.getIndexType(), idx);
    vecs.push_back(qkCore.loadGlobal(
        b, loc, kvWin, vecType, im.add(im.mul(row, cst(plan.dQK)), c), valid));
    idxs.push_back(idx);
  }
  llvm::append_range(vecs, idxs);
  return vecs;
}

SmallVector<Value> AttentionBuilder::loadKVFp8(Value kv0) {
  // Row r of the cache starts at byte r * 656 (a multiple of 16: every
  // 16-byte slot below is aligned): per latent round the slot's 16 codes at
  // byte c and its group's scale at 512 + 4 (c / 128), then per rope round
  // 8 bf16 at 528 + 2 (c - 512). Converted when stored (storeKV): the
  // registers carry 20 bytes per 16 latent values while the block waits.
  auto bytes = [&](int64_t n) { return VectorType::get({n}, b.getI8Type()); };
  auto rowBase = [&](Value idx) {
    return im.mul(arith::IndexCastOp::create(b, loc, b.getIndexType(), idx),
                  cst(kFp8DsMlaRowBytes));
  };
  SmallVector<Value> regs;
  Segment lat = fp8Latent(), rope = fp8Rope();
  for (int64_t i = 0; i < gatherPerLane(lat); ++i) {
    auto [j, c] = gatherCoords(lat, i);
    auto [idx, valid] = loadIndex(im.add(kv0, j));
    Value base = rowBase(idx);
    regs.push_back(qkCore.loadGlobal(b, loc, kvWin, bytes(kFp8Slot),
                                     im.add(base, c), valid));
    Value group = im.divU(c, cst(kFp8DsMlaScaleGroup));
    regs.push_back(qkCore.loadGlobal(
        b, loc, kvWin, bytes(4),
        im.add(base, im.add(cst(kFp8DsMlaScaleOffset), im.mul(group, cst(4)))),
        valid));
    regs.push_back(idx);
  }
  for (int64_t i = 0; i < gatherPerLane(rope); ++i) {
    auto [j, c] = gatherCoords(rope, i);
    auto [idx, valid] = loadIndex(im.add(kv0, j));
    Value off = im.add(cst(kFp8DsMlaRopeOffset - 2 * kFp8DsMlaLatent),
                       im.mul(c, cst(2)));
    regs.push_back(qkCore.loadGlobal(b, loc, kvWin, bytes(2 * plan.vec),
                                     im.add(rowBase(idx), off), valid));
  }
  return regs;
}

Value AttentionBuilder::dequantFp8(Value codes, Value scaleBytes) {
  // OCP e4m3fn from the bits, exactly, on targets without an OCP conversion
  // (host, AMD: gfx942's fp8 instructions decode fnuz, a different bias and
  // NaN; the emulator models none of them): magnitude code
  // m = S.EEEE.MMM & 0x7f; E > 0 is 2^(E-7) (1 + M/8), an f32 with exponent
  // field E + 120 and mantissa M << 20, i.e. the bits (m << 20) + (120 << 23);
  // E = 0 is M 2^-9; m = 0x7f is NaN; the sign is bit 7 -> bit 31. Masked
  // rows read zero codes and a zero scale: zeros.
  auto i32v = VectorType::get({kFp8Slot}, b.getI32Type());
  auto f32v = VectorType::get({kFp8Slot}, b.getF32Type());
  auto splatI = [&](int64_t v) {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(i32v, b.getI32IntegerAttr(v)));
  };
  auto splatF = [&](float v) {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(f32v, b.getF32FloatAttr(v)));
  };
  Value scale = vector::ExtractOp::create(
      b, loc,
      vector::BitCastOp::create(
          b, loc, VectorType::get({1}, b.getF32Type()), scaleBytes),
      ArrayRef<int64_t>{0});
  auto scaled = [&](Value v) {
    v = arith::MulFOp::create(
        b, loc, v, vector::BroadcastOp::create(b, loc, f32v, scale));
    return arith::TruncFOp::create(
        b, loc, VectorType::get({kFp8Slot}, spec.elt), v);
  };
  // A conversion instruction where the core has one for OCP e4m3 (sm_89+).
  if (Value v = qkCore.decodeE4M3(b, loc, codes))
    return scaled(v);
  Value x = arith::ExtUIOp::create(b, loc, i32v, codes);
  Value mag = arith::AndIOp::create(b, loc, x, splatI(0x7f));
  Value sign = arith::ShLIOp::create(
      b, loc, arith::AndIOp::create(b, loc, x, splatI(0x80)), splatI(24));
  Value normal = arith::BitcastOp::create(
      b, loc, f32v,
      arith::AddIOp::create(
          b, loc, arith::ShLIOp::create(b, loc, mag, splatI(20)),
          splatI(120 << 23)));
  Value sub = arith::MulFOp::create(
      b, loc, arith::UIToFPOp::create(b, loc, f32v, mag),
      splatF(std::ldexp(1.0f, -9)));
  Value v = arith::SelectOp::create(
      b, loc, arith::CmpIOp::create(b, loc, Pred::ult, mag, splatI(8)), sub,
      normal);
  v = arith::SelectOp::create(
      b, loc, arith::CmpIOp::create(b, loc, Pred::eq, mag, splatI(0x7f)),
      splatF(std::numeric_limits<float>::quiet_NaN()), v);
  v = arith::BitcastOp::create(
      b, loc, f32v,
      arith::OrIOp::create(b, loc, arith::BitcastOp::create(b, loc, i32v, v),
                           sign));
  return scaled(v);
}

void AttentionBuilder::forGatherSlots(
    const Segment &seg, llvm::function_ref<void(int64_t, Value, Value)> body) {
  for (int64_t i = 0; i < gatherPerLane(seg); ++i) {
    auto emit = [&] {
      auto [j, c] = gatherCoords(seg, i);
      body(i, j, c);
    };
    if ((i + 1) * lanes() <= gatherSlots(seg)) {
      emit();
      continue;
    }
    auto guard = scf::IfOp::create(
        b, loc,
        im.cmp(Pred::slt, im.add(cst(i * lanes()), tid),
               cst(gatherSlots(seg))),
        /*withElse=*/false);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(guard.thenBlock());
    emit();
  }
}

void AttentionBuilder::storeIndex(Value idx, Value buf, Value j, Value c) {
  auto first = scf::IfOp::create(b, loc, im.cmp(Pred::eq, c, cst(0)),
                                 /*withElse=*/false);
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(first.thenBlock());
  memref::StoreOp::create(b, loc, idx, idxL, ValueRange{buf, j});
}

void AttentionBuilder::storeKV(ValueRange regs, Value buf) {
  auto storeVec = [&](Value v, Value j, Value c) {
    // c is a multiple of the vector: the vector is one swizzle chunk.
    vector::StoreOp::create(
        b, loc, v, kvRing,
        ValueRange{buf, j, swizzledLdsCol(b, loc, kvRing, j, c)},
        /*nontemporal=*/false, llvm::MaybeAlign(KernelPlan::kVectorBytes));
  };
  if (plan.kvFp8) {
    // Latent rounds: [codes, scale bytes, index] each, then the rope
    // rounds' bytes (loadKVFp8). 16 bf16 = two vectors of the tile.
    Segment lat = fp8Latent(), rope = fp8Rope();
    forGatherSlots(lat, [&](int64_t i, Value j, Value c) {
      Value v = dequantFp8(regs[3 * i], regs[3 * i + 1]);
      for (int64_t h = 0; h < kFp8Slot / plan.vec; ++h)
        storeVec(vector::ExtractStridedSliceOp::create(
                     b, loc, v, ArrayRef<int64_t>{h * plan.vec},
                     ArrayRef<int64_t>{plan.vec}, ArrayRef<int64_t>{1}),
                 j, h ? im.add(c, cst(h * plan.vec)) : c);
      storeIndex(regs[3 * i + 2], buf, j, c);
    });
    size_t at = 3 * gatherPerLane(lat);
    forGatherSlots(rope, [&](int64_t i, Value j, Value c) {
      storeVec(vector::BitCastOp::create(
                   b, loc, VectorType::get({plan.vec}, spec.elt),
                   regs[at + i]),
               j, c);
    });
    return;
  }
  int64_t n = gatherPerLane(plainRows());
  forGatherSlots(plainRows(), [&](int64_t i, Value j, Value c) {
    // c is a multiple of the vector: the vector is one swizzle chunk.
    vector::StoreOp::create(
        b, loc, regs[i], kvRing,
        ValueRange{buf, j, swizzledLdsCol(b, loc, kvRing, j, c)},
        /*nontemporal=*/false, llvm::MaybeAlign(KernelPlan::kVectorBytes));
    storeIndex(regs[n + i], buf, j, c);
  });
}

void AttentionBuilder::copyKVAsync(Value kv0, Value buf) {
  forGatherSlots(plainRows(), [&](int64_t, Value j, Value c) {
    auto [idx, valid] = loadIndex(im.add(kv0, j));
    // A masked row reads nothing (zero-fill) from a clamped, in-bounds row.
    Value row = arith::IndexCastOp::create(
        b, loc, b.getIndexType(),
        arith::MaxSIOp::create(
            b, loc, idx,
            arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0))));
    qkCore.asyncCopy(b, loc, kvRows, ValueRange{row, c}, kvRing,
                     ValueRange{buf, j, swizzledLdsCol(b, loc, kvRing, j, c)},
                     plan.vec, valid);
    storeIndex(idx, buf, j, c);
  });
  qkCore.commitAsyncCopies(b, loc);
}

SmallVector<Value>
AttentionBuilder::computeBlock(Value buf, ValueRange accIn,
                               llvm::function_ref<void()> afterScores,
                               bool trailingBarrier) {
  // This block's KV buffer as a one-buffer tile, the products' B operand.
  Value kvBuf = memref::SubViewOp::create(
      b, loc, kvRing, ArrayRef<OpFoldResult>{buf, b.getIndexAttr(0), b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(bkv()),
                             b.getIndexAttr(plan.dQK)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1),
                             b.getIndexAttr(1)});
  Value zeroBuf = cst(0);

  // S = Q KV^T, scaled into the exp2 domain, -> LDS.
  float scaleLog2 = spec.scale * static_cast<float>(M_LOG2E);
  onLanes(lanesOf(plan.qkWaves), {}, [&]() -> SmallVector<Value> {
    SmallVector<Value> s0 = qkInit;
    if (qkInit.empty()) // the core accumulates in memory (host): clear it
      s0 = qkCore.updateElements(b, loc, tid, {},
                                 [&](OpBuilder &, Location, Value, Value,
                                     Value) { return im.f32(0.0); });
    // qkChunk columns of d_qk per step of a rolled loop (the plan says why);
    // the views start on the swizzle's period, so they swizzle as their
    // parents do.
    int64_t chunk = plan.qkChunk, steps = plan.dQK / chunk;
    auto columns = [&](Value view, int64_t rows, Value col0) -> Value {
      if (steps == 1)
        return view;
      return memref::SubViewOp::create(
          b, loc, view,
          ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0), col0},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(rows),
                                 b.getIndexAttr(chunk)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1),
                                 b.getIndexAttr(1)});
    };
    SmallVector<Value> s;
    if (steps == 1) {
      s = qkCore.multiply(b, loc, qL, kvBuf, zeroBuf, tid, s0);
    } else {
      auto loop = scf::ForOp::create(b, loc, cst(0), cst(plan.dQK),
                                     cst(chunk), s0);
      keepRolled(loop);
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(loop.getBody());
      Value col0 = loop.getInductionVar();
      SmallVector<Value> next = qkCore.multiply(
          b, loc, columns(qL, bh(), col0), columns(kvBuf, bkv(), col0),
          zeroBuf, tid, loop.getRegionIterArgs());
      yield(loop, next);
      b.setInsertionPointAfter(loop);
      s = SmallVector<Value>(loop.getResults());
    }
    qkCore.forEachElement(
        b, loc, tid, s, [&](OpBuilder &, Location, Value r, Value c, Value v) {
          memref::StoreOp::create(
              b, loc, arith::MulFOp::create(b, loc, v, im.f32(scaleLog2)), sL,
              ValueRange{r, c});
        });
    return {};
  });
  barrier();
  if (afterScores)
    afterScores();

  // Online softmax over G = plan.softmaxGroups lanes per row (aligned
  // groups of consecutive lanes of one wave), each with block_kv / G
  // columns, in one pass and without LDS partials: the G lanes combine their
  // maxima and sums with xor shuffles, then the group's first lane updates
  // the row's max, sum and correction alpha. The only barrier is the one
  // after it (P and alpha are read by every wave of P x V).
  const float negInf = -std::numeric_limits<float>::infinity();
  int64_t groups = plan.softmaxGroups, per = bkv() / groups;
  // Over this lane's columns of row r: step(j, valid, s, acc) -> acc.
  auto overColumns = [&](Value r, Value g, Value init,
                         llvm::function_ref<Value(Value, Value, Value, Value)>
                             step) {
    Value j0 = im.mul(g, cst(per));
    auto loop = scf::ForOp::create(b, loc, j0, im.add(j0, cst(per)), cst(1),
                                   ValueRange{init});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value j = loop.getInductionVar();
    Value valid = arith::CmpIOp::create(
        b, loc, Pred::sge,
        memref::LoadOp::create(b, loc, idxL, ValueRange{buf, j}),
        arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0)));
    Value s = memref::LoadOp::create(b, loc, sL, ValueRange{r, j});
    scf::YieldOp::create(b, loc,
                         step(j, valid, s, loop.getRegionIterArgs()[0]));
    return loop.getResult(0);
  };
  // x combined over the G lanes of the group (a butterfly of xor shuffles;
  // every lane of the wave takes part).
  auto groupReduce = [&](Value x, bool isMax) {
    Type i32 = b.getI32Type();
    int64_t width = plan.kernel.lanes / plan.kernel.config.num_warps;
    for (int64_t off = groups / 2; off >= 1; off /= 2) {
      Value other =
          gpu::ShuffleOp::create(
              b, loc, x,
              arith::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(off)),
              arith::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(width)),
              gpu::ShuffleMode::XOR)
              .getShuffleResult();
      x = isMax ? arith::MaximumFOp::create(b, loc, x, other).getResult()
                : arith::AddFOp::create(b, loc, x, other).getResult();
    }
    return x;
  };
  // Row r's softmax step on this lane's columns (group lane g); `active`
  // (null: always) guards what the lane writes.
  auto softmaxRow = [&](Value r, Value g, Value active) {
    auto guarded = [&](Value cond, llvm::function_ref<void()> body) {
      if (!cond) {
        body();
        return;
      }
      auto ifOp = scf::IfOp::create(b, loc, cond, /*withElse=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
      body();
    };
    Value mx = overColumns(r, g, im.f32(negInf),
                           [&](Value, Value valid, Value s, Value acc) -> Value {
                             return arith::SelectOp::create(
                                 b, loc, valid,
                                 arith::MaximumFOp::create(b, loc, acc, s), acc);
                           });
    Value mOld = stat(0, r);
    Value mNew = arith::MaximumFOp::create(b, loc, mOld, groupReduce(mx, true));
    // What to subtract: 0 while nothing is valid, so no inf - inf.
    Value mSafe = arith::SelectOp::create(
        b, loc,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, mNew,
                              im.f32(negInf)),
        im.f32(0.0), mNew);
    Value sum = overColumns(
        r, g, im.f32(0.0), [&](Value j, Value valid, Value s, Value acc) -> Value {
          Value p = arith::SelectOp::create(
              b, loc, valid,
              math::Exp2Op::create(b, loc,
                                   arith::SubFOp::create(b, loc, s, mSafe)),
              im.f32(0.0));
          guarded(active, [&] {
            memref::StoreOp::create(
                b, loc, arith::TruncFOp::create(b, loc, spec.elt, p), pL,
                ValueRange{zeroBuf, r, swizzledLdsCol(b, loc, pL, r, j)});
          });
          return arith::AddFOp::create(b, loc, acc, p);
        });
    sum = groupReduce(sum, false);
    Value first = im.cmp(Pred::eq, g, cst(0));
    guarded(active ? im.andI(active, first) : first, [&] {
      Value alpha = math::Exp2Op::create(
          b, loc, arith::SubFOp::create(b, loc, mOld, mSafe));
      setStat(0, r, mNew);
      setStat(1, r,
              arith::AddFOp::create(
                  b, loc, arith::MulFOp::create(b, loc, stat(1, r), alpha), sum));
      setStat(2, r, alpha);
    });
  };
  if (groups == 1) {
    coopFor(bh(), [&](Value r) { softmaxRow(r, cst(0), Value()); });
  } else {
    // bh x G <= lanes (SparseAttentionPlan): one slot per lane; the lanes
    // past them shuffle along on a clamped row and write nothing.
    Value active = im.cmp(Pred::ult, tid, cst(bh() * groups));
    Value r = im.minS(im.divU(tid, cst(groups)), cst(bh() - 1));
    softmaxRow(r, im.remU(tid, cst(groups)), active);
  }
  barrier();

  // O = alpha O + P V, one d_v chunk at a time.
  SmallVector<Value> acc;
  size_t at = 0;
  int64_t chunk = plan.dvChunk;
  int64_t pvLanes = lanesOf(plan.pvWaves);
  for (auto [ci, core] : llvm::enumerate(pvCores)) {
    ValueRange mine = accIn.slice(at, pvAccCount[ci]);
    at += pvAccCount[ci];
    SmallVector<Value> o = onLanes(pvLanes, mine, [&] {
      return core->updateElements(
          b, loc, tid, mine, [&](OpBuilder &, Location, Value r, Value, Value v) {
            return arith::MulFOp::create(b, loc, v, stat(2, r)).getResult();
          });
    });
    // V chunk ci: the gathered rows from column ci * chunk on, [block_kv][..]
    // as K x N; the product reads its first `chunk` columns. The view runs
    // to the end of the rows so that the swizzle (of the row pitch, whose
    // period divides the offset: SparseAttentionPlan) stays inside it.
    int64_t col0 = static_cast<int64_t>(ci) * chunk;
    Value vChunk = memref::SubViewOp::create(
        b, loc, kvBuf,
        ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0),
                               b.getIndexAttr(col0)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(bkv()),
                               b.getIndexAttr(plan.dQK - col0)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1),
                               b.getIndexAttr(1)});
    o = onLanes(pvLanes, o, [&] {
      return core->multiply(b, loc, pL, vChunk, zeroBuf, tid, o);
    });
    llvm::append_range(acc, o);
  }
  if (trailingBarrier)
    barrier();
  return acc;
}

/// log2(x) for a finite f32 x >= 1 (a softmax sum), target-independent.
static Value log2AtLeastOne(OpBuilder &b, Location loc, Value x) {
  IndexMath im{b, loc};
  // x = 2^e * m with m in [1, 2): e from the exponent bits, log2(m) =
  // 2 atanh(z) / ln 2 with z = (m - 1) / (m + 1) in [0, 1/3], whose odd
  // series to z^15 is exact to f32 rounding (the next term is < 1e-8).
  // (math.log2 would become a libm / ocml / libdevice call that the GPU
  // code objects do not link.)
  Type i32 = b.getI32Type();
  auto i32c = [&](int64_t v) {
    return arith::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(v));
  };
  Value bits = arith::BitcastOp::create(b, loc, i32, x);
  Value e = arith::SubIOp::create(
      b, loc,
      arith::AndIOp::create(b, loc,
                            arith::ShRUIOp::create(b, loc, bits, i32c(23)),
                            i32c(0xff)),
      i32c(127));
  Value m = arith::BitcastOp::create(
      b, loc, b.getF32Type(),
      arith::OrIOp::create(b, loc,
                           arith::AndIOp::create(b, loc, bits, i32c(0x7fffff)),
                           i32c(0x3f800000)));
  Value z = arith::DivFOp::create(b, loc,
                                  arith::SubFOp::create(b, loc, m, im.f32(1.0)),
                                  arith::AddFOp::create(b, loc, m, im.f32(1.0)));
  Value z2 = arith::MulFOp::create(b, loc, z, z);
  Value series = im.f32(1.0 / 15);
  for (int k = 13; k >= 1; k -= 2)
    series = arith::AddFOp::create(
        b, loc, arith::MulFOp::create(b, loc, series, z2), im.f32(1.0 / k));
  Value log2m = arith::MulFOp::create(
      b, loc, arith::MulFOp::create(b, loc, series, z),
      im.f32(2.0 * M_LOG2E));
  return arith::AddFOp::create(
      b, loc, arith::SIToFPOp::create(b, loc, b.getF32Type(), e), log2m);
}

void AttentionBuilder::build(gpu::GPUFuncOp func) {
  Block &entry = func.getBody().front();
  b.setInsertionPointToStart(&entry);
  ValueRange args = func.getArguments();
  Value qArg = args[0], idxArg = args[2], outArg = args[3];
  Value lseArg = spec.hasLse ? args[4] : Value();
  Value wsArg = spec.hasWorkspace ? args.back() : Value();
  kvArg = args[1];

  tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  // Rows of q, kv_cache and out as 2-D matrices: [tokens * h_q, d].
  auto collapse = [&](Value v) {
    return memref::CollapseShapeOp::create(
        b, loc, v, ArrayRef<ReassociationIndices>{{0, 1}, {2}});
  };
  Value q2 = collapse(qArg), kv2 = collapse(kvArg), out2 = collapse(outArg);
  kvRows = kv2;
  hQ = memref::DimOp::create(b, loc, qArg, 1);
  topk = memref::DimOp::create(b, loc, idxArg, 1);
  numRows = memref::DimOp::create(b, loc, kv2, 0);
  // pid = (t * groups + head group) * splits + split; the splits (the
  // workspace's first dimension, 1 without one) share the index blocks.
  Value pid = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  Value splits = wsArg ? memref::DimOp::create(b, loc, wsArg, 0).getResult()
                       : cst(1);
  Value split = im.remU(pid, splits);
  Value tg = im.divU(pid, splits);
  Value groups = im.ceilDiv(hQ, bh());
  t = im.divU(tg, groups);
  h0 = im.mul(im.remU(tg, groups), cst(bh()));
  rowQ0 = im.add(im.mul(t, hQ), h0);

  // Accumulators first: the host core allocates its buffers here, once.
  qkInit = qkCore.initAccumulators(b, loc);
  SmallVector<Value> acc;
  for (const auto &core : pvCores) {
    SmallVector<Value> a = core->initAccumulators(b, loc);
    pvAccCount.push_back(a.size());
    llvm::append_range(acc, a);
  }

  // LDS (the plan places every region).
  Value raw = allocateLds(b, loc, func, plan.kernel);
  Type f32 = b.getF32Type();
  kvRing = ldsView(b, loc, raw, {nbuf(), bkv(), plan.dQK}, spec.elt, 0);
  qL = ldsView(b, loc, raw, {1, bh(), plan.dQK}, spec.elt, plan.ldsQ);
  pL = ldsView(b, loc, raw, {1, bh(), bkv()}, spec.elt, plan.ldsP);
  sL = ldsView(b, loc, raw, {bh(), bkv()}, f32, plan.ldsX);
  idxL = ldsView(b, loc, raw, {nbuf(), bkv()}, b.getI32Type(), plan.ldsIdx);
  statL = ldsView(b, loc, raw, {3, bh()}, f32, plan.ldsStats);

  kvWin = qkCore.globalWindow(b, loc, kv2, cst(0), cst(0));
  idxWin = qkCore.globalWindow(b, loc, idxArg, t, cst(0));

  // Q -> LDS once; heads past h_q read zeros (their rows are never stored).
  {
    Value qWin = qkCore.globalWindow(b, loc, q2, rowQ0, cst(0));
    int64_t perRow = plan.dQK / plan.vec;
    auto vecType = VectorType::get({plan.vec}, spec.elt);
    coopFor(bh() * perRow, [&](Value slot) {
      Value r = im.divU(slot, cst(perRow));
      Value c = im.mul(im.remU(slot, cst(perRow)), cst(plan.vec));
      Value v = qkCore.loadGlobal(b, loc, qWin, vecType,
                                  im.add(im.mul(r, cst(plan.dQK)), c),
                                  im.cmp(Pred::slt, im.add(h0, r), hQ));
      vector::StoreOp::create(
          b, loc, v, qL, ValueRange{cst(0), r, swizzledLdsCol(b, loc, qL, r, c)},
          /*nontemporal=*/false,
          llvm::MaybeAlign(plan.vec * elementBytes(spec.elt)));
    });
  }
  const float negInf = -std::numeric_limits<float>::infinity();
  coopFor(bh(), [&](Value r) {
    setStat(0, r, im.f32(negInf));
    setStat(1, r, im.f32(0.0));
  });

  // This split's index blocks: [first, first + numBlocks).
  Value allBlocks = im.ceilDiv(topk, bkv());
  Value perSplit = arith::CeilDivUIOp::create(b, loc, allBlocks, splits);
  Value first = im.mul(split, perSplit);
  Value numBlocks = im.maxS(
      im.sub(im.minS(im.add(first, perSplit), allBlocks), first), cst(0));
  auto blockStart = [&](Value kt) {
    return im.mul(im.add(first, kt), cst(bkv()));
  };
  posEnd = im.minS(topk, blockStart(numBlocks));
  size_t nAcc = acc.size();
  if (plan.kernel.asyncCopy && qkCore.copiesAsync()) {
    // cp.async: a ring of num_stages buffers, num_stages - 1 blocks in
    // flight. Iteration kt waits for its own copies of block kt, and the
    // barrier after the wait makes every lane's copies visible and closes
    // block kt - 1, whose buffer the copies of block kt + n - 1 then refill.
    int64_t n = nbuf();
    for (int64_t i = 0; i + 1 < n; ++i)
      copyKVAsync(blockStart(cst(i)), cst(i));
    auto loop = scf::ForOp::create(b, loc, cst(0), numBlocks, cst(1), acc);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(loop.getBody());
      Value kt = loop.getInductionVar();
      qkCore.waitAsyncCopies(b, loc, n - 2);
      barrier();
      Value ahead = im.add(kt, cst(n - 1));
      copyKVAsync(blockStart(ahead), im.remU(ahead, cst(n)));
      scf::YieldOp::create(b, loc,
                           computeBlock(im.remU(kt, cst(n)),
                                        loop.getRegionIterArgs(), {},
                                        /*trailingBarrier=*/false));
    }
    qkCore.waitAsyncCopies(b, loc, 0);
    acc = SmallVector<Value>(loop.getResults());
  } else if (plan.kernel.numStages == 1) {
    barrier();
    auto loop = scf::ForOp::create(b, loc, cst(0), numBlocks, cst(1), acc);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    storeKV(loadKV(blockStart(loop.getInductionVar())), cst(0));
    barrier();
    // yield(): with the host core's in-memory accumulators the loop carries
    // nothing and was built with an implicit yield.
    yield(loop, computeBlock(cst(0), loop.getRegionIterArgs(), {},
                             /*trailingBarrier=*/true));
    b.setInsertionPointAfter(loop);
    acc = SmallVector<Value>(loop.getResults());
  } else {
    // A ring of nbuf buffers: blocks 0 .. nbuf - 2 go to LDS up front, block
    // nbuf - 1 waits in registers. Iteration kt issues the loads of block
    // kt + nbuf, computes block kt and stores the waiting block kt + nbuf - 1
    // into the buffer iteration kt - 1 read. With several buffers the store
    // goes right after the score barrier of block kt (every lane has then
    // finished block kt - 1), so a block costs no barrier of its own; with
    // one buffer (num_stages = 2) the store comes first, between the
    // previous block's trailing barrier and one before the compute.
    int64_t n = nbuf();
    for (int64_t i = 0; i + 1 < n; ++i)
      storeKV(loadKV(blockStart(cst(i))), cst(i));
    SmallVector<Value> init = acc;
    llvm::append_range(init, loadKV(blockStart(cst(n - 1))));
    barrier();
    auto loop = scf::ForOp::create(b, loc, cst(0), numBlocks, cst(1), init);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    Value kt = loop.getInductionVar();
    ValueRange iter = loop.getRegionIterArgs();
    Value writeBuf = im.remU(im.add(kt, cst(n - 1)), cst(n));
    auto store = [&] { storeKV(iter.drop_front(nAcc), writeBuf); };
    if (n == 1) {
      store();
      barrier();
    }
    SmallVector<Value> prefetch = loadKV(blockStart(im.add(kt, cst(n))));
    SmallVector<Value> next = computeBlock(
        im.remU(kt, cst(n)), iter.take_front(nAcc),
        n == 1 ? llvm::function_ref<void()>() : llvm::function_ref<void()>(store),
        /*trailingBarrier=*/n == 1);
    llvm::append_range(next, prefetch);
    scf::YieldOp::create(b, loc, next);
    b.setInsertionPointAfter(loop);
    acc = SmallVector<Value>(loop.getResults().take_front(nAcc));
  }

  // out = O / l; rows whose indices were all masked have l = 0: zeros.
  // With splits, each split writes its normalized part and its lse to the
  // workspace instead (row split * tokens * h_q + t * h_q + h, lse in
  // column d_v); the merge kernel combines them.
  auto epilogue = [&](bool partial) {
  Value outWin;
  Value wsRow0;
  if (partial) {
    Value ws2 = memref::CollapseShapeOp::create(
        b, loc, wsArg, ArrayRef<ReassociationIndices>{{0, 1}, {2}});
    wsRow0 = im.add(im.mul(split, memref::DimOp::create(b, loc, wsArg, 1)),
                    rowQ0);
    outWin = qkCore.globalWindow(b, loc, ws2, wsRow0, cst(0));
  } else {
    outWin = qkCore.globalWindow(b, loc, out2, rowQ0, cst(0));
  }
  int64_t ld = partial ? plan.dV + 1 : plan.dV;
  int64_t pvLanes = lanesOf(plan.pvWaves);
  size_t at = 0;
  for (auto [ci, core] : llvm::enumerate(pvCores)) {
    ValueRange mine = ValueRange(acc).slice(at, pvAccCount[ci]);
    at += pvAccCount[ci];
    onLanes(pvLanes, {}, [&]() -> SmallVector<Value> {
      core->forEachElement(
          b, loc, tid, mine, [&](OpBuilder &, Location, Value r, Value c, Value v) {
            Value l = stat(1, r);
            Value pos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                              l, im.f32(0.0));
            Value inv = arith::SelectOp::create(
                b, loc, pos, arith::DivFOp::create(b, loc, im.f32(1.0), l),
                im.f32(0.0));
            Value o = arith::MulFOp::create(b, loc, v, inv);
            if (!partial && !spec.outType.isF32())
              o = arith::TruncFOp::create(b, loc, spec.outType, o);
            Value col = im.add(c, cst(static_cast<int64_t>(ci) * plan.dvChunk));
            core->storeGlobal(b, loc, outWin, o,
                              im.add(im.mul(r, cst(ld)), col),
                              im.cmp(Pred::slt, im.add(h0, r), hQ));
          });
      return {};
    });
  }
  if (lseArg || partial) {
    // lse = ln(sum exp(scale s)) = (m + log2 l) ln 2 with m in the exp2
    // domain; -inf where nothing was valid.
    Value lseWin = partial ? outWin
                           : qkCore.globalWindow(b, loc, lseArg, t, h0);
    coopFor(bh(), [&](Value r) {
      Value l = stat(1, r), m = stat(0, r);
      Value pos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, l,
                                        im.f32(0.0));
      Value lse = arith::MulFOp::create(
          b, loc,
          arith::AddFOp::create(b, loc, m, log2AtLeastOne(b, loc, l)),
          im.f32(M_LN2));
      lse = arith::SelectOp::create(b, loc, pos, lse, im.f32(negInf));
      qkCore.storeGlobal(
          b, loc, lseWin, lse,
          partial ? im.add(im.mul(r, cst(ld)), cst(plan.dV)) : r,
          im.cmp(Pred::slt, im.add(h0, r), hQ));
    });
  }
  };
  if (!wsArg) {
    epilogue(false);
  } else {
    auto ifOp = scf::IfOp::create(b, loc, im.cmp(Pred::eq, splits, cst(1)),
                                  /*withElse=*/true);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    epilogue(false);
    b.setInsertionPoint(ifOp.elseBlock()->getTerminator());
    epilogue(true);
  }
  gpu::ReturnOp::create(b, loc);
}

FailureOr<gpu::GPUFuncOp>
moec::buildSparseAttentionKernel(OpBuilder &b, gpu::GPUModuleOp module,
                                 StringRef name,
                                 const SparseAttentionKernelSpec &spec,
                                 Location loc) {
  FailureOr<std::unique_ptr<MatrixCore>> qk = createMatrixCore(spec.qk, loc);
  if (failed(qk))
    return failure();
  // One core per d_v chunk: the host keeps each chunk's accumulator in its
  // core's buffer.
  SmallVector<std::unique_ptr<MatrixCore>> pv;
  for (int64_t c = 0; c < spec.plan.dV / spec.plan.dvChunk; ++c) {
    FailureOr<std::unique_ptr<MatrixCore>> core = createMatrixCore(spec.pv, loc);
    if (failed(core))
      return failure();
    pv.push_back(std::move(*core));
  }
  OpBuilder::InsertionGuard g(b);
  gpu::GPUFuncOp func = createKernelFunc(b, module, name, kernelArgTypes(b, spec),
                                         spec.plan.kernel, **qk, loc);
  AttentionBuilder builder(b, loc, spec, **qk, pv);
  builder.build(func);
  return func;
}

FailureOr<gpu::GPUFuncOp>
moec::buildSparseAttentionMergeKernel(OpBuilder &b, gpu::GPUModuleOp module,
                                      StringRef name,
                                      const SparseAttentionKernelSpec &spec,
                                      Location loc) {
  // The core only decorates the kernel (lanes, waves per EU); the merge is
  // plain loads, exp2 and stores.
  FailureOr<std::unique_ptr<MatrixCore>> core = createMatrixCore(spec.qk, loc);
  if (failed(core))
    return failure();
  OpBuilder::InsertionGuard g(b);
  gpu::GPUFuncOp func = createKernelFunc(b, module, name, kernelArgTypes(b, spec),
                                         spec.plan.kernel, **core, loc);
  b.setInsertionPointToStart(&func.getBody().front());
  IndexMath im{b, loc};
  ValueRange args = func.getArguments();
  Value outArg = args[3], lseArg = spec.hasLse ? args[4] : Value();
  Value ws = args.back();
  Value tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  Value row = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x); // t * h_q + h
  Value splits = memref::DimOp::create(b, loc, ws, 0);
  Value dV = im.cst(spec.plan.dV);
  Value out2 = memref::CollapseShapeOp::create(
      b, loc, outArg, ArrayRef<ReassociationIndices>{{0, 1}, {2}});
  const float negInf = -std::numeric_limits<float>::infinity();
  auto overSplits = [&](Value init, llvm::function_ref<Value(Value, Value)> step) {
    auto loop = scf::ForOp::create(b, loc, im.cst(0), splits, im.cst(1),
                                   ValueRange{init});
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(loop.getBody());
    scf::YieldOp::create(
        b, loc, step(loop.getInductionVar(), loop.getRegionIterArgs()[0]));
    return loop.getResult(0);
  };
  auto lseOf = [&](Value s) {
    return memref::LoadOp::create(b, loc, ws, ValueRange{s, row, dV}).getResult();
  };
  // M = max lse_s; w_s = exp(lse_s - M) (0 for an empty split); every lane
  // computes them (splits are few).
  Value m = overSplits(im.f32(negInf), [&](Value s, Value mx) -> Value {
    return arith::MaximumFOp::create(b, loc, mx, lseOf(s));
  });
  Value any = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE, m,
                                    im.f32(negInf));
  Value mSafe = arith::SelectOp::create(b, loc, any, m, im.f32(0.0));
  auto weight = [&](Value s) {
    return math::Exp2Op::create(
        b, loc,
        arith::MulFOp::create(b, loc,
                              arith::SubFOp::create(b, loc, lseOf(s), mSafe),
                              im.f32(M_LOG2E)));
  };
  Value wsum = overSplits(im.f32(0.0), [&](Value s, Value acc) -> Value {
    return arith::AddFOp::create(b, loc, acc, weight(s));
  });
  Value inv = arith::SelectOp::create(
      b, loc, any, arith::DivFOp::create(b, loc, im.f32(1.0), wsum),
      im.f32(0.0));
  int64_t lanes = spec.plan.kernel.lanes;
  auto cols = scf::ForOp::create(b, loc, tid, dV, im.cst(lanes));
  {
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPointToStart(cols.getBody());
    Value c = cols.getInductionVar();
    Value o = overSplits(im.f32(0.0), [&](Value s, Value acc) -> Value {
      Value part = memref::LoadOp::create(b, loc, ws, ValueRange{s, row, c});
      return arith::AddFOp::create(b, loc, acc,
                                   arith::MulFOp::create(b, loc, weight(s), part));
    });
    o = arith::MulFOp::create(b, loc, o, inv);
    if (!spec.outType.isF32())
      o = arith::TruncFOp::create(b, loc, spec.outType, o);
    memref::StoreOp::create(b, loc, o, out2, ValueRange{row, c});
  }
  if (lseArg) {
    // lse = M + ln(sum w_s); wsum >= 1 (the largest split weighs 1).
    auto first = scf::IfOp::create(b, loc, im.cmp(Pred::eq, tid, im.cst(0)),
                                   /*withElse=*/false);
    OpBuilder::InsertionGuard g2(b);
    b.setInsertionPoint(first.thenBlock()->getTerminator());
    Value lse2 = memref::CollapseShapeOp::create(
        b, loc, lseArg, ArrayRef<ReassociationIndices>{{0, 1}});
    Value l = arith::AddFOp::create(
        b, loc, m,
        arith::MulFOp::create(b, loc, log2AtLeastOne(b, loc, wsum),
                              im.f32(M_LN2)));
    l = arith::SelectOp::create(b, loc, any, l, im.f32(negInf));
    memref::StoreOp::create(b, loc, l, lse2, ValueRange{row});
  }
  gpu::ReturnOp::create(b, loc);
  return func;
}
