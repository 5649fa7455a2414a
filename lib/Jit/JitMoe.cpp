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

/// The POD key of a fused_moe request: looked up on every call.
struct MoeKey {
  uint8_t hidden, weights, out, act; // DType, DType, DType, Activation
  uint8_t unfused, hasMap, sizeClass, pad0;
  int32_t topK, pad1;
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
                *w2 = nullptr;
  MoeAlignPlan alignPlan;
  int64_t w13TileM = 1, w13TileN = 1, w2TileM = 1, w2TileN = 1;
  ActAndMulPlan actPlan;
  VariantInfo info;
};

size_t roundUp(size_t v, size_t to) { return (v + to - 1) / to * to; }

/// The workspace regions (byte offsets) for `copies` routed copies.
struct MoeWorkspace {
  size_t sorted = 0, experts = 0, npad = 0, act = 0, gateUp = 0, total = 0;
  static MoeWorkspace layout(int64_t copies, int64_t expertsGlobal,
                             int64_t blockM, int64_t i, size_t eltBytes,
                             bool unfused) {
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
    w.total = at;
    return w;
  }
};

Status badArg(const std::string &msg) {
  return Status::error("fused_moe: " + msg);
}

std::string shapeStr(const Tensor &t) {
  std::string s = "[";
  for (int d = 0; d < std::clamp(t.rank, 0, Tensor::kMaxRank); ++d)
    s += (d ? ", " : "") + std::to_string(t.sizes[d]);
  return s + "]";
}

/// The checked problem of a fused_moe call.
struct MoeProblem {
  int64_t tokens = 0, h = 0, i = 0, topK = 0, eLocal = 0, eGlobal = 0;
};

Status checkProblem(const Tensor &hidden, const Tensor &w13, const Tensor *w2,
                    const Tensor *topkWeights, const Tensor &topkIds,
                    const Tensor *out, const FusedMoeOptions &o,
                    MoeProblem &p) {
  auto isFloat = [](DType d) {
    return d == DType::F16 || d == DType::BF16 || d == DType::F32;
  };
  for (const Tensor *t : {&hidden, &w13, w2, topkWeights, &topkIds, out,
                         o.expertMap})
    if (t && (t->rank < 0 || t->rank > Tensor::kMaxRank ||
              std::any_of(t->sizes, t->sizes + t->rank,
                          [](int64_t d) { return d < 0; })))
      return badArg("a tensor has a negative size or a bad rank: " +
                    shapeStr(*t));
  if (hidden.rank != 2)
    return badArg("hidden must be [tokens, H], it is " + shapeStr(hidden));
  if (hidden.dtype != DType::F16 && hidden.dtype != DType::BF16)
    return badArg(fmt::format("hidden is {}; f16 or bf16 expected (the "
                              "moe_gemm dtypes)",
                              toString(hidden.dtype)));
  p.tokens = hidden.sizes[0];
  p.h = hidden.sizes[1];
  if (w13.rank != 3 || w13.sizes[2] != p.h || w13.sizes[1] % 2 ||
      w13.sizes[1] == 0 || w13.sizes[0] == 0)
    return badArg(fmt::format("w13 must be [E, 2I, H = {}] with E, I > 0, "
                              "it is {}",
                              p.h, shapeStr(w13)));
  p.eLocal = w13.sizes[0];
  p.i = w13.sizes[1] / 2;
  if (w13.dtype != hidden.dtype)
    return badArg(fmt::format("w13 is {} but hidden is {}",
                              toString(w13.dtype), toString(hidden.dtype)));
  if (w2) {
    if (w2->rank != 3 || w2->sizes[0] != p.eLocal || w2->sizes[1] != p.h ||
        w2->sizes[2] != p.i)
      return badArg(fmt::format("w2 must be [E = {}, H = {}, I = {}], it is {}",
                                p.eLocal, p.h, p.i, shapeStr(*w2)));
    if (w2->dtype != hidden.dtype)
      return badArg(fmt::format("w2 is {} but hidden is {}",
                                toString(w2->dtype), toString(hidden.dtype)));
  }
  if (topkIds.rank != 2 || topkIds.sizes[0] != p.tokens ||
      topkIds.sizes[1] < 1)
    return badArg(fmt::format("topk_ids must be [tokens = {}, top_k], it is {}",
                              p.tokens, shapeStr(topkIds)));
  if (topkIds.dtype != DType::I32)
    return badArg(fmt::format("topk_ids is {}; i32 expected",
                              toString(topkIds.dtype)));
  p.topK = topkIds.sizes[1];
  if (topkWeights) {
    if (topkWeights->rank != 2 || topkWeights->sizes[0] != p.tokens ||
        topkWeights->sizes[1] != p.topK)
      return badArg(fmt::format("topk_weights must be [tokens = {}, top_k = "
                                "{}], it is {}",
                                p.tokens, p.topK, shapeStr(*topkWeights)));
    if (!isFloat(topkWeights->dtype))
      return badArg(fmt::format("topk_weights is {}; f32, f16 or bf16 "
                                "expected",
                                toString(topkWeights->dtype)));
  }
  if (out) {
    if (out->rank != 2 || out->sizes[0] != p.tokens || out->sizes[1] != p.h)
      return badArg(fmt::format("out must be [tokens = {}, H = {}], it is {}",
                                p.tokens, p.h, shapeStr(*out)));
    if (!isFloat(out->dtype))
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
                                shapeStr(*o.expertMap)));
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
  struct Named {
    const char *what;
    const Tensor *t;
  };
  for (Named n : {Named{"hidden", &hidden}, Named{"w13", &w13},
                  Named{"w2", w2}, Named{"topk_weights", topkWeights},
                  Named{"topk_ids", &topkIds}, Named{"out", out},
                  Named{"expert_map", o.expertMap}}) {
    if (!n.t)
      continue;
    if (!n.t->isRowMajor())
      return badArg(fmt::format("{} {} is not row-major contiguous", n.what,
                                shapeStr(*n.t)));
    if (reinterpret_cast<uintptr_t>(n.t->data) % 16)
      return badArg(fmt::format("{} at {} is not 16-byte aligned (moec "
                                "kernels need aligned base pointers)",
                                n.what, n.t->data));
  }
  return Status::success();
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
                              dtypeBytes(hidden.dtype), options.unfused)
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
        // f16/bf16 files carry no dtype in their name (vLLM's rule).
        tuning::ConfigFileKey fk = tuning::moeFileKey(E, In, dev.name(), "");
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

      auto w13Text = [&](const std::string &cfg) {
        std::string c = options.unfused
                            ? fmt::format("memref<?x{}x{}x{}>", K, N, t)
                            : fmt::format("memref<?x{}x{}x{}>", K, In, t);
        return fmt::format(
            "module {{\n"
            "  func.func @moec_fused_moe_w13(%a: memref<?x{H}x{t}>, %w: "
            "memref<{E}x{N}x{H}x{t}>, %c: {c}, %s: memref<?xi32>, %e: "
            "memref<?xi32>, %n: memref<1xi32>) {{\n"
            "    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : "
            "memref<?xi32>, memref<?xi32>, memref<1xi32>) {{top_k = {K} : "
            "i64, {act}config = #moec.config<{cfg}>}} : memref<?x{H}x{t}>, "
            "memref<{E}x{N}x{H}x{t}> -> {c}\n"
            "    return\n  }}\n}}\n",
            fmt::arg("H", H), fmt::arg("t", t), fmt::arg("E", E),
            fmt::arg("N", N), fmt::arg("c", c), fmt::arg("K", K),
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
            "  func.func @moec_fused_moe_w2(%a: memref<?x{I}x{t}>, %w: "
            "memref<{E}x{H}x{I}x{t}>, %c: memref<?x{H}x{to}>, %s: "
            "memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %tw: "
            "memref<?x{K}x{tw}>) {{\n"
            "    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : "
            "memref<?xi32>, memref<?xi32>, memref<1xi32>) topk_weights(%tw "
            ": memref<?x{K}x{tw}>) {{top_k = {K} : i64, a_per_copy, reduce, "
            "config = #moec.config<{cfg}>}} : memref<?x{I}x{t}>, "
            "memref<{E}x{H}x{I}x{t}> -> memref<?x{H}x{to}>\n"
            "    return\n  }}\n}}\n",
            fmt::arg("I", In), fmt::arg("t", t), fmt::arg("E", E),
            fmt::arg("H", H), fmt::arg("to", to), fmt::arg("K", K),
            fmt::arg("tw", tw), fmt::arg("cfg", cfg));
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
      std::string desc = fmt::format("fused_moe {} E={}{} H={} I={} top_k={} "
                                     "on {}",
                                     t, E,
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

      // What lastVariant() says for this request.
      VariantInfo &info = e->info;
      info.kernel = fmt::format("fused_moe: {}, {}{}, {}", e->align->info.kernel,
                                e->w13->info.kernel,
                                e->act ? ", " + e->act->info.kernel
                                       : std::string(),
                                e->w2->info.kernel);
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
  MoeWorkspace ws =
      MoeWorkspace::layout(copies, p.eGlobal, blockM, p.i,
                           dtypeBytes(hidden.dtype), options.unfused);
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
  // w13 (+ the activation unless unfused)
  args.clear();
  args.addMemRef(hidden.data, hiddenSizes, nullptr, 2);
  args.addMemRef(w13.data, w13Sizes, nullptr, 3);
  args.addMemRef(options.unfused ? gateUp : actBuf,
                 options.unfused ? gateUpSizes : actSizes, nullptr, 3);
  args.addMemRef(sorted, &sortedLen, nullptr, 1);
  args.addMemRef(experts, &blocks, nullptr, 1);
  args.addMemRef(npad, &one, nullptr, 1);
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
  // w2, weighted, the top_k copies summed into out
  args.clear();
  args.addMemRef(actBuf, actRows, nullptr, 2);
  args.addMemRef(w2.data, w2Sizes, nullptr, 3);
  args.addMemRef(out.data, outSizes, nullptr, 2);
  args.addMemRef(sorted, &sortedLen, nullptr, 1);
  args.addMemRef(experts, &blocks, nullptr, 1);
  args.addMemRef(npad, &one, nullptr, 1);
  args.addMemRef(topkWeights.data, idsSizes, nullptr, 2);
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
