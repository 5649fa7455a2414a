//===- MoeAlignKernel.cpp - the moec.moe_align kernel ---------------------===//
//
// Sorts the routed copies `i = t * top_k + k` of `topk_ids` by expert, pads
// each expert's group to a multiple of block_m, and writes
// sorted_token_ids, expert_ids and num_tokens_post_padded: vLLM's
// moe_align_block_size. Target-independent (gpu/scf/arith/memref only): the
// same IR runs as a GPU workgroup of `plan.lanes` lanes on AMD and NVIDIA,
// and as one-lane tasks on the host (barriers vanish there).
//
// One launch, `plan.gridSize(copies)` workgroups. Workgroup g owns the
// contiguous chunk [c0, c1) of copies, c0 = g * copiesPerWorkgroup, and:
//
//   1. counts every copy per expert in LDS (atomic adds), and separately
//      those before c0; stages its own chunk's expert ids in LDS;
//   2. pads the counts to block_m and scans them (Hillis-Steele over the
//      experts, log2(E) barrier-separated steps): each expert's start;
//   3. (workgroup 0 only) writes num_tokens_post_padded, expert_ids (mapped
//      through expert_map, -1 past the end) and the padding sentinels;
//   4. scatters its chunk: `subChunks` lanes each own a run of `runLength`
//      consecutive copies. They count their run per expert into an
//      [subChunks][E] table; an exclusive scan down each expert's column,
//      started at start[e] + before[e], gives each run its first slot per
//      expert; each lane then walks its run in order. Slots therefore follow
//      copy order within an expert (vLLM's atomics do not promise that).
//
// Why every workgroup counts every copy instead of a count kernel, a scan
// kernel and a scatter kernel: those need a scratch buffer for the
// per-workgroup counts, which the op does not have (its kernel arguments
// are its operands), and one launch with global atomics would need a
// grid-wide barrier, which a plain launch cannot wait on. Counting is a
// coalesced read of topk_ids (4 bytes per copy) from L2 per workgroup;
// inputs up to copiesPerWorkgroup (4096-8192 copies on a GPU for E <= 8,
// ~1200 for E = 256) take one workgroup. The order and the result do not
// depend on the grid: any number of workgroups writes the same output.
//
//===----------------------------------------------------------------------===//

#include "moec/Transforms/MoeKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace moec;

namespace {

class AlignBuilder {
public:
  AlignBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value i32(int64_t v) {
    return arith::ConstantIntOp::create(b, loc, b.getI32Type(), v);
  }
  Value toIdx(Value v) {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
  }
  Value toI32(Value v) {
    return arith::IndexCastOp::create(b, loc, b.getI32Type(), v);
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value divu(Value x, Value y) { return arith::DivUIOp::create(b, loc, x, y); }
  Value minu(Value x, Value y) { return arith::MinUIOp::create(b, loc, x, y); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value load(Value m, Value i) {
    return memref::LoadOp::create(b, loc, m, ValueRange{i});
  }
  void store(Value v, Value m, Value i) {
    memref::StoreOp::create(b, loc, v, m, ValueRange{i});
  }
  void barrier() { gpu::BarrierOp::create(b, loc); }

  /// for (i = lo; i < hi; i += step) body(i)
  void loop(Value lo, Value hi, Value step, function_ref<void(Value)> body) {
    auto f = scf::ForOp::create(b, loc, lo, hi, step);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(f.getBody());
    body(f.getInductionVar());
  }
  /// if (cond) body()
  void when(Value cond, function_ref<void()> body) {
    auto i = scf::IfOp::create(b, loc, cond, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(i.thenBlock());
    body();
  }

  OpBuilder &b;
  Location loc;
};

} // namespace

gpu::GPUFuncOp moec::buildMoeAlignKernel(OpBuilder &b,
                                         gpu::GPUModuleOp module,
                                         StringRef name, MoeAlignOp op,
                                         const MoeAlignPlan &plan) {
  MLIRContext *ctx = b.getContext();
  Location loc = op.getLoc();
  auto global = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Global);
  auto i32 = b.getI32Type();
  auto vec = MemRefType::get({ShapedType::kDynamic}, i32,
                             MemRefLayoutAttrInterface(), global);
  auto mat = MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic}, i32,
                             MemRefLayoutAttrInterface(), global);
  bool hasMap = static_cast<bool>(op.getExpertMap());
  SmallVector<Type> argTypes = {mat, vec, vec, vec};
  if (hasMap)
    argTypes.push_back(vec);

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(module.getBody());
  auto func = gpu::GPUFuncOp::create(b, loc, name,
                                     FunctionType::get(ctx, argTypes, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({static_cast<int32_t>(plan.lanes), 1, 1}));
  auto ldsType = MemRefType::get(
      {plan.ldsWords}, i32, MemRefLayoutAttrInterface(),
      gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup));
  Value lds = func.addWorkgroupAttribution(ldsType, loc);

  Block &entry = func.getBody().front();
  b.setInsertionPointToStart(&entry);
  AlignBuilder k(b, loc);
  using P = arith::CmpIPredicate;
  Value idsArg = func.getArgument(0), sorted = func.getArgument(1),
        expertIds = func.getArgument(2), npad = func.getArgument(3);
  Value map = hasMap ? func.getArgument(4) : Value();
  // topk_ids is row-major and contiguous: copy i is element i.
  Value ids = memref::CollapseShapeOp::create(
      b, loc, idsArg, ArrayRef<ReassociationIndices>{{0, 1}});

  const int64_t E = plan.numExperts, C = plan.subChunks, R = plan.runLength;
  Value tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  Value wg = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  Value c0Idx = k.idx(0), c1Idx = k.idx(1);
  Value lanes = k.idx(plan.lanes);
  Value numE = k.idx(E);
  Value copies = memref::DimOp::create(b, loc, ids, c0Idx);
  Value copies32 = k.toI32(copies); // the padding sentinel
  Value chunkLo = k.minu(k.mul(wg, k.idx(plan.copiesPerWorkgroup)), copies);
  Value chunkHi = k.minu(k.add(chunkLo, k.idx(plan.copiesPerWorkgroup)), copies);
  Value one32 = k.i32(1), zero32 = k.i32(0);
  auto at = [&](int64_t base, Value i) { return k.add(k.idx(base), i); };
  auto valid = [&](Value e) { return k.cmp(P::ult, e, k.i32(E)); };

  // 0. Zero the counters and the table.
  k.loop(tid, k.idx(plan.ldsStage), lanes,
         [&](Value w) { k.store(zero32, lds, w); });
  k.barrier();

  // 1. Count all copies, and those before this chunk; stage the chunk.
  k.loop(tid, copies, lanes, [&](Value i) {
    Value e = k.load(ids, i);
    k.when(valid(e), [&] {
      Value ei = k.toIdx(e);
      memref::AtomicRMWOp::create(b, loc, arith::AtomicRMWKind::addi, one32,
                                  lds, ValueRange{at(plan.ldsTotal, ei)});
      k.when(k.cmp(P::ult, i, chunkLo), [&] {
        memref::AtomicRMWOp::create(b, loc, arith::AtomicRMWKind::addi, one32,
                                    lds, ValueRange{at(plan.ldsBefore, ei)});
      });
    });
    Value mine = arith::AndIOp::create(b, loc, k.cmp(P::uge, i, chunkLo),
                                       k.cmp(P::ult, i, chunkHi));
    k.when(mine, [&] { k.store(e, lds, at(plan.ldsStage, k.sub(i, chunkLo))); });
  });
  k.barrier();

  // 2. Padded counts, then an inclusive scan over the experts.
  Value bm32 = k.i32(plan.blockM);
  auto padded = [&](Value count) {
    Value up = arith::AddIOp::create(b, loc, count, k.i32(plan.blockM - 1));
    return k.mul(arith::DivUIOp::create(b, loc, up, bm32), bm32);
  };
  k.loop(tid, numE, lanes, [&](Value e) {
    k.store(padded(k.load(lds, at(plan.ldsTotal, e))), lds,
            at(plan.ldsScanA, e));
  });
  k.barrier();
  int64_t src = plan.ldsScanA, dst = plan.ldsScanB;
  for (int64_t d = 1; d < E; d *= 2) {
    k.loop(tid, numE, lanes, [&](Value e) {
      Value v = k.load(lds, at(src, e));
      Value hasLeft = k.cmp(P::uge, e, k.idx(d));
      // e - d wraps for e < d; the select never reads it then.
      Value left = k.load(lds, at(src, k.minu(k.sub(e, k.idx(d)), e)));
      Value sum = arith::SelectOp::create(b, loc, hasLeft, k.add(v, left), v);
      k.store(sum, lds, at(dst, e));
    });
    k.barrier();
    std::swap(src, dst);
  }
  const int64_t incl = src; // inclusive scan of the padded counts
  auto startOf = [&](Value e) {
    // The exclusive scan: the inclusive one minus this expert's own.
    Value end = k.load(lds, at(incl, e));
    return k.sub(end, padded(k.load(lds, at(plan.ldsTotal, e))));
  };

  // 3. Workgroup 0: the length, the blocks' experts, the padding.
  k.when(k.cmp(P::eq, wg, c0Idx), [&] {
    Value total = k.load(lds, at(incl, k.idx(E - 1)));
    k.when(k.cmp(P::eq, tid, c0Idx), [&] { k.store(total, npad, c0Idx); });
    k.loop(tid, numE, lanes, [&](Value e) {
      Value start = startOf(e);
      Value end = k.load(lds, at(incl, e));
      Value e32 = k.toI32(e);
      Value id = hasMap ? k.load(map, e) : e32;
      k.loop(k.toIdx(k.divu(start, bm32)), k.toIdx(k.divu(end, bm32)), c1Idx,
             [&](Value blk) { k.store(id, expertIds, blk); });
      Value used = k.add(start, k.load(lds, at(plan.ldsTotal, e)));
      k.loop(k.toIdx(used), k.toIdx(end), c1Idx,
             [&](Value p) { k.store(copies32, sorted, p); });
    });
    Value usedBlocks = k.toIdx(k.divu(total, bm32));
    Value allBlocks = memref::DimOp::create(b, loc, expertIds, c0Idx);
    k.loop(k.add(usedBlocks, tid), allBlocks, lanes,
           [&](Value blk) { k.store(k.i32(-1), expertIds, blk); });
  });

  // 4. Scatter this chunk: per-run counts, their scan, the ordered walk.
  Value inRuns = k.cmp(P::ult, tid, k.idx(C));
  Value runLo = k.minu(k.add(chunkLo, k.mul(tid, k.idx(R))), chunkHi);
  Value runHi = k.minu(k.add(runLo, k.idx(R)), chunkHi);
  auto tableAt = [&](Value run, Value e) {
    return at(plan.ldsTable, k.add(k.mul(run, numE), e));
  };
  auto walkRun = [&](function_ref<void(Value copy, Value e)> body) {
    k.when(inRuns, [&] {
      k.loop(runLo, runHi, c1Idx, [&](Value i) {
        Value e = k.load(lds, at(plan.ldsStage, k.sub(i, chunkLo)));
        k.when(valid(e), [&] { body(i, k.toIdx(e)); });
      });
    });
  };
  walkRun([&](Value, Value e) {
    Value slot = tableAt(tid, e);
    k.store(k.add(k.load(lds, slot), one32), lds, slot);
  });
  k.barrier();
  k.loop(tid, numE, lanes, [&](Value e) {
    Value first = k.add(startOf(e), k.load(lds, at(plan.ldsBefore, e)));
    auto f = scf::ForOp::create(b, loc, c0Idx, k.idx(C), c1Idx,
                                ValueRange{first});
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(f.getBody());
    Value slot = tableAt(f.getInductionVar(), e);
    Value count = k.load(lds, slot);
    Value run = f.getRegionIterArgs()[0];
    k.store(run, lds, slot);
    scf::YieldOp::create(b, loc, ValueRange{k.add(run, count)});
  });
  k.barrier();
  walkRun([&](Value i, Value e) {
    Value slot = tableAt(tid, e);
    Value pos = k.load(lds, slot);
    k.store(k.toI32(i), sorted, k.toIdx(pos));
    k.store(k.add(pos, one32), lds, slot);
  });
  gpu::ReturnOp::create(b, loc);
  return func;
}
