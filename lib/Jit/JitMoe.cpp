//===- JitMoe.cpp - Jit::fusedMoe: the fused-MoE layer for live shapes ----===//
//
// vLLM's fused_experts as one call: moe_align -> w13 moe_gemm (silu_and_mul
// or gelu_and_mul fused into its epilogue) -> w2 moe_gemm {a_per_copy,
// reduce, topk_weights} into the caller's [tokens, H] output; or, unfused,
// w13 moe_gemm -> act_and_mul -> w2. Each op is its own single-kernel
// module built for the live dtypes and weight shapes with tokens dynamic,
// compiled through the Jit's kernel cache. Launch numbers come from the
// ops' plans (OpPlans.h), as `moec run` and the lowering take them.
//
//===----------------------------------------------------------------------===//

#include "JitInternal.h"
#include "moec/Jit/Log.h"
#include "moec/Jit/Trace.h"

#include "moec/Dialect/MoecDialect.h"
#include "moec/Dialect/OpPlans.h"
#include "moec/Target/TargetInfo.h"
#include "moec/Tuning/SearchSpace.h"
#include "moec/Tuning/MoeConfig.h"
#include "moec/Tuning/TuningDB.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/xxhash.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <regex>
#include <shared_mutex>
#include <unordered_map>

using namespace moec;
using namespace moec::jit;
using namespace moec::jit::internal;
using rt::Status;

namespace {

/// How a weight's scales are laid out (fp8_w8a8, int8_w8a16, mxfp4).
enum class ScaleKind : uint8_t { None, PerExpert, PerChannel, Block, Mx };
/// How an fp8_w8a8 GEMM's activation is quantized: computed per tensor,
/// per token or per [1, group_k] block, or the caller's static scale.
enum class ActQuant : uint8_t { None, Tensor, Token, Group, Static };

/// The POD key of a fused_moe request: looked up on every call. Every field
/// that changes the IR is here; two requests that differ only in the
/// quantization (mode, weight dtype, scale layouts, block shape, activation
/// scales) never share an entry (JitMoeTest QuantizationIsPartOfTheKey).
struct MoeKey {
  uint8_t hidden, weights, out, act; // DType, DType, DType, Activation
  uint8_t unfused, hasMap, sizeClass, quant; // quant: MoeQuant
  uint8_t wDType, w13Scale, w2Scale, a13;    // DType, ScaleKind x 2, ActQuant
  uint8_t a2, pad0[3];                       // ActQuant
  int32_t topK, groupN, groupK, pad1;
  int64_t expertsLocal, expertsGlobal, h, i;
  uint64_t w13Hash, w2Hash; // xxh3 of the override fields (0: none)
  int64_t tokens;           // with a tuning database: the live token count
  bool operator==(const MoeKey &o) const {
    return std::memcmp(this, &o, sizeof(MoeKey)) == 0;
  }
};
using MoeKeyHash = KeyBytesHash<MoeKey>;

/// What a request resolves to: the kernels, their plans, what it says.
struct MoeEntry {
  const Variant *align = nullptr, *w13 = nullptr, *act = nullptr,
                *w2 = nullptr, *quant13 = nullptr, *quant2 = nullptr;
  MoeAlignPlan alignPlan;
  QuantFp8Plan quant13Plan, quant2Plan;
  int64_t w13TileM = 1, w13TileN = 1, w2TileM = 1, w2TileN = 1;
  ActAndMulPlan actPlan;
  VariantInfo info;
};

size_t roundUp(size_t v, size_t to) { return (v + to - 1) / to * to; }

/// Bytes of the f32 scales an fp8 activation [rows, k] gets (0: none or the
/// caller's static scale).
size_t actScaleBytes(ActQuant q, int64_t rows, int64_t k, int64_t groupK) {
  switch (q) {
  case ActQuant::Tensor:
    return 4;
  case ActQuant::Token:
    return 4 * rows;
  case ActQuant::Group:
    return 4 * rows * ((k + groupK - 1) / groupK);
  default:
    return 0;
  }
}

/// fp8_w8a8's workspace: hidden [tokens, h] and the intermediate [copies,
/// i] in fp8, with their computed scales.
struct MoeFp8Buffers {
  ActQuant a13 = ActQuant::None, a2 = ActQuant::None;
  int64_t tokens = 0, h = 0, groupK = 0;
};

/// The workspace regions (byte offsets) for `copies` routed copies.
struct MoeWorkspace {
  size_t sorted = 0, experts = 0, npad = 0, act = 0, gateUp = 0, q13 = 0,
         s13 = 0, q2 = 0, s2 = 0, total = 0;
  static MoeWorkspace layout(int64_t copies, int64_t expertsGlobal,
                             int64_t blockM, int64_t i, size_t eltBytes,
                             bool unfused, const MoeFp8Buffers &fp8) {
    MoeWorkspace w;
    int64_t sortedIds = copies + expertsGlobal * (blockM - 1);
    int64_t blocks = (sortedIds + blockM - 1) / blockM;
    size_t at = 0;
    w.sorted = at;
    at = roundUp(at + sortedIds * 4, 256);
    w.experts = at;
    at = roundUp(at + blocks * 4, 256);
    w.npad = at;
    at = roundUp(at + 4, 256);
    w.act = at;
    at = roundUp(at + copies * i * eltBytes, 256);
    if (unfused) {
      w.gateUp = at;
      at = roundUp(at + copies * 2 * i * eltBytes, 256);
    }
    if (fp8.a13 != ActQuant::None) {
      w.q13 = at;
      at = roundUp(at + fp8.tokens * fp8.h, 256);
      w.s13 = at;
      at = roundUp(at + actScaleBytes(fp8.a13, fp8.tokens, fp8.h, fp8.groupK),
                   256);
      w.q2 = at;
      at = roundUp(at + copies * i, 256);
      w.s2 = at;
      at = roundUp(at + actScaleBytes(fp8.a2, copies, i, fp8.groupK), 256);
    }
    w.total = at;
    return w;
  }
};

const char *toString(ActQuant a) {
  switch (a) {
  case ActQuant::Tensor:
    return "dynamic per tensor";
  case ActQuant::Token:
    return "dynamic per token";
  case ActQuant::Group:
    return "dynamic per [1, group_k]";
  case ActQuant::Static:
    return "static per tensor";
  default:
    return "none";
  }
}

Status badArg(const std::string &msg) {
  return Status::error("fused_moe: " + msg);
}

/// The checked problem of a fused_moe call.
struct MoeProblem {
  int64_t tokens = 0, h = 0, i = 0, topK = 0, eLocal = 0, eGlobal = 0;
  MoeQuant quant = MoeQuant::None;
  DType wDType = DType::BF16;
  ScaleKind w13Scale = ScaleKind::None, w2Scale = ScaleKind::None;
  ActQuant a13 = ActQuant::None, a2 = ActQuant::None;
  int64_t groupN = 0, groupK = 0;
  bool fp8() const { return quant == MoeQuant::Fp8W8A8; }
  bool mxfp4() const { return quant == MoeQuant::Mxfp4; }
  /// K of w13 / w2 as stored (MXFP4 packs two values a byte).
  int64_t w13K() const { return mxfp4() ? h / 2 : h; }
  int64_t w2K() const { return mxfp4() ? i / 2 : i; }
  MoeFp8Buffers workspaceFp8() const {
    MoeFp8Buffers f;
    if (fp8()) {
      f.a13 = a13;
      f.a2 = a2;
      f.tokens = tokens;
      f.h = h;
      f.groupK = groupK;
    }
    return f;
  }
};

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// The elements of t (sizes checked non-negative before).
int64_t numel(const Tensor &t) {
  int64_t n = 1;
  for (int d = 0; d < t.rank; ++d)
    n *= t.sizes[d];
  return n;
}

/// Classifies `scale` of the weight `what` ([E, n, k] logically) for the
/// quantization of `p`; an error names the shapes it may have.
Status checkWeightScale(const char *what, const Tensor *scale,
                        const MoeProblem &p, int64_t n, int64_t k,
                        ScaleKind &kind) {
  std::string name = fmt::format("{}_scale", what);
  int64_t E = p.eLocal;
  if (!scale)
    return badArg(fmt::format("quant {} needs {} (the {} weight scales)",
                              toString(p.quant), name, what));
  DType want = p.mxfp4() ? DType::F8E8M0FNU : DType::F32;
  if (scale->dtype != want)
    return badArg(fmt::format("{} is {}; quant {} needs {} scales", name,
                              toString(scale->dtype), toString(p.quant),
                              toString(want)));
  auto dims = [&](std::initializer_list<int64_t> d) {
    if (scale->rank != static_cast<int>(d.size()))
      return false;
    int i = 0;
    for (int64_t v : d)
      if (scale->sizes[i++] != v)
        return false;
    return true;
  };
  if (p.mxfp4()) {
    kind = ScaleKind::Mx;
    if (!dims({E, n, k / 32}))
      return badArg(fmt::format("{} must be [E = {}, N = {}, K/32 = {}] "
                                "(one e8m0 scale per 32 K elements), it is {}",
                                name, E, n, k / 32, shapeString(*scale)));
    return Status::success();
  }
  if (p.groupN) {
    kind = ScaleKind::Block;
    int64_t gn = ceilDiv(n, p.groupN), gk = ceilDiv(k, p.groupK);
    if (!dims({E, gn, gk}))
      return badArg(fmt::format(
          "{} must be block-wise [E = {}, ceil(N / group_n) = {}, ceil(K / "
          "group_k) = {}] for block_shape [{}, {}] (N = {}, K = {}), it is {}",
          name, E, gn, gk, p.groupN, p.groupK, n, k, shapeString(*scale)));
    return Status::success();
  }
  if (dims({E, n}) || dims({E, n, 1})) {
    kind = ScaleKind::PerChannel;
    return Status::success();
  }
  if (p.quant == MoeQuant::Fp8W8A8 &&
      (dims({E}) || dims({E, 1}) || dims({E, 1, 1}))) {
    kind = ScaleKind::PerExpert;
    return Status::success();
  }
  if (p.quant == MoeQuant::Int8W8A16)
    return badArg(fmt::format("{} must be per channel [E = {}, N = {}] (or "
                              "[E, N, 1]) for int8_w8a16, it is {}",
                              name, E, n, shapeString(*scale)));
  return badArg(fmt::format("{} must be per expert [E = {}], per channel [E "
                            "= {}, N = {}] (or [E, N, 1]), or block-wise "
                            "with block_shape (group_n, group_k); it is {}",
                            name, E, E, n, shapeString(*scale)));
}

/// The quantization options of a call: the weight dtypes, block shape and
/// activation scales (and, when `scales`, the weight scales) against the
/// problem's shapes. Fills p.quant... from `o`.
Status checkQuant(const Tensor &hidden, const Tensor &w13, const Tensor *w2,
                  const FusedMoeOptions &o, bool scales, MoeProblem &p) {
  p.quant = o.quant;
  p.wDType = w13.dtype;
  const char *q = toString(o.quant);
  bool fp8 = o.quant == MoeQuant::Fp8W8A8;
  if (o.quant != MoeQuant::None && o.quant != MoeQuant::Fp8W8A8 &&
      o.quant != MoeQuant::Int8W8A16 && o.quant != MoeQuant::Mxfp4)
    return badArg(fmt::format("quant {} is not a MoeQuant",
                              static_cast<int>(o.quant)));
  if (o.quant == MoeQuant::None && (o.w13Scale || o.w2Scale))
    return badArg("w13_scale / w2_scale given but quant is none (set "
                  "fp8_w8a8, int8_w8a16 or mxfp4)");
  if (!fp8 && (o.a13Scale || o.a2Scale || o.perTokenActivations ||
               o.groupN || o.groupK))
    return badArg(fmt::format("a13_scale, a2_scale, per-token activations "
                              "and block_shape are for fp8_w8a8, not quant "
                              "{}",
                              q));
  // Weight dtypes.
  auto wantW = [&](DType d) {
    switch (o.quant) {
    case MoeQuant::None:
      return d == hidden.dtype;
    case MoeQuant::Fp8W8A8:
      return d == DType::F8E4M3FN || d == DType::F8E4M3FNUZ;
    default:
      return d == DType::I8;
    }
  };
  const char *wantText = o.quant == MoeQuant::None
                             ? toString(hidden.dtype)
                         : fp8 ? "f8E4M3FN or f8E4M3FNUZ"
                               : "i8";
  for (auto [what, t] : {std::pair{"w13", &w13}, {"w2", w2}}) {
    if (!t)
      continue;
    if (!wantW(t->dtype))
      return badArg(fmt::format("{} is {}; {} expected ({}{})", what,
                                toString(t->dtype), wantText,
                                o.quant == MoeQuant::None ? "hidden is "
                                                          : "quant ",
                                o.quant == MoeQuant::None
                                    ? toString(hidden.dtype)
                                    : q));
  }
  if (w2 && w2->dtype != w13.dtype)
    return badArg(fmt::format("w13 is {} but w2 is {}", toString(w13.dtype),
                              toString(w2->dtype)));
  if (o.quant == MoeQuant::Mxfp4) {
    if (hidden.dtype != DType::BF16)
      return badArg(fmt::format("mxfp4 weights need bf16 hidden states, not "
                                "{}",
                                toString(hidden.dtype)));
    if (p.h % 32 || p.i % 32)
      return badArg(fmt::format("mxfp4 needs H ({}) and I ({}) to be "
                                "multiples of 32 (one e8m0 scale per 32 K "
                                "elements)",
                                p.h, p.i));
  }
  // Block shape.
  if (fp8 && (o.groupN || o.groupK)) {
    if (o.groupN <= 0 || o.groupK <= 0)
      return badArg(fmt::format("block_shape [{}, {}]: group_n and group_k "
                                "must both be positive (or both 0: not "
                                "block-wise)",
                                o.groupN, o.groupK));
    if (o.groupK % 16 || o.groupK > (int64_t(1) << 20))
      return badArg(fmt::format("block_shape group_k = {} must be a multiple "
                                "of 16 (the GEMM's block_k divides it)",
                                o.groupK));
    if (p.i % o.groupN)
      return badArg(fmt::format("block_shape group_n = {} must divide I = {} "
                                "(no scale group may span the gate and up "
                                "halves of w13)",
                                o.groupN, p.i));
    if (o.groupN > (int64_t(1) << 20))
      return badArg(fmt::format("block_shape group_n = {} is too large",
                                o.groupN));
    p.groupN = o.groupN;
    p.groupK = o.groupK;
  }
  // Activation scales.
  if (fp8) {
    auto actQuant = [&](const char *what, const Tensor *a,
                        ActQuant &out) -> Status {
      if (a) {
        if (p.groupN)
          return badArg(fmt::format("{} is a static per-tensor scale; "
                                    "block-wise fp8 quantizes activations "
                                    "per [1, group_k] block each call",
                                    what));
        if (o.perTokenActivations)
          return badArg(fmt::format("{} is a static per-tensor scale; "
                                    "per-token activations are computed per "
                                    "call: give one or the other",
                                    what));
        if (a->dtype != DType::F32 || a->rank > 2 || numel(*a) != 1)
          return badArg(fmt::format("{} must be one f32 ([] or [1]), it is "
                                    "{} {}",
                                    what, toString(a->dtype), shapeString(*a)));
        out = ActQuant::Static;
      } else {
        out = p.groupN               ? ActQuant::Group
              : o.perTokenActivations ? ActQuant::Token
                                      : ActQuant::Tensor;
      }
      return Status::success();
    };
    if (Status s = actQuant("a13_scale", o.a13Scale, p.a13); !s.ok())
      return s;
    if (Status s = actQuant("a2_scale", o.a2Scale, p.a2); !s.ok())
      return s;
  }
  if (!scales || o.quant == MoeQuant::None)
    return Status::success();
  if (Status s = checkWeightScale("w13", o.w13Scale, p, 2 * p.i, p.h,
                                  p.w13Scale);
      !s.ok())
    return s;
  return checkWeightScale("w2", o.w2Scale, p, p.h, p.i, p.w2Scale);
}

Status checkProblem(const Tensor &hidden, const Tensor &w13, const Tensor *w2,
                    const Tensor *topkWeights, const Tensor &topkIds,
                    const Tensor *out, const FusedMoeOptions &o,
                    MoeProblem &p) {
  for (const Tensor *t : {&hidden, &w13, w2, topkWeights, &topkIds, out,
                         o.expertMap, o.w13Scale, o.w2Scale, o.a13Scale,
                         o.a2Scale})
    if (t && (t->rank < 0 || t->rank > Tensor::kMaxRank ||
              std::any_of(t->sizes, t->sizes + t->rank,
                          [](int64_t d) { return d < 0; })))
      return badArg("a tensor has a negative size or a bad rank: " +
                    shapeString(*t));
  if (hidden.rank != 2)
    return badArg("hidden must be [tokens, H], it is " + shapeString(hidden));
  if (hidden.dtype != DType::F16 && hidden.dtype != DType::BF16)
    return badArg(fmt::format("hidden is {}; f16 or bf16 expected (the "
                              "moe_gemm dtypes)",
                              toString(hidden.dtype)));
  p.tokens = hidden.sizes[0];
  p.h = hidden.sizes[1];
  bool mx = o.quant == MoeQuant::Mxfp4;
  int64_t k13 = mx ? p.h / 2 : p.h;
  if (w13.rank != 3 || w13.sizes[2] != k13 || (mx && p.h % 2) ||
      w13.sizes[1] % 2 || w13.sizes[1] == 0 || w13.sizes[0] == 0)
    return badArg(fmt::format("w13 must be [E, 2I, {} = {}] with E, I > 0, "
                              "it is {}",
                              mx ? "H/2 (mxfp4: packed pairs)" : "H", k13,
                              shapeString(w13)));
  p.eLocal = w13.sizes[0];
  p.i = w13.sizes[1] / 2;
  if (w2) {
    int64_t k2 = mx ? p.i / 2 : p.i;
    if (w2->rank != 3 || w2->sizes[0] != p.eLocal || w2->sizes[1] != p.h ||
        w2->sizes[2] != k2)
      return badArg(fmt::format("w2 must be [E = {}, H = {}, {} = {}], it is "
                                "{}",
                                p.eLocal, p.h,
                                mx ? "I/2 (mxfp4: packed pairs)" : "I", k2,
                                shapeString(*w2)));
  }
  if (Status s = checkQuant(hidden, w13, w2, o, /*scales=*/w2 != nullptr, p);
      !s.ok())
    return s;
  if (topkIds.rank != 2 || topkIds.sizes[0] != p.tokens ||
      topkIds.sizes[1] < 1)
    return badArg(fmt::format("topk_ids must be [tokens = {}, top_k], it is {}",
                              p.tokens, shapeString(topkIds)));
  if (topkIds.dtype != DType::I32)
    return badArg(fmt::format("topk_ids is {}; i32 expected",
                              toString(topkIds.dtype)));
  p.topK = topkIds.sizes[1];
  if (topkWeights) {
    if (topkWeights->rank != 2 || topkWeights->sizes[0] != p.tokens ||
        topkWeights->sizes[1] != p.topK)
      return badArg(fmt::format("topk_weights must be [tokens = {}, top_k = "
                                "{}], it is {}",
                                p.tokens, p.topK, shapeString(*topkWeights)));
    if (!isFloatDType(topkWeights->dtype))
      return badArg(fmt::format("topk_weights is {}; f32, f16 or bf16 "
                                "expected",
                                toString(topkWeights->dtype)));
  }
  if (out) {
    if (out->rank != 2 || out->sizes[0] != p.tokens || out->sizes[1] != p.h)
      return badArg(fmt::format("out must be [tokens = {}, H = {}], it is {}",
                                p.tokens, p.h, shapeString(*out)));
    if (!isFloatDType(out->dtype))
      return badArg(fmt::format("out is {}; f16, bf16 or f32 expected",
                                toString(out->dtype)));
  }
  p.eGlobal = p.eLocal;
  if (o.expertMap) {
    if (o.expertMap->rank != 1 || o.expertMap->sizes[0] < 1 ||
        o.expertMap->dtype != DType::I32)
      return badArg(fmt::format("expert_map must be an i32 vector [global "
                                "experts], it is {} {}",
                                toString(o.expertMap->dtype),
                                shapeString(*o.expertMap)));
    p.eGlobal = o.expertMap->sizes[0];
  }
  if (o.activation != jit::Activation::Silu &&
      o.activation != jit::Activation::Gelu)
    return badArg(fmt::format("activation {}: silu or gelu expected",
                              toString(o.activation)));
  // Sorted ids are i32: every routed copy and the padding must fit (each
  // factor bounded first, so nothing here overflows int64), and the
  // [copies, 2I] intermediate must be addressable.
  if (p.tokens > INT32_MAX || p.topK > INT32_MAX || p.eGlobal > INT32_MAX ||
      p.tokens * p.topK + p.eGlobal * 256 > INT32_MAX ||
      2 * p.i > (int64_t(1) << 40) / std::max<int64_t>(1, p.tokens * p.topK))
    return badArg(fmt::format("{} tokens x top_k {} with {} experts and I = "
                              "{} is too large (i32 routing ids, a [tokens x "
                              "top_k, 2I] intermediate under 2^40 elements)",
                              p.tokens, p.topK, p.eGlobal, p.i));
  return checkLayouts("fused_moe",
                      {{"hidden", &hidden},
                       {"w13", &w13},
                       {"w2", w2},
                       {"topk_weights", topkWeights},
                       {"topk_ids", &topkIds},
                       {"out", out},
                       {"expert_map", o.expertMap},
                       {"w13_scale", w2 ? o.w13Scale : nullptr},
                       {"w2_scale", w2 ? o.w2Scale : nullptr},
                       {"a13_scale", w2 ? o.a13Scale : nullptr},
                       {"a2_scale", w2 ? o.a2Scale : nullptr}});
}

/// Replaces (or adds) block_m in #moec.config fields.
std::string withBlockM(const std::string &fields, int64_t blockM) {
  static const std::regex re("block_m\\s*=\\s*[0-9]+");
  std::string b = fmt::format("block_m = {}", blockM);
  if (std::regex_search(fields, re))
    return std::regex_replace(fields, re, b);
  return fields.empty() ? b : b + ", " + fields;
}

} // namespace

struct moec::jit::internal::MoeState {
  std::shared_mutex mutex;
  std::unordered_map<MoeKey, std::unique_ptr<MoeEntry>, MoeKeyHash> entries;
  /// Variants by the module text they were made from (compileMutex held).
  std::unordered_map<std::string, std::unique_ptr<Variant>> variants;
  /// The Jit's own workspace (FusedMoeOptions::workspace null).
  std::mutex workspaceMutex;
  rt::Buffer workspace;
  /// Whether requests resolve per token count (a tuning database is on).
  bool perShape = false;
};

const char *moec::jit::toString(MoeQuant quant) {
  switch (quant) {
  case MoeQuant::None:
    return "none";
  case MoeQuant::Fp8W8A8:
    return "fp8_w8a8";
  case MoeQuant::Int8W8A16:
    return "int8_w8a16";
  case MoeQuant::Mxfp4:
    return "mxfp4";
  }
  return "?";
}

void moec::jit::internal::MoeStateDeleter::operator()(MoeState *s) const {
  delete s;
}

rt::Expected<size_t>
Jit::fusedMoeWorkspaceBytes(const Tensor &hidden, const Tensor &w13,
                            const Tensor &topkIds,
                            const FusedMoeOptions &options) {
  MoeProblem p;
  if (Status s = checkProblem(hidden, w13, nullptr, nullptr, topkIds, nullptr,
                              options, p);
      !s.ok())
    return s;
  // block_m is at most 256 whatever the config says.
  return MoeWorkspace::layout(p.tokens * p.topK, p.eGlobal, 256, p.i,
                              dtypeBytes(hidden.dtype), options.unfused,
                              p.workspaceFp8())
      .total;
}

namespace {

std::string printedConfig(mlir::Attribute cfg) {
  std::string s;
  llvm::raw_string_ostream os(s);
  cfg.print(os);
  return s;
}

} // namespace

rt::Status Jit::fusedMoe(const Tensor &hidden, const Tensor &w13,
                         const Tensor &w2, const Tensor &topkWeights,
                         const Tensor &topkIds, const Tensor &out,
                         const FusedMoeOptions &options, void *stream) {
  Impl &I = *impl_;
  MoeProblem p;
  if (Status s = checkProblem(hidden, w13, &w2, &topkWeights, topkIds, &out,
                              options, p);
      !s.ok())
    return s;
  rt::Device &dev = device();
  auto &statePtr = moeState(I);
  if (!statePtr) {
    std::lock_guard<std::mutex> lock(compileMutex(I));
    if (!statePtr) {
      statePtr.reset(new MoeState);
      statePtr->perShape = !tuning::TuningDB::global().dirs().empty();
    }
  }
  MoeState &S = *statePtr;

  MoeKey key;
  std::memset(&key, 0, sizeof(key));
  key.hidden = static_cast<uint8_t>(hidden.dtype);
  key.weights = static_cast<uint8_t>(topkWeights.dtype);
  key.out = static_cast<uint8_t>(out.dtype);
  key.act = static_cast<uint8_t>(options.activation);
  key.unfused = options.unfused;
  key.hasMap = options.expertMap != nullptr;
  key.topK = static_cast<int32_t>(p.topK);
  key.quant = static_cast<uint8_t>(p.quant);
  key.wDType = static_cast<uint8_t>(p.wDType);
  key.w13Scale = static_cast<uint8_t>(p.w13Scale);
  key.w2Scale = static_cast<uint8_t>(p.w2Scale);
  key.a13 = static_cast<uint8_t>(p.a13);
  key.a2 = static_cast<uint8_t>(p.a2);
  key.groupN = static_cast<int32_t>(p.groupN);
  key.groupK = static_cast<int32_t>(p.groupK);
  key.expertsLocal = p.eLocal;
  key.expertsGlobal = p.eGlobal;
  key.h = p.h;
  key.i = p.i;
  if (!options.w13Config.empty())
    key.w13Hash = llvm::xxh3_64bits(options.w13Config) | 1;
  if (!options.w2Config.empty())
    key.w2Hash = llvm::xxh3_64bits(options.w2Config) | 1;
  bool bothOverridden = key.w13Hash && key.w2Hash;
  if (!bothOverridden && !target(I).isHost())
    key.sizeClass = static_cast<uint8_t>(
        tuning::moeGemmRowClass(p.tokens, p.topK, p.eGlobal));
  if (!bothOverridden && S.perShape)
    key.tokens = p.tokens;

  const MoeEntry *entry = nullptr;
  {
    std::shared_lock<std::shared_mutex> lock(S.mutex);
    auto it = S.entries.find(key);
    if (it != S.entries.end())
      entry = it->second.get();
  }
  CacheSource source = CacheSource::Memory;
  if (!entry) {
    std::lock_guard<std::mutex> compileLock(compileMutex(I));
    {
      std::shared_lock<std::shared_mutex> lock(S.mutex);
      auto it = S.entries.find(key);
      if (it != S.entries.end())
        entry = it->second.get();
    }
    if (!entry) {
      auto e = std::make_unique<MoeEntry>();
      const TargetInfo &tgt = target(I);
      const char *act = toString(options.activation);
      std::string t = toString(hidden.dtype), to = toString(out.dtype),
                  tw = toString(topkWeights.dtype);
      int64_t E = p.eLocal, Eg = p.eGlobal, H = p.h, N = 2 * p.i, In = p.i,
              K = p.topK;

      // Configs: override, else the tuning database (vLLM's file for E and
      // N = I, nearest token count; one entry for both GEMMs), else the
      // heuristic.
      std::string heuristic = tuning::heuristicMoeGemmFields(
          tgt.chip, tgt.isHost() ? 0 : key.sizeClass);
      std::optional<std::string> fromDb;
      std::string dbWhere;
      if ((!key.w13Hash || !key.w2Hash) &&
          !tuning::TuningDB::global().dirs().empty()) {
        // f16/bf16 files carry no dtype in their name (vLLM's rule); the
        // quantized ones say fp8_w8a8 / int8_w8a16 / mxfp4 and the block
        // shape.
        std::optional<std::pair<int64_t, int64_t>> blockShape;
        if (p.groupN)
          blockShape = std::make_pair(p.groupN, p.groupK);
        tuning::ConfigFileKey fk = tuning::moeFileKey(
            E, In, dev.name(),
            p.quant == MoeQuant::None ? "" : toString(p.quant), blockShape);
        auto r = tuning::TuningDB::global().lookupOrReport(
            fk, p.tokens,
            fmt::format("the heuristic config \"{}\"", heuristic));
        if (r) {
          std::string error;
          auto cand = tuning::fromEntry(r->entry);
          std::optional<std::string> fields;
          if (!cand)
            error = llvm::toString(cand.takeError());
          else
            fields = candidateFields(context(I), *cand, error);
          if (fields) {
            fromDb = fields;
            dbWhere = fmt::format("{} (M = {})", r->path, r->matchedKey);
          } else {
            logWarning(fmt::format("{} (M = {}): {}; using the heuristic "
                                   "config",
                                   r->path, r->matchedKey, error));
          }
        }
      }
      struct Pick {
        std::string fields;
        ConfigSource source;
      };
      auto pick = [&](const std::string &override) -> Pick {
        if (!override.empty())
          return {override, ConfigSource::Override};
        if (fromDb)
          return {*fromDb, ConfigSource::TuningDatabase};
        return {heuristic, ConfigSource::Heuristic};
      };
      Pick p13 = pick(options.w13Config), p2 = pick(options.w2Config);

      // Quantization: A's element type, the scale operands and attributes
      // of each GEMM (ODS operand order: ..., topk_weights, a_scale,
      // b_scale).
      std::string wt = toString(p.wDType);
      std::string at = p.fp8() ? wt : t; // A of both GEMMs
      auto aScaleType = [&](ActQuant a, int64_t k) -> std::string {
        switch (a) {
        case ActQuant::Tensor:
        case ActQuant::Static:
          return "memref<1xf32>";
        case ActQuant::Token:
          return "memref<?xf32>";
        case ActQuant::Group:
          return fmt::format("memref<?x{}xf32>", ceilDiv(k, p.groupK));
        default:
          return "";
        }
      };
      auto bScaleType = [&](ScaleKind kind, int64_t n,
                            int64_t k) -> std::string {
        switch (kind) {
        case ScaleKind::PerExpert:
          return fmt::format("memref<{}xf32>", E);
        case ScaleKind::PerChannel:
          return fmt::format("memref<{}x{}xf32>", E, n);
        case ScaleKind::Block:
          return fmt::format("memref<{}x{}x{}xf32>", E, ceilDiv(n, p.groupN),
                             ceilDiv(k, p.groupK));
        case ScaleKind::Mx:
          return fmt::format("memref<{}x{}x{}xf8E8M0FNU>", E, n, k / 32);
        default:
          return "";
        }
      };
      std::string as13 = aScaleType(p.a13, H), as2 = aScaleType(p.a2, In),
                  bs13 = bScaleType(p.w13Scale, N, H),
                  bs2 = bScaleType(p.w2Scale, H, In);
      // (func arguments, op operands, attributes) of the scales.
      struct ScaleIR {
        std::string args, operands, attrs;
      };
      auto scaleIR = [&](const std::string &as,
                         const std::string &bs) -> ScaleIR {
        ScaleIR r;
        if (!as.empty()) {
          r.args += fmt::format(", %as: {}", as);
          r.operands += fmt::format(" a_scale(%as : {})", as);
        }
        if (!bs.empty()) {
          r.args += fmt::format(", %bs: {}", bs);
          r.operands += fmt::format(" b_scale(%bs : {})", bs);
        }
        if (p.groupN)
          r.attrs += fmt::format("group_n = {} : i64, group_k = {} : i64, ",
                                 p.groupN, p.groupK);
        if (p.mxfp4())
          r.attrs += "mxfp4, ";
        return r;
      };
      ScaleIR sc13 = scaleIR(as13, bs13), sc2 = scaleIR(as2, bs2);
      int64_t k13 = p.w13K(), k2 = p.w2K();

      auto w13Text = [&](const std::string &cfg) {
        std::string c = options.unfused
                            ? fmt::format("memref<?x{}x{}x{}>", K, N, t)
                            : fmt::format("memref<?x{}x{}x{}>", K, In, t);
        return fmt::format(
            "module {{\n"
            "  func.func @moec_fused_moe_w13(%a: memref<?x{H}x{at}>, %w: "
            "memref<{E}x{N}x{kw}x{wt}>, %c: {c}, %s: memref<?xi32>, %e: "
            "memref<?xi32>, %n: memref<1xi32>{sargs}) {{\n"
            "    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : "
            "memref<?xi32>, memref<?xi32>, memref<1xi32>){sops} {{top_k = "
            "{K} : i64, {act}{sattrs}config = #moec.config<{cfg}>}} : "
            "memref<?x{H}x{at}>, memref<{E}x{N}x{kw}x{wt}> -> {c}\n"
            "    return\n  }}\n}}\n",
            fmt::arg("H", H), fmt::arg("at", at), fmt::arg("wt", wt),
            fmt::arg("kw", k13), fmt::arg("E", E), fmt::arg("N", N),
            fmt::arg("c", c), fmt::arg("K", K), fmt::arg("sargs", sc13.args),
            fmt::arg("sops", sc13.operands), fmt::arg("sattrs", sc13.attrs),
            fmt::arg("act", options.unfused
                                ? std::string()
                                : fmt::format("activation = "
                                              "#moec.activation<{}>, ",
                                              act)),
            fmt::arg("cfg", cfg));
      };
      auto w2Text = [&](const std::string &cfg) {
        return fmt::format(
            "module {{\n"
            "  func.func @moec_fused_moe_w2(%a: memref<?x{I}x{at}>, %w: "
            "memref<{E}x{H}x{kw}x{wt}>, %c: memref<?x{H}x{to}>, %s: "
            "memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %tw: "
            "memref<?x{K}x{tw}>{sargs}) {{\n"
            "    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : "
            "memref<?xi32>, memref<?xi32>, memref<1xi32>) topk_weights(%tw "
            ": memref<?x{K}x{tw}>){sops} {{top_k = {K} : i64, a_per_copy, "
            "reduce, {sattrs}config = #moec.config<{cfg}>}} : "
            "memref<?x{I}x{at}>, memref<{E}x{H}x{kw}x{wt}> -> "
            "memref<?x{H}x{to}>\n"
            "    return\n  }}\n}}\n",
            fmt::arg("I", In), fmt::arg("at", at), fmt::arg("wt", wt),
            fmt::arg("kw", k2), fmt::arg("E", E), fmt::arg("H", H),
            fmt::arg("to", to), fmt::arg("K", K), fmt::arg("tw", tw),
            fmt::arg("sargs", sc2.args), fmt::arg("sops", sc2.operands),
            fmt::arg("sattrs", sc2.attrs), fmt::arg("cfg", cfg));
      };
      // fp8_w8a8: the quant_fp8 kernels of hidden [T, H] and of the
      // intermediate [copies, I].
      auto quantText = [&](const char *fn, int64_t k, ActQuant a,
                           const std::string &scaleType) {
        std::string attrs;
        if (a == ActQuant::Static)
          attrs += "static_scale, ";
        if (a == ActQuant::Group)
          attrs += fmt::format("group_k = {} : i64, ", p.groupK);
        return fmt::format(
            "module {{\n"
            "  func.func @{fn}(%x: memref<?x{k}x{t}>, %q: memref<?x{k}x{wt}>, "
            "%s: {st}) {{\n"
            "    moec.quant_fp8 %x -> %q, %s {{{attrs}config = "
            "#moec.config<>}} : memref<?x{k}x{t}> -> memref<?x{k}x{wt}>, "
            "{st}\n"
            "    return\n  }}\n}}\n",
            fmt::arg("fn", fn), fmt::arg("k", k), fmt::arg("t", t),
            fmt::arg("wt", wt), fmt::arg("st", scaleType),
            fmt::arg("attrs", attrs));
      };

      // Parse each GEMM; a heuristic config that does not fit the target
      // falls back to the #moec.config defaults (as gemm does).
      auto parseGemm = [&](Pick &pk, const std::function<std::string(
                                         const std::string &)> &textFor,
                           const char *which)
          -> rt::Expected<mlir::OwningOpRef<mlir::ModuleOp>> {
        std::string error;
        auto m = parse(I, textFor(pk.fields), "<moec fused_moe>", error);
        if (!m && pk.source != ConfigSource::Override) {
          logInfo(fmt::format("fused_moe {}: config \"{}\" ({}) does not fit "
                              "({}); using the #moec.config defaults",
                              which, pk.fields, toString(pk.source), error));
          pk.fields.clear();
          error.clear();
          m = parse(I, textFor(pk.fields), "<moec fused_moe>", error);
        }
        if (!m)
          return badArg(fmt::format("{} GEMM: the config \"{}\" ({}) does "
                                    "not fit: {}",
                                    which, pk.fields, toString(pk.source),
                                    error));
        return m;
      };
      auto blockMOf = [](mlir::ModuleOp m) {
        int64_t bm = 0;
        m.walk([&](MoeGemmOp g) { bm = g.getConfig().getBlockM(); });
        return bm;
      };
      std::function<std::string(const std::string &)> textOf13 = w13Text,
                                                        textOf2 = w2Text;
      auto m13 = parseGemm(p13, textOf13, "w13");
      if (!m13.ok())
        return m13.status();
      auto m2 = parseGemm(p2, textOf2, "w2");
      if (!m2.ok())
        return m2.status();
      int64_t blockM = blockMOf(**m13);
      if (blockMOf(**m2) != blockM) {
        // One moe_align pads for both GEMMs: the one not given explicitly
        // follows the other's block_m.
        if (p13.source == ConfigSource::Override &&
            p2.source == ConfigSource::Override)
          return badArg(fmt::format(
              "the w13 config has block_m = {} and the w2 config block_m = "
              "{}: both GEMMs read one moe_align's padding, so they must "
              "agree",
              blockM, blockMOf(**m2)));
        bool w2Follows = p13.source == ConfigSource::Override ||
                         p2.source != ConfigSource::Override;
        if (w2Follows) {
          p2.fields = withBlockM(p2.fields, blockM);
          m2 = parseGemm(p2, textOf2, "w2");
          if (!m2.ok())
            return m2.status();
        } else {
          blockM = blockMOf(**m2);
          p13.fields = withBlockM(p13.fields, blockM);
          m13 = parseGemm(p13, textOf13, "w13");
          if (!m13.ok())
            return m13.status();
        }
        logInfo(fmt::format("fused_moe: the {} config takes block_m = {} of "
                            "the other GEMM (one moe_align pads for both)",
                            w2Follows ? "w2" : "w13", blockM));
        if (blockMOf(**m13) != blockMOf(**m2))
          return badArg(fmt::format(
              "w13 and w2 configs do not agree on block_m ({} and {})",
              blockMOf(**m13), blockMOf(**m2)));
      }

      // moe_align (and act_and_mul when unfused): target-independent
      // kernels, their config only block_m.
      std::string alignText = fmt::format(
          "module {{\n"
          "  func.func @moec_fused_moe_align(%ids: memref<?x{K}xi32>, %s: "
          "memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>{mapArg}) {{\n"
          "    moec.moe_align %ids -> %s, %e, %n{mapUse} {{num_experts = {Eg} "
          ": i64, config = #moec.config<block_m = {bm}>}} : "
          "memref<?x{K}xi32> -> memref<?xi32>, memref<?xi32>, "
          "memref<1xi32>\n"
          "    return\n  }}\n}}\n",
          fmt::arg("K", K), fmt::arg("Eg", Eg), fmt::arg("bm", blockM),
          fmt::arg("mapArg", options.expertMap
                                 ? fmt::format(", %map: memref<{}xi32>", Eg)
                                 : std::string()),
          fmt::arg("mapUse",
                   options.expertMap
                       ? fmt::format(" expert_map(%map : memref<{}xi32>)", Eg)
                       : std::string()));
      std::string actText = fmt::format(
          "module {{\n"
          "  func.func @moec_fused_moe_act(%in: memref<?x{K}x{N}x{t}>, %out: "
          "memref<?x{K}x{I}x{t}>) {{\n"
          "    moec.act_and_mul %in -> %out {{activation = "
          "#moec.activation<{act}>, config = #moec.config<>}} : "
          "memref<?x{K}x{N}x{t}> -> memref<?x{K}x{I}x{t}>\n"
          "    return\n  }}\n}}\n",
          fmt::arg("K", K), fmt::arg("N", N), fmt::arg("I", In),
          fmt::arg("t", t), fmt::arg("act", act));

      // The variants: found by text, else made (not during capture).
      double compileMs = 0;
      CacheSource worst = CacheSource::Memory;
      auto variantFor = [&](const std::string &text,
                            mlir::OwningOpRef<mlir::ModuleOp> parsed,
                            const std::string &description, int64_t bm,
                            int64_t bn) -> rt::Expected<const Variant *> {
        if (auto it = S.variants.find(text); it != S.variants.end())
          return static_cast<const Variant *>(it->second.get());
        if (Status s = refuseDuringCapture(I, stream, "fused_moe"); !s.ok())
          return s;
        if (!parsed) {
          std::string error;
          parsed = parse(I, text, "<moec fused_moe>", error);
          if (!parsed)
            return badArg(description + ": " + error);
        }
        auto made = makeVariant(I, *parsed, description, bm, bn);
        if (!made.ok())
          return made.status();
        std::unique_ptr<Variant> v = std::move(*made);
        mlir::Attribute cfg;
        parsed->walk([&](mlir::Operation *op) {
          if (auto a = op->getAttrOfType<ConfigAttr>("config"))
            cfg = a;
        });
        if (cfg)
          v->info.config = printedConfig(cfg);
        compileMs += v->info.compileMs;
        if (v->info.cacheSource == CacheSource::Compiled ||
            (v->info.cacheSource == CacheSource::Disk &&
             worst == CacheSource::Memory))
          worst = v->info.cacheSource;
        logInfo(fmt::format("{}: {} ({:.1f} ms), key {}", description,
                            v->info.cacheSource == CacheSource::Compiled
                                ? "compiled"
                            : v->info.cacheSource == CacheSource::Disk
                                ? "disk cache hit"
                                : "memory cache hit",
                            v->info.compileMs, v->info.keyHex));
        const Variant *raw = v.get();
        S.variants.emplace(text, std::move(v));
        countVariants(I, 1);
        return raw;
      };

      // Plans from the parsed ops (what the lowering builds from).
      MoeGemmOp g13, g2;
      (*m13)->walk([&](MoeGemmOp g) { g13 = g; });
      (*m2)->walk([&](MoeGemmOp g) { g2 = g; });
      KernelPlan plan13 = getMoeGemmPlan(g13, tgt),
                 plan2 = getMoeGemmPlan(g2, tgt);
      e->w13TileM = plan13.problem.m;
      e->w13TileN = plan13.problem.n;
      e->w2TileM = plan2.problem.m;
      e->w2TileN = plan2.problem.n;
      std::string desc = fmt::format("fused_moe {}{} E={}{} H={} I={} "
                                     "top_k={} on {}",
                                     t,
                                     p.quant == MoeQuant::None
                                         ? std::string()
                                         : fmt::format(" {} {}",
                                                       toString(p.quant), wt),
                                     E,
                                     options.expertMap
                                         ? fmt::format(" (of {})", Eg)
                                         : std::string(),
                                     H, In, K, this->arch());
      std::string text13 = w13Text(p13.fields), text2 = w2Text(p2.fields);
      std::string cfg13 = printedConfig(g13.getConfig()),
                  cfg2 = printedConfig(g2.getConfig());
      {
        std::string error;
        auto am = parse(I, alignText, "<moec fused_moe>", error);
        if (!am)
          return badArg("moe_align: " + error);
        MoeAlignOp op;
        am->walk([&](MoeAlignOp a) { op = a; });
        e->alignPlan = getMoeAlignPlan(op, tgt);
        auto v = variantFor(alignText, std::move(am),
                            desc + fmt::format(": moe_align block_m {}",
                                               blockM),
                            blockM, 1);
        if (!v.ok())
          return v.status();
        e->align = *v;
      }
      auto v13 = variantFor(text13, std::move(*m13),
                            desc + fmt::format(": w13 moe_gemm{} {}",
                                               options.unfused
                                                   ? ""
                                                   : std::string(" + ") +
                                                         act + "_and_mul",
                                               cfg13),
                            e->w13TileM, e->w13TileN);
      if (!v13.ok())
        return v13.status();
      e->w13 = *v13;
      if (options.unfused) {
        std::string error;
        auto am = parse(I, actText, "<moec fused_moe>", error);
        if (!am)
          return badArg("act_and_mul: " + error);
        ActAndMulOp op;
        am->walk([&](ActAndMulOp a) { op = a; });
        e->actPlan = getActAndMulPlan(op, tgt);
        auto v = variantFor(actText, std::move(am),
                            desc + ": " + act + "_and_mul", 1, 1);
        if (!v.ok())
          return v.status();
        e->act = *v;
      }
      auto v2 = variantFor(text2, std::move(*m2),
                           desc + fmt::format(": w2 moe_gemm reduce {}", cfg2),
                           e->w2TileM, e->w2TileN);
      if (!v2.ok())
        return v2.status();
      e->w2 = *v2;
      if (p.fp8()) {
        auto quantVariant = [&](const char *fn, int64_t k, ActQuant a,
                                const std::string &st, const char *what,
                                QuantFp8Plan &plan) -> rt::Expected<const Variant *> {
          std::string text = quantText(fn, k, a, st);
          std::string error;
          auto qm = parse(I, text, "<moec fused_moe>", error);
          if (!qm)
            return badArg(fmt::format("quant_fp8 of {}: {}", what, error));
          QuantFp8Op op;
          qm->walk([&](QuantFp8Op q) { op = q; });
          plan = getQuantFp8Plan(op, tgt);
          return variantFor(text, std::move(qm),
                            desc + fmt::format(": quant_fp8 {} ({})", what,
                                               toString(a)),
                            1, 1);
        };
        auto q13 = quantVariant("moec_fused_moe_quant13", H, p.a13, as13,
                                "hidden", e->quant13Plan);
        if (!q13.ok())
          return q13.status();
        e->quant13 = *q13;
        auto q2 = quantVariant("moec_fused_moe_quant2", In, p.a2, as2,
                               "the intermediate", e->quant2Plan);
        if (!q2.ok())
          return q2.status();
        e->quant2 = *q2;
      }

      // What lastVariant() says for this request.
      VariantInfo &info = e->info;
      info.kernel = fmt::format(
          "fused_moe: {}, {}{}{}, {}{}, {}", e->align->info.kernel,
          e->quant13 ? e->quant13->info.kernel + ", " : std::string(),
          e->w13->info.kernel,
          e->act ? ", " + e->act->info.kernel : std::string(),
          e->quant2 ? e->quant2->info.kernel + ", " : std::string(),
          e->w2->info.kernel, toString(p.quant));
      info.config = fmt::format("w13 {} ({}); w2 {} ({})", cfg13,
                                toString(p13.source), cfg2,
                                toString(p2.source));
      info.configSource = p13.source;
      info.aligned = (H * dtypeBytes(hidden.dtype)) % 16 == 0 &&
                     (In * dtypeBytes(hidden.dtype)) % 16 == 0;
      info.keyHex = e->w13->info.keyHex;
      info.compileMs = compileMs;
      source = worst;
      logInfo(fmt::format("{} (tokens {}): w13 config from {}{}, w2 config "
                          "from {}{}; {}",
                          desc, p.tokens, toString(p13.source),
                          p13.source == ConfigSource::TuningDatabase
                              ? " " + dbWhere
                              : std::string(),
                          toString(p2.source),
                          p2.source == ConfigSource::TuningDatabase
                              ? " " + dbWhere
                              : std::string(),
                          info.config));
      std::unique_lock<std::shared_mutex> lock(S.mutex);
      entry = e.get();
      S.entries.emplace(key, std::move(e));
    }
  }

  // The launches.
  int64_t T = p.tokens, K = p.topK, copies = T * K;
  size_t outBytes = static_cast<size_t>(T * p.h) * dtypeBytes(out.dtype);
  if (Status s = dev.memsetAsync(out.data, 0, outBytes, stream); !s.ok())
    return s;
  if (T == 0) {
    rememberLast(entry->info, source);
    return Status::success();
  }
  const MoeAlignPlan &ap = entry->alignPlan;
  int64_t blockM = ap.blockM;
  MoeWorkspace ws = MoeWorkspace::layout(copies, p.eGlobal, blockM, p.i,
                                         dtypeBytes(hidden.dtype),
                                         options.unfused, p.workspaceFp8());
  char *base = static_cast<char *>(options.workspace);
  std::unique_lock<std::mutex> wsLock;
  if (base) {
    if (options.workspaceBytes < ws.total)
      return badArg(fmt::format("the workspace holds {} bytes, this call "
                                "needs {} (fusedMoeWorkspaceBytes)",
                                options.workspaceBytes, ws.total));
    if (reinterpret_cast<uintptr_t>(base) % 16)
      return badArg("the workspace is not 16-byte aligned");
  } else {
    wsLock = std::unique_lock<std::mutex>(S.workspaceMutex);
    if (S.workspace.size() < ws.total) {
      if (Status s = refuseDuringCapture(I, stream,
                                         "fused_moe (growing the Jit's "
                                         "workspace; pass "
                                         "FusedMoeOptions::workspace)");
          !s.ok())
        return s;
      if (Status s = dev.synchronize(); !s.ok())
        return s;
      S.workspace = rt::Buffer();
      auto buf = dev.allocate(roundUp(ws.total + ws.total / 4, 1 << 20));
      if (!buf.ok())
        return buf.status();
      S.workspace = std::move(*buf);
    }
    base = static_cast<char *>(S.workspace.data());
  }
  int64_t sortedLen = ap.maxSortedIds(copies);
  int64_t blocks = ap.maxBlocks(copies);
  void *sorted = base + ws.sorted, *experts = base + ws.experts,
       *npad = base + ws.npad, *actBuf = base + ws.act,
       *gateUp = base + ws.gateUp;
  int64_t one = 1, n2 = 2 * p.i;
  int64_t idsSizes[2] = {T, K}, hiddenSizes[2] = {T, p.h},
          w13Sizes[3] = {p.eLocal, n2, p.h}, w2Sizes[3] = {p.eLocal, p.h, p.i},
          actSizes[3] = {T, K, p.i}, gateUpSizes[3] = {T, K, n2},
          actRows[2] = {copies, p.i}, outSizes[2] = {T, p.h},
          mapSize = p.eGlobal;

  static thread_local rt::KernelArgs args;
  // Quantization operands: fp8 activations and their scales (the
  // workspace's, or the caller's static ones), the weight scales.
  void *q13 = base + ws.q13, *q2 = base + ws.q2;
  void *s13 = p.a13 == ActQuant::Static ? options.a13Scale->data
                                        : static_cast<void *>(base + ws.s13);
  void *s2 = p.a2 == ActQuant::Static ? options.a2Scale->data
                                      : static_cast<void *>(base + ws.s2);
  struct Sizes {
    int64_t d[3] = {1, 1, 1};
    size_t rank = 1;
  };
  auto aScaleSizes = [&](ActQuant a, int64_t rows, int64_t k) {
    Sizes z;
    if (a == ActQuant::Token)
      z.d[0] = rows;
    else if (a == ActQuant::Group)
      z = Sizes{{rows, ceilDiv(k, p.groupK), 1}, 2};
    return z;
  };
  auto bScaleSizes = [&](ScaleKind kind, int64_t n, int64_t k) {
    switch (kind) {
    case ScaleKind::PerChannel:
      return Sizes{{p.eLocal, n, 1}, 2};
    case ScaleKind::Block:
      return Sizes{{p.eLocal, ceilDiv(n, p.groupN), ceilDiv(k, p.groupK)}, 3};
    case ScaleKind::Mx:
      return Sizes{{p.eLocal, n, k / 32}, 3};
    default:
      return Sizes{{p.eLocal, 1, 1}, 1};
    }
  };
  Sizes as13 = aScaleSizes(p.a13, T, p.h), as2 = aScaleSizes(p.a2, copies, p.i),
        bs13 = bScaleSizes(p.w13Scale, n2, p.h),
        bs2 = bScaleSizes(p.w2Scale, p.h, p.i);
  int64_t w13K = p.w13K(), w2K = p.w2K();
  w13Sizes[2] = w13K;
  w2Sizes[2] = w2K;
  auto addScales = [&](void *aScale, const Sizes &as, const Tensor *bScale,
                       const Sizes &bs) {
    if (p.fp8())
      args.addMemRef(aScale, as.d, nullptr, as.rank);
    if (p.quant != MoeQuant::None)
      args.addMemRef(bScale->data, bs.d, nullptr, bs.rank);
  };

  auto launch = [&](const Variant &v, int64_t grid) {
    return v.kernel.launchOn(stream, rt::Dim3(grid), rt::Dim3(v.workgroupSize),
                             v.sharedBytes, args);
  };
  // moe_align
  args.clear();
  args.addMemRef(topkIds.data, idsSizes, nullptr, 2);
  args.addMemRef(sorted, &sortedLen, nullptr, 1);
  args.addMemRef(experts, &blocks, nullptr, 1);
  args.addMemRef(npad, &one, nullptr, 1);
  if (options.expertMap)
    args.addMemRef(options.expertMap->data, &mapSize, nullptr, 1);
  if (Status s = launch(*entry->align, ap.gridSize(copies)); !s.ok())
    return s;
  auto rowsGrid = [&](int64_t tileM, int64_t tileN, int64_t n) {
    return ((sortedLen + tileM - 1) / tileM) * ((n + tileN - 1) / tileN);
  };
  // A per-tensor scale of the intermediate is computed over all its rows:
  // those of dropped copies (-1 ids, experts of other ranks) are never
  // written by the w13 GEMM, so they are zeroed first (vLLM's kernel writes
  // zeros for them) instead of lending the scale stale workspace bytes.
  if (p.a2 == ActQuant::Tensor)
    if (Status s = dev.memsetAsync(options.unfused ? gateUp : actBuf, 0,
                                   static_cast<size_t>(copies * p.i) *
                                       dtypeBytes(hidden.dtype) *
                                       (options.unfused ? 2 : 1),
                                   stream);
        !s.ok())
      return s;
  // fp8_w8a8: hidden -> fp8 [T, H] and its scales.
  if (entry->quant13) {
    args.clear();
    args.addMemRef(hidden.data, hiddenSizes, nullptr, 2);
    args.addMemRef(q13, hiddenSizes, nullptr, 2);
    args.addMemRef(s13, as13.d, nullptr, as13.rank);
    if (Status s = launch(*entry->quant13,
                          entry->quant13Plan.gridSize(T, p.h));
        !s.ok())
      return s;
  }
  // w13 (+ the activation unless unfused)
  args.clear();
  args.addMemRef(entry->quant13 ? q13 : hidden.data, hiddenSizes, nullptr, 2);
  args.addMemRef(w13.data, w13Sizes, nullptr, 3);
  args.addMemRef(options.unfused ? gateUp : actBuf,
                 options.unfused ? gateUpSizes : actSizes, nullptr, 3);
  args.addMemRef(sorted, &sortedLen, nullptr, 1);
  args.addMemRef(experts, &blocks, nullptr, 1);
  args.addMemRef(npad, &one, nullptr, 1);
  addScales(s13, as13, options.w13Scale, bs13);
  if (Status s = launch(*entry->w13,
                        rowsGrid(entry->w13TileM, entry->w13TileN, n2));
      !s.ok())
    return s;
  if (options.unfused) {
    args.clear();
    args.addMemRef(gateUp, gateUpSizes, nullptr, 3);
    args.addMemRef(actBuf, actSizes, nullptr, 3);
    if (Status s = launch(*entry->act, entry->actPlan.gridSize(copies * p.i));
        !s.ok())
      return s;
  }
  // fp8_w8a8: the intermediate -> fp8 [copies, I] and its scales.
  if (entry->quant2) {
    args.clear();
    args.addMemRef(actBuf, actRows, nullptr, 2);
    args.addMemRef(q2, actRows, nullptr, 2);
    args.addMemRef(s2, as2.d, nullptr, as2.rank);
    if (Status s = launch(*entry->quant2,
                          entry->quant2Plan.gridSize(copies, p.i));
        !s.ok())
      return s;
  }
  // w2, weighted, the top_k copies summed into out
  args.clear();
  args.addMemRef(entry->quant2 ? q2 : actBuf, actRows, nullptr, 2);
  args.addMemRef(w2.data, w2Sizes, nullptr, 3);
  args.addMemRef(out.data, outSizes, nullptr, 2);
  args.addMemRef(sorted, &sortedLen, nullptr, 1);
  args.addMemRef(experts, &blocks, nullptr, 1);
  args.addMemRef(npad, &one, nullptr, 1);
  args.addMemRef(topkWeights.data, idsSizes, nullptr, 2);
  addScales(s2, as2, options.w2Scale, bs2);
  rememberLast(entry->info, source);
  if (trace::enabled())
    trace::instant("launch", "fused_moe",
                   {{"op", "fused_moe"},
                    {"shape", fmt::format("T={} H={} I={} E={} top_k={}", T,
                                          p.h, p.i, p.eLocal, K)},
                    {"config", entry->info.config},
                    {"target", this->arch()},
                    {"cache", toString(source)}});
  return launch(*entry->w2, rowsGrid(entry->w2TileM, entry->w2TileN, p.h));
}
