//===- Emulator.cpp - run lane-level AMD kernels on the CPU ---------------===//
//
// See include/moec/Emulator/Emulator.h and docs/emulator.md for the design:
// a pre-decoded flat program, 64-lane waves in lockstep with execution masks
// and a post-dominator reconvergence stack, waves of a workgroup run to
// each barrier in turn, LDS and global accesses checked, MFMA with the
// documented per-lane layouts (Mfma.cpp), buffer accesses range checked.
// Nothing here uses moec's lowering code: it reads MLIR's upstream ops only.
//
//===----------------------------------------------------------------------===//

#include "moec/Emulator/Emulator.h"
#include "Mfma.h"
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
#include "mlir/IR/Dominance.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <chrono>
#include <cmath>

using namespace mlir;
using namespace moec;
using namespace moec::emu;

namespace moec::emu {

namespace {

constexpr int kLanes = 64;
constexpr uint64_t kFull = ~uint64_t(0);

enum class OpC : uint16_t {
  // arith, integer
  AddI, SubI, MulI, DivUI, DivSI, RemUI, RemSI, CeilDivUI, CeilDivSI,
  FloorDivSI, AndI, OrI, XOrI, ShLI, ShRUI, ShRSI, MaxSI, MinSI, MaxUI,
  MinUI, CmpI, Select,
  // casts
  ExtSI, ExtUI, TruncI, SIToFP, UIToFP, FPToSI, FPToUI, ExtF, TruncF,
  Bitcast, Copy,
  // float
  AddF, SubF, MulF, DivF, NegF, MaxF, MinF, CmpF, Fma, Exp, Exp2, Log,
  Log2, Sqrt, RSqrt, Tanh, Erf, AbsF, Floor, Ceil, Sin, Cos, CopySign, RemF,
  Trunc, Round, RoundEven, Log1p, Expm1, PowF,
  // vector
  Broadcast, Extract, Insert, FromElements, ExtractSlice, InsertSlice,
  Shuffle, ReduceAdd, ReduceMax, ReduceMin,
  // memory
  Load, Store, MaskedLoad, MaskedStore, MakeRsrc, BufLoad, BufStore,
  BufAtomicAdd, PtrAtomicAdd, MrAtomicRmw,
  // memref descriptors
  MrDim, MrCopy, MrView, MrReinterpret, MrMetadata, MrAlignedPtr,
  // gpu
  ThreadId, BlockId, BlockDim, GridDim, LaneId, Barrier, Poison, Nop, Mfma,
  LaneShuffle,
  // terminators
  Br, CondBr, Return,
};

enum class CmpP : uint8_t { EQ, NE, SLT, SLE, SGT, SGE, ULT, ULE, UGT, UGE };
enum class FCmpP : uint8_t {
  False, OEQ, OGT, OGE, OLT, OLE, ONE, ORD, UEQ, UGT, UGE, ULT, ULE, UNE, UNO,
  True
};

struct Slot {
  bool mem = false;
  uint32_t off = 0; ///< first cell row (x 64) or memref descriptor index
  uint32_t n = 1;   ///< elements per lane
  EK k = EK::I64;
  std::vector<int64_t> shape; ///< vector shape (empty: scalar)
};

struct Instr {
  OpC op;
  Operation *src = nullptr;
  int32_t res = -1;
  SmallVector<int32_t, 4> ops;
  SmallVector<int64_t, 4> imm;
  EK k = EK::I64;  ///< result kind
  EK k2 = EK::I64; ///< operand kind
  // Terminators.
  int32_t succ[2] = {-1, -1};
  SmallVector<int32_t, 4> succArgs[2];
  // Mfma.
  MfmaShape mfma;
};

struct BlockCode {
  std::vector<Instr> instrs;
  std::vector<int32_t> args;
  int32_t ipdom = -1;
};

struct MemDesc {
  bool lds = false;
  uint64_t base = 0; ///< host address (global) or LDS byte offset
  int64_t offset = 0;
  int rank = 0;
  int64_t sizes[8] = {}, strides[8] = {};
  EK k = EK::I8;
  bool valid = false;
};

} // namespace

class Program {
public:
  std::string chip;
  std::string name;
  std::vector<Slot> slots;
  std::vector<BlockCode> blocks;
  uint32_t cells = 0;   ///< register rows per wave
  uint32_t memSlots = 0;
  int64_t ldsBytes = 0; ///< workgroup attributions
  std::vector<std::pair<int32_t, uint64_t>> ldsAttr; ///< slot, LDS offset
  std::vector<int32_t> argSlots;
  struct Const {
    int32_t slot;
    std::vector<uint64_t> values;
  };
  std::vector<Const> consts;
  DenseMap<Value, int32_t> ids;
  std::string decodeError;

  FailureOr<int32_t> slotFor(Value v);
  int32_t get(Value v) { return ids.lookup(v); }
  LogicalResult decode(gpu::GPUFuncOp func);
  LogicalResult decodeOp(Operation *op, BlockCode &bc,
                         DenseMap<Block *, int32_t> &blockIds);
  LogicalResult decodeRocdlMfma(Operation *op, Instr &in, BlockCode &bc);
  LogicalResult fail(Operation *op, const Twine &msg) {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << op->getLoc() << ": '" << op->getName() << "': " << msg;
    decodeError = s;
    return failure();
  }
};

} // namespace moec::emu

namespace {

std::string locString(Operation *op) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << op->getLoc() << ": '" << op->getName() << "'";
  return s;
}

FailureOr<EK> kindOf(Type t) {
  if (isa<IndexType>(t))
    return EK::I64;
  if (auto i = dyn_cast<IntegerType>(t)) {
    switch (i.getWidth()) {
    case 1: return EK::I1;
    case 8: return EK::I8;
    case 16: return EK::I16;
    case 32: return EK::I32;
    case 64: return EK::I64;
    }
    return failure();
  }
  if (t.isF16()) return EK::F16;
  if (t.isBF16()) return EK::BF16;
  if (t.isF32()) return EK::F32;
  if (t.isF64()) return EK::F64;
  if (isa<Float8E4M3FNUZType>(t)) return EK::F8E4M3FNUZ;
  if (isa<Float8E5M2FNUZType>(t)) return EK::F8E5M2FNUZ;
  if (isa<Float8E4M3FNType>(t)) return EK::F8E4M3FN;
  if (isa<Float8E5M2Type>(t)) return EK::F8E5M2;
  // e8m0 scales (MXFP4 moe_gemm) are only loaded and bitcast to i8: a byte.
  if (isa<Float8E8M0FNUType>(t)) return EK::I8;
  if (isa<Float4E2M1FNType>(t)) return EK::F4E2M1FN;
  if (isa<LLVM::LLVMPointerType>(t))
    return EK::I64;
  return failure();
}

} // namespace

FailureOr<int32_t> Program::slotFor(Value v) {
  auto it = ids.find(v);
  if (it != ids.end())
    return it->second;
  Slot s;
  Type t = v.getType();
  if (auto mr = dyn_cast<MemRefType>(t)) {
    s.mem = true;
    s.off = memSlots++;
    auto k = kindOf(mr.getElementType());
    if (failed(k))
      return failure();
    s.k = *k;
  } else if (auto vt = dyn_cast<VectorType>(t)) {
    if (vt.isScalable())
      return failure();
    auto k = kindOf(vt.getElementType());
    if (failed(k))
      return failure();
    s.k = *k;
    s.n = vt.getNumElements();
    s.shape.assign(vt.getShape().begin(), vt.getShape().end());
  } else if (auto p = dyn_cast<LLVM::LLVMPointerType>(t)) {
    s.k = EK::I64;
    s.n = p.getAddressSpace() == 8 ? 4 : 1; // buffer resource: 4 fields
  } else {
    auto k = kindOf(t);
    if (failed(k))
      return failure();
    s.k = *k;
  }
  if (!s.mem) {
    s.off = cells;
    cells += s.n;
  }
  int32_t id = slots.size();
  slots.push_back(std::move(s));
  ids[v] = id;
  return id;
}

LogicalResult Program::decode(gpu::GPUFuncOp func) {
  name = func.getName().str();
  Region &body = func.getBody();
  // Blocks in reverse post-order (any order works; this one is readable).
  DenseMap<Block *, int32_t> blockIds;
  std::vector<Block *> order;
  {
    llvm::SmallPtrSet<Block *, 32> seen;
    std::vector<Block *> post;
    std::function<void(Block *)> dfs = [&](Block *b) {
      if (!seen.insert(b).second)
        return;
      for (Block *s : b->getSuccessors())
        dfs(s);
      post.push_back(b);
    };
    dfs(&body.front());
    order.assign(post.rbegin(), post.rend());
  }
  for (Block *b : order)
    blockIds[b] = blockIds.size();
  blocks.resize(order.size());
  for (BlockArgument a :
       func.getArguments().take_front(func.getArgumentTypes().size())) {
    auto s = slotFor(a);
    if (failed(s))
      return fail(func, "argument type not supported");
    argSlots.push_back(*s);
  }
  for (BlockArgument a : func.getWorkgroupAttributions()) {
    auto mr = cast<MemRefType>(a.getType());
    auto s = slotFor(a);
    if (failed(s) || !mr.hasStaticShape())
      return fail(func, "workgroup attribution type not supported");
    int64_t bytes = mr.getNumElements() * bytesOf(slots[*s].k);
    ldsBytes = (ldsBytes + 15) / 16 * 16;
    ldsAttr.push_back({*s, static_cast<uint64_t>(ldsBytes)});
    ldsBytes += bytes;
  }
  if (!func.getPrivateAttributions().empty())
    return fail(func, "private attributions are not supported");
  for (Block *b : order) {
    BlockCode &bc = blocks[blockIds[b]];
    if (b != &body.front())
      for (BlockArgument a : b->getArguments()) {
        auto s = slotFor(a);
        if (failed(s))
          return fail(b->getParentOp(), "block argument type not supported");
        bc.args.push_back(*s);
      }
    for (Operation &op : *b)
      if (failed(decodeOp(&op, bc, blockIds)))
        return failure();
  }
  // Reconvergence points: immediate post-dominators.
  PostDominanceInfo pdom(func);
  for (Block *b : order) {
    if (b->getNumSuccessors() < 2)
      continue;
    auto *node = pdom.getNode(b);
    auto *idom = node ? node->getIDom() : nullptr;
    Block *ip = idom ? idom->getBlock() : nullptr;
    blocks[blockIds[b]].ipdom = ip ? blockIds.lookup(ip) : -1;
  }
  return success();
}

LogicalResult Program::decodeOp(Operation *op, BlockCode &bc,
                                DenseMap<Block *, int32_t> &blockIds) {
  Instr in;
  in.src = op;
  for (Value v : op->getOperands()) {
    auto it = ids.find(v);
    if (it == ids.end())
      return fail(op, "operand defined outside the kernel or later");
    in.ops.push_back(it->second);
  }
  // gpu.shuffle's second result (whether the source lane was in range) is
  // never needed: reading out of range is reported instead.
  auto shuffle = dyn_cast<gpu::ShuffleOp>(op);
  if (shuffle && !shuffle.getValid().use_empty())
    return fail(op, "gpu.shuffle's `valid` result is not supported");
  if (op->getNumResults() > 1 && !shuffle &&
      !isa<memref::ExtractStridedMetadataOp>(op))
    return fail(op, "ops with several results are not supported");
  if (op->getNumResults() == 1 || shuffle) {
    auto s = slotFor(op->getResult(0));
    if (failed(s))
      return fail(op, "result type not supported");
    in.res = *s;
    in.k = slots[*s].k;
  }
  if (!in.ops.empty())
    in.k2 = slots[in.ops[0]].k;

  auto push = [&](OpC o) {
    in.op = o;
    bc.instrs.push_back(std::move(in));
    return success();
  };

  // Constants are materialized once per wave.
  if (isa<arith::ConstantOp, LLVM::ConstantOp>(op)) {
    Attribute value = op->getAttr("value");
    Const c{in.res, {}};
    EK k = slots[in.res].k;
    auto scalar = [&](Attribute a) -> FailureOr<uint64_t> {
      if (auto i = dyn_cast<IntegerAttr>(a))
        return truncBits(i.getValue().getZExtValue(), bitsOf(k));
      if (auto f = dyn_cast<FloatAttr>(a))
        return f.getValue().bitcastToAPInt().getZExtValue();
      if (auto b = dyn_cast<BoolAttr>(a))
        return uint64_t(b.getValue());
      return failure();
    };
    if (auto d = dyn_cast<DenseElementsAttr>(value)) {
      for (Attribute a : d.getValues<Attribute>()) {
        auto v = scalar(a);
        if (failed(v))
          return fail(op, "constant not supported");
        c.values.push_back(*v);
      }
    } else {
      auto v = scalar(value);
      if (failed(v))
        return fail(op, "constant not supported");
      c.values.push_back(*v);
    }
    consts.push_back(std::move(c));
    return success();
  }

  if (auto cmp = dyn_cast<arith::CmpIOp>(op)) {
    static const CmpP map[] = {CmpP::EQ, CmpP::NE, CmpP::SLT, CmpP::SLE,
                               CmpP::SGT, CmpP::SGE, CmpP::ULT, CmpP::ULE,
                               CmpP::UGT, CmpP::UGE};
    in.imm.push_back(static_cast<int64_t>(map[static_cast<int>(cmp.getPredicate())]));
    return push(OpC::CmpI);
  }
  if (auto cmp = dyn_cast<arith::CmpFOp>(op)) {
    in.imm.push_back(static_cast<int64_t>(cmp.getPredicate()));
    return push(OpC::CmpF);
  }
#define SIMPLE(OPCLASS, CODE)                                                  \
  if (isa<OPCLASS>(op))                                                        \
    return push(OpC::CODE);
  SIMPLE(arith::AddIOp, AddI)
  SIMPLE(arith::SubIOp, SubI)
  SIMPLE(arith::MulIOp, MulI)
  SIMPLE(arith::DivUIOp, DivUI)
  SIMPLE(arith::DivSIOp, DivSI)
  SIMPLE(arith::RemUIOp, RemUI)
  SIMPLE(arith::RemSIOp, RemSI)
  SIMPLE(arith::CeilDivUIOp, CeilDivUI)
  SIMPLE(arith::CeilDivSIOp, CeilDivSI)
  SIMPLE(arith::FloorDivSIOp, FloorDivSI)
  SIMPLE(arith::AndIOp, AndI)
  SIMPLE(arith::OrIOp, OrI)
  SIMPLE(arith::XOrIOp, XOrI)
  SIMPLE(arith::ShLIOp, ShLI)
  SIMPLE(arith::ShRUIOp, ShRUI)
  SIMPLE(arith::ShRSIOp, ShRSI)
  SIMPLE(arith::MaxSIOp, MaxSI)
  SIMPLE(arith::MinSIOp, MinSI)
  SIMPLE(arith::MaxUIOp, MaxUI)
  SIMPLE(arith::MinUIOp, MinUI)
  SIMPLE(arith::SelectOp, Select)
  SIMPLE(arith::ExtSIOp, ExtSI)
  SIMPLE(arith::ExtUIOp, ExtUI)
  SIMPLE(arith::TruncIOp, TruncI)
  SIMPLE(arith::IndexCastOp, ExtSI)   // sign-extends or truncates
  SIMPLE(arith::IndexCastUIOp, ExtUI) // zero-extends or truncates
  SIMPLE(arith::SIToFPOp, SIToFP)
  SIMPLE(arith::UIToFPOp, UIToFP)
  SIMPLE(arith::FPToSIOp, FPToSI)
  SIMPLE(arith::FPToUIOp, FPToUI)
  SIMPLE(arith::ExtFOp, ExtF)
  SIMPLE(arith::TruncFOp, TruncF)
  SIMPLE(arith::BitcastOp, Bitcast)
  SIMPLE(vector::BitCastOp, Bitcast)
  SIMPLE(vector::ShapeCastOp, Copy)
  SIMPLE(LLVM::IntToPtrOp, ExtUI)
  SIMPLE(LLVM::PtrToIntOp, ExtUI)
  SIMPLE(arith::AddFOp, AddF)
  SIMPLE(arith::SubFOp, SubF)
  SIMPLE(arith::MulFOp, MulF)
  SIMPLE(arith::DivFOp, DivF)
  SIMPLE(arith::NegFOp, NegF)
  SIMPLE(arith::MaximumFOp, MaxF)
  SIMPLE(arith::MaxNumFOp, MaxF)
  SIMPLE(arith::MinimumFOp, MinF)
  SIMPLE(arith::MinNumFOp, MinF)
  SIMPLE(math::FmaOp, Fma)
  SIMPLE(vector::FMAOp, Fma)
  SIMPLE(math::ExpOp, Exp)
  SIMPLE(math::Exp2Op, Exp2)
  SIMPLE(math::LogOp, Log)
  SIMPLE(math::Log2Op, Log2)
  SIMPLE(math::SqrtOp, Sqrt)
  SIMPLE(math::RsqrtOp, RSqrt)
  SIMPLE(math::TanhOp, Tanh)
  SIMPLE(math::ErfOp, Erf)
  SIMPLE(math::AbsFOp, AbsF)
  SIMPLE(math::FloorOp, Floor)
  SIMPLE(math::CeilOp, Ceil)
  SIMPLE(math::SinOp, Sin)
  SIMPLE(math::CosOp, Cos)
  SIMPLE(math::CopySignOp, CopySign)
  SIMPLE(arith::RemFOp, RemF)
  SIMPLE(math::TruncOp, Trunc)
  SIMPLE(math::RoundOp, Round)
  SIMPLE(math::RoundEvenOp, RoundEven)
  SIMPLE(math::Log1pOp, Log1p)
  SIMPLE(math::ExpM1Op, Expm1)
  SIMPLE(math::PowFOp, PowF)
  SIMPLE(vector::BroadcastOp, Broadcast)
  SIMPLE(vector::FromElementsOp, FromElements)
  SIMPLE(gpu::BarrierOp, Barrier)
  SIMPLE(amdgpu::LDSBarrierOp, Barrier)
  SIMPLE(gpu::LaneIdOp, LaneId)
  SIMPLE(ub::PoisonOp, Poison)
  SIMPLE(LLVM::UndefOp, Poison)
  SIMPLE(LLVM::PoisonOp, Poison)
  SIMPLE(memref::DimOp, MrDim)
  SIMPLE(memref::MemorySpaceCastOp, MrCopy)
  SIMPLE(memref::CastOp, MrCopy)
  SIMPLE(memref::ExtractAlignedPointerAsIndexOp, MrAlignedPtr)
  SIMPLE(gpu::ReturnOp, Return)
#undef SIMPLE
  if (isa<gpu::ThreadIdOp, gpu::BlockIdOp, gpu::BlockDimOp, gpu::GridDimOp>(op)) {
    auto dim = op->getAttrOfType<gpu::DimensionAttr>("dimension");
    in.imm.push_back(static_cast<int64_t>(dim.getValue()));
    return push(isa<gpu::ThreadIdOp>(op)  ? OpC::ThreadId
                : isa<gpu::BlockIdOp>(op) ? OpC::BlockId
                : isa<gpu::BlockDimOp>(op) ? OpC::BlockDim
                                           : OpC::GridDim);
  }
  if (op->getName().getStringRef().starts_with("rocdl.s.waitcnt") ||
      op->getName().getStringRef().starts_with("rocdl.sched") ||
      op->getName().getStringRef() == "rocdl.s.setprio" ||
      isa<amdgpu::SchedBarrierOp>(op))
    return push(OpC::Nop);
  if (op->getName().getStringRef() == "rocdl.s.barrier" ||
      op->getName().getStringRef() == "rocdl.barrier")
    return push(OpC::Barrier);

  if (auto ex = dyn_cast<vector::ExtractOp>(op)) {
    if (!ex.getDynamicPosition().empty())
      return fail(op, "dynamic positions are not supported");
    for (int64_t p : ex.getStaticPosition())
      in.imm.push_back(p);
    in.ops.resize(1);
    return push(OpC::Extract);
  }
  if (auto ins = dyn_cast<vector::InsertOp>(op)) {
    if (!ins.getDynamicPosition().empty())
      return fail(op, "dynamic positions are not supported");
    for (int64_t p : ins.getStaticPosition())
      in.imm.push_back(p);
    in.ops.resize(2);
    return push(OpC::Insert);
  }
  if (auto ex = dyn_cast<vector::ExtractStridedSliceOp>(op)) {
    if (ex.getSourceVectorType().getRank() != 1 || ex.hasNonUnitStrides())
      return fail(op, "only 1-D unit-stride slices are supported");
    in.imm.push_back(cast<IntegerAttr>(ex.getOffsets()[0]).getInt());
    return push(OpC::ExtractSlice);
  }
  if (auto ins = dyn_cast<vector::InsertStridedSliceOp>(op)) {
    if (ins.getDestVectorType().getRank() != 1 || ins.hasNonUnitStrides())
      return fail(op, "only 1-D unit-stride slices are supported");
    in.imm.push_back(cast<IntegerAttr>(ins.getOffsets()[0]).getInt());
    return push(OpC::InsertSlice);
  }
  if (shuffle) {
    if (!shuffle.getShuffleResult().getType().isIntOrFloat())
      return fail(op, "only scalar gpu.shuffle is supported");
    in.imm.push_back(static_cast<int64_t>(shuffle.getMode()));
    return push(OpC::LaneShuffle);
  }
  if (auto sh = dyn_cast<vector::ShuffleOp>(op)) {
    if (sh.getV1VectorType().getRank() > 1)
      return fail(op, "only 1-D shuffles are supported");
    for (int64_t m : sh.getMask())
      in.imm.push_back(m);
    return push(OpC::Shuffle);
  }
  if (auto red = dyn_cast<vector::ReductionOp>(op)) {
    if (red.getAcc())
      return fail(op, "reductions with an accumulator are not supported");
    switch (red.getKind()) {
    case vector::CombiningKind::ADD: return push(OpC::ReduceAdd);
    case vector::CombiningKind::MAXNUMF:
    case vector::CombiningKind::MAXIMUMF: return push(OpC::ReduceMax);
    case vector::CombiningKind::MINNUMF:
    case vector::CombiningKind::MINIMUMF: return push(OpC::ReduceMin);
    default: return fail(op, "reduction kind not supported");
    }
  }
  if (isa<vector::LoadOp, memref::LoadOp>(op))
    return push(OpC::Load);
  if (isa<vector::StoreOp, memref::StoreOp>(op)) {
    in.k2 = slots[in.ops[0]].k;
    return push(OpC::Store);
  }
  if (isa<vector::MaskedLoadOp>(op))
    return push(OpC::MaskedLoad);
  if (isa<vector::MaskedStoreOp>(op))
    return push(OpC::MaskedStore);
  if (auto view = dyn_cast<memref::ViewOp>(op)) {
    auto t = view.getType();
    for (int64_t d : t.getShape())
      in.imm.push_back(d);
    return push(OpC::MrView);
  }
  if (auto rc = dyn_cast<memref::ReinterpretCastOp>(op)) {
    // imm: offset, sizes..., strides... (kDynamic = take the next operand)
    for (int64_t v : rc.getStaticOffsets())
      in.imm.push_back(v);
    for (int64_t v : rc.getStaticSizes())
      in.imm.push_back(v);
    for (int64_t v : rc.getStaticStrides())
      in.imm.push_back(v);
    return push(OpC::MrReinterpret);
  }
  if (auto md = dyn_cast<memref::ExtractStridedMetadataOp>(op)) {
    in.res = -1;
    for (Value r : md->getResults()) {
      auto s = slotFor(r);
      if (failed(s))
        return fail(op, "result type not supported");
      in.imm.push_back(*s);
    }
    return push(OpC::MrMetadata);
  }
  if (isa<ROCDL::MakeBufferRsrcOp>(op))
    return push(OpC::MakeRsrc);
  if (isa<ROCDL::RawPtrBufferLoadOp>(op))
    return push(OpC::BufLoad);
  if (isa<ROCDL::RawPtrBufferStoreOp>(op)) {
    in.k2 = slots[in.ops[0]].k;
    return push(OpC::BufStore);
  }
  if (isa<ROCDL::RawPtrBufferAtomicFaddOp>(op)) {
    in.k2 = slots[in.ops[0]].k;
    return push(OpC::BufAtomicAdd);
  }
  if (auto rmw = dyn_cast<memref::AtomicRMWOp>(op)) {
    // memref.atomic_rmw addi / addf (moe_align's LDS counters, reduce
    // epilogues off AMD): imm[0] = 0 integer, 1 float.
    if (rmw.getKind() != arith::AtomicRMWKind::addi &&
        rmw.getKind() != arith::AtomicRMWKind::addf)
      return fail(op, "only addi and addf memref atomics are supported");
    in.imm.push_back(rmw.getKind() == arith::AtomicRMWKind::addf);
    in.k2 = slots[in.ops[0]].k;
    return push(OpC::MrAtomicRmw);
  }
  if (auto rmw = dyn_cast<LLVM::AtomicRMWOp>(op)) {
    if (rmw.getBinOp() != LLVM::AtomicBinOp::fadd)
      return fail(op, "only fadd atomics are supported");
    return push(OpC::PtrAtomicAdd);
  }
  if (auto mf = dyn_cast<amdgpu::MFMAOp>(op)) {
    if (mf.getBlocks() != 1 || mf.getCbsz() || mf.getAbid() ||
        mf.getBlgp() != amdgpu::MFMAPermB::none || mf.getNegateA() ||
        mf.getNegateB() || mf.getNegateC())
      return fail(op, "only single-block MFMAs without cbsz/abid/blgp/negate "
                      "are supported");
    auto elt = [](Type t) {
      auto vt = dyn_cast<VectorType>(t);
      return vt ? vt.getElementType() : t;
    };
    auto ka = kindOf(elt(mf.getSourceA().getType()));
    auto kb = kindOf(elt(mf.getSourceB().getType()));
    if (failed(ka) || failed(kb))
      return fail(op, "MFMA operand type not supported");
    FailureOr<MfmaShape> shape =
        MfmaShape::get(mf.getM(), mf.getN(), mf.getK(), *ka, *kb, in.k);
    if (failed(shape))
      return fail(op, fmt::format("no {}x{}x{} MFMA for these element types",
                                  mf.getM(), mf.getN(), mf.getK()));
    in.mfma = *shape;
    if (slots[in.ops[0]].n != uint32_t(shape->perLaneAB) ||
        slots[in.ops[1]].n != uint32_t(shape->perLaneAB) ||
        slots[in.ops[2]].n != uint32_t(shape->perLaneC))
      return fail(op, "MFMA operand sizes do not match the instruction");
    return push(OpC::Mfma);
  }
  if (auto mf = dyn_cast<amdgpu::ScaledMFMAOp>(op)) {
    // ops: A, B, C, scalesA, scalesB; imm: the scale byte of each.
    auto elt = [](Type t) {
      auto vt = dyn_cast<VectorType>(t);
      return vt ? vt.getElementType() : t;
    };
    auto ka = kindOf(elt(mf.getSourceA().getType()));
    auto kb = kindOf(elt(mf.getSourceB().getType()));
    if (failed(ka) || failed(kb))
      return fail(op, "scaled MFMA operand type not supported (fp6 is not)");
    FailureOr<MfmaShape> shape =
        MfmaShape::getScaled(mf.getM(), mf.getN(), mf.getK(), *ka, *kb);
    if (failed(shape))
      return fail(op, fmt::format("no scaled {}x{}x{} MFMA for these element "
                                  "types",
                                  mf.getM(), mf.getN(), mf.getK()));
    in.mfma = *shape;
    in.imm = {int64_t(mf.getScalesIdxA()), int64_t(mf.getScalesIdxB())};
    if (slots[in.ops[0]].n != uint32_t(shape->perLaneAB) ||
        slots[in.ops[1]].n != uint32_t(shape->perLaneAB) ||
        slots[in.ops[2]].n != uint32_t(shape->perLaneC))
      return fail(op, "scaled MFMA operand sizes do not match the instruction");
    return push(OpC::Mfma);
  }
  if (op->getName().getStringRef().starts_with("rocdl.mfma."))
    return decodeRocdlMfma(op, in, bc);
  if (auto br = dyn_cast<cf::BranchOp>(op)) {
    in.succ[0] = blockIds.lookup(br.getDest());
    in.succArgs[0].assign(in.ops.begin(), in.ops.end());
    return push(OpC::Br);
  }
  if (auto br = dyn_cast<cf::CondBranchOp>(op)) {
    in.succ[0] = blockIds.lookup(br.getTrueDest());
    in.succ[1] = blockIds.lookup(br.getFalseDest());
    for (Value v : br.getTrueDestOperands())
      in.succArgs[0].push_back(ids.lookup(v));
    for (Value v : br.getFalseDestOperands())
      in.succArgs[1].push_back(ids.lookup(v));
    in.ops.resize(1);
    return push(OpC::CondBr);
  }
  return fail(op, "op not supported by the emulator");
}

/// rocdl.mfma.<f32|i32>.<M>x<N>x<K><types> %a, %b, %c, %cbsz, %abid, %blgp:
/// the element types come from the name (operands are often integer
/// vectors holding them: vector<4xi16> for bf16, i64 for 8 fp8); fp8/bf8
/// are the OCP formats on gfx950 and fnuz elsewhere.
LogicalResult Program::decodeRocdlMfma(Operation *op, Instr &in,
                                       BlockCode &bc) {
  StringRef rest =
      op->getName().getStringRef().drop_front(strlen("rocdl.mfma."));
  if (rest.consume_front("scale.f32.")) {
    // rocdl.mfma.scale.f32.<16x16x128|32x32x64>.f8f6f4 %a, %b, %c, %cbsz
    // (A's format), %blgp (B's), %opselA, %scaleA, %opselB, %scaleB: the
    // formats 0 = e4m3, 1 = e5m2, 4 = e2m1 (2, 3: fp6, not supported);
    // each scale is an i32 whose byte OPSEL the lane supplies.
    int m = 0, n = 0, k = 0;
    if (rest == "16x16x128.f8f6f4")
      m = n = 16, k = 128;
    else if (rest == "32x32x64.f8f6f4")
      m = n = 32, k = 64;
    else
      return fail(op, "unknown scaled MFMA");
    if (in.ops.size() != 9 || in.res < 0)
      return fail(op, "expected a, b, c, cbsz, blgp, opselA, scaleA, opselB, "
                      "scaleB");
    int64_t imm[4];
    int at[4] = {3, 4, 5, 7};
    for (int i = 0; i < 4; ++i) {
      Operation *def = op->getOperand(at[i]).getDefiningOp();
      auto attr = def ? def->getAttrOfType<IntegerAttr>("value") : IntegerAttr();
      if (!attr)
        return fail(op, "scaled MFMA formats and OPSELs must be constants");
      imm[i] = attr.getInt();
    }
    auto format = [](int64_t f) -> FailureOr<EK> {
      switch (f) {
      case 0: return EK::F8E4M3FN;
      case 1: return EK::F8E5M2;
      case 4: return EK::F4E2M1FN;
      default: return failure();
      }
    };
    FailureOr<EK> ka = format(imm[0]), kb = format(imm[1]);
    if (failed(ka) || failed(kb))
      return fail(op, "scaled MFMA format not supported (fp6 is not)");
    FailureOr<MfmaShape> shape = MfmaShape::getScaled(m, n, k, *ka, *kb);
    if (failed(shape) || imm[2] < 0 || imm[2] > 3 || imm[3] < 0 || imm[3] > 3)
      return fail(op, "scaled MFMA shape or OPSEL not supported");
    in.mfma = *shape;
    in.imm = {imm[2], imm[3]};
    in.ops = {in.ops[0], in.ops[1], in.ops[2], in.ops[6], in.ops[8]};
    auto bitsPerLane = [&](int32_t slot) {
      return slots[slot].n * bitsOf(slots[slot].k);
    };
    if (bitsPerLane(in.ops[0]) != uint32_t(32 * bitsOf(*ka)) ||
        bitsPerLane(in.ops[1]) != uint32_t(32 * bitsOf(*kb)) ||
        slots[in.ops[2]].n != uint32_t(shape->perLaneC))
      return fail(op, "scaled MFMA operand sizes do not match the instruction");
    in.op = OpC::Mfma;
    bc.instrs.push_back(std::move(in));
    return success();
  }
  if (rest.starts_with("scale"))
    return fail(op, "unknown scaled MFMA");
  auto [acc, shapeTypes] = rest.split('.');
  int dims[3] = {0, 0, 0};
  for (int d = 0; d < 3; ++d) {
    size_t len = 0;
    while (len < shapeTypes.size() && isdigit(shapeTypes[len]))
      ++len;
    if (!len || shapeTypes.substr(0, len).getAsInteger(10, dims[d]))
      return fail(op, "cannot parse the MFMA shape");
    shapeTypes = shapeTypes.drop_front(len);
    if (d < 2) {
      if (!shapeTypes.consume_front("x"))
        return fail(op, "cannot parse the MFMA shape");
    }
  }
  std::string types = shapeTypes.str();
  std::replace(types.begin(), types.end(), '_', '.');
  StringRef t = StringRef(types).ltrim('.');
  t.consume_back(".1k");
  bool ocp = StringRef(chip).contains("gfx950");
  EK e4 = ocp ? EK::F8E4M3FN : EK::F8E4M3FNUZ, e5 = ocp ? EK::F8E5M2 : EK::F8E5M2FNUZ;
  EK ka, kb;
  if (t == "f16") ka = kb = EK::F16;
  else if (t == "bf16") ka = kb = EK::BF16;
  else if (t == "i8") ka = kb = EK::I8;
  else if (t == "fp8.fp8") ka = kb = e4;
  else if (t == "bf8.bf8") ka = kb = e5;
  else if (t == "fp8.bf8") ka = e4, kb = e5;
  else if (t == "bf8.fp8") ka = e5, kb = e4;
  else return fail(op, "MFMA input type '" + t + "' not supported");
  if (in.ops.size() != 6 || in.res < 0)
    return fail(op, "expected a, b, c, cbsz, abid, blgp");
  for (int i = 3; i < 6; ++i) {
    Operation *def = op->getOperand(i).getDefiningOp();
    auto attr = def ? def->getAttrOfType<IntegerAttr>("value") : IntegerAttr();
    if (!attr || attr.getInt() != 0)
      return fail(op, "only cbsz = abid = blgp = 0 is supported");
  }
  in.ops.resize(3);
  FailureOr<MfmaShape> shape =
      MfmaShape::get(dims[0], dims[1], dims[2], ka, kb, in.k);
  if (failed(shape) || acc != (in.k == EK::I32 ? "i32" : "f32"))
    return fail(op, "MFMA shape or accumulator not supported");
  in.mfma = *shape;
  auto bitsPerLane = [&](int32_t slot) {
    return slots[slot].n * bitsOf(slots[slot].k);
  };
  if (bitsPerLane(in.ops[0]) != uint32_t(shape->perLaneAB * bitsOf(ka)) ||
      bitsPerLane(in.ops[1]) != uint32_t(shape->perLaneAB * bitsOf(kb)) ||
      slots[in.ops[2]].n != uint32_t(shape->perLaneC))
    return fail(op, "MFMA operand sizes do not match the instruction");
  in.op = OpC::Mfma;
  bc.instrs.push_back(std::move(in));
  return success();
}

//===----------------------------------------------------------------------===//
// Execution
//===----------------------------------------------------------------------===//

namespace {

struct LdsShadow {
  uint32_t wEpoch = 0; ///< 0: never written
  uint32_t rEpoch = 0;
  uint16_t readers = 0;
  uint8_t writer = 0;
  /// Every write since the last barrier was atomic: other waves' atomics to
  /// the byte are no race, their plain accesses are.
  bool atomic = false;
};

struct Wave {
  int id = 0;
  std::vector<uint64_t> regs;
  std::vector<uint64_t> def;
  std::vector<MemDesc> mems;
  struct Entry {
    int32_t block, instr;
    uint64_t mask;
    int32_t reconv;
  };
  std::vector<Entry> stack;
  uint64_t live = 0, done = 0;
  enum State { Running, AtBarrier, Finished } state = Running;
  const Instr *barrier = nullptr;
};

class Executor {
public:
  Executor(Program &p, std::array<int64_t, 3> grid,
           std::array<int64_t, 3> block, const std::vector<MemRefArg> &args,
           const std::vector<Allocation> &allocs, bool checks)
      : p(p), grid(grid), block(block), args(args), allocs(allocs),
        checks(checks) {
    std::sort(this->allocs.begin(), this->allocs.end(),
              [](const Allocation &a, const Allocation &b) {
                return a.begin < b.begin;
              });
  }

  llvm::Error run(LaunchStats *stats);

private:
  Program &p;
  std::array<int64_t, 3> grid, block;
  const std::vector<MemRefArg> &args;
  std::vector<Allocation> allocs;
  bool checks = true;
  std::array<int64_t, 3> wg{};
  std::vector<Wave> waves;
  std::vector<uint8_t> lds;
  std::vector<LdsShadow> shadow;
  uint32_t epoch = 1;
  std::vector<uint64_t> scratch, scratch2;
  uint64_t waveInstrs = 0, laneInstrs = 0;
  // The first error, if any.
  bool failed = false;
  std::string error;
  Wave *cur = nullptr;

  void runWorkgroup();
  void runWave(Wave &w);
  void exec(Wave &w, const Instr &in, uint64_t mask);
  void branchArgs(Wave &w, const SmallVector<int32_t, 4> &from,
                  const std::vector<int32_t> &to, uint64_t mask);

  void err(const Instr &in, int lane, const std::string &msg) {
    if (failed)
      return;
    failed = true;
    error = fmt::format(
        "emulator: {}: {} (workgroup ({}, {}, {}), wave {}, lane {})",
        locString(in.src), msg, wg[0], wg[1], wg[2], cur ? cur->id : -1, lane);
  }
  void errWg(const std::string &msg) {
    if (failed)
      return;
    failed = true;
    error = fmt::format("emulator: {} (workgroup ({}, {}, {}))", msg, wg[0],
                        wg[1], wg[2]);
  }

  uint64_t *reg(Wave &w, int32_t slot) {
    return w.regs.data() + size_t(p.slots[slot].off) * kLanes;
  }
  /// Checks that the active lanes of `slot` hold defined values.
  bool use(Wave &w, const Instr &in, int32_t slot, uint64_t mask) {
    const Slot &s = p.slots[slot];
    if (s.mem)
      return true;
    uint64_t d = w.def[slot];
    if ((d & mask) != mask) {
      err(in, __builtin_ctzll(mask & ~d),
          "use of an undefined value (never written for this lane)");
      return false;
    }
    return true;
  }
  /// Where to compute a result: the slot itself when every lane is active,
  /// else scratch to be blended by commit().
  uint64_t *out(Wave &w, int32_t slot, uint64_t mask) {
    if (mask == kFull)
      return reg(w, slot);
    scratch.resize(size_t(p.slots[slot].n) * kLanes);
    return scratch.data();
  }
  void commit(Wave &w, int32_t slot, uint64_t *o, uint64_t mask) {
    w.def[slot] |= mask;
    if (mask == kFull)
      return;
    uint64_t *d = reg(w, slot);
    uint32_t n = p.slots[slot].n;
    for (uint32_t e = 0; e < n; ++e)
      for (int l = 0; l < kLanes; ++l)
        if (mask >> l & 1)
          d[e * kLanes + l] = o[e * kLanes + l];
  }

  const Allocation *findAlloc(uint64_t addr, uint64_t bytes) {
    auto it = std::upper_bound(
        allocs.begin(), allocs.end(), addr, [](uint64_t a, const Allocation &x) {
          return a < reinterpret_cast<uint64_t>(x.begin);
        });
    if (it == allocs.begin())
      return nullptr;
    --it;
    uint64_t b = reinterpret_cast<uint64_t>(it->begin);
    if (addr >= b && addr + bytes <= b + it->bytes)
      return &*it;
    return nullptr;
  }

  bool ldsAccess(const Instr &in, int lane, uint64_t at, uint64_t bytes,
                 bool write, bool atomic = false) {
    if (at + bytes > lds.size()) {
      if (!checks)
        return false;
      err(in, lane,
          fmt::format("LDS access of {} bytes at byte {} is outside the {} "
                      "bytes of LDS",
                      bytes, at, lds.size()));
      return false;
    }
    if (!checks)
      return true;
    uint16_t me = uint16_t(1) << cur->id;
    for (uint64_t i = at; i < at + bytes; ++i) {
      LdsShadow &s = shadow[i];
      if (write) {
        if (s.rEpoch == epoch && (s.readers & ~me)) {
          err(in, lane,
              fmt::format("LDS byte {} written while wave {} read it since "
                          "the last barrier (missing barrier)",
                          i, __builtin_ctz(s.readers & ~me)));
          return false;
        }
        if (s.wEpoch == epoch && s.writer != cur->id && !(atomic && s.atomic)) {
          err(in, lane,
              fmt::format("LDS byte {} written by waves {} and {} since the "
                          "last barrier (missing barrier)",
                          i, s.writer, cur->id));
          return false;
        }
        if (atomic && s.wEpoch == 0) {
          err(in, lane, fmt::format("atomic update of LDS byte {} that was "
                                    "never written", i));
          return false;
        }
        s.atomic = s.wEpoch == epoch ? s.atomic && atomic : atomic;
        s.wEpoch = epoch;
        s.writer = cur->id;
      } else {
        if (s.wEpoch == 0) {
          err(in, lane, fmt::format("read of LDS byte {} that was never written", i));
          return false;
        }
        if (s.wEpoch == epoch && s.writer != cur->id) {
          err(in, lane,
              fmt::format("read of LDS byte {} written by wave {} since the "
                          "last barrier (missing barrier)",
                          i, s.writer));
          return false;
        }
        if (s.rEpoch != epoch) {
          s.rEpoch = epoch;
          s.readers = 0;
        }
        s.readers |= me;
      }
    }
    return true;
  }

  /// The address of element `idx` (rank indices, last one + `n` elements
  /// long) of memref `m`; checks bounds.
  bool address(const Instr &in, int lane, const MemDesc &m, const int64_t *idx,
               int64_t n, uint64_t &addr) {
    if (!m.valid) {
      err(in, lane, "memref descriptor not set");
      return false;
    }
    int64_t lin = m.offset;
    for (int d = 0; d < m.rank; ++d) {
      int64_t extent = d == m.rank - 1 ? n : 1;
      if (checks && (idx[d] < 0 || idx[d] + extent > m.sizes[d])) {
        err(in, lane,
            fmt::format("{} access out of bounds: index {} (+{}) of dimension "
                        "{} of size {}",
                        m.lds ? "LDS" : "global", idx[d], extent - 1, d,
                        m.sizes[d]));
        return false;
      }
      lin += idx[d] * m.strides[d];
    }
    addr = m.base + uint64_t(lin) * bytesOf(m.k);
    return true;
  }

  bool memRead(const Instr &in, int lane, const MemDesc &m, uint64_t addr,
               void *dst, uint64_t bytes) {
    if (m.lds) {
      if (!ldsAccess(in, lane, addr, bytes, false)) {
        std::memset(dst, 0xFF, bytes);
        return !failed;
      }
      std::memcpy(dst, lds.data() + addr, bytes);
      return true;
    }
    if (!findAlloc(addr, bytes)) {
      if (!checks) {
        std::memset(dst, 0xFF, bytes);
        return true;
      }
      err(in, lane, fmt::format("global read of {} bytes at 0x{:x} is outside "
                                "every buffer",
                                bytes, addr));
      return false;
    }
    std::memcpy(dst, reinterpret_cast<const void *>(addr), bytes);
    return true;
  }
  bool memWrite(const Instr &in, int lane, const MemDesc &m, uint64_t addr,
                const void *src, uint64_t bytes) {
    if (m.lds) {
      if (!ldsAccess(in, lane, addr, bytes, true))
        return !failed;
      std::memcpy(lds.data() + addr, src, bytes);
      return true;
    }
    if (!findAlloc(addr, bytes)) {
      if (!checks)
        return true;
      err(in, lane, fmt::format("global write of {} bytes at 0x{:x} is "
                                "outside every buffer",
                                bytes, addr));
      return false;
    }
    std::memcpy(reinterpret_cast<void *>(addr), src, bytes);
    return true;
  }

  /// A lane-uniform index operand (memref offsets, sizes): all active lanes
  /// must agree.
  bool uniform(Wave &w, const Instr &in, int32_t slot, uint64_t mask,
               int64_t &v) {
    if (!use(w, in, slot, mask))
      return false;
    uint64_t *r = reg(w, slot);
    int first = __builtin_ctzll(mask);
    v = static_cast<int64_t>(r[first]);
    for (int l = first + 1; l < kLanes; ++l)
      if ((mask >> l & 1) && static_cast<int64_t>(r[l]) != v) {
        err(in, l, "memref operand differs between lanes (must be uniform)");
        return false;
      }
    return true;
  }

  void execMfma(Wave &w, const Instr &in, uint64_t mask);
  void execMemory(Wave &w, const Instr &in, uint64_t mask);
  void execBuffer(Wave &w, const Instr &in, uint64_t mask);
  void execAtomicRmw(Wave &w, const Instr &in, uint64_t mask);
};

} // namespace

llvm::Error Executor::run(LaunchStats *stats) {
  auto t0 = std::chrono::steady_clock::now();
  int64_t lanes = block[0] * block[1] * block[2];
  int64_t nWaves = (lanes + kLanes - 1) / kLanes;
  if (nWaves > 16)
    return llvm::createStringError("emulator: more than 16 waves per workgroup");
  if (p.argSlots.size() != args.size())
    return llvm::createStringError(fmt::format(
        "emulator: kernel {} takes {} arguments, {} given", p.name,
        p.argSlots.size(), args.size()));
  waves.resize(nWaves);
  for (int64_t i = 0; i < nWaves; ++i) {
    Wave &w = waves[i];
    w.id = i;
    w.regs.assign(size_t(p.cells) * kLanes, 0);
    w.def.assign(p.slots.size(), 0);
    w.mems.assign(p.memSlots, MemDesc());
    int64_t n = std::min<int64_t>(kLanes, lanes - i * kLanes);
    w.live = n == 64 ? kFull : ((uint64_t(1) << n) - 1);
    for (const Program::Const &c : p.consts) {
      uint64_t *r = reg(w, c.slot);
      uint32_t n = p.slots[c.slot].n;
      for (uint32_t e = 0; e < n; ++e)
        std::fill(r + e * kLanes, r + (e + 1) * kLanes,
                  c.values.size() == 1 ? c.values[0] : c.values[e]);
      w.def[c.slot] = kFull;
    }
    for (size_t a = 0; a < args.size(); ++a) {
      const Slot &s = p.slots[p.argSlots[a]];
      MemDesc &m = w.mems[s.off];
      const MemRefArg &arg = args[a];
      m.lds = false;
      m.base = reinterpret_cast<uint64_t>(arg.aligned);
      m.offset = arg.offset;
      m.rank = arg.sizes.size();
      for (int d = 0; d < m.rank; ++d) {
        m.sizes[d] = arg.sizes[d];
        m.strides[d] = arg.strides[d];
      }
      m.k = s.k;
      m.valid = true;
    }
    for (auto [slot, off] : p.ldsAttr) {
      const Slot &s = p.slots[slot];
      MemDesc &m = w.mems[s.off];
      m = MemDesc();
      m.lds = true;
      m.base = off;
      m.k = s.k;
      m.rank = 1;
      m.sizes[0] = (p.ldsBytes - off) / bytesOf(s.k);
      m.strides[0] = 1;
      m.valid = true;
    }
  }
  // Exact extents of the LDS attributions.
  for (size_t i = 0; i < p.ldsAttr.size(); ++i) {
    uint64_t end = i + 1 < p.ldsAttr.size() ? p.ldsAttr[i + 1].second
                                            : uint64_t(p.ldsBytes);
    for (Wave &w : waves) {
      MemDesc &m = w.mems[p.slots[p.ldsAttr[i].first].off];
      m.sizes[0] = (end - p.ldsAttr[i].second) / bytesOf(m.k);
    }
  }
  for (wg[2] = 0; wg[2] < grid[2]; ++wg[2])
    for (wg[1] = 0; wg[1] < grid[1]; ++wg[1])
      for (wg[0] = 0; wg[0] < grid[0]; ++wg[0]) {
        runWorkgroup();
        if (failed)
          return llvm::createStringError(error);
      }
  if (stats) {
    stats->waveInstrs += waveInstrs;
    stats->laneInstrs += laneInstrs;
    stats->seconds += std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - t0)
                          .count();
  }
  return llvm::Error::success();
}

void Executor::runWorkgroup() {
  lds.assign(p.ldsBytes, 0xFF); // poison: NaN in every float format
  shadow.assign(p.ldsBytes, LdsShadow());
  epoch = 1;
  for (Wave &w : waves) {
    w.stack.clear();
    w.stack.push_back({0, 0, w.live, -1});
    w.done = 0;
    w.state = Wave::Running;
    w.barrier = nullptr;
    // Values do not survive a workgroup: forget all but constants.
    std::fill(w.def.begin(), w.def.end(), 0);
    for (const Program::Const &c : p.consts)
      w.def[c.slot] = kFull;
  }
  while (true) {
    for (Wave &w : waves) {
      if (w.state == Wave::Finished)
        continue;
      w.state = Wave::Running;
      cur = &w;
      runWave(w);
      if (failed)
        return;
    }
    int atBarrier = 0, finished = 0;
    const Instr *which = nullptr;
    for (Wave &w : waves) {
      if (w.state == Wave::AtBarrier) {
        ++atBarrier;
        if (which && which != w.barrier) {
          cur = &w;
          err(*w.barrier, -1,
              fmt::format("waves wait at different barriers (wave {} at {})",
                          waves[0].id, locString(which->src)));
          return;
        }
        which = w.barrier;
      } else {
        ++finished;
      }
    }
    if (atBarrier == 0)
      return;
    if (finished) {
      for (Wave &w : waves)
        if (w.state == Wave::Finished) {
          cur = &w;
          err(*which, -1,
              fmt::format("barrier divergence: wave {} ended while {} waves "
                          "wait at this barrier",
                          w.id, atBarrier));
          return;
        }
    }
    ++epoch; // every wave arrived: release
  }
}

void Executor::branchArgs(Wave &w, const SmallVector<int32_t, 4> &from,
                          const std::vector<int32_t> &to, uint64_t mask) {
  if (from.empty() || !mask)
    return;
  // Parallel copy: read every source before writing any destination.
  size_t total = 0;
  for (int32_t s : from)
    total += p.slots[s].n;
  scratch2.resize(total * kLanes);
  size_t at = 0;
  for (int32_t s : from) {
    size_t n = p.slots[s].n * size_t(kLanes);
    if (p.slots[s].mem) {
      continue;
    }
    std::memcpy(scratch2.data() + at, reg(w, s), n * 8);
    at += n;
  }
  at = 0;
  for (size_t i = 0; i < from.size(); ++i) {
    const Slot &src = p.slots[from[i]];
    if (src.mem) {
      w.mems[p.slots[to[i]].off] = w.mems[src.off];
      continue;
    }
    uint64_t *d = reg(w, to[i]);
    for (uint32_t e = 0; e < src.n; ++e)
      for (int l = 0; l < kLanes; ++l)
        if (mask >> l & 1)
          d[e * kLanes + l] = scratch2[at + e * kLanes + l];
    at += src.n * size_t(kLanes);
    w.def[to[i]] = (w.def[to[i]] & ~mask) | (w.def[from[i]] & mask);
  }
}

void Executor::runWave(Wave &w) {
  while (!w.stack.empty()) {
    Wave::Entry e = w.stack.back();
    e.mask &= ~w.done;
    if (!e.mask || e.block == e.reconv) {
      w.stack.pop_back();
      continue;
    }
    const BlockCode &bc = p.blocks[e.block];
    size_t i = e.instr;
    for (; i < bc.instrs.size(); ++i) {
      const Instr &in = bc.instrs[i];
      ++waveInstrs;
      laneInstrs += __builtin_popcountll(e.mask);
      switch (in.op) {
      case OpC::Barrier: {
        if (e.mask != (w.live & ~w.done)) {
          err(in, __builtin_ctzll(w.live & ~w.done & ~e.mask),
              "barrier reached by part of the wave (divergent control flow)");
          return;
        }
        w.stack.back().mask = e.mask;
        w.stack.back().instr = i + 1;
        w.state = Wave::AtBarrier;
        w.barrier = &in;
        return;
      }
      case OpC::Br: {
        branchArgs(w, in.succArgs[0], p.blocks[in.succ[0]].args, e.mask);
        w.stack.back() = {in.succ[0], 0, e.mask, e.reconv};
        goto next;
      }
      case OpC::CondBr: {
        if (!use(w, in, in.ops[0], e.mask))
          return;
        uint64_t *c = reg(w, in.ops[0]);
        uint64_t t = 0;
        for (int l = 0; l < kLanes; ++l)
          t |= (c[l] & 1) << l;
        t &= e.mask;
        uint64_t f = e.mask & ~t;
        branchArgs(w, in.succArgs[0], p.blocks[in.succ[0]].args, t);
        branchArgs(w, in.succArgs[1], p.blocks[in.succ[1]].args, f);
        if (!f) {
          w.stack.back() = {in.succ[0], 0, e.mask, e.reconv};
        } else if (!t) {
          w.stack.back() = {in.succ[1], 0, e.mask, e.reconv};
        } else {
          int32_t r = bc.ipdom;
          if (r < 0) {
            w.stack.pop_back();
            w.stack.push_back({in.succ[1], 0, f, e.reconv});
            w.stack.push_back({in.succ[0], 0, t, e.reconv});
          } else {
            w.stack.back() = {r, 0, e.mask, e.reconv};
            w.stack.push_back({in.succ[1], 0, f, r});
            w.stack.push_back({in.succ[0], 0, t, r});
          }
        }
        goto next;
      }
      case OpC::Return:
        w.done |= e.mask;
        w.stack.pop_back();
        goto next;
      default:
        exec(w, in, e.mask);
        if (failed)
          return;
      }
    }
    // A block always ends in a terminator.
    err(bc.instrs.back(), -1, "block without terminator");
    return;
  next:;
  }
  w.state = Wave::Finished;
}

namespace {

inline double fdec(EK k, uint64_t b) { return decode(k, b); }

int64_t dimOf(int64_t d, const std::array<int64_t, 3> &a) { return a[d]; }

} // namespace

void Executor::exec(Wave &w, const Instr &in, uint64_t mask) {
  for (int32_t s : in.ops)
    if (!use(w, in, s, mask))
      return;
  const Slot *rs = in.res >= 0 ? &p.slots[in.res] : nullptr;
  uint32_t n = rs ? rs->n : 0;
  size_t cells = size_t(n) * kLanes;
  EK k = in.k;
  unsigned bits = bitsOf(k);

  auto binI = [&](auto f) {
    uint64_t *o = out(w, in.res, mask);
    const uint64_t *a = reg(w, in.ops[0]), *b = reg(w, in.ops[1]);
    for (size_t i = 0; i < cells; ++i)
      o[i] = truncBits(f(a[i], b[i]), bits);
    commit(w, in.res, o, mask);
  };
  auto checkDiv = [&](const uint64_t *b) {
    for (uint32_t e = 0; e < n; ++e)
      for (int l = 0; l < kLanes; ++l)
        if ((mask >> l & 1) && truncBits(b[e * kLanes + l], bits) == 0) {
          err(in, l, "integer division by zero");
          return false;
        }
    return true;
  };
  auto binF = [&](auto f) {
    uint64_t *o = out(w, in.res, mask);
    const uint64_t *a = reg(w, in.ops[0]), *b = reg(w, in.ops[1]);
    for (size_t i = 0; i < cells; ++i)
      o[i] = encode(k, f(fdec(k, a[i]), fdec(k, b[i])));
    commit(w, in.res, o, mask);
  };
  auto unF = [&](auto f) {
    uint64_t *o = out(w, in.res, mask);
    const uint64_t *a = reg(w, in.ops[0]);
    for (size_t i = 0; i < cells; ++i)
      o[i] = encode(k, f(fdec(k, a[i])));
    commit(w, in.res, o, mask);
  };
  auto S = [&](uint64_t v) { return sext(v, bits); };

  switch (in.op) {
  case OpC::AddI: return binI([](uint64_t a, uint64_t b) { return a + b; });
  case OpC::SubI: return binI([](uint64_t a, uint64_t b) { return a - b; });
  case OpC::MulI: return binI([](uint64_t a, uint64_t b) { return a * b; });
  case OpC::AndI: return binI([](uint64_t a, uint64_t b) { return a & b; });
  case OpC::OrI: return binI([](uint64_t a, uint64_t b) { return a | b; });
  case OpC::XOrI: return binI([](uint64_t a, uint64_t b) { return a ^ b; });
  case OpC::ShLI:
    return binI([&](uint64_t a, uint64_t b) { return b >= bits ? 0 : a << b; });
  case OpC::ShRUI:
    return binI([&](uint64_t a, uint64_t b) {
      return b >= bits ? 0 : truncBits(a, bits) >> b;
    });
  case OpC::ShRSI:
    return binI([&](uint64_t a, uint64_t b) {
      return uint64_t(S(a) >> std::min<uint64_t>(b, bits - 1));
    });
  case OpC::MaxSI: return binI([&](uint64_t a, uint64_t b) { return S(a) > S(b) ? a : b; });
  case OpC::MinSI: return binI([&](uint64_t a, uint64_t b) { return S(a) < S(b) ? a : b; });
  case OpC::MaxUI: return binI([&](uint64_t a, uint64_t b) { return truncBits(a, bits) > truncBits(b, bits) ? a : b; });
  case OpC::MinUI: return binI([&](uint64_t a, uint64_t b) { return truncBits(a, bits) < truncBits(b, bits) ? a : b; });
  case OpC::DivUI: case OpC::RemUI: case OpC::CeilDivUI: {
    if (!checkDiv(reg(w, in.ops[1])))
      return;
    OpC o = in.op;
    return binI([&](uint64_t a, uint64_t b) -> uint64_t {
      a = truncBits(a, bits), b = truncBits(b, bits);
      if (!b) return 0;
      if (o == OpC::DivUI) return a / b;
      if (o == OpC::RemUI) return a % b;
      return a / b + (a % b != 0);
    });
  }
  case OpC::DivSI: case OpC::RemSI: case OpC::CeilDivSI: case OpC::FloorDivSI: {
    if (!checkDiv(reg(w, in.ops[1])))
      return;
    OpC o = in.op;
    return binI([&](uint64_t ua, uint64_t ub) -> uint64_t {
      int64_t a = S(ua), b = S(ub);
      if (!b || (b == -1 && a == INT64_MIN)) return 0;
      int64_t q = a / b, r = a % b;
      if (o == OpC::DivSI) return q;
      if (o == OpC::RemSI) return r;
      if (o == OpC::CeilDivSI) return q + (r != 0 && ((r > 0) == (b > 0)));
      return q - (r != 0 && ((r < 0) != (b < 0)));
    });
  }
  case OpC::CmpI: {
    CmpP pr = static_cast<CmpP>(in.imm[0]);
    unsigned ob = bitsOf(in.k2);
    uint64_t *o = out(w, in.res, mask);
    const uint64_t *a = reg(w, in.ops[0]), *b = reg(w, in.ops[1]);
    for (size_t i = 0; i < cells; ++i) {
      uint64_t x = truncBits(a[i], ob), y = truncBits(b[i], ob);
      int64_t sx = sext(x, ob), sy = sext(y, ob);
      bool r = false;
      switch (pr) {
      case CmpP::EQ: r = x == y; break;
      case CmpP::NE: r = x != y; break;
      case CmpP::SLT: r = sx < sy; break;
      case CmpP::SLE: r = sx <= sy; break;
      case CmpP::SGT: r = sx > sy; break;
      case CmpP::SGE: r = sx >= sy; break;
      case CmpP::ULT: r = x < y; break;
      case CmpP::ULE: r = x <= y; break;
      case CmpP::UGT: r = x > y; break;
      case CmpP::UGE: r = x >= y; break;
      }
      o[i] = r;
    }
    return commit(w, in.res, o, mask);
  }
  case OpC::CmpF: {
    auto pr = static_cast<arith::CmpFPredicate>(in.imm[0]);
    uint64_t *o = out(w, in.res, mask);
    const uint64_t *a = reg(w, in.ops[0]), *b = reg(w, in.ops[1]);
    for (size_t i = 0; i < cells; ++i) {
      double x = fdec(in.k2, a[i]), y = fdec(in.k2, b[i]);
      bool uno = std::isnan(x) || std::isnan(y), r = false;
      using P = arith::CmpFPredicate;
      switch (pr) {
      case P::AlwaysFalse: r = false; break;
      case P::OEQ: r = !uno && x == y; break;
      case P::OGT: r = !uno && x > y; break;
      case P::OGE: r = !uno && x >= y; break;
      case P::OLT: r = !uno && x < y; break;
      case P::OLE: r = !uno && x <= y; break;
      case P::ONE: r = !uno && x != y; break;
      case P::ORD: r = !uno; break;
      case P::UEQ: r = uno || x == y; break;
      case P::UGT: r = uno || x > y; break;
      case P::UGE: r = uno || x >= y; break;
      case P::ULT: r = uno || x < y; break;
      case P::ULE: r = uno || x <= y; break;
      case P::UNE: r = uno || x != y; break;
      case P::UNO: r = uno; break;
      case P::AlwaysTrue: r = true; break;
      }
      o[i] = r;
    }
    return commit(w, in.res, o, mask);
  }
  case OpC::Select: {
    uint64_t *o = out(w, in.res, mask);
    const uint64_t *c = reg(w, in.ops[0]), *a = reg(w, in.ops[1]),
                   *b = reg(w, in.ops[2]);
    bool vecCond = p.slots[in.ops[0]].n > 1;
    for (size_t i = 0; i < cells; ++i) {
      uint64_t cv = vecCond ? c[i] : c[i % kLanes];
      o[i] = (cv & 1) ? a[i] : b[i];
    }
    return commit(w, in.res, o, mask);
  }
  case OpC::ExtSI: case OpC::ExtUI: case OpC::TruncI: {
    unsigned ib = bitsOf(in.k2);
    bool sign = in.op == OpC::ExtSI;
    uint64_t *o = out(w, in.res, mask);
    const uint64_t *a = reg(w, in.ops[0]);
    for (size_t i = 0; i < cells; ++i)
      o[i] = truncBits(sign ? uint64_t(sext(a[i], ib)) : truncBits(a[i], ib),
                       bits);
    return commit(w, in.res, o, mask);
  }
  case OpC::SIToFP: case OpC::UIToFP: {
    unsigned ib = bitsOf(in.k2);
    uint64_t *o = out(w, in.res, mask);
    const uint64_t *a = reg(w, in.ops[0]);
    for (size_t i = 0; i < cells; ++i)
      o[i] = encode(k, in.op == OpC::SIToFP ? double(sext(a[i], ib))
                                           : double(truncBits(a[i], ib)));
    return commit(w, in.res, o, mask);
  }
  case OpC::FPToSI: case OpC::FPToUI: {
    uint64_t *o = out(w, in.res, mask);
    const uint64_t *a = reg(w, in.ops[0]);
    for (size_t i = 0; i < cells; ++i) {
      double x = std::trunc(fdec(in.k2, a[i]));
      o[i] = truncBits(in.op == OpC::FPToSI ? uint64_t(int64_t(x))
                                           : uint64_t(x < 0 ? 0 : x),
                       bits);
    }
    return commit(w, in.res, o, mask);
  }
  case OpC::ExtF: case OpC::TruncF: {
    uint64_t *o = out(w, in.res, mask);
    const uint64_t *a = reg(w, in.ops[0]);
    for (size_t i = 0; i < cells; ++i)
      o[i] = encode(k, fdec(in.k2, a[i]));
    return commit(w, in.res, o, mask);
  }
  case OpC::Copy: {
    uint64_t *o = out(w, in.res, mask);
    std::memcpy(o, reg(w, in.ops[0]), cells * 8);
    return commit(w, in.res, o, mask);
  }
  case OpC::Bitcast: {
    // Repack each lane's bits: source elements little-endian into bytes,
    // bytes into result elements.
    const Slot &src = p.slots[in.ops[0]];
    unsigned ib = bitsOf(src.k), ob = bits;
    uint64_t *o = out(w, in.res, mask);
    const uint64_t *a = reg(w, in.ops[0]);
    if (ib == ob) {
      std::memcpy(o, a, cells * 8);
    } else {
      for (int l = 0; l < kLanes; ++l) {
        // Little-endian bit string: element e at bits [e * ib, (e+1) * ib)
        // (4-bit elements too: fp4 packs two a byte, low nibble first).
        uint64_t words[32] = {};
        size_t nbits = size_t(src.n) * ib;
        if (nbits > sizeof(words) * 8 || ib > 64 || ob > 64) {
          err(in, l, "bitcast of this size is not supported");
          return;
        }
        auto put = [&](size_t at, unsigned width, uint64_t v) {
          for (unsigned bit = 0; bit < width; ++bit)
            if ((v >> bit) & 1)
              words[(at + bit) / 64] |= uint64_t(1) << ((at + bit) % 64);
        };
        auto get = [&](size_t at, unsigned width) {
          uint64_t v = 0;
          for (unsigned bit = 0; bit < width; ++bit)
            v |= ((words[(at + bit) / 64] >> ((at + bit) % 64)) & 1) << bit;
          return v;
        };
        for (uint32_t e = 0; e < src.n; ++e)
          put(size_t(e) * ib, ib, truncBits(a[e * kLanes + l], ib));
        for (uint32_t e = 0; e < n; ++e)
          o[e * kLanes + l] = get(size_t(e) * ob, ob);
      }
    }
    return commit(w, in.res, o, mask);
  }
  case OpC::AddF: return binF([](double a, double b) { return a + b; });
  case OpC::SubF: return binF([](double a, double b) { return a - b; });
  case OpC::MulF: return binF([](double a, double b) { return a * b; });
  case OpC::DivF: return binF([](double a, double b) { return a / b; });
  case OpC::MaxF: return binF([](double a, double b) { return std::isnan(a) || std::isnan(b) ? NAN : std::max(a, b); });
  case OpC::MinF: return binF([](double a, double b) { return std::isnan(a) || std::isnan(b) ? NAN : std::min(a, b); });
  case OpC::NegF: return unF([](double a) { return -a; });
  case OpC::Exp: return unF([](double a) { return std::exp(a); });
  case OpC::Exp2: return unF([](double a) { return std::exp2(a); });
  case OpC::Log: return unF([](double a) { return std::log(a); });
  case OpC::Log2: return unF([](double a) { return std::log2(a); });
  case OpC::Sqrt: return unF([](double a) { return std::sqrt(a); });
  case OpC::RSqrt: return unF([](double a) { return 1.0 / std::sqrt(a); });
  case OpC::Tanh: return unF([](double a) { return std::tanh(a); });
  case OpC::Erf: return unF([](double a) { return std::erf(a); });
  case OpC::AbsF: return unF([](double a) { return std::fabs(a); });
  case OpC::Floor: return unF([](double a) { return std::floor(a); });
  case OpC::Ceil: return unF([](double a) { return std::ceil(a); });
  case OpC::Sin: return unF([](double a) { return std::sin(a); });
  case OpC::Cos: return unF([](double a) { return std::cos(a); });
  case OpC::Trunc: return unF([](double a) { return std::trunc(a); });
  case OpC::Round: return unF([](double a) { return std::round(a); });
  case OpC::RoundEven: return unF([](double a) { return std::nearbyint(a); });
  case OpC::Log1p: return unF([](double a) { return std::log1p(a); });
  case OpC::Expm1: return unF([](double a) { return std::expm1(a); });
  case OpC::CopySign: return binF([](double a, double b) { return std::copysign(a, b); });
  case OpC::RemF: return binF([](double a, double b) { return std::fmod(a, b); });
  case OpC::PowF: return binF([](double a, double b) { return std::pow(a, b); });
  case OpC::Fma: {
    uint64_t *o = out(w, in.res, mask);
    const uint64_t *a = reg(w, in.ops[0]), *b = reg(w, in.ops[1]),
                   *c = reg(w, in.ops[2]);
    for (size_t i = 0; i < cells; ++i)
      o[i] = encode(k, std::fma(fdec(k, a[i]), fdec(k, b[i]), fdec(k, c[i])));
    return commit(w, in.res, o, mask);
  }
  case OpC::Broadcast: {
    const Slot &src = p.slots[in.ops[0]];
    uint64_t *o = out(w, in.res, mask);
    const uint64_t *a = reg(w, in.ops[0]);
    if (n % src.n) {
      err(in, -1, "broadcast shape not supported");
      return;
    }
    for (uint32_t e = 0; e < n; ++e)
      std::memcpy(o + e * kLanes, a + (e % src.n) * kLanes, kLanes * 8);
    return commit(w, in.res, o, mask);
  }
  case OpC::FromElements: {
    uint64_t *o = out(w, in.res, mask);
    for (uint32_t e = 0; e < n; ++e)
      std::memcpy(o + e * kLanes, reg(w, in.ops[e]), kLanes * 8);
    return commit(w, in.res, o, mask);
  }
  case OpC::Extract: case OpC::Insert: {
    const Slot &vec = p.slots[in.op == OpC::Extract ? in.ops[0] : in.ops[1]];
    int64_t flat = 0, stride = vec.n;
    for (size_t d = 0; d < in.imm.size(); ++d) {
      stride /= vec.shape[d];
      flat += in.imm[d] * stride;
    }
    uint64_t *o = out(w, in.res, mask);
    if (in.op == OpC::Extract) {
      std::memcpy(o, reg(w, in.ops[0]) + flat * kLanes, cells * 8);
    } else {
      std::memcpy(o, reg(w, in.ops[1]), cells * 8);
      std::memcpy(o + flat * kLanes, reg(w, in.ops[0]),
                  size_t(p.slots[in.ops[0]].n) * kLanes * 8);
    }
    return commit(w, in.res, o, mask);
  }
  case OpC::ExtractSlice: {
    uint64_t *o = out(w, in.res, mask);
    std::memcpy(o, reg(w, in.ops[0]) + in.imm[0] * kLanes, cells * 8);
    return commit(w, in.res, o, mask);
  }
  case OpC::InsertSlice: {
    uint64_t *o = out(w, in.res, mask);
    std::memcpy(o, reg(w, in.ops[1]), cells * 8);
    std::memcpy(o + in.imm[0] * kLanes, reg(w, in.ops[0]),
                size_t(p.slots[in.ops[0]].n) * kLanes * 8);
    return commit(w, in.res, o, mask);
  }
  case OpC::Shuffle: {
    uint32_t n1 = p.slots[in.ops[0]].n;
    uint64_t *o = out(w, in.res, mask);
    for (uint32_t e = 0; e < n; ++e) {
      int64_t m = in.imm[e];
      const uint64_t *src = m < n1 ? reg(w, in.ops[0]) + m * kLanes
                                   : reg(w, in.ops[1]) + (m - n1) * kLanes;
      std::memcpy(o + e * kLanes, src, kLanes * 8);
    }
    return commit(w, in.res, o, mask);
  }
  case OpC::ReduceAdd: case OpC::ReduceMax: case OpC::ReduceMin: {
    const Slot &src = p.slots[in.ops[0]];
    uint64_t *o = out(w, in.res, mask);
    const uint64_t *a = reg(w, in.ops[0]);
    for (int l = 0; l < kLanes; ++l) {
      if (isFloat(k)) {
        double acc = fdec(k, a[l]);
        for (uint32_t e = 1; e < src.n; ++e) {
          double x = fdec(k, a[e * kLanes + l]);
          acc = in.op == OpC::ReduceAdd   ? acc + x
                : in.op == OpC::ReduceMax ? std::max(acc, x)
                                         : std::min(acc, x);
        }
        o[l] = encode(k, acc);
      } else {
        uint64_t acc = 0;
        for (uint32_t e = 0; e < src.n; ++e)
          acc += a[e * kLanes + l];
        o[l] = truncBits(acc, bits);
      }
    }
    return commit(w, in.res, o, mask);
  }
  case OpC::ThreadId: case OpC::BlockId: case OpC::BlockDim: case OpC::GridDim:
  case OpC::LaneId: {
    uint64_t *o = out(w, in.res, mask);
    for (int l = 0; l < kLanes; ++l) {
      int64_t flat = w.id * kLanes + l;
      int64_t tid[3] = {flat % block[0], flat / block[0] % block[1],
                        flat / (block[0] * block[1])};
      int d = in.imm.empty() ? 0 : in.imm[0];
      switch (in.op) {
      case OpC::ThreadId: o[l] = tid[d]; break;
      case OpC::BlockId: o[l] = wg[d]; break;
      case OpC::BlockDim: o[l] = dimOf(d, block); break;
      case OpC::GridDim: o[l] = dimOf(d, grid); break;
      default: o[l] = l; break;
      }
    }
    return commit(w, in.res, o, mask);
  }
  case OpC::LaneShuffle: {
    // gpu.shuffle value, offset, width: lane l reads the value of lane
    // src(l) of its width-lane segment; a source outside the segment or not
    // active here is an error (the hardware would hand back garbage).
    if (!use(w, in, in.ops[0], mask) || !use(w, in, in.ops[1], mask) ||
        !use(w, in, in.ops[2], mask))
      return;
    const uint64_t *v = reg(w, in.ops[0]), *off = reg(w, in.ops[1]),
                   *width = reg(w, in.ops[2]);
    uint64_t *o = out(w, in.res, mask);
    auto mode = static_cast<gpu::ShuffleMode>(in.imm[0]);
    for (int l = 0; l < kLanes; ++l) {
      if (!(mask >> l & 1))
        continue;
      int64_t wdt = static_cast<int32_t>(width[l]);
      int64_t ofs = static_cast<int32_t>(off[l]);
      if (wdt <= 0 || wdt > kLanes) {
        err(in, l, "gpu.shuffle width " + std::to_string(wdt) +
                       " outside 1.." + std::to_string(kLanes));
        return;
      }
      int64_t base = l / wdt * wdt, src = -1;
      switch (mode) {
      case gpu::ShuffleMode::XOR: src = l ^ ofs; break;
      case gpu::ShuffleMode::UP: src = l - ofs; break;
      case gpu::ShuffleMode::DOWN: src = l + ofs; break;
      case gpu::ShuffleMode::IDX: src = base + ofs; break;
      }
      if (src < base || src >= base + wdt || !(mask >> src & 1)) {
        err(in, l, "gpu.shuffle reads lane " + std::to_string(src) +
                       ", outside its segment or inactive");
        return;
      }
      o[l] = v[src];
    }
    return commit(w, in.res, o, mask);
  }
  case OpC::Poison:
    // Leaves the value undefined: any use is reported.
    w.def[in.res] &= ~mask;
    return;
  case OpC::Nop:
    return;
  case OpC::Mfma:
    return execMfma(w, in, mask);
  case OpC::Load: case OpC::Store: case OpC::MaskedLoad: case OpC::MaskedStore:
  case OpC::MrDim: case OpC::MrCopy: case OpC::MrView: case OpC::MrReinterpret:
  case OpC::MrMetadata: case OpC::MrAlignedPtr:
    return execMemory(w, in, mask);
  case OpC::MakeRsrc: case OpC::BufLoad: case OpC::BufStore:
  case OpC::BufAtomicAdd: case OpC::PtrAtomicAdd:
    return execBuffer(w, in, mask);
  case OpC::MrAtomicRmw:
    return execAtomicRmw(w, in, mask);
  default:
    // Unreachable: decode refuses, by name, every op it has no opcode for.
    err(in, -1, "internal: a decoded opcode has no executor");
  }
}

void Executor::execAtomicRmw(Wave &w, const Instr &in, uint64_t mask) {
  // memref.atomic_rmw %value, %memref[%indices]: lanes in order (the
  // hardware's order is unspecified; integer sums do not depend on it); the
  // old value is the result.
  const MemDesc &m = w.mems[p.slots[in.ops[1]].off];
  bool isFloat = in.imm[0] != 0;
  unsigned eb = bytesOf(in.k2);
  const uint64_t *v = reg(w, in.ops[0]);
  uint64_t *o = out(w, in.res, mask);
  for (int l = 0; l < kLanes; ++l) {
    if (!(mask >> l & 1))
      continue;
    int64_t idx[8];
    for (int d = 0; d < m.rank; ++d)
      idx[d] = static_cast<int64_t>(reg(w, in.ops[2 + d])[l]);
    uint64_t addr;
    if (!address(in, l, m, idx, 1, addr))
      return;
    uint8_t *at;
    if (m.lds) {
      if (!ldsAccess(in, l, addr, eb, true, /*atomic=*/true))
        return;
      at = lds.data() + addr;
    } else {
      if (!findAlloc(addr, eb))
        return err(in, l, fmt::format("atomic update of {} bytes at 0x{:x} "
                                      "outside every buffer",
                                      eb, addr));
      at = reinterpret_cast<uint8_t *>(addr);
    }
    uint64_t old = 0;
    std::memcpy(&old, at, eb);
    uint64_t sum = isFloat ? encode(in.k2, decode(in.k2, old) + decode(in.k2, v[l]))
                           : truncBits(old + v[l], bitsOf(in.k2));
    std::memcpy(at, &sum, eb);
    o[l] = old;
  }
  commit(w, in.res, o, mask);
}

void Executor::execMemory(Wave &w, const Instr &in, uint64_t mask) {
  auto fillUniform = [&](int32_t slot, uint64_t v) {
    uint64_t *o = out(w, slot, mask);
    std::fill(o, o + kLanes * size_t(p.slots[slot].n), v);
    commit(w, slot, o, mask);
  };
  switch (in.op) {
  case OpC::MrDim: {
    const MemDesc &m = w.mems[p.slots[in.ops[0]].off];
    int64_t d;
    if (!uniform(w, in, in.ops[1], mask, d))
      return;
    if (d < 0 || d >= m.rank) {
      err(in, -1, "memref.dim index out of range");
      return;
    }
    return fillUniform(in.res, m.sizes[d]);
  }
  case OpC::MrCopy:
    w.mems[p.slots[in.res].off] = w.mems[p.slots[in.ops[0]].off];
    w.mems[p.slots[in.res].off].k = p.slots[in.res].k;
    return;
  case OpC::MrAlignedPtr:
    return fillUniform(in.res, w.mems[p.slots[in.ops[0]].off].base);
  case OpC::MrMetadata: {
    const MemDesc &m = w.mems[p.slots[in.ops[0]].off];
    // results: base memref, offset, sizes..., strides...
    MemDesc base = m;
    base.rank = 0;
    base.offset = 0;
    w.mems[p.slots[in.imm[0]].off] = base;
    fillUniform(in.imm[1], m.offset);
    for (int d = 0; d < m.rank; ++d) {
      fillUniform(in.imm[2 + d], m.sizes[d]);
      fillUniform(in.imm[2 + m.rank + d], m.strides[d]);
    }
    return;
  }
  case OpC::MrView: {
    // memref.view %src[%byteShift][%dynamic sizes]
    const MemDesc &src = w.mems[p.slots[in.ops[0]].off];
    int64_t shift;
    if (!uniform(w, in, in.ops[1], mask, shift))
      return;
    MemDesc m;
    m.lds = src.lds;
    m.base = src.base + uint64_t(src.offset) * bytesOf(src.k) + shift;
    m.k = p.slots[in.res].k;
    m.rank = in.imm.size();
    size_t dyn = 2;
    for (int d = 0; d < m.rank; ++d) {
      int64_t s = in.imm[d];
      if (ShapedType::isDynamic(s) && !uniform(w, in, in.ops[dyn++], mask, s))
        return;
      m.sizes[d] = s;
    }
    int64_t st = 1;
    for (int d = m.rank - 1; d >= 0; --d) {
      m.strides[d] = st;
      st *= m.sizes[d];
    }
    int64_t srcBytes = bytesOf(src.k);
    for (int d = 0; d < src.rank; ++d)
      srcBytes *= src.sizes[d];
    if (shift < 0 || shift + st * int64_t(bytesOf(m.k)) > srcBytes) {
      err(in, -1, "memref.view outside its source buffer");
      return;
    }
    m.valid = true;
    w.mems[p.slots[in.res].off] = m;
    return;
  }
  case OpC::MrReinterpret: {
    const MemDesc &src = w.mems[p.slots[in.ops[0]].off];
    auto t = cast<MemRefType>(in.src->getResult(0).getType());
    int rank = t.getRank();
    MemDesc m = src;
    m.rank = rank;
    m.k = p.slots[in.res].k;
    size_t dyn = 1, at = 0;
    auto next = [&](int64_t &v) {
      int64_t s = in.imm[at++];
      if (ShapedType::isDynamic(s))
        return uniform(w, in, in.ops[dyn++], mask, v);
      v = s;
      return true;
    };
    if (!next(m.offset))
      return;
    for (int d = 0; d < rank; ++d)
      if (!next(m.sizes[d]))
        return;
    for (int d = 0; d < rank; ++d)
      if (!next(m.strides[d]))
        return;
    m.valid = src.valid;
    w.mems[p.slots[in.res].off] = m;
    return;
  }
  default:
    break;
  }

  // Loads and stores: vector.load/store, memref.load/store, masked forms.
  bool store = in.op == OpC::Store || in.op == OpC::MaskedStore;
  bool masked = in.op == OpC::MaskedLoad || in.op == OpC::MaskedStore;
  int32_t memOp = store ? in.ops[1] : in.ops[0];
  int32_t valSlot = store ? in.ops[0] : in.res;
  const MemDesc &m = w.mems[p.slots[memOp].off];
  const Slot &vs = p.slots[valSlot];
  int rank = m.rank;
  size_t idx0 = store ? 2 : 1;
  int32_t maskSlot = masked ? in.ops[idx0 + rank] : -1;
  int32_t passSlot = in.op == OpC::MaskedLoad ? in.ops[idx0 + rank + 1] : -1;
  if (in.op == OpC::MaskedStore)
    valSlot = in.ops[idx0 + rank + 1], memOp = in.ops[0];
  const MemDesc &mm = w.mems[p.slots[memOp].off];
  const Slot &vv = p.slots[valSlot];
  (void)vs;
  (void)m;
  unsigned eb = bytesOf(vv.k);
  uint32_t n = vv.n;
  uint64_t *o = store ? nullptr : out(w, in.res, mask);
  const uint64_t *v = store ? reg(w, valSlot) : nullptr;
  const uint64_t *mk = masked ? reg(w, maskSlot) : nullptr;
  const uint64_t *pass = passSlot >= 0 ? reg(w, passSlot) : nullptr;
  if (mm.rank != rank) {
    err(in, -1, "memref rank mismatch");
    return;
  }
  for (int l = 0; l < kLanes; ++l) {
    if (!(mask >> l & 1))
      continue;
    int64_t idx[8];
    for (int d = 0; d < rank; ++d)
      idx[d] = static_cast<int64_t>(reg(w, in.ops[idx0 + d])[l]);
    if (!masked) {
      uint64_t addr;
      if (!address(in, l, mm, idx, n, addr))
        return;
      uint8_t buf[512];
      if (store) {
        for (uint32_t e = 0; e < n; ++e)
          std::memcpy(buf + e * eb, &v[e * kLanes + l], eb);
        if (!memWrite(in, l, mm, addr, buf, uint64_t(n) * eb))
          return;
      } else {
        if (!memRead(in, l, mm, addr, buf, uint64_t(n) * eb))
          return;
        for (uint32_t e = 0; e < n; ++e) {
          uint64_t x = 0;
          std::memcpy(&x, buf + e * eb, eb);
          o[e * kLanes + l] = x;
        }
      }
      continue;
    }
    // Masked: element by element; only enabled elements must be in bounds.
    for (uint32_t e = 0; e < n; ++e) {
      bool on = mk[e * kLanes + l] & 1;
      if (!on) {
        if (!store)
          o[e * kLanes + l] = pass[e * kLanes + l];
        continue;
      }
      int64_t ei[8];
      std::copy(idx, idx + rank, ei);
      ei[rank - 1] += e;
      uint64_t addr;
      if (!address(in, l, mm, ei, 1, addr))
        return;
      if (store) {
        if (!memWrite(in, l, mm, addr, &v[e * kLanes + l], eb))
          return;
      } else {
        uint64_t x = 0;
        if (!memRead(in, l, mm, addr, &x, eb))
          return;
        o[e * kLanes + l] = x;
      }
    }
  }
  if (!store)
    commit(w, in.res, o, mask);
}

void Executor::execBuffer(Wave &w, const Instr &in, uint64_t mask) {
  if (in.op == OpC::MakeRsrc) {
    // rocdl.make.buffer.rsrc %base, %stride(i16), %numRecords(i64), %flags
    uint64_t *o = out(w, in.res, mask);
    for (int f = 0; f < 4; ++f)
      std::memcpy(o + f * kLanes, reg(w, in.ops[f]), kLanes * 8);
    for (int l = 0; l < kLanes; ++l) {
      o[1 * kLanes + l] = truncBits(o[1 * kLanes + l], 16);
      o[3 * kLanes + l] = truncBits(o[3 * kLanes + l], 32);
    }
    return commit(w, in.res, o, mask);
  }
  if (in.op == OpC::PtrAtomicAdd) {
    // llvm.atomicrmw fadd %ptr, %val: lanes in order (the hardware's order
    // is unspecified, the sum is the same up to rounding); the old value
    // is the result.
    const Slot &vs = p.slots[in.ops[1]];
    unsigned eb = bytesOf(vs.k);
    const uint64_t *ptr = reg(w, in.ops[0]), *v = reg(w, in.ops[1]);
    uint64_t *o = out(w, in.res, mask);
    for (int l = 0; l < kLanes; ++l) {
      if (!(mask >> l & 1))
        continue;
      uint64_t bytes = uint64_t(vs.n) * eb;
      if (!findAlloc(ptr[l], bytes)) {
        if (checks)
          return err(in, l,
                     fmt::format("atomic add of {} bytes at 0x{:x} outside "
                                 "every buffer",
                                 bytes, ptr[l]));
        continue;
      }
      for (uint32_t e = 0; e < vs.n; ++e) {
        auto *at = reinterpret_cast<uint8_t *>(ptr[l] + e * eb);
        uint64_t old = 0;
        std::memcpy(&old, at, eb);
        uint64_t sum = encode(vs.k, decode(vs.k, old) + decode(vs.k, v[e * kLanes + l]));
        std::memcpy(at, &sum, eb);
        o[e * kLanes + l] = old;
      }
    }
    return commit(w, in.res, o, mask);
  }
  bool atomic = in.op == OpC::BufAtomicAdd;
  bool store = in.op == OpC::BufStore || atomic;
  int32_t rsrc = in.ops[store ? 1 : 0];
  int32_t voff = in.ops[store ? 2 : 1], soff = in.ops[store ? 3 : 2];
  int32_t valSlot = store ? in.ops[0] : in.res;
  const Slot &vs = p.slots[valSlot];
  unsigned eb = bytesOf(vs.k);
  uint64_t total = uint64_t(vs.n) * eb;
  uint64_t *o = store ? nullptr : out(w, in.res, mask);
  const uint64_t *v = store ? reg(w, valSlot) : nullptr;
  const uint64_t *rs = reg(w, rsrc);
  const uint64_t *vo = reg(w, voff), *so = reg(w, soff);
  for (int l = 0; l < kLanes; ++l) {
    if (!(mask >> l & 1))
      continue;
    uint64_t base = rs[l], stride = rs[kLanes + l], records = rs[2 * kLanes + l];
    if (stride != 0) {
      err(in, l, "structured (stride != 0) buffer accesses are not supported");
      return;
    }
    uint64_t off = truncBits(vo[l], 32) + truncBits(so[l], 32);
    uint8_t buf[512] = {};
    if (store)
      for (uint32_t e = 0; e < vs.n; ++e)
        std::memcpy(buf + e * eb, &v[e * kLanes + l], eb);
    // Raw buffer range check, one dword (or the whole access if smaller)
    // at a time: out of range if it ends past num_records.
    uint64_t comp = std::min<uint64_t>(total, 4);
    for (uint64_t c = 0; c < total; c += comp) {
      if (off + c + comp > records)
        continue; // loads read 0, stores are dropped
      uint64_t addr = base + off + c;
      if (!findAlloc(addr, comp) && !checks) {
        if (!store)
          std::memset(buf + c, 0xFF, comp);
        continue;
      }
      if (!findAlloc(addr, comp)) {
        err(in, l,
            fmt::format("buffer {} of {} bytes at offset {} (base 0x{:x}, "
                        "num_records {}) is in range but outside every buffer",
                        store ? "store" : "load", comp, off + c, base, records));
        return;
      }
      if (atomic) {
        // Read, add each element of this piece, write back.
        auto *mem = reinterpret_cast<uint8_t *>(addr);
        for (uint64_t at = c; at < c + comp; at += eb) {
          uint64_t old = 0, add = 0;
          std::memcpy(&old, mem + (at - c), eb);
          std::memcpy(&add, buf + at, eb);
          uint64_t sum = encode(vs.k, decode(vs.k, old) + decode(vs.k, add));
          std::memcpy(mem + (at - c), &sum, eb);
        }
      } else if (store)
        std::memcpy(reinterpret_cast<void *>(addr), buf + c, comp);
      else
        std::memcpy(buf + c, reinterpret_cast<const void *>(addr), comp);
    }
    if (!store)
      for (uint32_t e = 0; e < vs.n; ++e) {
        uint64_t x = 0;
        std::memcpy(&x, buf + e * eb, eb);
        o[e * kLanes + l] = x;
      }
  }
  if (!store)
    commit(w, in.res, o, mask);
}

void Executor::execMfma(Wave &w, const Instr &in, uint64_t mask) {
  if (mask != kFull) {
    err(in, __builtin_ctzll(~mask), "MFMA issued with inactive lanes");
    return;
  }
  const MfmaShape &s = in.mfma;
  const uint64_t *a = reg(w, in.ops[0]), *b = reg(w, in.ops[1]),
                 *c = reg(w, in.ops[2]);
  std::vector<double> A(s.m * s.k), B(s.k * s.n);
  // Item v of lane l of an operand, whatever vector type carries the bits
  // (rocdl.mfma passes bf16 as i16 and 8 fp8 as one i64).
  const Slot &sa = p.slots[in.ops[0]], &sb = p.slots[in.ops[1]];
  auto item = [&](const uint64_t *src, const Slot &sl, EK kind, int l,
                  int v) -> uint64_t {
    unsigned ib = bitsOf(kind), sb2 = bitsOf(sl.k);
    if (ib == sb2)
      return src[v * kLanes + l];
    uint64_t bit = uint64_t(v) * ib, e = bit / sb2, at = bit % sb2;
    return truncBits(src[e * kLanes + l] >> at, ib);
  };
  for (int l = 0; l < kLanes; ++l)
    for (int v = 0; v < s.perLaneAB; ++v) {
      auto [i, ka] = s.aElement(l, v);
      auto [kb, j] = s.bElement(l, v);
      A[i * s.k + ka] = decode(s.a, item(a, sa, s.a, l, v));
      B[kb * s.n + j] = decode(s.b, item(b, sb, s.b, l, v));
    }
  if (s.scaled) {
    // The e8m0 byte lane l supplies for each operand: byte OPSEL of an i32
    // (rocdl), element OPSEL of a vector<4xf8E8M0FNU>, or a scalar (only
    // its byte 0 is defined).
    auto scaleOf = [&](int op, int l) -> double {
      const Slot &sl = p.slots[in.ops[op]];
      const uint64_t *r = reg(w, in.ops[op]);
      int64_t sel = in.imm[op - 3];
      uint64_t byte;
      if (bitsOf(sl.k) >= 32)
        byte = (r[l] >> (8 * sel)) & 0xFF;
      else if (sl.n > 1)
        byte = r[sel * kLanes + l] & 0xFF;
      else
        byte = sel == 0 ? r[l] & 0xFF : 0;
      return decodeE8M0(static_cast<uint8_t>(byte));
    };
    for (int i = 0; i < s.m; ++i)
      for (int kk = 0; kk < s.k; ++kk) {
        A[i * s.k + kk] *= scaleOf(3, s.scaleLane(i, kk));
        B[kk * s.n + i] *= scaleOf(4, s.scaleLane(i, kk));
      }
  }
  uint64_t *o = out(w, in.res, mask);
  for (int l = 0; l < kLanes; ++l)
    for (int r = 0; r < s.perLaneC; ++r) {
      auto [i, j] = s.cElement(l, r);
      double acc = 0;
      for (int kk = 0; kk < s.k; ++kk)
        acc += A[i * s.k + kk] * B[kk * s.n + j];
      if (s.c == EK::I32)
        o[r * kLanes + l] = truncBits(
            uint64_t(int64_t(acc) + sext(c[r * kLanes + l], 32)), 32);
      else
        o[r * kLanes + l] =
            f32ToBits(static_cast<float>(acc + decode(EK::F32, c[r * kLanes + l])));
    }
  commit(w, in.res, o, mask);
}

//===----------------------------------------------------------------------===//
// Public API
//===----------------------------------------------------------------------===//

Emulator::Emulator() = default;
Emulator::~Emulator() = default;

llvm::Expected<std::unique_ptr<Emulator>>
Emulator::create(gpu::GPUFuncOp func, StringRef chip) {
  std::unique_ptr<Emulator> e(new Emulator());
  e->program = std::make_unique<Program>();
  e->program->chip = chip.str();
  if (failed(e->program->decode(func)))
    return llvm::createStringError("emulator: " + e->program->decodeError);
  return e;
}

llvm::Error Emulator::launch(std::array<int64_t, 3> grid,
                             std::array<int64_t, 3> block,
                             const std::vector<MemRefArg> &args,
                             const std::vector<Allocation> &allocations,
                             LaunchStats *stats, bool checks) {
  Executor ex(*program, grid, block, args, allocations, checks);
  return ex.run(stats);
}

gpu::GPUFuncOp moec::emu::findKernel(ModuleOp module, StringRef name) {
  gpu::GPUFuncOp found;
  module.walk([&](gpu::GPUFuncOp f) {
    if (!f.isKernel())
      return;
    if (name.empty() || f.getName() == name)
      found = f;
  });
  return found;
}
