//===- MoeRun.cpp - moec run / moec bench for MoE functions ---------------===//
//
// Runs a function made of moec.moe_align and moec.moe_gemm ops (one routing
// step, or a whole layer: align -> gate/up GEMM -> down GEMM with
// a_per_copy, topk_weights and reduce): every op's kernel is launched in
// the function's order, with the grid and lanes of its plan
// (OpPlans.h), on buffers allocated per function argument. Views between
// ops (memref.collapse_shape / expand_shape / cast) share their source's
// buffer. Inputs are generated (MoeData.h: routings, expert maps, random
// activations and weights), outputs poisoned first (NaN bytes for floats,
// 0x7f7f7f7f for i32; a `reduce` output, which the copies accumulate into,
// is zeroed), then each op's outputs are checked: moe_align exactly
// against its reference, moe_gemm against float64 from the very inputs
// the kernel read (an intermediate buffer as the device wrote it).
//
//===----------------------------------------------------------------------===//

#include "Emulate.h"
#include "MoeData.h"
#include "Run.h"

#include "moec/Dialect/MoecDialect.h"
#include "moec/Dialect/OpPlans.h"
#include "moec/Driver/Compiler.h"
#include "moec/Runtime/KernelArgs.h"
#include "moec/Runtime/Runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <random>

using namespace mlir;
using namespace moec;
using namespace moec::tool::moe;
using moec::tool::RunOptions;

namespace {

int fail(const std::string &msg) {
  llvm::errs() << "moec run: error: " << msg << "\n";
  return 1;
}

std::optional<emu::EK> ekOf(Type t) {
  if (t.isF16())
    return emu::EK::F16;
  if (t.isBF16())
    return emu::EK::BF16;
  if (t.isF32())
    return emu::EK::F32;
  if (t.isInteger(32))
    return emu::EK::I32;
  // i8: int8_w8a16's W, MXFP4's packed e2m1 bytes; e8m0 MXFP4 scales are
  // raw bytes too.
  if (t.isInteger(8) || isa<Float8E8M0FNUType>(t))
    return emu::EK::I8;
  if (isa<Float8E4M3FNType>(t))
    return emu::EK::F8E4M3FN;
  if (isa<Float8E5M2Type>(t))
    return emu::EK::F8E5M2;
  if (isa<Float8E4M3FNUZType>(t))
    return emu::EK::F8E4M3FNUZ;
  if (isa<Float8E5M2FNUZType>(t))
    return emu::EK::F8E5M2FNUZ;
  return std::nullopt;
}

double toleranceOf(emu::EK out) {
  switch (out) {
  case emu::EK::BF16:
    return 1.0 / 128;
  case emu::EK::F16:
    return 1.0 / 512;
  default:
    return 1e-4;
  }
}

int64_t product(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// One function argument: a device buffer every view of it shares.
struct Root {
  BlockArgument arg;
  emu::EK elt = emu::EK::F32;
  int64_t elems = 0;
  int writer = -1;    ///< the op that writes it, -1 for an input
  bool zero = false;  ///< zeroed instead of poisoned (a reduce output)
  std::string role;   ///< what the first op using it calls it
  PooledArray data;   ///< float inputs
  std::vector<int32_t> ints; ///< i32 inputs
  rt::Buffer buf;
  std::vector<uint8_t> result; ///< written roots, after the run
};

struct Operand {
  int root;
  std::vector<int64_t> shape;
};

/// What the run needs of an op; taken before compiling, which lowers the
/// module in place (the ops are gone after).
struct OpRun {
  Operation *op; ///< valid until compileModule
  bool isAlign = false, isAct = false;
  bool hasMap = false;                               // moe_align
  int activation = 0; // act_and_mul; moe_gemm's gated activation (0: none)
  bool aPerCopy = false, reduce = false, hasWeights = false; // moe_gemm
  bool mxfp4 = false; ///< moe_gemm: W packed e2m1 [E, N, K/2], b_scale e8m0
  /// moe_gemm's optional operands: index into `operands` (-1: absent);
  /// block-wise scale groups (0: none).
  int weightsIdx = -1, aScaleIdx = -1, bScaleIdx = -1;
  bool aScalePerRow = false; ///< a_scale [M] (per token), not [] / [1]
  int64_t groupN = 0, groupK = 0;
  std::vector<Operand> operands; ///< present operands, ODS order
  int64_t grid = 1, lanes = 1;
  size_t sharedBytes = 0;
  std::string kernel;
};

/// The launch of a moe_gemm's kernel from its plan: one workgroup per
/// (block_m rows of sorted_token_ids, block_n columns of W), as the
/// lowering launches it.
struct GemmLaunch {
  int64_t grid = 1, lanes = 1;
  size_t sharedBytes = 0;
};
GemmLaunch moeGemmLaunch(MoeGemmOp op, const TargetInfo &target,
                         int64_t sortedRows) {
  KernelPlan plan = getMoeGemmPlan(op, target);
  GemmLaunch l;
  int64_t n = cast<MemRefType>(op.getW().getType()).getDimSize(1);
  l.grid = plan.gridSize(sortedRows, n);
  l.lanes = plan.lanes;
  l.sharedBytes = plan.dynamicLds ? plan.ldsBytes : 0;
  return l;
}

class MoeRunner {
public:
  MoeRunner(ModuleOp module, const RunOptions &opts)
      : module(module), opts(opts) {}
  int run();

private:
  FailureOr<int> rootOf(Value v);
  LogicalResult addOperand(OpRun &r, Value v, std::vector<int64_t> shape,
                           StringRef role);
  LogicalResult describe();
  LogicalResult makeInputs(rt::Device &dev);
  int check();
  int bench(rt::Device &dev, std::vector<rt::Kernel> &kernels,
            std::vector<rt::KernelArgs> &args);

  ModuleOp module;
  const RunOptions &opts;
  const TargetInfo *target = nullptr;
  func::FuncOp func;
  std::vector<Root> roots;
  std::vector<OpRun> ops;
  int64_t tokens = 0, topK = 0, numExperts = 0, blockM = 0;
  std::mt19937_64 rng;
  uint64_t seed = 0;
  Routing routing = Routing::Uniform;
  /// The routing each op's sorted ids hold (by root of sorted_token_ids).
  std::map<int, AlignOutputs> routingOf;
  std::string deviceLabel;
  std::string funcName; ///< the function (lowered away after compiling)
};

FailureOr<int> MoeRunner::rootOf(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (auto c = dyn_cast<memref::CollapseShapeOp>(def))
      v = c.getSrc();
    else if (auto e = dyn_cast<memref::ExpandShapeOp>(def))
      v = e.getSrc();
    else if (auto c = dyn_cast<memref::CastOp>(def))
      v = c.getSource();
    else {
      def->emitError() << "moec run: a MoE function's buffers must be its "
                          "arguments or views of them (collapse_shape, "
                          "expand_shape, cast)";
      return failure();
    }
  }
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || arg.getOwner()->getParentOp() != func.getOperation()) {
    func.emitError() << "moec run: an operand is not an argument of @"
                     << func.getName();
    return failure();
  }
  for (size_t i = 0; i < roots.size(); ++i)
    if (roots[i].arg == arg)
      return int(i);
  Root r;
  r.arg = arg;
  roots.push_back(std::move(r));
  return int(roots.size() - 1);
}

LogicalResult MoeRunner::addOperand(OpRun &r, Value v,
                                    std::vector<int64_t> shape,
                                    StringRef role) {
  auto type = cast<MemRefType>(v.getType());
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (!type.isDynamicDim(i) && type.getDimSize(i) != shape[i])
      return r.op->emitError()
             << "moec run: " << role << " has static size "
             << type.getDimSize(i) << " in dimension " << i << " where "
             << shape[i] << " is needed for --tokens " << tokens;
  FailureOr<int> root = rootOf(v);
  if (failed(root))
    return failure();
  std::optional<emu::EK> ek = ekOf(type.getElementType());
  if (!ek)
    return r.op->emitError() << "moec run: " << role << " element type "
                             << type.getElementType()
                             << " is not supported by the MoE run harness "
                                "(f16, bf16, f32, i32; i8 and f8E8M0FNU for "
                                "mxfp4 weights)";
  Root &root_ = roots[*root];
  if (root_.role.empty()) {
    root_.role = role.str();
    root_.elt = *ek;
  }
  root_.elems = std::max(root_.elems, product(shape));
  r.operands.push_back({*root, std::move(shape)});
  return success();
}

LogicalResult MoeRunner::describe() {
  SmallVector<Operation *> moecOps;
  module.walk([&](Operation *op) {
    if (isa<MoecDialect>(op->getDialect()))
      moecOps.push_back(op);
  });
  func = moecOps.front()->getParentOfType<func::FuncOp>();
  for (Operation *op : moecOps) {
    if (op->getParentOfType<func::FuncOp>() != func)
      return op->emitError() << "moec run: the moec ops of a MoE run must "
                                "be in one function";
    if (!isa<MoeAlignOp, MoeGemmOp, ActAndMulOp>(op))
      return op->emitError() << "moec run: a MoE function may hold "
                                "moec.moe_align, moec.moe_gemm and "
                                "moec.act_and_mul, not "
                             << op->getName();
  }
  // The problem: tokens, top_k, experts, block_m.
  MoeAlignOp align;
  for (Operation *op : moecOps)
    if (auto a = dyn_cast<MoeAlignOp>(op)) {
      align = a;
      break;
    }
  std::optional<int64_t> givenTokens = opts.tokens;
  for (const char *name : {"M", "tokens"})
    if (auto it = opts.sizes.find(name); !givenTokens && it != opts.sizes.end())
      givenTokens = it->second;
  if (align) {
    auto ids = cast<MemRefType>(align.getTopkIds().getType());
    numExperts = align.getNumExperts();
    blockM = align.getConfig().getBlockM();
    if (!ids.isDynamicDim(1))
      topK = ids.getDimSize(1);
    if (!ids.isDynamicDim(0)) {
      if (givenTokens && *givenTokens != ids.getDimSize(0))
        return align.emitError() << "moec run: --tokens " << *givenTokens
                                 << " contradicts the static "
                                 << ids.getDimSize(0) << " tokens";
      givenTokens = ids.getDimSize(0);
    }
  }
  for (Operation *op : moecOps)
    if (auto g = dyn_cast<MoeGemmOp>(op)) {
      if (topK && topK != int64_t(g.getTopK()))
        return g.emitError() << "moec run: top_k = " << g.getTopK()
                             << " differs from the routing's " << topK;
      topK = g.getTopK();
      int64_t bm = g.getConfig().getBlockM();
      if (blockM && bm != blockM)
        return g.emitError()
               << "moec run: block_m = " << bm
               << " differs from the block_m = " << blockM
               << " of the moe_align that padded its routing";
      blockM = bm;
      auto w = cast<MemRefType>(g.getW().getType());
      if (!w.hasStaticShape())
        return g.emitError() << "moec run: W must have a static shape";
      if (!numExperts)
        numExperts = w.getDimSize(0);
    }
  if (!givenTokens)
    return func.emitError() << "moec run: the number of tokens is dynamic; "
                               "give it with --tokens N";
  if (*givenTokens < 0)
    return func.emitError() << "moec run: --tokens must not be negative";
  bool routed = llvm::any_of(moecOps, [](Operation *op) {
    return isa<MoeAlignOp, MoeGemmOp>(op);
  });
  if (!routed)
    topK = 1, numExperts = 1, blockM = 16; // act_and_mul alone
  if (!topK)
    return func.emitError() << "moec run: top_k is dynamic; give topk_ids a "
                               "static second dimension";
  tokens = *givenTokens;
  int64_t copies = tokens * topK;
  MoeAlignPlan sizes = MoeAlignPlan::get(
      numExperts, align ? ConfigValues(align.getConfig()) : ConfigValues(),
      *target);
  sizes.blockM = blockM;
  auto routingSizes = [&](Value sorted, Value experts) {
    auto st = cast<MemRefType>(sorted.getType());
    auto et = cast<MemRefType>(experts.getType());
    int64_t s = st.isDynamicDim(0) ? sizes.maxSortedIds(copies)
                                   : st.getDimSize(0);
    int64_t b = et.isDynamicDim(0) ? (s + blockM - 1) / blockM
                                   : et.getDimSize(0);
    return std::pair{s, b};
  };

  for (auto [index, op] : llvm::enumerate(moecOps)) {
    OpRun r;
    r.op = op;
    int writer = static_cast<int>(index);
    auto written = [&](int root) {
      if (roots[root].writer < 0)
        roots[root].writer = writer;
    };
    if (auto a = dyn_cast<MoeAlignOp>(op)) {
      if (int64_t(a.getNumExperts()) != numExperts ||
          a.getConfig().getBlockM() != blockM)
        return a.emitError() << "moec run: one moe_align per function";
      auto [s, b] = routingSizes(a.getSortedTokenIds(), a.getExpertIds());
      if (failed(addOperand(r, a.getTopkIds(), {tokens, topK}, "topk_ids")) ||
          failed(addOperand(r, a.getSortedTokenIds(), {s}, "sorted_token_ids")) ||
          failed(addOperand(r, a.getExpertIds(), {b}, "expert_ids")) ||
          failed(addOperand(r, a.getNumTokensPostPadded(), {1},
                            "num_tokens_post_padded")))
        return failure();
      if (a.getExpertMap() &&
          failed(addOperand(r, a.getExpertMap(), {numExperts}, "expert_map")))
        return failure();
      for (int i = 1; i < 4; ++i)
        written(r.operands[i].root);
      r.isAlign = true;
      r.hasMap = static_cast<bool>(a.getExpertMap());
      MoeAlignPlan plan = getMoeAlignPlan(a, *target);
      r.grid = plan.gridSize(copies);
      r.lanes = plan.lanes;
    } else if (auto act = dyn_cast<ActAndMulOp>(op)) {
      // Leading dimensions: static ones as written; a dynamic first one is
      // the tokens of a [tokens, top_k, 2N] input, or the rows an earlier op
      // wrote into the input's buffer.
      auto inT = cast<MemRefType>(act.getInput().getType());
      auto outT = cast<MemRefType>(act.getOutput().getType());
      int64_t rank = inT.getRank();
      int64_t twoN = inT.getDimSize(rank - 1);
      if (ShapedType::isDynamic(twoN))
        twoN = 2 * outT.getDimSize(rank - 1);
      if (ShapedType::isDynamic(twoN))
        return act.emitError() << "moec run: act_and_mul needs a static last "
                                  "dimension";
      std::vector<int64_t> lead;
      for (int64_t d = 0; d < rank - 1; ++d) {
        int64_t v = inT.getDimSize(d);
        if (ShapedType::isDynamic(v))
          v = outT.getDimSize(d);
        if (ShapedType::isDynamic(v) && d > 0)
          return act.emitError() << "moec run: only the first dimension of "
                                    "act_and_mul may be dynamic";
        lead.push_back(v);
      }
      if (ShapedType::isDynamic(lead[0])) {
        lead[0] = tokens;
        if (rank == 2) {
          FailureOr<int> src = rootOf(act.getInput());
          if (failed(src))
            return failure();
          if (roots[*src].elems)
            lead[0] = roots[*src].elems / twoN;
        }
      }
      std::vector<int64_t> inShape = lead, outShape = lead;
      inShape.push_back(twoN);
      outShape.push_back(twoN / 2);
      if (failed(addOperand(r, act.getInput(), inShape, "input")) ||
          failed(addOperand(r, act.getOutput(), outShape, "output")))
        return failure();
      written(r.operands[1].root);
      r.isAct = true;
      r.activation = static_cast<int>(act.getActivation());
      ActAndMulPlan plan = getActAndMulPlan(act, *target);
      r.grid = plan.gridSize(product(outShape));
      r.lanes = plan.lanes;
    } else {
      auto g = cast<MoeGemmOp>(op);
      bool mx = g.getQuant() == MoeGemmOp::Quant::Mxfp4W4A16;
      auto w = cast<MemRefType>(g.getW().getType());
      // MXFP4: W holds K/2 bytes per row.
      int64_t n = w.getDimSize(1), k = w.getDimSize(2) * (mx ? 2 : 1);
      auto [s, b] = routingSizes(g.getSortedTokenIds(), g.getExpertIds());
      // A gated activation writes act(gate) * up: N/2 columns.
      int64_t cN = g.getActivation() ? n / 2 : n;
      std::vector<int64_t> cShape =
          g.getReduce() ? std::vector<int64_t>{tokens, cN}
                        : std::vector<int64_t>{tokens, topK, cN};
      if (failed(addOperand(r, g.getA(),
                            {g.getAPerCopy() ? copies : tokens, k}, "A")) ||
          failed(addOperand(r, g.getW(),
                            {w.getDimSize(0), n, mx ? k / 2 : k}, "W")) ||
          failed(addOperand(r, g.getC(), cShape, "C")) ||
          failed(addOperand(r, g.getSortedTokenIds(), {s}, "sorted_token_ids")) ||
          failed(addOperand(r, g.getExpertIds(), {b}, "expert_ids")) ||
          failed(addOperand(r, g.getNumTokensPostPadded(), {1},
                            "num_tokens_post_padded")))
        return failure();
      if (g.getTopkWeights()) {
        r.weightsIdx = static_cast<int>(r.operands.size());
        if (failed(addOperand(r, g.getTopkWeights(), {tokens, topK},
                              "topk_weights")))
          return failure();
      }
      // Quantization scales (fp8_w8a8, int8_w8a16): their static sizes, a
      // dynamic first dimension of a_scale being A's rows (per token or
      // block-wise [M, K groups]); generated in [0.5, 2).
      int64_t aRows = g.getAPerCopy() ? copies : tokens;
      auto scaleShape = [&](Value v, bool isA)
          -> FailureOr<std::vector<int64_t>> {
        auto t = cast<MemRefType>(v.getType());
        std::vector<int64_t> shape;
        for (int64_t d = 0; d < t.getRank(); ++d) {
          if (!t.isDynamicDim(d)) {
            shape.push_back(t.getDimSize(d));
          } else if (isA && d == 0) {
            shape.push_back(aRows);
          } else {
            g.emitError() << "moec run: " << (isA ? "a_scale" : "b_scale")
                          << " needs static sizes (but a_scale's first)";
            return failure();
          }
        }
        return shape;
      };
      if (Value as = g.getAScale()) {
        auto shape = scaleShape(as, true);
        r.aScaleIdx = static_cast<int>(r.operands.size());
        auto at = cast<MemRefType>(as.getType());
        r.aScalePerRow = at.getRank() == 1 &&
                         (at.isDynamicDim(0) || at.getDimSize(0) != 1);
        if (failed(shape) || failed(addOperand(r, as, *shape, "a_scale")))
          return failure();
      }
      if (Value bs = g.getBScale(); bs && mx) {
        // MXFP4: e8m0 bytes [E, N, K/32].
        r.bScaleIdx = static_cast<int>(r.operands.size());
        if (failed(addOperand(r, bs, {w.getDimSize(0), n, k / 32},
                              "b_scale")))
          return failure();
      } else if (bs) {
        auto shape = scaleShape(bs, false);
        r.bScaleIdx = static_cast<int>(r.operands.size());
        if (failed(shape) || failed(addOperand(r, bs, *shape, "b_scale")))
          return failure();
      }
      r.groupN = g.getGroupN().value_or(0);
      r.groupK = g.getGroupK().value_or(0);
      r.mxfp4 = mx;
      int c = r.operands[2].root;
      written(c);
      r.aPerCopy = g.getAPerCopy();
      r.reduce = g.getReduce();
      r.hasWeights = static_cast<bool>(g.getTopkWeights());
      if (std::optional<Activation> act = g.getActivation())
        r.activation = static_cast<int>(*act);
      roots[c].zero = g.getReduce();
      GemmLaunch launch = moeGemmLaunch(g, *target, s);
      r.grid = launch.grid;
      r.lanes = launch.lanes;
      r.sharedBytes = launch.sharedBytes;
    }
    ops.push_back(std::move(r));
  }
  // A buffer an op reads must be an input or written by an earlier op.
  for (auto [i, r] : llvm::enumerate(ops))
    for (const Operand &o : r.operands)
      if (roots[o.root].writer > int(i))
        return r.op->emitError() << "moec run: reads " << roots[o.root].role
                                 << " before the op that writes it";
  return success();
}

LogicalResult MoeRunner::makeInputs(rt::Device &dev) {
  // The local experts of an expert map: W's experts when a GEMM follows.
  int64_t local = std::max<int64_t>(1, numExperts / 2);
  for (const OpRun &r : ops)
    if (!r.isAlign && !r.isAct)
      local = r.operands[1].shape[0];
  std::vector<int32_t> ids;
  std::optional<std::vector<int32_t>> map;
  // Inputs in the order of their first use, so that a seed means the same
  // inputs whatever the argument order.
  for (const OpRun &r : ops)
    for (const Operand &o : r.operands) {
      Root &root = roots[o.root];
      if (root.writer >= 0 || root.buf.data())
        continue;
      int64_t elems = root.elems;
      if (root.role == "topk_ids") {
        root.ints = ids = makeTopkIds(routing, tokens, topK, numExperts, rng);
      } else if (root.role == "expert_map") {
        root.ints = makeExpertMap(numExperts, local, rng);
        map = root.ints;
      } else if (root.elt == emu::EK::I32) {
        // Routing a GEMM reads without a moe_align before it.
        if (ids.empty())
          ids = makeTopkIds(routing, tokens, topK, numExperts, rng);
        auto it = routingOf.find(-1);
        if (it == routingOf.end()) {
          int64_t s = 0, b = 0;
          for (const Operand &x : r.operands)
            if (roots[x.root].role == "sorted_token_ids")
              s = product(x.shape);
            else if (roots[x.root].role == "expert_ids")
              b = product(x.shape);
          it = routingOf
                   .emplace(-1, alignReference(ids, topK, numExperts, blockM,
                                               nullptr, s, b))
                   .first;
        }
        if (root.role == "sorted_token_ids")
          root.ints = it->second.sorted;
        else if (root.role == "expert_ids")
          root.ints = it->second.expertIds;
        else
          root.ints = {it->second.npad};
      } else if (root.role == "b_scale" && root.elt == emu::EK::I8) {
        // MXFP4's e8m0 bytes: 2^-8 .. 2^3.
        root.data = PooledArray::random(root.elt, elems, 119.0, 131.0, rng);
      } else if (root.role == "a_scale" || root.role == "b_scale") {
        root.data = PooledArray::random(root.elt, elems, 0.5, 2.0, rng);
      } else if (root.elt == emu::EK::I8) {
        // int8_w8a16's W; MXFP4's packed bytes (any byte is two e2m1 codes).
        root.data = PooledArray::random(root.elt, elems, -127.0, 127.0, rng);
      } else {
        double lo = root.role == "topk_weights" ? 0.0 : -1.0;
        root.data = PooledArray::random(root.elt, elems, lo, 1.0, rng);
      }
      size_t bytes = size_t(elems) * emu::bytesOf(root.elt);
      auto buf = dev.allocate(std::max<size_t>(bytes, 16));
      if (!buf.ok())
        return fail(buf.message()), failure();
      root.buf = std::move(*buf);
      if (!root.ints.empty()) {
        if (rt::Status s = root.buf.copyFromHost(
                root.ints.data(), root.ints.size() * sizeof(int32_t));
            !s.ok())
          return fail(s.message()), failure();
      } else if (elems) {
        // The pool, repeated.
        size_t pool = root.data.bytes.size();
        for (size_t off = 0; off < bytes; off += pool)
          if (rt::Status s = root.buf.copyFromHost(
                  root.data.bytes.data(), std::min(pool, bytes - off), off);
              !s.ok())
            return fail(s.message()), failure();
      }
    }
  for (Root &root : roots) {
    if (root.writer < 0)
      continue;
    size_t bytes = size_t(root.elems) * emu::bytesOf(root.elt);
    auto buf = dev.allocate(std::max<size_t>(bytes, 16));
    if (!buf.ok())
      return fail(buf.message()), failure();
    root.buf = std::move(*buf);
    uint8_t poison = root.zero ? 0x00 : root.elt == emu::EK::I32 ? 0x7F : 0xFF;
    if (rt::Status s = root.buf.fill(poison); !s.ok())
      return fail(s.message()), failure();
  }
  return success();
}

int MoeRunner::check() {
  bool pass = true;
  auto view = [&](const Operand &o) -> const Root & { return roots[o.root]; };
  auto ints = [&](const Operand &o) {
    const Root &r = view(o);
    std::vector<int32_t> v(product(o.shape));
    if (r.writer < 0)
      std::copy_n(r.ints.begin(), v.size(), v.begin());
    else
      std::memcpy(v.data(), r.result.data(), v.size() * sizeof(int32_t));
    return v;
  };
  for (const OpRun &r : ops) {
    if (r.isAlign) {
      std::vector<int32_t> ids = ints(r.operands[0]);
      std::optional<std::vector<int32_t>> map;
      if (r.hasMap)
        map = ints(r.operands[4]);
      AlignOutputs ref = alignReference(
          ids, topK, numExperts, blockM, map ? &*map : nullptr,
          product(r.operands[1].shape), product(r.operands[2].shape));
      AlignOutputs got;
      got.sorted = ints(r.operands[1]);
      got.expertIds = ints(r.operands[2]);
      got.npad = ints(r.operands[3])[0];
      std::string diff = checkAlign(ref, got, blockM, tokens * topK);
      int64_t used = 0;
      for (int32_t id : ids)
        used += id >= 0 && id < numExperts;
      llvm::outs() << fmt::format(
          "{} on {} ({}): tokens={} top_k={} experts={} block_m={} "
          "routing={}{} seed={} routed_copies={} num_tokens_post_padded={} "
          "workgroups={} -> {}\n",
          r.kernel, deviceLabel, target->chip.str(), tokens, topK, numExperts,
          blockM, routingName(routing), map ? " expert_map" : "", seed, used,
          got.npad, r.grid, diff.empty() ? "PASS" : "FAIL");
      if (!diff.empty()) {
        llvm::outs() << diff;
        pass = false;
      }
      routingOf[r.operands[1].root] = std::move(ref);
      continue;
    }
    if (r.isAct) {
      const Operand &inO = r.operands[0], &outO = r.operands[1];
      const Root &inRoot = view(inO), &outRoot = view(outO);
      std::vector<double> inWritten;
      if (inRoot.writer >= 0)
        inWritten = decodeAll(inRoot.elt, inRoot.result, product(inO.shape));
      std::function<double(int64_t)> in = [&](int64_t i) {
        return inRoot.writer >= 0 ? inWritten[i] : inRoot.data.at(i);
      };
      int64_t n = outO.shape.back();
      int64_t rows = n ? product(outO.shape) / n : 0;
      std::vector<double> out =
          decodeAll(outRoot.elt, outRoot.result, product(outO.shape));
      // One rounding of the output plus the f32 activation.
      GemmCheck res = checkActAndMul(r.activation, in, rows, n, out,
                                     toleranceOf(outRoot.elt));
      llvm::outs() << fmt::format(
          "{} on {} ({}): rows={} N={} activation={} {} -> {}\n", r.kernel,
          deviceLabel, target->chip.str(), rows, n,
          stringifyActivation(static_cast<Activation>(r.activation)).str(),
          res.summary, res.pass ? "PASS" : "FAIL");
      pass &= res.pass;
      continue;
    }
    const Operand &aO = r.operands[0], &wO = r.operands[1], &cO = r.operands[2];
    auto it = routingOf.find(r.operands[3].root);
    if (it == routingOf.end())
      it = routingOf.find(-1);
    const AlignOutputs &routing_ = it->second;
    GemmRefProblem p;
    p.tokens = tokens;
    p.topK = topK;
    p.n = wO.shape[1];
    p.k = wO.shape[2] * (r.mxfp4 ? 2 : 1);
    p.experts = wO.shape[0];
    p.aPerCopy = r.aPerCopy;
    p.reduce = r.reduce;
    p.hasWeights = r.hasWeights;
    p.gateActivation = r.activation;
    // A is an input or an intermediate the device wrote.
    const Root &aRoot = view(aO);

    const Root &wRoot = view(wO);
    GemmRefInputs in;
    int64_t k = p.k, n = p.n;
    // Scales are folded into the operands (dequantized in float64):
    // a_scale per tensor, per A row, or per (A row, K group); b_scale per
    // expert, per (expert, column), or per (expert, N group, K group).
    const Root *aScale = r.aScaleIdx >= 0 ? &view(r.operands[r.aScaleIdx])
                                          : nullptr;
    const Root *bScale = r.bScaleIdx >= 0 ? &view(r.operands[r.bScaleIdx])
                                          : nullptr;
    size_t aScaleRank = aScale ? r.operands[r.aScaleIdx].shape.size() : 0;
    size_t bScaleRank = bScale ? r.operands[r.bScaleIdx].shape.size() : 0;
    int64_t kGroups = r.groupK ? (k + r.groupK - 1) / r.groupK : 1;
    int64_t nGroups = r.groupN ? (n + r.groupN - 1) / r.groupN : 1;
    auto aScaleAt = [&](int64_t row, int64_t kk) -> double {
      if (!aScale)
        return 1.0;
      if (aScaleRank == 2)
        return aScale->data.at(row * kGroups + kk / r.groupK);
      return r.aScalePerRow ? aScale->data.at(row) : aScale->data.at(0);
    };
    auto bScaleAt = [&](int64_t e, int64_t nn, int64_t kk) -> double {
      if (!bScale)
        return 1.0;
      if (bScaleRank == 3)
        return bScale->data.at((e * nGroups + nn / r.groupN) * kGroups +
                               kk / r.groupK);
      if (bScaleRank == 2)
        return bScale->data.at(e * n + nn);
      return bScale->data.at(e);
    };
    in.a = [&](int64_t row, int64_t kk) {
      double v = aRoot.writer >= 0
                     ? decodeAt(aRoot.elt, aRoot.result, row * k + kk)
                     : aRoot.data.at(row * k + kk);
      return v * aScaleAt(row, kk);
    };
    in.w = [&](int64_t e, int64_t nn, int64_t kk) {
      return wRoot.data.at((e * n + nn) * k + kk) * bScaleAt(e, nn, kk);
    };
    if (r.mxfp4) {
      // W[e, n, k] = e2m1(nibble k of byte k / 2) * 2^(scale - 127).
      const Root &sRoot = view(r.operands[r.bScaleIdx]);
      in.w = [&wRoot, &sRoot, k, n](int64_t e, int64_t nn, int64_t kk) {
        int64_t row = e * n + nn;
        auto byte = [](double v) { return int(int64_t(v) & 0xFF); };
        int code = byte(wRoot.data.at(row * (k / 2) + kk / 2)) >> (4 * (kk % 2));
        return decodeMxfp4(code, byte(sRoot.data.at(row * (k / 32) + kk / 32)));
      };
    }
    if (p.hasWeights) {
      const Root &tw = view(r.operands[r.weightsIdx]);
      in.topkWeight = [&tw](int64_t s) { return tw.data.at(s); };
    }
    const Root &cRoot = view(cO);
    auto c = [&cRoot](int64_t i) {
      return decodeAt(cRoot.elt, cRoot.result, i);
    };
    // With reduce, the top_k copies are added into C one at a time (atomic
    // adds in C's type): each addition rounds once, so a 16-bit C carries up
    // to top_k roundings of the partial sums instead of one.
    double tol = toleranceOf(cRoot.elt);
    if (p.reduce && cRoot.elt != emu::EK::F32)
      tol *= double(1 + p.topK) / 2;
    GemmCheck res = checkMoeGemm(p, in, routing_, blockM, c, tol, rng);
    std::string quant;
    if (r.mxfp4)
      quant = " mxfp4";
    else if (wRoot.elt == emu::EK::I8)
      quant = " int8_w8a16";
    else if (aScale)
      quant = fmt::format(" fp8_w8a8 (a_scale {}, b_scale {}{})",
                          aScaleRank == 2    ? "per block"
                          : r.aScalePerRow   ? "per token"
                                             : "per tensor",
                          bScaleRank == 3   ? "per block"
                          : bScaleRank == 2 ? "per channel"
                                            : "per expert",
                          r.groupN ? fmt::format(", block [{}, {}]", r.groupN,
                                                 r.groupK)
                                   : std::string());
    llvm::outs() << fmt::format(
        "{} on {} ({}): tokens={} top_k={} experts={} N={} K={}{}{}{}{} "
        "routing={} seed={} {} -> {}\n",
        r.kernel, deviceLabel, target->chip.str(), tokens, topK, p.experts,
        p.n, p.k, p.aPerCopy ? " a_per_copy" : "",
        p.hasWeights ? " topk_weights" : "",
        (p.reduce ? std::string(" reduce") : std::string()) + quant,
        r.activation ? " activation=" +
                           stringifyActivation(
                               static_cast<Activation>(r.activation))
                               .str()
                     : std::string(),
        routingName(routing), seed, res.summary, res.pass ? "PASS" : "FAIL");
    pass &= res.pass;
  }
  return pass ? 0 : 1;
}

int MoeRunner::bench(rt::Device &dev, std::vector<rt::Kernel> &kernels,
                     std::vector<rt::KernelArgs> &args) {
  auto launchAll = [&](std::vector<rt::Event> *marks) -> rt::Status {
    for (size_t i = 0; i < ops.size(); ++i) {
      if (marks)
        if (rt::Status s = (*marks)[i].record(); !s.ok())
          return s;
      if (rt::Status s = kernels[i].launch({ops[i].grid}, {ops[i].lanes},
                                           ops[i].sharedBytes, args[i]);
          !s.ok())
        return s;
    }
    if (marks)
      return marks->back().record();
    return rt::Status();
  };
  for (int i = 0; i < opts.warmup; ++i)
    if (rt::Status s = launchAll(nullptr); !s.ok())
      return fail(s.message());
  std::vector<std::vector<float>> perOp(ops.size());
  std::vector<float> total;
  for (int i = 0; i < opts.repeat; ++i) {
    std::vector<rt::Event> marks;
    for (size_t j = 0; j <= ops.size(); ++j) {
      auto e = dev.createEvent();
      if (!e.ok())
        return fail(e.message());
      marks.push_back(std::move(*e));
    }
    if (rt::Status s = launchAll(&marks); !s.ok())
      return fail(s.message());
    for (size_t j = 0; j < ops.size(); ++j) {
      auto ms = rt::Event::elapsedMs(marks[j], marks[j + 1]);
      if (!ms.ok())
        return fail(ms.message());
      perOp[j].push_back(*ms);
    }
    auto ms = rt::Event::elapsedMs(marks.front(), marks.back());
    if (!ms.ok())
      return fail(ms.message());
    total.push_back(*ms);
  }
  auto median = [](std::vector<float> v) {
    std::sort(v.begin(), v.end());
    return double(v[v.size() / 2]);
  };
  double totalMs = median(total);
  // Work and the weight floor: each active local expert's weights once.
  std::string opsJson;
  double flops = 0, weightBytes = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    double ms = median(perOp[i]);
    double opFlops = 0, opBytes = 0;
    if (!ops[i].isAlign && !ops[i].isAct) {
      const Operand &w = ops[i].operands[1];
      auto it = routingOf.find(ops[i].operands[3].root);
      if (it == routingOf.end())
        it = routingOf.find(-1);
      const AlignOutputs &rt_ = it->second;
      std::vector<char> active(w.shape[0], 0);
      int64_t rows = 0;
      for (int64_t b = 0; b * blockM < rt_.npad; ++b)
        if (int32_t e = rt_.expertIds[b]; e >= 0) {
          active[e] = 1;
          for (int64_t j = 0; j < blockM; ++j)
            rows += rt_.sorted[b * blockM + j] < tokens * topK;
        }
      int64_t experts = std::count(active.begin(), active.end(), 1);
      // MXFP4: W's rows are K/2 bytes, plus one e8m0 scale per 32 K.
      double k = double(w.shape[2]) * (ops[i].mxfp4 ? 2 : 1);
      opFlops = 2.0 * rows * w.shape[1] * k;
      opBytes = double(experts) * w.shape[1] *
                (ops[i].mxfp4 ? k / 2 + k / 32
                              : k * emu::bytesOf(roots[w.root].elt));
    }
    flops += opFlops;
    weightBytes += opBytes;
    llvm::outs() << fmt::format(
        "bench {}: median {:.4f} ms{}\n", ops[i].kernel, ms,
        opFlops ? fmt::format(" {:.1f} TFLOP/s, weights {:.1f} GB/s",
                              opFlops / ms / 1e9, opBytes / ms / 1e6)
                : std::string());
    opsJson += fmt::format(
        "{}{{\"kernel\": \"{}\", \"op\": \"{}\", \"ms\": {:.6f}, "
        "\"flops\": {:.0f}, \"weight_bytes\": {:.0f}, \"workgroups\": {}}}",
        i ? ", " : "", ops[i].kernel,
        ops[i].isAlign ? "moe_align" : ops[i].isAct ? "act_and_mul" : "moe_gemm", ms, opFlops, opBytes,
        ops[i].grid);
  }
  llvm::outs() << fmt::format(
      "bench @{}: median {:.4f} ms over {} runs ({} warm-up) for {} ops, "
      "{:.1f} TFLOP/s, weights {:.1f} GB/s\n",
      funcName, totalMs, total.size(), opts.warmup, ops.size(),
      flops / totalMs / 1e9, weightBytes / totalMs / 1e6);
  if (!opts.jsonOut.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream os(opts.jsonOut, ec, llvm::sys::fs::OF_Append);
    if (ec)
      return fail(fmt::format("cannot write {}: {}", opts.jsonOut,
                              ec.message()));
    os << fmt::format(
        "{{\"function\": \"{}\", \"target\": \"{}\", \"tokens\": {}, "
        "\"top_k\": {}, \"experts\": {}, \"routing\": \"{}\", "
        "\"ms\": {:.6f}, \"flops\": {:.0f}, \"weight_bytes\": {:.0f}, "
        "\"config\": \"{}\", \"ops\": [{}]}}\n",
        funcName, target->chip.str(), tokens, topK, numExperts,
        routingName(routing), totalMs, flops, weightBytes, opts.configLabel,
        opsJson);
  }
  return 0;
}

int MoeRunner::run() {
  auto targetAttr =
      module->getAttrOfType<TargetAttr>(MoecDialect::kTargetAttrName);
  if (!targetAttr)
    return fail("the module has no moec.target");
  target = lookupTarget(targetAttr.getChip());
  if (opts.emulate && !target->isAMDGPU())
    return fail("--emulate runs the AMD lane-level kernels; use an AMD --arch");
  if (opts.emulate && opts.bench)
    return fail("--emulate checks numerics; it cannot time a kernel");
  auto r = parseRouting(opts.routing);
  if (!r)
    return fail(fmt::format("--routing {}: not one of uniform, skewed, "
                            "one-expert, empty-experts, invalid",
                            opts.routing));
  routing = *r;
  if (failed(describe()))
    return 1;
  funcName = func.getName().str();
  seed = opts.seed ? *opts.seed : std::random_device{}();
  rng.seed(seed);

  // --emulate: the lane-level AMD kernels on lib/Emulator, host memory.
  FailureOr<CompiledModule> compiled = compileModule(
      module, opts.emulate ? CompileStop::LaneLevel : CompileStop::Loadable);
  if (failed(compiled))
    return 1;
  if (compiled->kernels.size() != ops.size())
    return fail(fmt::format("expected {} kernels after lowering, got {}",
                            ops.size(), compiled->kernels.size()));
  for (size_t i = 0; i < ops.size(); ++i) {
    const OutlinedKernel &k = compiled->kernels[i];
    ops[i].kernel = k.name;
    // The plans sized the launches; the lowering built from the same plans.
    size_t lowered = k.dynamicLds ? size_t(k.ldsBytes) : 0;
    if (lowered != ops[i].sharedBytes || k.workgroupSize != ops[i].lanes)
      return fail(fmt::format(
          "{}: the plan says {} lanes and {} bytes of dynamic LDS, the "
          "lowered kernel {} and {} (internal error)",
          k.name, ops[i].lanes, ops[i].sharedBytes, k.workgroupSize, lowered));
  }
  rt::DeviceKind kind = target->isHost() || opts.emulate ? rt::DeviceKind::Host
                        : target->isNVPTX()                 ? rt::DeviceKind::Cuda
                                                            : rt::DeviceKind::Hip;
  auto device = rt::Device::open(kind, opts.deviceIndex);
  if (!device.ok())
    return fail(device.message());
  std::shared_ptr<rt::Device> dev = *device;
  deviceLabel = opts.emulate ? "the AMD emulator" : dev->label();
  std::vector<rt::Kernel> kernels;
  if (!opts.emulate) {
    rt::Expected<std::shared_ptr<rt::Module>> loaded =
        target->isHost() ? dev->loadHostModule(compiled->hostKernels)
                         : dev->loadModule(compiled->image);
    if (!loaded.ok())
      return fail(loaded.message());
    for (const OpRun &r : ops) {
      auto k = (*loaded)->getKernel(r.kernel);
      if (!k.ok())
        return fail(k.message());
      kernels.push_back(*k);
    }
  }
  if (failed(makeInputs(*dev)))
    return 1;
  std::vector<rt::KernelArgs> args(ops.size());
  for (size_t i = 0; i < ops.size(); ++i)
    for (const Operand &o : ops[i].operands)
      // A rank-0 operand (a per-tensor scale) is a [1] memref in the
      // kernel (castToKernelArg).
      args[i].addMemRef(roots[o.root].buf.data(),
                        o.shape.empty() ? std::vector<int64_t>{1} : o.shape);
  std::vector<const rt::Buffer *> buffers;
  for (const Root &root : roots)
    buffers.push_back(&root.buf);
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].grid <= 0)
      continue;
    if (opts.emulate) {
      std::string summary;
      std::string error = tool::emulateLaunch(
          module, ops[i].kernel, {ops[i].grid, 1, 1}, {ops[i].lanes, 1, 1},
          args[i], buffers, summary);
      if (!error.empty())
        return fail(fmt::format("{}: {}", ops[i].kernel, error));
      if (opts.verbose)
        llvm::errs() << "moec run: " << ops[i].kernel << ": " << summary << "\n";
      continue;
    }
    if (rt::Status s = kernels[i].launch({ops[i].grid}, {ops[i].lanes},
                                         ops[i].sharedBytes, args[i]);
        !s.ok())
      return fail(fmt::format("{}: {}", ops[i].kernel, s.message()));
  }
  if (rt::Status s = dev->synchronize(); !s.ok())
    return fail(s.message());
  for (Root &root : roots) {
    if (root.writer < 0)
      continue;
    root.result.resize(size_t(root.elems) * emu::bytesOf(root.elt));
    if (!root.result.empty())
      if (rt::Status s = root.buf.copyToHost(root.result.data(),
                                             root.result.size());
          !s.ok())
        return fail(s.message());
  }
  if (int rc = check())
    return rc;
  if (!opts.bench)
    return 0;
  return bench(*dev, kernels, args);
}

} // namespace

int moec::tool::runMoe(ModuleOp module, const RunOptions &opts) {
  return MoeRunner(module, opts).run();
}
