//===- JitAttention.cpp - Jit::sparseMlaDecode: sparse MLA decode ---------===//
//
// One `moec.sparse_attention` built for the live shape (tokens and the
// cache's block count dynamic, h_q, d_qk, d_v, page size and topk static),
// with a split-KV workspace, so one compiled variant serves every batch;
// compiled through the Jit's kernel cache. The config comes from
// SparseMlaOptions::config, else the tuning database's sparse_mla file for
// (h_q, topk) at the nearest token count, else the per-shape table
// (lib/Tuning/SparseMlaConfigs.def): lastVariant() and MOEC_LOG=info say
// which. Launch numbers (grid, lanes, dynamic LDS, KV splits, the merge
// grid) come from the op's SparseAttentionPlan, as `moec run` takes them.
//
//===----------------------------------------------------------------------===//

#include "JitInternal.h"
#include "moec/Jit/Log.h"
#include "moec/Jit/Trace.h"

#include "moec/Dialect/MoecDialect.h"
#include "moec/Dialect/OpPlans.h"
#include "moec/Target/TargetInfo.h"
#include "moec/Tuning/ShapeLog.h"
#include "moec/Tuning/SparseMlaConfig.h"
#include "moec/Tuning/TuningDB.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/xxhash.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <shared_mutex>
#include <unordered_map>

using namespace moec;
using namespace moec::jit;
using namespace moec::jit::internal;
using rt::Status;

namespace {

/// The POD key of a request: looked up on every call.
struct AttnKey {
  uint8_t q, out, hasLse, kvFp8;
  int32_t pad1;
  int64_t hQ, dQK, dV, page, topk;
  uint64_t scaleBits;    ///< the float's bits
  uint64_t overrideHash; ///< xxh3 of SparseMlaOptions::config (0: none)
  /// Without an override, the live token count: the config depends on it.
  int64_t tokens;
  bool operator==(const AttnKey &o) const {
    return std::memcmp(this, &o, sizeof(AttnKey)) == 0;
  }
};
using AttnKeyHash = KeyBytesHash<AttnKey>;

/// A compiled variant and its plan (shared by the token counts whose
/// config is the same).
struct AttnVariant {
  std::unique_ptr<Variant> variant; ///< attention kernel, then the merge
  SparseAttentionPlan plan;
};

/// What a request resolves to.
struct AttnEntry {
  const AttnVariant *v = nullptr;
  VariantInfo info;
};

Status badArg(const std::string &msg) {
  return Status::error("sparse_mla_decode: " + msg);
}

struct AttnProblem {
  int64_t tokens = 0, hQ = 0, dQK = 0, dV = 0, blocks = 0, page = 0, topk = 0;
  float scale = 0;
  /// kv_cache is I8 bytes [blocks, page, 656]: kv_format fp8_ds_mla.
  bool kvFp8 = false;
};

Status checkProblem(const Tensor &q, const Tensor &kv, const Tensor &idx,
                    const Tensor &out, const Tensor *lse,
                    const SparseMlaOptions &o, AttnProblem &p) {
  if (q.rank != 3)
    return badArg("q must be [tokens, h_q, d_qk], it is " + shapeString(q));
  if (q.dtype != DType::F16 && q.dtype != DType::BF16)
    return badArg(fmt::format("q is {}; f16 or bf16 expected",
                              toString(q.dtype)));
  p.tokens = q.sizes[0], p.hQ = q.sizes[1], p.dQK = q.sizes[2];
  if (p.hQ < 1 || p.dQK < 1)
    return badArg("q has an empty h_q or d_qk: " + shapeString(q));
  // An I8 cache is DeepSeek-V3.2's fp8 layout (moec/Dialect/OpPlans.h)
  // as bytes (a torch uint8 or int8 tensor).
  p.kvFp8 = kv.dtype == DType::I8;
  const int64_t rowElems = p.kvFp8 ? kFp8DsMlaRowBytes : p.dQK;
  if (kv.rank != 3 || kv.sizes[2] != rowElems || kv.sizes[1] < 1)
    return badArg(fmt::format("kv_cache must be [blocks, page_size, {}], it "
                              "is {}",
                              p.kvFp8 ? std::string("656 bytes (fp8_ds_mla)")
                                      : fmt::format("d_qk = {}", p.dQK),
                              shapeString(kv)));
  if (p.kvFp8 && (q.dtype != DType::BF16 || p.dQK != 576))
    return badArg(fmt::format("the fp8_ds_mla cache (i8 kv_cache) takes a bf16 "
                              "q [tokens, h_q, 576], q is {} {}",
                              toString(q.dtype), shapeString(q)));
  if (!p.kvFp8 && kv.dtype != q.dtype)
    return badArg(fmt::format("kv_cache is {} but q is {}", toString(kv.dtype),
                              toString(q.dtype)));
  p.blocks = kv.sizes[0], p.page = kv.sizes[1];
  if (idx.rank != 2 || idx.sizes[0] != p.tokens || idx.sizes[1] < 1)
    return badArg(fmt::format("indices must be [tokens = {}, topk], it is {}",
                              p.tokens, shapeString(idx)));
  if (idx.dtype != DType::I32)
    return badArg(fmt::format("indices is {}; i32 expected",
                              toString(idx.dtype)));
  p.topk = idx.sizes[1];
  if (out.rank != 3 || out.sizes[0] != p.tokens || out.sizes[1] != p.hQ ||
      out.sizes[2] < 1 || out.sizes[2] > p.dQK)
    return badArg(fmt::format("out must be [tokens = {}, h_q = {}, d_v <= "
                              "{}], it is {}",
                              p.tokens, p.hQ, p.dQK, shapeString(out)));
  if (!isFloatDType(out.dtype))
    return badArg(fmt::format("out is {}; f16, bf16 or f32 expected",
                              toString(out.dtype)));
  p.dV = out.sizes[2];
  if (p.kvFp8 && (p.dV != 512 || out.dtype == DType::F16))
    return badArg(fmt::format("the fp8_ds_mla cache writes a bf16 or f32 out "
                              "[tokens, h_q, 512], out is {} {}",
                              toString(out.dtype), shapeString(out)));
  if (lse) {
    if (lse->rank != 2 || lse->sizes[0] != p.tokens || lse->sizes[1] != p.hQ)
      return badArg(fmt::format("lse must be [tokens = {}, h_q = {}], it is "
                                "{}",
                                p.tokens, p.hQ, shapeString(*lse)));
    if (lse->dtype != DType::F32)
      return badArg(fmt::format("lse is {}; f32 expected",
                                toString(lse->dtype)));
  }
  p.scale = o.scale ? *o.scale : float(1.0 / std::sqrt(double(p.dQK)));
  if (!std::isfinite(p.scale))
    return badArg("scale is not finite");
  return checkLayouts("sparse_mla_decode", {{"q", &q},
                                            {"kv_cache", &kv},
                                            {"indices", &idx},
                                            {"out", &out},
                                            {"lse", lse}});
}

std::string moduleText(const AttnProblem &p, DType qd, DType od, bool lse,
                       const std::string &config) {
  std::string t = toString(qd);
  std::string q = fmt::format("memref<?x{}x{}x{}>", p.hQ, p.dQK, t);
  std::string kv = p.kvFp8 ? fmt::format("memref<?x{}x{}xi8>", p.page,
                                         kFp8DsMlaRowBytes)
                           : fmt::format("memref<?x{}x{}x{}>", p.page, p.dQK, t);
  std::string idx = fmt::format("memref<?x{}xi32>", p.topk);
  std::string out = fmt::format("memref<?x{}x{}x{}>", p.hQ, p.dV, toString(od));
  std::string lseT = fmt::format("memref<?x{}xf32>", p.hQ);
  std::string ws = fmt::format("memref<?x?x{}xf32>", p.dV + 1);
  return fmt::format(
      "module {{\n"
      "  func.func @moec_sparse_mla(%q: {0}, %kv: {1}, %idx: {2}, %out: {3}{4}, "
      "%ws: {5}) {{\n"
      "    moec.sparse_attention %q, %kv, %idx -> %out{6} workspace(%ws : {5}) "
      "{{scale = {7:.9e} : f32,{9} config = #moec.config<{8}>}}\n"
      "      : {0}, {1}, {2} -> {3}\n"
      "    return\n"
      "  }}\n"
      "}}\n",
      q, kv, idx, out, lse ? ", %lse: " + lseT : std::string(), ws,
      lse ? fmt::format(" lse(%lse : {})", lseT) : std::string(), p.scale,
      config,
      p.kvFp8 ? " kv_format = #moec.kv_format<fp8_ds_mla>," : "");
}

std::string printedConfig(mlir::Attribute cfg) {
  std::string s;
  llvm::raw_string_ostream os(s);
  cfg.print(os);
  return s;
}

} // namespace

struct moec::jit::internal::AttentionState {
  std::shared_mutex mutex;
  std::unordered_map<AttnKey, std::unique_ptr<AttnEntry>, AttnKeyHash> entries;
  /// Variants by the module text they were made from (compileMutex held).
  std::unordered_map<std::string, std::unique_ptr<AttnVariant>> variants;
  /// The Jit's own split-KV workspace (SparseMlaOptions::workspace null).
  std::mutex workspaceMutex;
  rt::Buffer workspace;
  /// The database consulted (setSparseMlaTuningDirs), else the global one.
  std::unique_ptr<tuning::TuningDB> db;
};

void moec::jit::internal::AttentionStateDeleter::operator()(
    AttentionState *s) const {
  delete s;
}

static AttentionState &stateOf(Jit::Impl &I) {
  auto &ptr = attentionState(I);
  if (!ptr) {
    std::lock_guard<std::mutex> lock(compileMutex(I));
    if (!ptr)
      ptr.reset(new AttentionState);
  }
  return *ptr;
}

void Jit::setSparseMlaTuningDirs(std::vector<std::string> dirs) {
  AttentionState &S = stateOf(*impl_);
  std::lock_guard<std::mutex> compileLock(compileMutex(*impl_));
  std::unique_lock<std::shared_mutex> lock(S.mutex);
  S.db = std::make_unique<tuning::TuningDB>(std::move(dirs));
  S.entries.clear(); // the configs may change
}

rt::Expected<size_t>
Jit::sparseMlaWorkspaceBytes(const Tensor &q, const Tensor &indices,
                             int64_t dV) {
  if (q.rank != 3 || indices.rank != 2 || q.sizes[0] < 0 || q.sizes[1] < 1 ||
      indices.sizes[1] < 1 || dV < 1 || dV > q.sizes[2])
    return badArg("sparseMlaWorkspaceBytes: q must be [tokens, h_q, d_qk], "
                  "indices [tokens, topk] and 1 <= d_v <= d_qk");
  // The most any config may use: splits happen only while tokens x head
  // groups leave units idle (SparseAttentionPlan::kvSplitsFor), at most
  // enough to fill them, 64 (kv_splits' limit) and the KV blocks (block_kv
  // >= 16); each split is [tokens * h_q, d_v + 1] f32.
  const int64_t tokens = q.sizes[0], hQ = q.sizes[1], topk = indices.sizes[1];
  const int64_t units =
      SparseAttentionPlan::typicalComputeUnits(internal::target(*impl_));
  size_t most = 0;
  for (int64_t bh : {16, 32, 64, 128}) {
    int64_t groups = std::max<int64_t>(tokens, 1) * ((hQ + bh - 1) / bh);
    if (groups >= units)
      continue;
    int64_t splits = std::min<int64_t>(
        {(units + groups - 1) / groups, 64, (topk + 15) / 16});
    if (splits > 1)
      most = std::max(most, size_t(splits) * size_t(tokens * hQ) *
                                size_t(dV + 1) * 4);
  }
  return most;
}

rt::Status Jit::sparseMlaDecode(const Tensor &q, const Tensor &kvCache,
                                const Tensor &indices, const Tensor &out,
                                const Tensor *lse,
                                const SparseMlaOptions &options,
                                void *stream) {
  Impl &I = *impl_;
  AttnProblem p;
  if (Status s = checkProblem(q, kvCache, indices, out, lse, options, p);
      !s.ok())
    return s;
  AttentionState &S = stateOf(I);

  AttnKey key;
  std::memset(&key, 0, sizeof(key));
  key.q = static_cast<uint8_t>(q.dtype);
  key.out = static_cast<uint8_t>(out.dtype);
  key.hasLse = lse != nullptr;
  key.kvFp8 = p.kvFp8;
  key.hQ = p.hQ, key.dQK = p.dQK, key.dV = p.dV, key.page = p.page;
  key.topk = p.topk;
  uint32_t bits;
  std::memcpy(&bits, &p.scale, 4);
  key.scaleBits = bits;
  if (!options.config.empty())
    key.overrideHash = llvm::xxh3_64bits(options.config) | 1;
  else
    key.tokens = p.tokens;

  const AttnEntry *entry = nullptr;
  {
    std::shared_lock<std::shared_mutex> lock(S.mutex);
    auto it = S.entries.find(key);
    if (it != S.entries.end())
      entry = it->second.get();
  }
  CacheSource source = CacheSource::Memory;
  if (!entry) {
    // Slow path (once per key): MOEC_SHAPE_LOG gets the decode shape, for
    // `moec tune --op attention --shapes`.
    if (tuning::ShapeLog *log = tuning::ShapeLog::global()) {
      tuning::ShapeRecord rec;
      rec.op = "sparse_attention";
      rec.shape = {{"tokens", p.tokens}, {"h_q", p.hQ},   {"topk", p.topk},
                   {"page", p.page},     {"d_qk", p.dQK}, {"d_v", p.dV}};
      rec.dtypes = {toString(q.dtype), toString(out.dtype)};
      rec.target = internal::arch(I);
      rec.device = internal::device(I).name();
      if (auto r = log->record(rec); !r)
        logWarning("MOEC_SHAPE_LOG: " + llvm::toString(r.takeError()));
    }
    std::lock_guard<std::mutex> compileLock(compileMutex(I));
    {
      std::shared_lock<std::shared_mutex> lock(S.mutex);
      auto it = S.entries.find(key);
      if (it != S.entries.end())
        entry = it->second.get();
    }
    if (!entry) {
      // The config: the override, else the database, else the table.
      std::string fields;
      ConfigSource configSource = ConfigSource::Override;
      std::string why = "caller (SparseMlaOptions::config)";
      if (!options.config.empty()) {
        fields = options.config;
      } else {
        tuning::TuningDB *db = S.db ? S.db.get() : &tuning::TuningDB::global();
        tuning::SparseMlaChoice choice = tuning::chooseSparseMlaConfig(
            db, internal::arch(I), internal::device(I).name(), toString(q.dtype),
            {p.tokens, p.hQ, p.topk}, p.dQK, p.dV);
        std::string error;
        auto f = candidateFields(context(I), choice.config, error);
        if (!f)
          return badArg(fmt::format("the config from the {} does not fit: {}",
                                    choice.why, error));
        fields = *f;
        configSource = choice.fromDatabase ? ConfigSource::TuningDatabase
                                           : ConfigSource::Heuristic;
        why = choice.why;
      }
      std::string text = moduleText(p, q.dtype, out.dtype, lse, fields);
      const AttnVariant *v = nullptr;
      if (auto it = S.variants.find(text); it != S.variants.end())
        v = it->second.get();
      if (!v) {
        if (Status s = refuseDuringCapture(I, stream, "sparse_mla_decode");
            !s.ok())
          return s;
        std::string error;
        auto module = parse(I, text, "<moec sparse_mla_decode>", error);
        if (!module)
          return badArg(fmt::format("the config \"{}\" ({}) does not fit: {}",
                                    fields, toString(configSource), error));
        SparseAttentionOp op;
        module->walk([&](SparseAttentionOp o) { op = o; });
        auto av = std::make_unique<AttnVariant>();
        av->plan = getSparseAttentionPlan(op, internal::target(I));
        std::string description = fmt::format(
            "sparse_mla_decode {}{} h_q={} d_qk={} d_v={} page={} topk={} -> {}"
            "{} on {}, config {}",
            toString(q.dtype), p.kvFp8 ? " (fp8_ds_mla kv)" : "", p.hQ, p.dQK,
            p.dV, p.page, p.topk,
            toString(out.dtype), lse ? " +lse" : "", internal::arch(I),
            fields.empty() ? std::string("<defaults>") : fields);
        std::string printed = printedConfig(op.getConfig());
        auto made = makeVariant(I, *module, description,
                                av->plan.kernel.config.block_h,
                                av->plan.kernel.config.block_kv,
                                /*kernels=*/2);
        if (!made.ok())
          return made.status();
        av->variant = std::move(*made);
        av->variant->info.config = printed;
        source = av->variant->info.cacheSource;
        logInfo(fmt::format("{} (first at tokens={}): the config from the "
                            "{}; {} ({:.1f} ms), key {}",
                            description, p.tokens, why,
                            source == CacheSource::Compiled ? "compiled"
                            : source == CacheSource::Disk   ? "disk cache hit"
                                                            : "memory cache hit",
                            av->variant->info.compileMs,
                            av->variant->info.keyHex));
        countVariants(I, 1);
        v = av.get();
        S.variants.emplace(std::move(text), std::move(av));
      } else {
        logInfo(fmt::format("sparse_mla_decode tokens={} h_q={} topk={}: "
                            "the config from the {}; variant {} already "
                            "loaded",
                            p.tokens, p.hQ, p.topk, why,
                            v->variant->info.keyHex));
      }
      auto e = std::make_unique<AttnEntry>();
      e->v = v;
      e->info = v->variant->info;
      e->info.configSource = configSource;
      std::unique_lock<std::shared_mutex> lock(S.mutex);
      entry = e.get();
      S.entries.emplace(key, std::move(e));
    }
  }
  const AttnVariant &v = *entry->v;
  rememberLast(entry->info, source);
  if (p.tokens == 0)
    return Status::success();

  // Split-KV when tokens x head groups leave the device's units idle.
  const SparseAttentionPlan &plan = v.plan;
  int64_t splits = plan.kvSplitsFor(
      p.tokens, p.hQ, p.topk,
      SparseAttentionPlan::typicalComputeUnits(internal::target(I)));
  void *ws = out.data; // not read or written without a split
  if (splits > 1) {
    size_t need = size_t(splits) * size_t(p.tokens * p.hQ) * size_t(p.dV + 1) * 4;
    if (options.workspace) {
      if (options.workspaceBytes < need)
        return badArg(fmt::format("the workspace has {} bytes; {} splits of "
                                  "{} tokens x {} heads need {} "
                                  "(sparseMlaWorkspaceBytes)",
                                  options.workspaceBytes, splits, p.tokens,
                                  p.hQ, need));
      if (reinterpret_cast<uintptr_t>(options.workspace) % 16)
        return badArg("the workspace is not 16-byte aligned");
      ws = options.workspace;
    } else {
      std::lock_guard<std::mutex> lock(S.workspaceMutex);
      if (S.workspace.size() < need) {
        // Growing: the old one may still be read by queued launches.
        if (Status s = refuseDuringCapture(
                I, stream, "sparse_mla_decode (growing its workspace)");
            !s.ok())
          return s;
        if (Status s = internal::device(I).synchronize(); !s.ok())
          return s;
        auto buf = internal::device(I).allocate(need);
        if (!buf.ok())
          return buf.status();
        S.workspace = std::move(*buf);
      }
      ws = S.workspace.data();
    }
  }

  static thread_local rt::KernelArgs args;
  args.clear();
  args.addMemRef(q.data, q.sizes, nullptr, 3);
  args.addMemRef(kvCache.data, kvCache.sizes, nullptr, 3);
  args.addMemRef(indices.data, indices.sizes, nullptr, 2);
  args.addMemRef(out.data, out.sizes, nullptr, 3);
  if (lse)
    args.addMemRef(lse->data, lse->sizes, nullptr, 2);
  int64_t wsSizes[3] = {splits, p.tokens * p.hQ, p.dV + 1};
  args.addMemRef(ws, wsSizes, nullptr, 3);
  const Variant &var = *v.variant;
  rt::Dim3 grid(plan.gridSize(p.tokens, p.hQ, splits));
  rt::Dim3 block(var.workgroupSize);
  auto launch = [&]() -> Status {
    if (Status s = var.kernel.launchOn(stream, grid, block, var.sharedBytes,
                                       args);
        !s.ok())
      return s;
    if (splits > 1)
      return var.more.front().launchOn(
          stream, rt::Dim3(plan.mergeGridSize(p.tokens, p.hQ)), block, 0,
          args);
    return Status::success();
  };
  if (trace::enabled()) {
    trace::Span span("launch", "launch " + var.info.kernel,
                     {{"op", "sparse_mla_decode"},
                      {"shape", fmt::format("tokens={} h_q={} topk={} "
                                            "splits={}",
                                            p.tokens, p.hQ, p.topk, splits)},
                      {"config", var.info.config},
                      {"target", internal::arch(I)},
                      {"cache", toString(source)}});
    return launch();
  }
  return launch();
}
