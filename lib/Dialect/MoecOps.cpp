//===- MoecOps.cpp - moec op verifiers ------------------------------------===//
//
// Each verifier first checks what holds on every target (shapes agree,
// dtypes combine), then, inside a module with a `moec.target`, the config
// against that target's limits (TargetChecks.cpp).
//
//===----------------------------------------------------------------------===//

#include "moec/Dialect/MoecDialect.h"
#include "moec/Dialect/OpPlans.h"
#include "moec/Dialect/TargetChecks.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace moec;

#define GET_OP_CLASSES
#include "moec/Dialect/MoecOps.cpp.inc"

namespace {

bool isDyn(int64_t d) { return ShapedType::isDynamic(d); }

/// Emits "<what>: <lhsName> (<lhs>) does not match <rhsName> (<rhs>)" when two
/// static sizes that must agree differ.
LogicalResult checkSameDim(Operation *op, StringRef what, StringRef lhsName,
                           int64_t lhs, StringRef rhsName, int64_t rhs) {
  if (isDyn(lhs) || isDyn(rhs) || lhs == rhs)
    return success();
  return op->emitOpError() << what << ": " << lhsName << " (" << lhs
                           << ") does not match " << rhsName << " (" << rhs
                           << ")";
}

/// a * b + c * d, or nullopt when it does not fit in 64 bits. Sizes
/// multiply attributes and static dims that nothing bounds.
std::optional<int64_t> checkedMulAdd(int64_t a, int64_t b, int64_t c,
                                     int64_t d) {
  std::optional<int64_t> ab = llvm::checkedMul(a, b);
  std::optional<int64_t> cd = llvm::checkedMul(c, d);
  if (!ab || !cd)
    return std::nullopt;
  return llvm::checkedAdd(*ab, *cd);
}

bool is16BitFloat(Type t) { return t.isF16() || t.isBF16(); }
bool isFnuzFp8(Type t) {
  return isa<Float8E4M3FNUZType, Float8E5M2FNUZType>(t);
}

Type eltOf(Value v) { return cast<MemRefType>(v.getType()).getElementType(); }
MemRefType memrefOf(Value v) { return cast<MemRefType>(v.getType()); }

/// A scale operand is per tensor when it holds one element (rank 0 or [1]).
bool isPerTensorScale(MemRefType t) {
  return t.getRank() == 0 || (t.getRank() == 1 && t.getDimSize(0) == 1);
}

/// Checks that the output element type can receive an f32 accumulator.
LogicalResult checkOutputType(Operation *op, StringRef name, Type t) {
  if (t.isF16() || t.isBF16() || t.isF32())
    return success();
  return op->emitOpError() << name << " element type " << t
                           << " must be f16, bf16 or f32";
}

/// The largest buffer a moec op takes, in bytes: 2^48 (256 TiB), the
/// virtual address space of the GPUs and CPUs moec targets. Bounding static
/// shapes here keeps every element count, byte count and offset the
/// lowerings compute within int64.
constexpr int64_t kMaxBufferBytes = int64_t(1) << 48;

/// What every moec op checks before its own verifier: no attribute it does
/// not know (a misspelled `transpose_bb` would otherwise be kept and
/// ignored), buffers in global memory, and static shapes that fit.
/// `operandNames` names the ODS operand groups in the op's own words.
template <typename OpT>
LogicalResult verifyCommon(OpT op, ArrayRef<StringRef> operandNames) {
  Operation *operation = op.getOperation();
  ArrayRef<StringRef> known = OpT::getAttributeNames();
  for (NamedAttribute attr : operation->getDiscardableAttrs()) {
    StringRef name = attr.getName().strref();
    // Dialect-prefixed attributes (`llvm.foo`) belong to their dialect;
    // bare ones and `moec.*` ones are the op's, and must be known.
    if (name.contains('.') && !name.starts_with("moec."))
      continue;
    StringRef best;
    unsigned bestDistance = 3; // suggest only near misses
    for (StringRef k : known) {
      if (k == "operandSegmentSizes")
        continue;
      unsigned d = name.edit_distance(k, /*AllowReplacements=*/true, 3);
      if (d < bestDistance)
        bestDistance = d, best = k;
    }
    InFlightDiagnostic diag = op.emitOpError()
                              << "has an unknown attribute '" << name << "'";
    if (!best.empty())
      diag << "; did you mean '" << best << "'?";
    else {
      diag << "; known attributes:";
      llvm::interleave(
          llvm::make_filter_range(
              known, [](StringRef k) { return k != "operandSegmentSizes"; }),
          [&](StringRef k) { diag << " " << k; }, [] {});
    }
    return diag;
  }
  for (unsigned group = 0; group < operandNames.size(); ++group)
    for (Value v : op.getODSOperands(group)) {
      auto type = dyn_cast<MemRefType>(v.getType());
      if (!type)
        continue;
      StringRef name = operandNames[group];
      if (Attribute space = type.getMemorySpace()) {
        bool global = false;
        if (auto gpuSpace = dyn_cast<gpu::AddressSpaceAttr>(space))
          global = gpuSpace.getValue() == gpu::AddressSpace::Global;
        else if (auto i = dyn_cast<IntegerAttr>(space))
          global = i.getInt() == 0 || i.getInt() == 1;
        if (!global)
          return op.emitOpError()
                 << name << " (" << type << ") is in memory space " << space
                 << "; moec ops take buffers in global device memory (no "
                    "memory space, or #gpu.address_space<global>), not "
                    "workgroup (LDS) or private memory";
      }
      int64_t bytes = std::max<int64_t>(
          1, static_cast<int64_t>(
                 llvm::divideCeil(type.getElementTypeBitWidth(), 8)));
      std::string dims;
      for (int64_t d : type.getShape()) {
        if (isDyn(d))
          continue;
        std::optional<int64_t> more = llvm::checkedMul(bytes, d);
        if (!more || *more > kMaxBufferBytes)
          return op.emitOpError()
                 << name << " (" << type << ") is too large: its static "
                 << "sizes exceed the 2^48 bytes (256 TiB) a buffer may hold";
        bytes = std::max<int64_t>(*more, 1);
      }
    }
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// GemmOp
//===----------------------------------------------------------------------===//

int64_t GemmOp::getM() {
  return memrefOf(getA()).getDimSize(getTransposeA() ? 1 : 0);
}
int64_t GemmOp::getK() {
  return memrefOf(getA()).getDimSize(getTransposeA() ? 0 : 1);
}
int64_t GemmOp::getN() {
  return memrefOf(getB()).getDimSize(getTransposeB() ? 0 : 1);
}

LogicalResult GemmOp::verify() {
  if (failed(verifyCommon(*this, {"A", "B", "C", "bias", "scale_a",
                                  "scale_b"})))
    return failure();
  Operation *op = getOperation();
  MemRefType bT = memrefOf(getB()), cT = memrefOf(getC());
  int64_t kB = bT.getDimSize(getTransposeB() ? 1 : 0);
  if (failed(checkSameDim(op, "K mismatch", "K of A", getK(), "K of B", kB)) ||
      failed(checkSameDim(op, "M mismatch", "M of A", getM(), "rows of C",
                          cT.getDimSize(0))) ||
      failed(checkSameDim(op, "N mismatch", "N of B", getN(), "columns of C",
                          cT.getDimSize(1))))
    return failure();

  Type aElt = eltOf(getA()), bElt = eltOf(getB()), cElt = eltOf(getC());
  bool fp8 = isFp8(aElt) || isFp8(bElt);
  if (fp8) {
    if (!isFp8(aElt) || !isFp8(bElt))
      return emitOpError() << "A (" << aElt << ") and B (" << bElt
                           << ") must both be fp8 when either is";
    if (isFnuzFp8(aElt) != isFnuzFp8(bElt))
      return emitOpError() << "A (" << aElt << ") and B (" << bElt
                           << ") mix the fnuz and OCP fp8 encodings";
  } else {
    if (!is16BitFloat(aElt))
      return emitOpError() << "A element type " << aElt
                           << " must be f16, bf16 or an fp8 type";
    if (aElt != bElt)
      return emitOpError() << "A (" << aElt << ") and B (" << bElt
                           << ") must have the same element type";
  }
  if (failed(checkOutputType(op, "C", cElt)))
    return failure();

  if (Value bias = getBias())
    if (failed(checkSameDim(op, "bias size", "bias length",
                            memrefOf(bias).getDimSize(0), "N", getN())))
      return failure();

  auto checkScale = [&](Value scale, StringRef name, StringRef dimName,
                        int64_t dim) -> LogicalResult {
    if (!scale)
      return success();
    if (!fp8)
      return emitOpError() << name << " is only allowed with fp8 inputs, not "
                           << aElt;
    MemRefType t = memrefOf(scale);
    if (isPerTensorScale(t))
      return success();
    if (t.getRank() != 1)
      return emitOpError() << name << " must be per tensor ([] or [1]) or per "
                           << dimName << " ([" << dimName << "]), not rank "
                           << t.getRank();
    return checkSameDim(op, Twine(name).concat(" size").str(), name,
                        t.getDimSize(0), dimName, dim);
  };
  if (failed(checkScale(getScaleA(), "scale_a", "M", getM())) ||
      failed(checkScale(getScaleB(), "scale_b", "N", getN())))
    return failure();

  const TargetInfo *target = getEnclosingTarget(op);
  if (!target)
    return success();
  if (failed(verifyElementTypeForTarget(op, "A", aElt, *target)) ||
      failed(verifyElementTypeForTarget(op, "B", bElt, *target)))
    return failure();
  return getGemmPlan(*this, *target).verify([&] { return emitOpError(); });
}

namespace {
/// A problem on the GEMM skeleton (GemmKernelBuilder.cpp): the tile; the
/// LDS it allocates, K-contiguous A [BM][BK] and B [BN][BK] tiles (B in
/// `bLds`, its type in LDS) and the epilogue's [BM][BN] tile, unpadded
/// (swizzled); element sizes of the global accesses; and which of A, B, C
/// have a last dimension that is a static multiple of 16 bytes. The
/// contiguous extents of A and B are the caller's.
MatmulProblem skeletonProblem(ConfigAttr cfg, Value a, Value b, Value c,
                              Type bLds) {
  Type aElt = eltOf(a), cElt = eltOf(c);
  MatmulProblem p;
  p.m = cfg.getBlockM();
  p.n = cfg.getBlockN();
  p.k = cfg.getBlockK();
  p.inputType = aElt;
  p.aStageBytes = ldsTileBytes(p.m, p.k, aElt);
  p.bStageBytes = ldsTileBytes(p.n, p.k, bLds);
  p.epilogueTileBytes = ldsTileBytes(p.m, p.n, cElt);
  p.aEltBytes = elementBytes(aElt);
  p.bEltBytes = elementBytes(bLds);
  p.cEltBytes = elementBytes(cElt);
  Value operands[3] = {a, b, c};
  for (int i = 0; i < 3; ++i) {
    MemRefType t = memrefOf(operands[i]);
    int64_t last = t.getDimSize(t.getRank() - 1);
    p.staticLdAligned[i] =
        !isDyn(last) &&
        last * elementBytes(t.getElementType()) % KernelPlan::kVectorBytes == 0;
  }
  return p;
}
} // namespace

MatmulProblem moec::getGemmProblem(ConfigAttr config, Value a, Value b,
                                   Value c, bool transposeA, bool transposeB) {
  MatmulProblem p = skeletonProblem(config, a, b, c, eltOf(b));
  // Global tiles are read along their contiguous dimension: K for A unless
  // transposed (then M), N for B unless transposed (then K).
  p.aContiguous = transposeA ? p.m : p.k;
  p.bContiguous = transposeB ? p.k : p.n;
  return p;
}

MatmulProblem moec::getGemmProblem(GemmOp op) {
  return getGemmProblem(op.getConfig(), op.getA(), op.getB(), op.getC(),
                        op.getTransposeA(), op.getTransposeB());
}

KernelPlan moec::getGemmPlan(GemmOp op, const TargetInfo &target) {
  return KernelPlan::get(ConfigValues(op.getConfig()), target,
                         getGemmProblem(op));
}

//===----------------------------------------------------------------------===//
// MoeAlignOp
//===----------------------------------------------------------------------===//

LogicalResult MoeAlignOp::verify() {
  if (failed(verifyCommon(*this, {"topk_ids", "sorted_token_ids",
                                  "expert_ids", "num_tokens_post_padded",
                                  "expert_map"})))
    return failure();
  MemRefType ids = memrefOf(getTopkIds());
  int64_t blockM = getConfig().getBlockM();
  int64_t numExperts = getNumExperts();
  int64_t sortedSize = memrefOf(getSortedTokenIds()).getDimSize(0);
  int64_t expertSize = memrefOf(getExpertIds()).getDimSize(0);
  int64_t npadSize = memrefOf(getNumTokensPostPadded()).getDimSize(0);

  if (!isDyn(npadSize) && npadSize != 1)
    return emitOpError() << "num_tokens_post_padded must hold 1 element, not "
                         << npadSize;
  int64_t tokens = ids.getDimSize(0), topK = ids.getDimSize(1);
  if (!isDyn(tokens) && !isDyn(topK) && !isDyn(sortedSize)) {
    // num_experts is an unbounded attribute: a product that wraps around
    // would look satisfiable.
    std::optional<int64_t> need =
        checkedMulAdd(tokens, topK, numExperts, blockM - 1);
    if (!need || sortedSize < *need) {
      InFlightDiagnostic diag =
          emitOpError() << "sorted_token_ids holds " << sortedSize
                        << " entries but " << tokens << " tokens x top_k "
                        << topK << " padded to block_m = " << blockM
                        << " over " << numExperts << " experts need ";
      if (need)
        diag << "up to " << *need;
      else
        diag << "more than 64-bit sizes can hold";
      return diag;
    }
  }
  if (!isDyn(sortedSize) && !isDyn(expertSize)) {
    int64_t need = llvm::divideCeil(sortedSize, blockM);
    static_assert(std::is_same_v<decltype(need), int64_t>);
    if (expertSize < need)
      return emitOpError() << "expert_ids holds " << expertSize
                           << " entries but " << sortedSize
                           << " sorted ids in blocks of block_m = " << blockM
                           << " need " << need;
  }
  if (Value map = getExpertMap()) {
    int64_t mapSize = memrefOf(map).getDimSize(0);
    if (!isDyn(mapSize) && mapSize != numExperts)
      return emitOpError() << "expert_map holds " << mapSize
                           << " entries but num_experts = " << numExperts
                           << " needs one per expert";
  }
  const TargetInfo *target = getEnclosingTarget(getOperation());
  if (!target)
    return success();
  return getMoeAlignPlan(*this, *target).verify([&] { return emitOpError(); });
}

//===----------------------------------------------------------------------===//
// MoeGemmOp
//===----------------------------------------------------------------------===//

MoeGemmOp::Quant MoeGemmOp::getQuant() {
  if (getMxfp4())
    return Quant::Mxfp4W4A16;
  Type aElt = eltOf(getA()), wElt = eltOf(getW());
  if (isFp8(aElt) && isFp8(wElt))
    return Quant::Fp8W8A8;
  if (wElt.isInteger(8))
    return Quant::Int8W8A16;
  return Quant::None;
}

/// MXFP4 weights: bf16 A, W [E, N, K/2] packed i8, b_scale [E, N, K/32]
/// f8E8M0FNU, no a_scale, no block-wise groups, K a multiple of 32.
LogicalResult MoeGemmOp::verifyMxfp4Operands() {
  Type aElt = eltOf(getA()), wElt = eltOf(getW());
  if (!aElt.isBF16())
    return emitOpError() << "mxfp4 weights need bf16 activations (A), not "
                         << aElt;
  if (!wElt.isInteger(8))
    return emitOpError() << "mxfp4 W must be the packed bytes [E, N, K/2] "
                            "as i8 (two e2m1 values per byte along K), not "
                         << wElt;
  if (getAScale())
    return emitOpError() << "mxfp4 weights take no a_scale (bf16 A)";
  if (getGroupN() || getGroupK())
    return emitOpError() << "mxfp4 weights carry their own blocks of 32 K "
                            "elements; group_n/group_k are for fp8_w8a8";
  MemRefType aT = memrefOf(getA()), wT = memrefOf(getW());
  int64_t kA = aT.getDimSize(1), kHalf = wT.getDimSize(2);
  int64_t k = !isDyn(kA) ? kA : (!isDyn(kHalf) ? 2 * kHalf : kA);
  if (!isDyn(k) && k % 32 != 0)
    return emitOpError() << "mxfp4 needs K (" << k
                         << ") to be a multiple of 32, the scale block";
  Value bs = getBScale();
  if (!bs)
    return emitOpError() << "mxfp4 weights need b_scale [E, N, K/32] "
                            "(f8E8M0FNU)";
  MemRefType sT = memrefOf(bs);
  if (!isa<Float8E8M0FNUType>(sT.getElementType()))
    return emitOpError() << "mxfp4 b_scale must be f8E8M0FNU (one e8m0 "
                            "exponent per 32 K elements), not "
                         << sT.getElementType();
  if (sT.getRank() != 3)
    return emitOpError() << "mxfp4 b_scale must be [E, N, K/32], not rank "
                         << sT.getRank();
  Operation *op = getOperation();
  return success(
      succeeded(checkSameDim(op, "b_scale shape", "dim 0 of b_scale",
                             sT.getDimSize(0), "experts",
                             wT.getDimSize(0))) &&
      succeeded(checkSameDim(op, "b_scale shape", "dim 1 of b_scale",
                             sT.getDimSize(1), "N", wT.getDimSize(1))) &&
      succeeded(checkSameDim(op, "b_scale shape", "dim 2 of b_scale",
                             sT.getDimSize(2), "K/32",
                             isDyn(k) ? k : k / 32)));
}

LogicalResult MoeGemmOp::verify() {
  if (failed(verifyCommon(*this, {"A", "W", "C", "sorted_token_ids",
                                  "expert_ids", "num_tokens_post_padded",
                                  "topk_weights", "a_scale", "b_scale"})))
    return failure();
  Operation *op = getOperation();
  MemRefType aT = memrefOf(getA()), wT = memrefOf(getW()), cT = memrefOf(getC());
  int64_t topK = getTopK();
  int64_t kA = aT.getDimSize(1), numExperts = wT.getDimSize(0),
          n = wT.getDimSize(1), kW = wT.getDimSize(2);
  if (getMxfp4()) {
    // W holds K/2 bytes per row: two e2m1 values each.
    if (failed(verifyMxfp4Operands()))
      return failure();
    if (!isDyn(kW))
      kW *= 2;
  }
  if (failed(checkSameDim(op, "K mismatch", "K of A", kA,
                          getMxfp4() ? "K of W (2 x its last dim, packed)"
                                     : "K of W",
                          kW)))
    return failure();

  // C: [tokens, top_k, N], or [tokens, N] when the copies reduce into it.
  int64_t tokens = cT.getDimSize(0);
  if (getReduce()) {
    if (cT.getRank() != 2)
      return emitOpError() << "with reduce, C must be [tokens, N], not rank "
                           << cT.getRank();
  } else {
    if (cT.getRank() != 3)
      return emitOpError() << "without reduce, C must be [tokens, top_k, N], "
                              "not rank "
                           << cT.getRank();
    if (failed(checkSameDim(op, "top_k mismatch", "dim 1 of C",
                            cT.getDimSize(1), "top_k", topK)))
      return failure();
  }
  // A gated activation (act(gate) * up) writes half of W's N columns.
  std::optional<Activation> gate = getActivation();
  if (gate) {
    if (*gate == Activation::none)
      return emitOpError() << "activation must name a gated activation "
                              "(silu, gelu, ...), not none";
    if (getReduce())
      return emitOpError() << "activation (act(gate) * up, the gate/up "
                              "projection) cannot be combined with reduce";
    if (!isDyn(n) && n % 2 != 0)
      return emitOpError() << "with activation, N of W (" << n
                           << ") must be even: gate rows [0, N/2), up rows "
                              "[N/2, N)";
    // block_n is even: the config allows powers of two from 16 only.
    if (getGroupN() && !isDyn(n) && (n / 2) % *getGroupN() != 0)
      return emitOpError() << "with activation, group_n (" << *getGroupN()
                           << ") must divide N/2 so that no scale group "
                              "spans the gate and up halves";
  }
  int64_t cLast = cT.getDimSize(cT.getRank() - 1);
  if (gate) {
    if (!isDyn(n) && !isDyn(cLast) && cLast != n / 2)
      return emitOpError() << "with activation, the last dim of C (" << cLast
                           << ") must be N/2 = " << n / 2 << " (N of W is "
                           << n << ")";
  } else if (failed(checkSameDim(op, "N mismatch", "N of W", n,
                                 "last dim of C", cLast))) {
    return failure();
  }

  int64_t aRows = aT.getDimSize(0);
  if (getAPerCopy()) {
    if (!isDyn(aRows) && !isDyn(tokens)) {
      std::optional<int64_t> copies = llvm::checkedMul(tokens, topK);
      if (!copies)
        return emitOpError() << "A rows: tokens of C (" << tokens
                             << ") x top_k (" << topK
                             << ") does not fit in 64 bits";
      if (failed(checkSameDim(op, "A rows", "rows of A (a_per_copy)", aRows,
                              "tokens x top_k", *copies)))
        return failure();
    }
  } else if (failed(checkSameDim(op, "A rows", "rows of A", aRows,
                                 "tokens of C", tokens))) {
    return failure();
  }

  if (Value tw = getTopkWeights()) {
    MemRefType twT = memrefOf(tw);
    if (failed(checkSameDim(op, "topk_weights shape", "dim 0 of topk_weights",
                            twT.getDimSize(0), "tokens", tokens)) ||
        failed(checkSameDim(op, "topk_weights shape", "dim 1 of topk_weights",
                            twT.getDimSize(1), "top_k", topK)))
      return failure();
  }
  int64_t npad = memrefOf(getNumTokensPostPadded()).getDimSize(0);
  if (!isDyn(npad) && npad != 1)
    return emitOpError() << "num_tokens_post_padded must hold 1 element, not "
                         << npad;
  ConfigAttr cfg = getConfig();
  int64_t sorted = memrefOf(getSortedTokenIds()).getDimSize(0);
  int64_t experts = memrefOf(getExpertIds()).getDimSize(0);
  if (!isDyn(sorted) && !isDyn(experts) &&
      experts < static_cast<int64_t>(llvm::divideCeil(sorted, cfg.getBlockM())))
    return emitOpError() << "expert_ids holds " << experts << " entries but "
                         << sorted << " sorted ids in blocks of block_m = "
                         << cfg.getBlockM() << " need "
                         << llvm::divideCeil(sorted, cfg.getBlockM());

  // Dtypes decide the quantization scheme, which decides the scales.
  // C's element type (f16, bf16 or f32) is an ODS constraint.
  Type aElt = eltOf(getA()), wElt = eltOf(getW());
  Quant quant = getQuant();
  switch (quant) {
  case Quant::None:
    if (!is16BitFloat(aElt) || aElt != wElt)
      return emitOpError()
             << "A (" << aElt << ") and W (" << wElt
             << ") must be the same f16/bf16 type, fp8 and fp8 (fp8_w8a8), "
                "or f16/bf16 and i8 (int8_w8a16)";
    if (getAScale() || getBScale())
      return emitOpError() << "scales are only allowed with fp8_w8a8 or "
                              "int8_w8a16 weights, not "
                           << wElt;
    break;
  case Quant::Fp8W8A8:
    // As for moec.gemm: no matrix unit takes one fnuz and one OCP operand.
    if (isFnuzFp8(aElt) != isFnuzFp8(wElt))
      return emitOpError() << "A (" << aElt << ") and W (" << wElt
                           << ") mix the fnuz and OCP fp8 encodings";
    if (!getAScale() || !getBScale())
      return emitOpError() << "fp8_w8a8 needs both a_scale and b_scale";
    break;
  case Quant::Mxfp4W4A16:
    break; // verifyMxfp4Operands
  case Quant::Int8W8A16:
    if (!is16BitFloat(aElt))
      return emitOpError() << "int8_w8a16 needs f16 or bf16 activations, not "
                           << aElt;
    if (!getBScale() || getAScale())
      return emitOpError()
             << "int8_w8a16 needs b_scale (per channel [E, N]) and no a_scale";
    break;
  }

  bool blockWise = getGroupN().has_value() || getGroupK().has_value();
  if (getGroupN().has_value() != getGroupK().has_value())
    return emitOpError() << "group_n and group_k (the block_shape of "
                            "block-wise scales) must be given together";
  if (blockWise && quant != Quant::Fp8W8A8)
    return emitOpError() << "block-wise scales (group_n, group_k) need "
                            "fp8_w8a8 inputs";
  if (blockWise && *getGroupK() % cfg.getBlockK() != 0)
    return emitOpError() << "block_k = " << cfg.getBlockK()
                         << " must divide group_k = " << *getGroupK()
                         << " so that each K tile has one scale";

  if (Value as = getAScale()) {
    MemRefType t = memrefOf(as);
    if (blockWise) {
      if (t.getRank() != 2)
        return emitOpError() << "block-wise a_scale must be [M, ceil(K / "
                                "group_k)], not rank "
                             << t.getRank();
      int64_t kGroups = isDyn(kA) ? kA : llvm::divideCeil(kA, *getGroupK());
      if (failed(checkSameDim(op, "a_scale shape", "dim 0 of a_scale",
                              t.getDimSize(0), "rows of A", aRows)) ||
          failed(checkSameDim(op, "a_scale shape", "dim 1 of a_scale",
                              t.getDimSize(1), "ceil(K / group_k)", kGroups)))
        return failure();
    } else if (!isPerTensorScale(t)) {
      bool perToken = (t.getRank() == 1) ||
                      (t.getRank() == 2 && t.getDimSize(1) == 1);
      if (!perToken)
        return emitOpError()
               << "a_scale must be per tensor ([] or [1]) or per token ([M] "
                  "or [M, 1])";
      if (failed(checkSameDim(op, "a_scale shape", "dim 0 of a_scale",
                              t.getDimSize(0), "rows of A", aRows)))
        return failure();
    }
  }
  if (Value bs = getBScale(); bs && quant != Quant::Mxfp4W4A16) {
    MemRefType t = memrefOf(bs);
    if (!t.getElementType().isF32())
      return emitOpError() << "b_scale must be f32, not " << t.getElementType()
                           << " (f8E8M0FNU scales are for mxfp4 weights)";
    if (blockWise) {
      if (t.getRank() != 3)
        return emitOpError() << "block-wise b_scale must be [E, ceil(N / "
                                "group_n), ceil(K / group_k)], not rank "
                             << t.getRank();
      int64_t nGroups = isDyn(n) ? n : llvm::divideCeil(n, *getGroupN());
      int64_t kGroups = isDyn(kW) ? kW : llvm::divideCeil(kW, *getGroupK());
      if (failed(checkSameDim(op, "b_scale shape", "dim 0 of b_scale",
                              t.getDimSize(0), "experts", numExperts)) ||
          failed(checkSameDim(op, "b_scale shape", "dim 1 of b_scale",
                              t.getDimSize(1), "ceil(N / group_n)", nGroups)) ||
          failed(checkSameDim(op, "b_scale shape", "dim 2 of b_scale",
                              t.getDimSize(2), "ceil(K / group_k)", kGroups)))
        return failure();
    } else if (quant == Quant::Int8W8A16 || t.getRank() == 2) {
      if (t.getRank() != 2)
        return emitOpError() << "b_scale must be per channel [E, N] for "
                                "int8_w8a16, not rank "
                             << t.getRank();
      if (failed(checkSameDim(op, "b_scale shape", "dim 0 of b_scale",
                              t.getDimSize(0), "experts", numExperts)) ||
          failed(checkSameDim(op, "b_scale shape", "dim 1 of b_scale",
                              t.getDimSize(1), "N", n)))
        return failure();
    } else {
      if (t.getRank() != 1)
        return emitOpError() << "b_scale must be per expert [E], per channel "
                                "[E, N] or block-wise, not rank "
                             << t.getRank();
      if (failed(checkSameDim(op, "b_scale shape", "dim 0 of b_scale",
                              t.getDimSize(0), "experts", numExperts)))
        return failure();
    }
  }

  const TargetInfo *target = getEnclosingTarget(op);
  if (!target)
    return success();
  if (failed(verifyElementTypeForTarget(op, "A", aElt, *target)) ||
      failed(verifyElementTypeForTarget(op, "W", wElt, *target)))
    return failure();
  return getMoeGemmPlan(*this, *target).verify([&] { return emitOpError(); });
}

MatmulProblem moec::getMoeGemmProblem(MoeGemmOp op) {
  // int8_w8a16 and mxfp4 dequantize W to A's type on its way to LDS, so both LDS
  // tiles hold A's type and B's vectors are as wide as A's in LDS.
  Type aElt = eltOf(op.getA());
  MoeGemmOp::Quant quant = op.getQuant();
  Type bLds = quant == MoeGemmOp::Quant::Int8W8A16 ||
                      quant == MoeGemmOp::Quant::Mxfp4W4A16
                  ? aElt
                  : eltOf(op.getW());
  MatmulProblem p =
      skeletonProblem(op.getConfig(), op.getA(), op.getW(), op.getC(), bLds);
  // The block's row map: per tile row the A row, the C row (i32, -1 when
  // the row is padding) and the routing weight (f32).
  p.extraLdsBytes = llvm::alignTo(p.m * 12, 16);
  // A gated activation pairs gate column c with up column c + block_n / 2,
  // which sit in other lanes: the epilogue always goes through an f32 tile
  // in LDS (on every target, whatever `epilogue` says).
  if (op.getActivation()) {
    p.epilogueTileBytes = p.m * p.n * 4;
    p.forceLdsEpilogue = true;
  }
  // A is M x K and W[e] N x K: both are read along K.
  p.aContiguous = p.k;
  p.bContiguous = p.k;
  return p;
}

KernelPlan moec::getMoeGemmPlan(MoeGemmOp op, const TargetInfo &target) {
  return KernelPlan::get(ConfigValues(op.getConfig()), target,
                         getMoeGemmProblem(op));
}

//===----------------------------------------------------------------------===//
// ActAndMulOp
//===----------------------------------------------------------------------===//

LogicalResult ActAndMulOp::verify() {
  if (failed(verifyCommon(*this, {"input", "output"})))
    return failure();
  MemRefType in = memrefOf(getInput()), out = memrefOf(getOutput());
  if (in.getRank() != out.getRank())
    return emitOpError() << "input (rank " << in.getRank()
                         << ") and output (rank " << out.getRank()
                         << ") must have the same rank";
  int64_t last = in.getRank() - 1;
  for (int64_t d = 0; d < last; ++d)
    if (failed(checkSameDim(getOperation(), "leading dimensions",
                            "dim " + std::to_string(d) + " of input",
                            in.getDimSize(d),
                            "dim " + std::to_string(d) + " of output",
                            out.getDimSize(d))))
      return failure();
  int64_t twoN = in.getDimSize(last), n = out.getDimSize(last);
  if (!isDyn(twoN) && twoN % 2 != 0)
    return emitOpError() << "the last dimension of input (" << twoN
                         << ") must be even: the gate half, then the up half";
  if (!isDyn(twoN) && !isDyn(n) && twoN != 2 * n)
    return emitOpError() << "the last dimension of input (" << twoN
                         << ") must be twice that of output (" << n << ")";
  const TargetInfo *target = getEnclosingTarget(getOperation());
  if (!target)
    return success();
  return getActAndMulPlan(*this, *target).verify([&] { return emitOpError(); });
}

//===----------------------------------------------------------------------===//
// QuantFp8Op
//===----------------------------------------------------------------------===//

QuantFp8Op::Granularity QuantFp8Op::getGranularity() {
  MemRefType s = memrefOf(getScale());
  if (getGroupK())
    return Granularity::Group;
  if (isPerTensorScale(s))
    return Granularity::Tensor;
  return Granularity::Token;
}

LogicalResult QuantFp8Op::verify() {
  if (failed(verifyCommon(*this, {"input", "output", "scale"})) ||
      failed(verifyScaleShape()))
    return failure();
  const TargetInfo *target = getEnclosingTarget(getOperation());
  if (!target)
    return success();
  return getQuantFp8Plan(*this, *target).verify([&] { return emitOpError(); });
}

LogicalResult QuantFp8Op::verifyScaleShape() {
  Operation *op = getOperation();
  MemRefType in = memrefOf(getInput()), out = memrefOf(getOutput()),
             s = memrefOf(getScale());
  for (int64_t d = 0; d < 2; ++d)
    if (failed(checkSameDim(op, "shape mismatch",
                            "dim " + std::to_string(d) + " of input",
                            in.getDimSize(d),
                            "dim " + std::to_string(d) + " of output",
                            out.getDimSize(d))))
      return failure();
  int64_t m = in.getDimSize(0), k = in.getDimSize(1);
  if (std::optional<int64_t> gk = getGroupK()) {
    if (getStaticScale())
      return emitOpError() << "static_scale is a per-tensor scale; it "
                              "cannot be combined with group_k";
    if (s.getRank() != 2)
      return emitOpError() << "with group_k, scale must be [M, ceil(K / "
                              "group_k)], not rank "
                           << s.getRank();
    int64_t groups =
        isDyn(k) ? k : static_cast<int64_t>(llvm::divideCeil(k, *gk));
    return success(
        succeeded(checkSameDim(op, "scale shape", "dim 0 of scale",
                               s.getDimSize(0), "M", m)) &&
        succeeded(checkSameDim(op, "scale shape", "dim 1 of scale",
                               s.getDimSize(1), "ceil(K / group_k)",
                               groups)));
  }
  if (isPerTensorScale(s))
    return success();
  if (getStaticScale())
    return emitOpError() << "static_scale needs a per-tensor scale ([] or "
                            "[1]), not "
                         << s;
  bool perToken =
      s.getRank() == 1 || (s.getRank() == 2 && s.getDimSize(1) == 1);
  if (!perToken)
    return emitOpError() << "scale must be per tensor ([] or [1]), per token "
                            "([M] or [M, 1]) or, with group_k, [M, ceil(K / "
                            "group_k)]; it is "
                         << s;
  return checkSameDim(op, "scale shape", "dim 0 of scale", s.getDimSize(0),
                      "M", m);
}

//===----------------------------------------------------------------------===//
// SparseWindowIndicesOp
//===----------------------------------------------------------------------===//

LogicalResult SparseWindowIndicesOp::verify() {
  if (failed(verifyCommon(*this, {"seq_lens", "block_table", "indices"})))
    return failure();
  Operation *op = getOperation();
  MemRefType lens = memrefOf(getSeqLens()), table = memrefOf(getBlockTable()),
             idx = memrefOf(getIndices());
  if (failed(checkSameDim(op, "tokens mismatch", "dim 0 of seq_lens",
                          lens.getDimSize(0), "dim 0 of indices",
                          idx.getDimSize(0))) ||
      failed(checkSameDim(op, "tokens mismatch", "dim 0 of block_table",
                          table.getDimSize(0), "dim 0 of indices",
                          idx.getDimSize(0))))
    return failure();
  const TargetInfo *target = getEnclosingTarget(op);
  if (!target)
    return success();
  return getSparseWindowIndicesPlan(*this, *target).verify(
      [&] { return emitOpError(); });
}

//===----------------------------------------------------------------------===//
// SparseAttentionOp
//===----------------------------------------------------------------------===//

LogicalResult SparseAttentionOp::verify() {
  if (failed(verifyCommon(*this,
                          {"q", "kv_cache", "indices", "out", "lse", "workspace"})))
    return failure();
  Operation *op = getOperation();
  MemRefType qT = memrefOf(getQ()), kvT = memrefOf(getKvCache()),
             idxT = memrefOf(getIndices()), oT = memrefOf(getOut());
  int64_t dQK = qT.getDimSize(2), dV = oT.getDimSize(2);
  if (isDyn(dQK) || isDyn(kvT.getDimSize(2)) || isDyn(dV))
    return emitOpError() << "head dimensions d_qk (q, kv_cache) and d_v (out) "
                            "must be static";
  const bool fp8 = getKvFormat() == KvCacheFormat::fp8_ds_mla;
  if (fp8) {
    // DeepSeek-V3.2's FP8 cache (the op's description): 656-byte rows of
    // 512 e4m3fn latent codes, 4 f32 scales and 64 bf16 rope values.
    if (!eltOf(getKvCache()).isInteger(8))
      return emitOpError() << "kv_format fp8_ds_mla takes kv_cache as i8 bytes "
                              "[num_blocks, page_size, 656], not "
                           << eltOf(getKvCache());
    if (kvT.getDimSize(2) != kFp8DsMlaRowBytes)
      return emitOpError() << "kv_format fp8_ds_mla rows are "
                           << kFp8DsMlaRowBytes
                           << " bytes (512 e4m3 + 4 f32 scales + 64 bf16), "
                              "kv_cache's last dimension is "
                           << kvT.getDimSize(2);
    if (!eltOf(getQ()).isBF16())
      return emitOpError() << "kv_format fp8_ds_mla takes a bf16 q, not "
                           << eltOf(getQ());
    if (dQK != 576 || dV != 512)
      return emitOpError() << "kv_format fp8_ds_mla has d_qk = 576 (q's last "
                              "dimension) and d_v = 512 (out's), not d_qk = "
                           << dQK << ", d_v = " << dV;
    if (!eltOf(getOut()).isBF16() && !eltOf(getOut()).isF32())
      return emitOpError() << "kv_format fp8_ds_mla writes a bf16 or f32 out, "
                              "not "
                           << eltOf(getOut());
  } else if (eltOf(getKvCache()).isInteger(8)) {
    return emitOpError() << "an i8 kv_cache holds the bytes of a quantized "
                            "layout: name it with kv_format (fp8_ds_mla)";
  }
  if ((!fp8 && failed(checkSameDim(op, "d_qk mismatch", "d_qk of q", dQK,
                                   "d_qk of kv_cache", kvT.getDimSize(2)))) ||
      failed(checkSameDim(op, "tokens mismatch", "tokens of q",
                          qT.getDimSize(0), "tokens of indices",
                          idxT.getDimSize(0))) ||
      failed(checkSameDim(op, "tokens mismatch", "tokens of q",
                          qT.getDimSize(0), "tokens of out", oT.getDimSize(0))) ||
      failed(checkSameDim(op, "heads mismatch", "h_q of q", qT.getDimSize(1),
                          "heads of out", oT.getDimSize(1))))
    return failure();
  if (dV > dQK)
    return emitOpError() << "d_v (" << dV << ") must not exceed d_qk (" << dQK
                         << "): V is the first d_v columns of the latent cache";
  if (!fp8 && eltOf(getQ()) != eltOf(getKvCache()))
    return emitOpError() << "q (" << eltOf(getQ()) << ") and kv_cache ("
                         << eltOf(getKvCache())
                         << ") must have the same element type";
  if (Value lse = getLse()) {
    MemRefType lT = memrefOf(lse);
    if (failed(checkSameDim(op, "lse shape", "dim 0 of lse", lT.getDimSize(0),
                            "tokens", qT.getDimSize(0))) ||
        failed(checkSameDim(op, "lse shape", "dim 1 of lse", lT.getDimSize(1),
                            "h_q", qT.getDimSize(1))))
      return failure();
  }
  if (Value ws = getWorkspace()) {
    MemRefType wT = memrefOf(ws);
    int64_t splits = getConfig().getKvSplits();
    if (!isDyn(wT.getDimSize(0)) && wT.getDimSize(0) > splits)
      return emitOpError() << "workspace has " << wT.getDimSize(0)
                           << " splits, more than kv_splits = " << splits;
    if (failed(checkSameDim(op, "workspace shape", "dim 2 of workspace",
                            wT.getDimSize(2), "d_v + 1", dV + 1)))
      return failure();
    int64_t t = qT.getDimSize(0), h = qT.getDimSize(1);
    if (!isDyn(t) && !isDyn(h) &&
        failed(checkSameDim(op, "workspace shape", "dim 1 of workspace",
                            wT.getDimSize(1), "tokens x h_q", t * h)))
      return failure();
  }
  float scale = getScale().convertToFloat();
  if (!(scale > 0.0f) || std::isinf(scale))
    return emitOpError() << "scale = " << scale
                         << " must be a finite positive number";

  const TargetInfo *target = getEnclosingTarget(op);
  if (!target)
    return success();
  // The kernel's plan (moec/Dialect/OpPlans.h): both matrix products, the
  // LDS of the KV ring, Q, P, scores and the transposed V, the registers.
  return getSparseAttentionPlan(*this, *target).verify([&] {
    return emitOpError();
  });
}
