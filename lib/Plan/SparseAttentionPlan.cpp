//===- SparseAttentionPlan.cpp - the plan of a sparse MLA decode kernel ---===//
//
// Every number the verifier, the lowering and `moec run` need for
// `moec.sparse_attention` (moec/Dialect/OpPlans.h says what they mean).
//
//===----------------------------------------------------------------------===//

#include "moec/Dialect/OpPlans.h"
#include "moec/Dialect/TargetChecks.h"
#include "moec/Transforms/LdsLayout.h"

#include "llvm/ADT/bit.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <numeric>
#include <thread>

using namespace mlir;
using namespace moec;

SparseAttentionPlan moec::getSparseAttentionPlan(SparseAttentionOp op,
                                                 const TargetInfo &target) {
  SparseAttentionPlan sp;
  ConfigValues cfg(op.getConfig());
  sp.kvFp8 = op.getKvFormat() == KvCacheFormat::fp8_ds_mla;
  // The fp8 rows are converted in registers on their way to LDS; cp.async
  // copies bytes as they are.
  if (sp.kvFp8)
    cfg.async_copy = false;
  auto qT = cast<MemRefType>(op.getQ().getType());
  auto oT = cast<MemRefType>(op.getOut().getType());
  Type elt = qT.getElementType();
  int64_t eb = elementBytes(elt);
  int64_t bh = cfg.block_h, bkv = cfg.block_kv;
  sp.dQK = qT.getDimSize(2);
  sp.dV = oT.getDimSize(2);
  sp.hQ = qT.getDimSize(1);
  sp.kvRowStride = cast<MemRefType>(op.getKvCache().getType()).getDimSize(2);
  sp.vec = KernelPlan::kVectorBytes / eb;
  // P x V goes dvChunk columns of d_v at a time (one product per chunk, V
  // read in place from the KV buffer): the largest power of two dividing
  // d_v, at most 128, so each product's operand view stays inside one
  // swizzle period of the KV rows.
  sp.dvChunk = std::min<int64_t>(128, sp.dV & -sp.dV);
  LdsSwizzle kvRows = LdsSwizzle::get(sp.dQK, eb);
  if (!kvRows.isIdentity() && sp.dvChunk % kvRows.period())
    sp.dvChunk = sp.dV; // one view at column 0: always aligned
  // The score product's step: 64 columns where they divide d_qk and keep
  // the views on the swizzle's period, else all of d_qk at once.
  sp.qkChunk = sp.dQK;
  for (int64_t c : {64, 128, 32})
    if (c < sp.dQK && sp.dQK % c == 0 &&
        (kvRows.isIdentity() || c % kvRows.period() == 0)) {
      sp.qkChunk = c;
      break;
    }

  // The whole kernel: the KV ring is its B ring; everything else is extra.
  MatmulProblem whole;
  whole.m = bh;
  whole.n = bkv;
  whole.k = sp.dQK;
  whole.mName = "block_h";
  whole.nName = "block_kv";
  whole.kName = "d_qk";
  whole.inputType = elt;
  whole.bStageBytes = bkv * sp.dQK * eb;
  whole.wavesMayIdle = true;
  KernelPlan first = KernelPlan::get(cfg, target, whole);

  // Waves per product: as many as divide its instruction tiles (all of
  // them on the host, whose core has no instruction tile).
  auto wavesFor = [&](int64_t m, int64_t n) -> int64_t {
    if (!first.instr || m % first.instr->m || n % first.instr->n)
      return cfg.num_warps;
    int64_t tiles = (m / first.instr->m) * (n / first.instr->n);
    return std::gcd(cfg.num_warps, tiles);
  };
  sp.qkWaves = wavesFor(bh, bkv);
  sp.pvWaves = wavesFor(bh, sp.dvChunk);
  // Registers: as if every wave held what the busiest wave of each product
  // holds (the score and the output accumulators are live together).
  whole.accElems = bh * sp.dV * cfg.num_warps / std::max<int64_t>(sp.pvWaves, 1) +
                   bh * bkv * cfg.num_warps / std::max<int64_t>(sp.qkWaves, 1);

  int64_t nbuf = first.numLdsBuffers;
  auto align = [](int64_t x) { return static_cast<int64_t>(llvm::alignTo(x, 16)); };
  sp.ldsQ = first.ldsABytes + first.ldsBBytes;
  sp.ldsP = align(sp.ldsQ + bh * sp.dQK * eb);
  sp.ldsX = align(sp.ldsP + bh * bkv * eb);
  // Softmax lanes per row: the workgroup's lanes over block_h rows, a power
  // of two (they combine by xor shuffles inside one wave) dividing block_kv
  // (each takes block_kv / G columns); bh x G <= lanes follows.
  int64_t wave = first.lanes / cfg.num_warps;
  sp.softmaxGroups = static_cast<int64_t>(llvm::bit_floor(static_cast<uint64_t>(
      std::max<int64_t>(1, std::min({first.lanes / bh, bkv & -bkv, wave})))));
  int64_t xBytes = bh * bkv * 4; // the scores
  sp.ldsIdx = align(sp.ldsX + xBytes);
  sp.ldsStats = align(sp.ldsIdx + nbuf * bkv * 4);
  int64_t end = align(sp.ldsStats + 3 * bh * 4);
  whole.extraLdsBytes = end - sp.ldsQ;
  sp.kernel = KernelPlan::get(cfg, target, whole);

  auto product = [&](int64_t m, int64_t n, int64_t k, StringRef nName,
                     StringRef kName, int64_t waves) {
    ConfigValues c = cfg;
    c.block_m = m;
    c.block_n = n;
    c.block_k = k;
    c.num_warps = waves;
    MatmulProblem p;
    p.m = m;
    p.n = n;
    p.k = k;
    p.mName = "block_h";
    p.nName = nName;
    p.kName = kName;
    p.inputType = elt;
    KernelPlan plan = KernelPlan::get(c, target, p);
    // The product runs inside the whole workgroup.
    plan.lanes = sp.kernel.lanes;
    return plan;
  };
  sp.qk = product(bh, bkv, sp.qkChunk, "block_kv", "d_qk", sp.qkWaves);
  sp.pv = product(bh, sp.dvChunk, bkv, "the d_v chunk", "block_kv", sp.pvWaves);
  return sp;
}

int64_t SparseAttentionPlan::gridSize(int64_t tokens, int64_t heads,
                                      int64_t splits) const {
  return tokens * llvm::divideCeil(heads, kernel.config.block_h) * splits;
}

int64_t SparseAttentionPlan::kvSplitsFor(int64_t tokens, int64_t heads,
                                         int64_t topk,
                                         int64_t computeUnits) const {
  int64_t groups = gridSize(tokens, heads);
  if (groups <= 0 || groups >= computeUnits)
    return 1;
  int64_t blocks = llvm::divideCeil(std::max<int64_t>(topk, 1),
                                    kernel.config.block_kv);
  int64_t want = llvm::divideCeil(computeUnits, groups);
  return std::max<int64_t>(
      1, std::min({want, kernel.config.kv_splits, blocks}));
}

int64_t SparseAttentionPlan::typicalComputeUnits(const TargetInfo &t) {
  StringRef chip = t.chip;
  if (chip == "gfx942")
    return 304;
  if (chip == "gfx950")
    return 256;
  if (chip == "gfx90a")
    return 110;
  if (chip == "sm_80")
    return 108;
  if (chip == "sm_90")
    return 132;
  return std::max<int64_t>(1, std::thread::hardware_concurrency());
}

LogicalResult SparseAttentionPlan::verify(
    function_ref<InFlightDiagnostic()> emitError) const {
  if (failed(kernel.verify(emitError)) || failed(qk.verify(emitError)) ||
      failed(pv.verify(emitError)))
    return failure();
  return success();
}
