//===- Jit.cpp - moec as a JIT inside a serving process -------------------===//

#include "moec/Jit/Jit.h"
#include "JitInternal.h"
#include "moec/Jit/CacheKey.h"
#include "moec/Jit/Log.h"
#include "moec/Jit/Trace.h"

#include "moec/Dialect/Config.h"
#include "moec/Dialect/MoecDialect.h"
#include "moec/Driver/Compiler.h"
#include "moec/Target/TargetInfo.h"
#include "moec/Tools/Registration.h"
#include "moec/Transforms/GemmKernel.h"
#include "moec/Tuning/ConfigMapping.h"
#include "moec/Tuning/ShapeLog.h"
#include "moec/Tuning/Tuner.h"
#include "moec/Tuning/TuningDB.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/xxhash.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <mutex>
#include <shared_mutex>
#include <sstream>
#include <unordered_map>

using namespace moec;
using namespace moec::jit;
using rt::Status;

//===----------------------------------------------------------------------===//
// Small types
//===----------------------------------------------------------------------===//

size_t moec::jit::dtypeBytes(DType d) {
  switch (d) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F16:
  case DType::BF16:
    return 2;
  default:
    return 1;
  }
}

bool moec::jit::isFloatDType(DType d) {
  return d == DType::F16 || d == DType::BF16 || d == DType::F32;
}

const char *moec::jit::toString(DType d) {
  switch (d) {
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  case DType::F32:
    return "f32";
  case DType::I32:
    return "i32";
  case DType::F8E4M3FN:
    return "f8E4M3FN";
  case DType::F8E4M3FNUZ:
    return "f8E4M3FNUZ";
  case DType::I8:
    return "i8";
  case DType::F8E8M0FNU:
    return "f8E8M0FNU";
  }
  return "?";
}

const char *moec::jit::toString(Activation a) {
  switch (a) {
  case Activation::None:
    return "none";
  case Activation::Relu:
    return "relu";
  case Activation::Silu:
    return "silu";
  case Activation::Gelu:
    return "gelu";
  case Activation::GeluTanh:
    return "gelu_tanh";
  }
  return "?";
}

const char *moec::jit::toString(ConfigSource s) {
  switch (s) {
  case ConfigSource::Override:
    return "override";
  case ConfigSource::TuningDatabase:
    return "tuning database";
  case ConfigSource::Heuristic:
    return "heuristic";
  case ConfigSource::File:
    return "file";
  }
  return "?";
}

Tensor Tensor::matrix(void *data, DType dtype, int64_t rows, int64_t cols) {
  Tensor t;
  t.data = data;
  t.dtype = dtype;
  t.rank = 2;
  t.sizes[0] = rows, t.sizes[1] = cols;
  t.strides[0] = cols, t.strides[1] = 1;
  return t;
}

Tensor Tensor::vector(void *data, DType dtype, int64_t n) {
  Tensor t;
  t.data = data;
  t.dtype = dtype;
  t.rank = 1;
  t.sizes[0] = n;
  t.strides[0] = 1;
  return t;
}

bool Tensor::isRowMajor() const {
  bool allZero = true;
  for (int d = 0; d < rank; ++d)
    allZero &= strides[d] == 0;
  if (allZero)
    return true;
  int64_t stride = 1;
  for (int d = rank; d-- > 0;) {
    // A dimension of size 1 may carry any stride.
    if (sizes[d] != 1 && strides[d] != stride)
      return false;
    stride *= sizes[d];
  }
  return true;
}

//===----------------------------------------------------------------------===//
// The payload: launch metadata + code object
//===----------------------------------------------------------------------===//

namespace {

double msSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - t)
      .count();
}

using internal::Variant; // JitInternal.h

/// The POD key of a gemm variant: looked up on every call, so no strings.
struct GemmKey {
  uint8_t a, b, c, bias; // DType, bias 255 = none
  uint8_t transA, transB, act, aligned;
  uint8_t sizeClass;     // heuristic M class (0 with an override)
  uint64_t overrideHash; // xxh3 of GemmOptions::config (0: none)
  // The live sizes, when the config may depend on them (a tuning database)
  // or each distinct shape is logged (MOEC_SHAPE_LOG); else 0.
  int64_t m, n, k;
  bool operator==(const GemmKey &o) const {
    return std::memcmp(this, &o, sizeof(GemmKey)) == 0;
  }
};
struct GemmKeyHash {
  size_t operator()(const GemmKey &k) const {
    uint64_t h = k.overrideHash * 0x9E3779B97F4A7C15ull;
    const uint8_t *p = &k.a;
    for (int i = 0; i < 9; ++i)
      h = (h ^ p[i]) * 0x100000001B3ull;
    for (int64_t d : {k.m, k.n, k.k})
      h = (h ^ static_cast<uint64_t>(d)) * 0x100000001B3ull;
    return static_cast<size_t>(h);
  }
};

/// The heuristic's size classes of M.
uint8_t sizeClassOf(int64_t m) {
  return m <= 16 ? 0 : m <= 64 ? 1 : m <= 256 ? 2 : 3;
}

} // namespace

//===----------------------------------------------------------------------===//
// JitModule
//===----------------------------------------------------------------------===//

class moec::jit::JitModule {
public:
  /// Keeps the context alive as long as the module (declared first: the
  /// module is destroyed before it), even past the Jit.
  std::shared_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::string name;
  std::shared_mutex mutex;
  /// One argument of an entry point: rank, dtype, static sizes (-1: dynamic).
  struct Arg {
    int rank = 0;
    DType dtype = DType::F32;
    int64_t dims[Tensor::kMaxRank] = {};
  };
  /// What Jit::launch needs of an entry point, read from the IR once.
  struct Entry {
    std::vector<Arg> args;
    int ia = -1, ib = -1, ic = -1, ibias = -2; ///< gemm operands -> arguments
    int64_t blockM = 0, blockN = 0;
    std::string config;
    std::unique_ptr<Variant> variants[2]; ///< generic, assume-aligned
  };
  /// Transparent comparison: found by a const std::string& without copying.
  std::map<std::string, std::unique_ptr<Entry>, std::less<>> entries;
};

//===----------------------------------------------------------------------===//
// Jit::Impl
//===----------------------------------------------------------------------===//

struct Jit::Impl {
  std::shared_ptr<rt::Device> device;
  std::string arch;
  const TargetInfo *target = nullptr;
  std::unique_ptr<KernelCache> cache;

  std::mutex compileMutex; // the MLIRContext and the host JIT
  std::shared_ptr<mlir::MLIRContext> context;
  HostObjectLoader hostLoader;

  /// What a gemm request resolves to: the variant, and what this request's
  /// config came from (two shapes may share a variant).
  struct GemmEntry {
    const Variant *variant;
    VariantInfo info;
  };
  std::shared_mutex variantsMutex;
  std::unordered_map<GemmKey, std::unique_ptr<GemmEntry>, GemmKeyHash> gemms;
  /// The variants of gemm(), by the module text they were made from and
  /// the specialization (written under compileMutex).
  std::unordered_map<std::string, std::unique_ptr<Variant>> gemmVariants;
  size_t moduleVariants = 0;

  std::mutex dbMutex;
  TuningDatabase database;
  /// MOEC_SHAPE_LOG's log (null: unset).
  tuning::ShapeLog *shapeLog = nullptr;
  /// Whether gemm variants are keyed by the live shape (a database or the
  /// shape log is on): each distinct shape then takes the slow path once.
  std::atomic<bool> perShape{false};

  /// Compiles (or finds in the cache) the single-kernel module `module` and
  /// loads it. `compileMutex` is held.
  rt::Expected<std::unique_ptr<Variant>>
  makeVariant(mlir::ModuleOp module, const std::string &description,
              int64_t blockM, int64_t blockN, size_t kernels = 1);
  /// Parses `text`, attaches this device's target; diagnostics into `error`.
  mlir::OwningOpRef<mlir::ModuleOp> parse(const std::string &text,
                                          const std::string &name,
                                          std::string &error);
  std::string heuristicConfig(const GemmSignature &sig) const;

  /// MOEC_TUNE=1 (read by create()) with the $MOEC_TUNING_DB database.
  bool onlineTune = false;
  /// MOEC_TUNE=1: tunes a gemm shape the database has no entry for, now,
  /// over the small search space with lib/Tuning's Tuner (one compile
  /// thread; each candidate made through the kernel cache, timed on the
  /// caller's operands; C is overwritten, the caller's launch follows), and
  /// records the fastest in the first $MOEC_TUNING_DB directory (atomic
  /// write). Returns its #moec.config fields; nullopt (said why) on failure.
  /// `compileMutex` is held.
  std::optional<std::string>
  tuneOnline(const GemmSignature &sig, bool aligned,
             const std::function<std::string(const std::string &)> &textFor,
             const std::function<Status(const Variant &)> &launch);

  /// fused_moe's state (JitMoe.cpp); last, so destroyed first.
  std::unique_ptr<internal::MoeState, internal::MoeStateDeleter> moe;
  /// sparse_mla_decode's state (JitAttention.cpp).
  std::unique_ptr<internal::AttentionState, internal::AttentionStateDeleter>
      attention;

  /// A variant must be made (compiled or read from disk) while `stream` is
  /// captured into a graph: an error, since the capture would record none of
  /// that work and a later replay would launch nothing sensible.
  Status refuseDuringCapture(void *stream, const std::string &what) {
    auto capturing = device->isCapturing(stream);
    if (capturing.ok() && *capturing)
      return Status::error(fmt::format(
          "{}: this request needs a variant that is not loaded yet (cache "
          "miss) while the stream is being captured into a graph; run it "
          "once before capturing",
          what));
    return Status::success();
  }
};

// A copy, not a pointer into the variant: the Jit that made it may be gone
// when the thread asks (moec_jit_destroy, then moec_last_variant: a
// use-after-free the C API fuzzer found). Assignment reuses the strings'
// capacity, so a launch copies bytes and allocates nothing after the first.
static thread_local VariantInfo tlsLast;
static thread_local bool tlsHaveLast = false;

void internal::rememberLast(const VariantInfo &info, CacheSource source) {
  tlsLast = info;
  tlsLast.cacheSource = source;
  tlsHaveLast = true;
}

const VariantInfo &Jit::lastVariant() {
  static thread_local VariantInfo none = [] {
    VariantInfo v;
    v.kernel = "<none: no gemm or launch on this thread yet>";
    return v;
  }();
  return tlsHaveLast ? tlsLast : none;
}

Jit::Jit(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Jit::~Jit() = default;
rt::Device &Jit::device() const { return *impl_->device; }
const std::string &Jit::arch() const { return impl_->arch; }
KernelCache &Jit::cache() { return *impl_->cache; }

size_t Jit::variantCount() const {
  std::shared_lock<std::shared_mutex> lock(impl_->variantsMutex);
  return impl_->gemmVariants.size() + impl_->moduleVariants;
}

rt::Expected<std::pair<std::string, std::string>>
Jit::variantImage(const std::string &keyHex) {
  auto key = CacheKey::fromHex(keyHex);
  if (!key)
    return Status::error("variantImage: '" + keyHex + "' is not a key");
  auto payload = impl_->cache->lookup(*key);
  Payload p;
  if (!payload || !parsePayload(*payload, p) || p.kernels.empty())
    return Status::error("variantImage: no variant " + keyHex);
  return std::make_pair(std::string(p.image), p.kernels.front().name);
}

void Jit::setTuningDatabase(TuningDatabase database) {
  std::lock_guard<std::mutex> lock(impl_->dbMutex);
  impl_->database = std::move(database);
  impl_->perShape = impl_->database || impl_->shapeLog;
  impl_->onlineTune = false; // it records into $MOEC_TUNING_DB only
}

/// The #moec.config fields ("block_m = 64, ...") of a tuning candidate,
/// checked; nullopt with the diagnostic in `error`.
std::optional<std::string>
internal::candidateFields(mlir::MLIRContext *ctx,
                          const tuning::Candidate &cand, std::string &error) {
  mlir::ScopedDiagnosticHandler handler(ctx, [&](mlir::Diagnostic &d) {
    error += d.str();
    return mlir::success();
  });
  ConfigAttr attr = tuning::toConfigAttr(
      [&] { return mlir::emitError(mlir::UnknownLoc::get(ctx)); }, ctx, cand);
  if (!attr)
    return std::nullopt;
  std::string printed;
  llvm::raw_string_ostream os(printed);
  mlir::Attribute(attr).print(os);
  // "#moec.config<fields>" -> "fields"
  llvm::StringRef fields(printed);
  fields.consume_front("#moec.config");
  fields = fields.trim();
  fields.consume_front("<");
  fields.consume_back(">");
  return fields.str();
}

/// The default tuning database: the moec GEMM files of $MOEC_TUNING_DB
/// (lib/Tuning, the files `moec tune` writes), nearest M as vLLM does. A miss
/// is reported once per shape with the heuristic config used instead.
static Jit::TuningDatabase envTuningDatabase(Jit::Impl *impl) {
  return [impl](const GemmSignature &sig,
                const std::string &) -> std::optional<std::string> {
    tuning::ConfigFileKey key = tuning::gemmFileKey(
        sig.n, sig.k, impl->device->name(), toString(sig.a),
        std::string(sig.transposeA ? "t" : "n") + (sig.transposeB ? "t" : "n"));
    auto r = tuning::TuningDB::global().lookupOrReport(
        key, sig.m,
        impl->onlineTune
            ? std::string("a config tuned now (MOEC_TUNE=1)")
            : fmt::format("the heuristic config \"{}\"",
                          impl->heuristicConfig(sig)));
    if (!r)
      return std::nullopt;
    auto bad = [&](const std::string &why) -> std::optional<std::string> {
      logWarning(fmt::format("{} (M = {}): {}; using the heuristic config",
                             r->path, r->matchedKey, why));
      return std::nullopt;
    };
    auto cand = tuning::fromEntry(r->entry);
    if (!cand)
      return bad(llvm::toString(cand.takeError()));
    std::string error;
    auto fields = internal::candidateFields(impl->context.get(), *cand, error);
    if (!fields)
      return bad(error);
    logInfo(fmt::format("gemm M={} N={} K={}: tuned config from {} (M = {})",
                        sig.m, sig.n, sig.k, r->path, r->matchedKey));
    return fields;
  };
}

std::optional<std::string> Jit::Impl::tuneOnline(
    const GemmSignature &sig, bool aligned,
    const std::function<std::string(const std::string &)> &textFor,
    const std::function<Status(const Variant &)> &launch) {
  auto start = std::chrono::steady_clock::now();
  auto fail = [&](const std::string &why) -> std::optional<std::string> {
    logWarning(fmt::format("MOEC_TUNE: gemm M={} N={} K={}: {}; using the "
                           "heuristic config",
                           sig.m, sig.n, sig.k, why));
    return std::nullopt;
  };
  tuning::TargetFamily family = tuning::familyOfChip(arch);
  auto space = tuning::SearchSpace::defaults("gemm", family, "small");
  if (!space)
    return fail(llvm::toString(space.takeError()));
  tuning::GemmShape shape{sig.m, sig.n, sig.k,
                          static_cast<int64_t>(dtypeBytes(sig.a)),
                          static_cast<int64_t>(dtypeBytes(sig.b))};
  std::vector<tuning::Candidate> cands =
      tuning::pruneForShape(space->enumerate(), shape, family);
  auto makeError = [](const std::string &msg) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
  };
  tuning::TunerHooks hooks;
  // One compile thread while this thread (holding compileMutex) waits or
  // times: the MLIRContext is never used by two threads at once.
  hooks.compile = [&](const tuning::ShapeRecord &, const tuning::Candidate &c)
      -> llvm::Expected<tuning::CompiledCandidate> {
    std::string error;
    auto fields = internal::candidateFields(context.get(), c, error);
    if (!fields)
      return makeError(error);
    auto module = parse(textFor(*fields), "<moec gemm candidate>", error);
    if (!module)
      return makeError(error);
    if (aligned)
      setAssumeAligned(*module);
    auto made = makeVariant(*module, "MOEC_TUNE candidate " + c.key(),
                            c.blockM, c.blockN);
    if (!made.ok())
      return makeError(made.message());
    tuning::CompiledCandidate cc;
    cc.cacheHit = (*made)->info.cacheSource != CacheSource::Compiled;
    cc.payload = std::shared_ptr<Variant>(std::move(*made));
    return cc;
  };
  hooks.time = [&](const tuning::ShapeRecord &, const tuning::Candidate &,
                   tuning::CompiledCandidate &cc, int warmup,
                   int repeat) -> llvm::Expected<double> {
    const Variant &v = *static_cast<const Variant *>(cc.payload.get());
    for (int i = 0; i < warmup; ++i)
      if (Status s = launch(v); !s.ok())
        return makeError(s.message());
    if (Status s = device->synchronize(); !s.ok())
      return makeError(s.message());
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < repeat; ++i)
      if (Status s = launch(v); !s.ok())
        return makeError(s.message());
    if (Status s = device->synchronize(); !s.ok())
      return makeError(s.message());
    // The mean over `repeat` back-to-back launches (no per-launch events).
    return std::chrono::duration<double, std::micro>(
               std::chrono::steady_clock::now() - t0)
               .count() /
           std::max(repeat, 1);
  };
  hooks.verify = [](const tuning::ShapeRecord &, const tuning::Candidate &,
                    tuning::CompiledCandidate &) {
    return llvm::Error::success();
  };
  tuning::TunerOptions options;
  options.threads = 1;
  options.warmup = 2;
  options.repeat = 5;
  options.quickRepeat = 2;
  options.retimeTop = 2;
  tuning::Tuner tuner(hooks, options);
  if (llvm::Error e = tuner.open())
    return fail(llvm::toString(std::move(e)));
  tuning::ShapeRecord rec;
  rec.op = "gemm";
  rec.shape = {{"M", sig.m}, {"N", sig.n}, {"K", sig.k}};
  rec.dtypes = {toString(sig.a), toString(sig.b), toString(sig.c)};
  std::string layout =
      std::string(sig.transposeA ? "t" : "n") + (sig.transposeB ? "t" : "n");
  rec.attrs = {{"layout", layout}};
  rec.target = arch;
  rec.device = device->name();
  auto result = tuner.tuneShape(rec, cands);
  if (!result)
    return fail(llvm::toString(result.takeError()));
  if (!result->best)
    return fail(fmt::format("none of {} candidates compiled and ran",
                            cands.size()));
  std::string error;
  auto fields = internal::candidateFields(context.get(), *result->best, error);
  if (!fields)
    return fail(error);
  // Recorded as `moec tune` records it, in the first database directory.
  tuning::TuningDB &db = tuning::TuningDB::global();
  tuning::ConfigFileKey key = tuning::gemmFileKey(
      sig.n, sig.k, device->name(), toString(sig.a), layout);
  llvm::SmallString<256> path(db.dirs().front());
  llvm::sys::path::append(path, tuning::configFileName(key));
  tuning::ConfigFile file;
  if (llvm::sys::fs::exists(path)) {
    auto existing = tuning::readConfigFile(path);
    if (!existing)
      return fail(llvm::toString(existing.takeError()));
    file = std::move(*existing);
  }
  tuning::TuningEntry entry =
      tuning::toEntry(*result->best, family, tuning::EntryFlavor::Moec);
  entry.set("time_us", std::round(result->bestUs * 1000) / 1000);
  file.put(sig.m, std::move(entry));
  if (llvm::Error e = tuning::writeConfigFile(path, file))
    logWarning("MOEC_TUNE: " + llvm::toString(std::move(e)));
  db.invalidate(std::string(path));
  logInfo(fmt::format("MOEC_TUNE: gemm M={} N={} K={}: {} candidates ({} "
                      "compiled, {} cache hits) in {:.0f} ms; best {} "
                      "({:.2f} us), recorded in {}",
                      sig.m, sig.n, sig.k, cands.size(), result->compiled,
                      result->cacheHits, msSince(start),
                      result->best->key(), result->bestUs, path.str()));
  return fields;
}

rt::Expected<std::unique_ptr<Jit>> Jit::create(const std::string &device,
                                               JitOptions options) {
  std::string kindWord = device, indexWord;
  if (size_t colon = device.find(':'); colon != std::string::npos) {
    kindWord = device.substr(0, colon);
    indexWord = device.substr(colon + 1);
  }
  auto kind = rt::parseDeviceKind(kindWord);
  if (!kind.ok())
    return Status::error(fmt::format(
        "moec::jit::Jit::create(\"{}\"): {} (expected host, cuda:N or hip:N)",
        device, kind.message()));
  int index = 0;
  if (!indexWord.empty()) {
    char *end = nullptr;
    long v = std::strtol(indexWord.c_str(), &end, 10);
    if (*end || v < 0 || v > 1024)
      return Status::error(fmt::format(
          "moec::jit::Jit::create(\"{}\"): '{}' is not a device index",
          device, indexWord));
    index = static_cast<int>(v);
  }
  auto dev = rt::Device::open(*kind, index);
  if (!dev.ok())
    return dev.status();
  auto impl = std::make_unique<Impl>();
  impl->device = *dev;
  impl->arch = impl->device->arch();
  impl->target = lookupTarget(impl->arch);
  if (!impl->target)
    return Status::error(fmt::format(
        "{}: moec has no target for '{}' (known: {})",
        impl->device->label(), impl->arch, knownTargetNames()));
  impl->cache = std::make_unique<KernelCache>(std::move(options.cache));
  mlir::DialectRegistry registry;
  registerMoecDialects(registry);
  impl->context = std::make_shared<mlir::MLIRContext>(
      registry, mlir::MLIRContext::Threading::DISABLED);
  impl->context->loadAllAvailableDialects();
  impl->context->printOpOnDiagnostic(false);
  if (!tuning::TuningDB::global().dirs().empty())
    impl->database = envTuningDatabase(impl.get());
  impl->shapeLog = tuning::ShapeLog::global();
  if (const char *t = std::getenv("MOEC_TUNE"))
    impl->onlineTune = std::string(t) == "1" && impl->database;
  impl->perShape = impl->database || impl->shapeLog;
  if (impl->target->isHost()) {
    static std::once_flag once;
    std::call_once(once, [] {
      llvm::InitializeNativeTarget();
      llvm::InitializeNativeTargetAsmPrinter();
    });
  }
  logInfo(fmt::format("jit on {} (target {}), cache {}",
                      impl->device->label(), impl->arch,
                      impl->cache->onDisk() ? impl->cache->directory()
                                            : std::string("in memory only")));
  return std::unique_ptr<Jit>(new Jit(std::move(impl)));
}

mlir::OwningOpRef<mlir::ModuleOp>
Jit::Impl::parse(const std::string &text, const std::string &name,
                 std::string &error) {
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, name), llvm::SMLoc());
  std::string diags;
  llvm::raw_string_ostream os(diags);
  mlir::SourceMgrDiagnosticHandler handler(sourceMgr, context.get(), os);
  auto module = mlir::parseSourceFile<mlir::ModuleOp>(
      sourceMgr, mlir::ParserConfig(context.get(), /*verifyAfterParse=*/false));
  if (module) {
    (*module)->setAttr(MoecDialect::kTargetAttrName,
                       TargetAttr::get(context.get(), arch));
    if (failed(mlir::verify(*module)))
      module = nullptr;
  }
  if (!module)
    error = diags.empty() ? "cannot parse " + name : diags;
  return module;
}

std::string Jit::Impl::heuristicConfig(const GemmSignature &sig) const {
  // A default per shape class and target, not a tuned choice: small tiles
  // for decode-sized M, large ones for prefill. Fields left out take the
  // #moec.config defaults.
  if (target->isHost())
    return "block_m = 32, block_n = 32, block_k = 32";
  bool f32 = sig.a == DType::F32;
  int64_t bk = f32 ? 32 : 64;
  switch (sizeClassOf(sig.m)) {
  case 0:
    return fmt::format("block_m = 16, block_n = 64, block_k = {}, "
                       "num_warps = 4, num_stages = 2",
                       bk);
  case 1:
    return fmt::format("block_m = 64, block_n = 64, block_k = {}, "
                       "num_warps = 4, num_stages = 2",
                       bk);
  case 2:
    return fmt::format("block_m = 64, block_n = 128, block_k = {}, "
                       "num_warps = 4, num_stages = 2",
                       bk);
  default:
    return fmt::format("block_m = 128, block_n = 128, block_k = {}, "
                       "num_warps = 4, num_stages = {}",
                       bk, target->isNVPTX() ? 3 : 2);
  }
}

rt::Expected<std::unique_ptr<Variant>>
Jit::Impl::makeVariant(mlir::ModuleOp module, const std::string &description,
                       int64_t blockM, int64_t blockN, size_t kernels) {
  auto variant = std::make_unique<Variant>();
  variant->blockM = blockM;
  variant->blockN = blockN;
  std::string keyText = cacheKeyText(module, *target);
  CacheKey key = KernelCache::hashKey(keyText);
  variant->info.keyHex = key.hex();
  variant->info.aligned =
      hasAssumeAligned(module);

  auto t0 = std::chrono::steady_clock::now();
  KernelCache::Result r = cache->getOrCompile(
      key, description, [&](std::string &payload, std::string &error) {
        std::string diags;
        mlir::ScopedDiagnosticHandler handler(
            module.getContext(), [&](mlir::Diagnostic &d) {
              diags += d.str() + "\n";
              return mlir::success();
            });
        mlir::OwningOpRef<mlir::ModuleOp> clone(module.clone());
        CompileOptions opts;
        opts.hostObject = true;
        double start = trace::nowUs();
        auto compiled = compileModule(*clone, opts);
        if (failed(compiled)) {
          error = "compiling " + description + ": " + diags;
          return false;
        }
        if (trace::enabled()) {
          trace::Args args = {{"what", description}, {"target", target->chip.str()},
                              {"key", key.hex()}};
          double t = start;
          trace::complete("compile", "compile", start, trace::nowUs() - start,
                          args);
          for (auto [phase, ms] : {std::pair{"outline", compiled->outlineMs},
                                   {"lower", compiled->lowerMs},
                                   {"codegen", compiled->codegenMs}}) {
            trace::complete("compile", phase, t, ms * 1000, args);
            t += ms * 1000;
          }
        }
        payload = serializePayload(*compiled);
        return true;
      });
  if (!r.payload)
    return Status::error(r.error);
  variant->info.cacheSource = r.source;
  Payload p;
  if (!parsePayload(*r.payload, p) || p.kernels.size() != kernels)
    return Status::error(fmt::format(
        "kernel cache entry {} does not hold {} kernel(s); run `moec cache "
        "clear`",
        key.hex(), kernels));
  const OutlinedKernel &k = p.kernels.front();
  rt::Expected<std::shared_ptr<rt::Module>> loaded =
      target->isHost() ? hostLoader.load(*device, p.image, p.kernels)
                       : device->loadModule(p.image.data(), p.image.size());
  if (!loaded.ok())
    return loaded.status();
  variant->module = *loaded;
  auto kernel = variant->module->getKernel(k.name);
  if (!kernel.ok())
    return kernel.status();
  variant->kernel = *kernel;
  for (size_t i = 1; i < p.kernels.size(); ++i) {
    auto more = variant->module->getKernel(p.kernels[i].name);
    if (!more.ok())
      return more.status();
    variant->more.push_back(*more);
  }
  variant->workgroupSize = k.workgroupSize;
  variant->sharedBytes = k.dynamicLds ? static_cast<size_t>(k.ldsBytes) : 0;
  variant->info.kernel = k.name;
  variant->info.compileMs = msSince(t0);
  return variant;
}

//===----------------------------------------------------------------------===//
// gemm
//===----------------------------------------------------------------------===//

namespace {

/// A matrix operand read as row-major, with the transpose that makes it so.
struct MatrixView {
  int64_t rows = 0, cols = 0;
  bool flipped = false; // column-major: its transpose is row-major
};

Status viewMatrix(const char *what, const Tensor &t, MatrixView &v,
                  bool allowColumnMajor) {
  if (t.rank != 2)
    return Status::error(
        fmt::format("gemm: {} has rank {}, expected a matrix", what, t.rank));
  if (t.sizes[0] < 0 || t.sizes[1] < 0)
    return Status::error(fmt::format("gemm: {} has a negative size", what));
  if (t.isRowMajor()) {
    v = {t.sizes[0], t.sizes[1], false};
    return Status::success();
  }
  if (allowColumnMajor && t.strides[0] == 1 &&
      (t.strides[1] == t.sizes[0] || t.sizes[1] == 1)) {
    v = {t.sizes[1], t.sizes[0], true};
    return Status::success();
  }
  return Status::error(fmt::format(
      "gemm: {} ({} x {}, strides {} x {}) is neither row- nor column-major "
      "contiguous{}",
      what, t.sizes[0], t.sizes[1], t.strides[0], t.strides[1],
      allowColumnMajor ? "" : " (C must be row-major)"));
}

/// `op`'s tensor `what` must start on 16 bytes: moec kernels assume aligned
/// base pointers (gemm and internal::checkLayouts).
Status checkBase(const char *op, const char *what, const void *p) {
  if (reinterpret_cast<uintptr_t>(p) % 16)
    return Status::error(fmt::format(
        "{}: {} at {} is not 16-byte aligned (moec kernels need aligned "
        "base pointers)",
        op, what, p));
  return Status::success();
}

} // namespace

rt::Status Jit::gemm(const Tensor &a, const Tensor &b, const Tensor &c,
                     const GemmOptions &options, void *stream) {
  Impl &I = *impl_;
  MatrixView va, vb, vc;
  if (Status s = viewMatrix("A", a, va, true); !s.ok())
    return s;
  if (Status s = viewMatrix("B", b, vb, true); !s.ok())
    return s;
  if (Status s = viewMatrix("C", c, vc, false); !s.ok())
    return s;
  // Logical transposes: the option, flipped once more for a column-major
  // operand (its row-major view is the transpose).
  bool transA = options.transposeA != va.flipped;
  bool transB = options.transposeB != vb.flipped;
  int64_t m = transA ? va.cols : va.rows, k = transA ? va.rows : va.cols;
  int64_t kb = transB ? vb.cols : vb.rows, n = transB ? vb.rows : vb.cols;
  if (kb != k || vc.rows != m || vc.cols != n)
    return Status::error(fmt::format(
        "gemm: shapes do not match: A is {} x {}{}, B is {} x {}{}, C is {} "
        "x {} (M = {}, K = {} from A)",
        va.rows, va.cols, transA ? " (transposed)" : "", vb.rows, vb.cols,
        transB ? " (transposed)" : "", vc.rows, vc.cols, m, k));
  for (auto [what, t] : {std::pair{"A", &a}, {"B", &b}, {"C", &c}})
    if (!isFloatDType(t->dtype))
      return Status::error(fmt::format(
          "gemm: {} is {}; gemm takes f16, bf16 or f32", what,
          toString(t->dtype)));
  if (a.dtype != b.dtype)
    return Status::error(fmt::format("gemm: A is {} but B is {}",
                                     toString(a.dtype), toString(b.dtype)));
  const Tensor *bias = options.bias;
  if (bias && !isFloatDType(bias->dtype))
    return Status::error(fmt::format(
        "gemm: bias is {}; f16, bf16 or f32 expected", toString(bias->dtype)));
  if (bias && (bias->rank != 1 || bias->sizes[0] != n))
    return Status::error(fmt::format(
        "gemm: bias must be a vector of N = {} elements", n));
  for (auto [what, t] : {std::pair{"A", &a}, {"B", &b}, {"C", &c}, {"bias", bias}}) {
    if (!t)
      continue;
    if (Status s = checkBase("gemm", what, t->data); !s.ok())
      return s;
  }
  if (m == 0 || n == 0)
    return Status::success();

  // Specialization: every leading dimension a multiple of 16 bytes.
  auto ld16 = [](int64_t elems, DType d) {
    return elems * static_cast<int64_t>(dtypeBytes(d)) % 16 == 0;
  };
  bool aligned = ld16(va.cols, a.dtype) && ld16(vb.cols, b.dtype) &&
                 ld16(n, c.dtype);
  auto specializationArgs = [&] {
    return trace::Args{
        {"variant", aligned ? "assume-aligned" : "generic"},
        {"leading dims (elements)",
         fmt::format("A {}, B {}, C {}", va.cols, vb.cols, n)},
        {"rule", "every leading dimension a multiple of 16 bytes"}};
  };

  GemmKey key;
  std::memset(&key, 0, sizeof(key));
  key.a = static_cast<uint8_t>(a.dtype);
  key.b = static_cast<uint8_t>(b.dtype);
  key.c = static_cast<uint8_t>(c.dtype);
  key.bias = bias ? static_cast<uint8_t>(bias->dtype) : 255;
  key.transA = transA, key.transB = transB;
  key.act = static_cast<uint8_t>(options.activation);
  key.aligned = aligned;
  if (!options.config.empty())
    key.overrideHash = llvm::xxh3_64bits(options.config) | 1;
  else if (!I.target->isHost()) // the host heuristic has one config for all M
    key.sizeClass = sizeClassOf(m);
  if (I.perShape.load(std::memory_order_relaxed))
    key.m = m, key.n = n, key.k = k;

  const Impl::GemmEntry *entry = nullptr;
  {
    std::shared_lock<std::shared_mutex> lock(I.variantsMutex);
    auto it = I.gemms.find(key);
    if (it != I.gemms.end())
      entry = it->second.get();
  }
  CacheSource source = CacheSource::Memory;
  if (!entry) {
    // Slow path (once per key): log the shape, pick the config, build the
    // IR, then find, compile or load the variant.
    if (I.shapeLog) {
      tuning::ShapeRecord rec;
      rec.op = "gemm";
      rec.shape = {{"M", m}, {"N", n}, {"K", k}};
      rec.dtypes = {toString(a.dtype), toString(b.dtype), toString(c.dtype)};
      rec.attrs = {{"layout", std::string(transA ? "t" : "n") +
                                  (transB ? "t" : "n")}};
      rec.target = I.arch;
      rec.device = I.device->name();
      if (auto r = I.shapeLog->record(rec); !r)
        logWarning("MOEC_SHAPE_LOG: " + llvm::toString(r.takeError()));
    }
    std::lock_guard<std::mutex> compileLock(I.compileMutex);
    {
      std::shared_lock<std::shared_mutex> lock(I.variantsMutex);
      auto it = I.gemms.find(key);
      if (it != I.gemms.end())
        entry = it->second.get();
    }
    if (!entry) {
      GemmSignature sig{a.dtype, b.dtype, c.dtype, transA, transB,
                        bias ? std::optional<DType>(bias->dtype) : std::nullopt,
                        options.activation, m, n, k};
      std::string biasArg, biasType;
      if (bias) {
        biasType = fmt::format("memref<?x{}>", toString(bias->dtype));
        biasArg = fmt::format(", %bias: {}", biasType);
      }
      std::string attrs;
      if (transA)
        attrs += "transpose_a, ";
      if (transB)
        attrs += "transpose_b, ";
      if (options.activation != Activation::None)
        attrs += fmt::format("activation = #moec.activation<{}>, ",
                             toString(options.activation));
      std::string ta = fmt::format("memref<?x?x{}>", toString(a.dtype)),
                  tb = fmt::format("memref<?x?x{}>", toString(b.dtype)),
                  tc = fmt::format("memref<?x?x{}>", toString(c.dtype));
      auto textFor = [&](const std::string &config) {
        return fmt::format(
          "module {{\n"
          "  func.func @moec_gemm(%a: {0}, %b: {1}, %c: {2}{3}) {{\n"
          "    moec.gemm %a, %b -> %c{4} {{{5}config = #moec.config<{6}>}}\n"
          "      : {0}, {1} -> {2}\n"
          "    return\n"
          "  }}\n"
          "}}\n",
          ta, tb, tc, biasArg,
          bias ? fmt::format(" bias(%bias : {})", biasType) : std::string(),
          attrs, config);
      };
      std::string config;
      ConfigSource configSource;
      if (!options.config.empty()) {
        config = options.config;
        configSource = ConfigSource::Override;
      } else {
        std::optional<std::string> fromDb;
        bool tuneNow = false;
        {
          std::lock_guard<std::mutex> lock(I.dbMutex);
          if (I.database)
            fromDb = I.database(sig, I.arch);
          tuneNow = !fromDb && I.onlineTune;
        }
        if (tuneNow) {
          auto capturing = I.device->isCapturing(stream);
          tuneNow = !(capturing.ok() && *capturing);
        }
        if (tuneNow)
          fromDb = I.tuneOnline(
              sig, aligned,
              [&](const std::string &fields) { return textFor(fields); },
              [&](const Variant &v) {
                rt::KernelArgs args;
                int64_t sa[2] = {va.rows, va.cols}, sb[2] = {vb.rows, vb.cols},
                        sc[2] = {m, n};
                args.addMemRef(a.data, sa, nullptr, 2);
                args.addMemRef(b.data, sb, nullptr, 2);
                args.addMemRef(c.data, sc, nullptr, 2);
                if (bias)
                  args.addMemRef(bias->data, &n, nullptr, 1);
                int64_t grid = ((m + v.blockM - 1) / v.blockM) *
                               ((n + v.blockN - 1) / v.blockN);
                return v.kernel.launchOn(stream, rt::Dim3(grid),
                                         rt::Dim3(v.workgroupSize),
                                         v.sharedBytes, args);
              });
        if (fromDb) {
          config = *fromDb;
          configSource = ConfigSource::TuningDatabase;
        } else {
          config = I.heuristicConfig(sig);
          configSource = ConfigSource::Heuristic;
        }
      }
      std::string text = textFor(config);
      std::string variantKey = text + (aligned ? "aligned" : "generic");
      const Variant *variant = nullptr;
      if (auto it = I.gemmVariants.find(variantKey); it != I.gemmVariants.end())
        variant = it->second.get();
      if (!variant) {
      // A variant must be made: not while `stream` is being captured.
      if (Status s = I.refuseDuringCapture(stream, "gemm"); !s.ok())
        return s;
      std::string error;
      auto module = I.parse(text, "<moec gemm>", error);
      if (!module && configSource == ConfigSource::Heuristic) {
        // The heuristic's pick does not fit this target or dtype: the
        // #moec.config defaults, which every target accepts.
        logInfo(fmt::format("gemm: heuristic config \"{}\" does not fit ({}); "
                            "using the #moec.config defaults",
                            config, error));
        config.clear();
        error.clear();
        module = I.parse(textFor(config), "<moec gemm>", error);
      }
      if (!module)
        return Status::error(fmt::format(
            "gemm: the config \"{}\" ({}) does not fit: {}", config,
            toString(configSource), error));
      if (aligned)
        setAssumeAligned(*module);
      trace::instant("specialize", "specialize gemm", specializationArgs());
      logDebug(fmt::format("gemm M={} N={} K={}: {} variant (leading "
                           "dimensions A {}, B {}, C {} elements)",
                           m, n, k, aligned ? "assume-aligned" : "generic",
                           va.cols, vb.cols, n));
      GemmOp op;
      module->walk([&](GemmOp g) { op = g; });
      ConfigAttr cfg = op.getConfig();
      std::string description = fmt::format(
          "gemm {}{}{} {}{} -> {}{}{} on {}, config {}{}", toString(a.dtype),
          transA ? "T" : "N", transB ? "T" : "N", toString(b.dtype),
          bias ? std::string(" +bias ") + toString(bias->dtype) : "",
          toString(c.dtype),
          options.activation != Activation::None
              ? std::string(" ") + toString(options.activation)
              : "",
          aligned ? " (aligned)" : "", I.arch, config,
          key.overrideHash ? "" : fmt::format(" (M class {})", key.sizeClass));
      auto made = I.makeVariant(*module, description, cfg.getBlockM(),
                                cfg.getBlockN());
      if (!made.ok())
        return made.status();
      std::unique_ptr<Variant> v = std::move(*made);
      std::string printed;
      llvm::raw_string_ostream os(printed);
      mlir::Attribute(cfg).print(os);
      v->info.config = printed;
      v->info.configSource = configSource;
      source = v->info.cacheSource;
      logInfo(fmt::format("{}: config from {}; {} variant; {} ({:.1f} ms), "
                          "key {}",
                          description, toString(configSource),
                          aligned ? "assume-aligned" : "generic",
                          source == CacheSource::Compiled ? "compiled"
                          : source == CacheSource::Disk   ? "disk cache hit"
                                                          : "memory cache hit",
                          v->info.compileMs, v->info.keyHex));
      variant = v.get();
      I.gemmVariants.emplace(std::move(variantKey), std::move(v));
      } else {
        logDebug(fmt::format("gemm M={} N={} K={}: config from {}; variant "
                             "{} already loaded",
                             m, n, k, toString(configSource),
                             variant->info.keyHex));
      }
      auto e = std::make_unique<Impl::GemmEntry>();
      e->variant = variant;
      e->info = variant->info;
      e->info.configSource = configSource;
      std::unique_lock<std::shared_mutex> lock(I.variantsMutex);
      entry = e.get();
      I.gemms.emplace(key, std::move(e));
    }
  }
  const Variant *variant = entry->variant;

  static thread_local rt::KernelArgs args;
  args.clear();
  int64_t sa[2] = {va.rows, va.cols}, sb[2] = {vb.rows, vb.cols},
          sc[2] = {m, n};
  args.addMemRef(a.data, sa, nullptr, 2);
  args.addMemRef(b.data, sb, nullptr, 2);
  args.addMemRef(c.data, sc, nullptr, 2);
  if (bias)
    args.addMemRef(bias->data, &n, nullptr, 1);
  int64_t grid = ((m + variant->blockM - 1) / variant->blockM) *
                 ((n + variant->blockN - 1) / variant->blockN);
  internal::rememberLast(entry->info, source);
  if (trace::enabled()) {
    trace::Span span("launch", "launch " + variant->info.kernel,
                     {{"op", "gemm"},
                      {"shape", fmt::format("M={} N={} K={}", m, n, k)},
                      {"config", variant->info.config},
                      {"target", I.arch},
                      {"cache", toString(source)}});
    return variant->kernel.launchOn(stream, rt::Dim3(grid),
                                    rt::Dim3(variant->workgroupSize),
                                    variant->sharedBytes, args);
  }
  return variant->kernel.launchOn(stream, rt::Dim3(grid),
                                  rt::Dim3(variant->workgroupSize),
                                  variant->sharedBytes, args);
}

//===----------------------------------------------------------------------===//
// Modules
//===----------------------------------------------------------------------===//

rt::Expected<std::shared_ptr<JitModule>>
Jit::loadModuleString(const std::string &text, const std::string &bufferName) {
  std::lock_guard<std::mutex> lock(impl_->compileMutex);
  std::string error;
  auto module = impl_->parse(text, bufferName, error);
  if (!module)
    return Status::error(error);
  auto jm = std::make_shared<JitModule>();
  jm->context = impl_->context;
  jm->module = std::move(module);
  jm->name = bufferName;
  return jm;
}

rt::Expected<std::shared_ptr<JitModule>>
Jit::loadModuleFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Status::error(fmt::format("cannot read {}: {}", path,
                                     std::strerror(errno)));
  std::stringstream ss;
  ss << in.rdbuf();
  return loadModuleString(ss.str(), path);
}

rt::Status Jit::launch(JitModule &jm, const std::string &entry,
                       const Tensor *tensors, size_t count, void *stream) {
  Impl &I = *impl_;
  // What the entry takes, read from the IR once (under the compile lock);
  // afterwards a launch only takes the module's shared lock.
  const JitModule::Entry *e = nullptr;
  {
    std::shared_lock<std::shared_mutex> lock(jm.mutex);
    auto it = jm.entries.find(entry);
    if (it != jm.entries.end())
      e = it->second.get();
  }
  if (!e) {
    std::lock_guard<std::mutex> compileLock(I.compileMutex);
    {
      std::shared_lock<std::shared_mutex> lock(jm.mutex);
      auto it = jm.entries.find(entry);
      if (it != jm.entries.end())
        e = it->second.get();
    }
    if (!e) {
      auto func = jm.module->lookupSymbol<mlir::func::FuncOp>(entry);
      if (!func)
        return Status::error(
            fmt::format("{}: no function @{}", jm.name, entry));
      GemmOp op;
      int gemms = 0, others = 0;
      func.walk([&](mlir::Operation *o) {
        if (auto g = mlir::dyn_cast<GemmOp>(o))
          op = g, ++gemms;
        else if (mlir::isa<MoecDialect>(o->getDialect()))
          ++others;
      });
      if (gemms != 1 || others)
        return Status::error(fmt::format(
            "{}: @{} must hold exactly one moec.gemm to launch (it holds {} "
            "gemm and {} other moec ops)",
            jm.name, entry, gemms, others));
      auto info = std::make_unique<JitModule::Entry>();
      for (mlir::Type t : func.getArgumentTypes()) {
        JitModule::Arg arg;
        auto mt = mlir::dyn_cast<mlir::MemRefType>(t);
        if (!mt || mt.getRank() > Tensor::kMaxRank ||
            !(mt.getElementType().isF16() || mt.getElementType().isBF16() ||
              mt.getElementType().isF32()))
          return Status::error(fmt::format(
              "{}: @{}: every argument must be a memref of f16, bf16 or f32 "
              "of rank <= {}",
              jm.name, entry, Tensor::kMaxRank));
        arg.rank = static_cast<int>(mt.getRank());
        arg.dtype = mt.getElementType().isF32()   ? DType::F32
                    : mt.getElementType().isF16() ? DType::F16
                                                  : DType::BF16;
        for (int d = 0; d < arg.rank; ++d)
          arg.dims[d] = mt.isDynamicDim(d) ? -1 : mt.getDimSize(d);
        info->args.push_back(arg);
      }
      auto argIndex = [&](mlir::Value v) -> int {
        auto ba = mlir::dyn_cast<mlir::BlockArgument>(v);
        return ba && ba.getOwner()->getParentOp() == func
                   ? static_cast<int>(ba.getArgNumber())
                   : -1;
      };
      info->ia = argIndex(op.getA());
      info->ib = argIndex(op.getB());
      info->ic = argIndex(op.getC());
      info->ibias = op.getBias() ? argIndex(op.getBias()) : -2;
      if (info->ia < 0 || info->ib < 0 || info->ic < 0 || info->ibias == -1 ||
          op.getScaleA() || op.getScaleB())
        return Status::error(fmt::format(
            "{}: @{}: the gemm's operands must be the function's arguments "
            "(and scales are not supported here yet)",
            jm.name, entry));
      ConfigAttr cfg = op.getConfig();
      info->blockM = cfg.getBlockM();
      info->blockN = cfg.getBlockN();
      llvm::raw_string_ostream os(info->config);
      mlir::Attribute(cfg).print(os);
      std::unique_lock<std::shared_mutex> lock(jm.mutex);
      e = info.get();
      jm.entries.emplace(entry, std::move(info));
    }
  }

  if (count != e->args.size())
    return Status::error(fmt::format("{}: @{} takes {} arguments, got {}",
                                     jm.name, entry, e->args.size(), count));
  for (size_t i = 0; i < count; ++i) {
    const JitModule::Arg &want = e->args[i];
    const Tensor &t = tensors[i];
    if (t.rank != want.rank || t.dtype != want.dtype)
      return Status::error(fmt::format(
          "{}: @{} argument {}: a rank-{} {} tensor given, the function "
          "wants rank {} {}",
          jm.name, entry, i, t.rank, toString(t.dtype), want.rank,
          toString(want.dtype)));
    for (int d = 0; d < t.rank; ++d)
      if (want.dims[d] >= 0 && want.dims[d] != t.sizes[d])
        return Status::error(fmt::format(
            "{}: @{} argument {}: size {} in dimension {}, the function says "
            "{}",
            jm.name, entry, i, t.sizes[d], d, want.dims[d]));
    if (!t.isRowMajor())
      return Status::error(fmt::format(
          "{}: @{} argument {} is not row-major contiguous", jm.name, entry,
          i));
    if (Status s = checkBase("gemm", "an argument", t.data); !s.ok())
      return s;
  }
  int ibias = e->ibias;
  const Tensor &A = tensors[e->ia], &B = tensors[e->ib], &C = tensors[e->ic];
  int64_t m = C.sizes[0], n = C.sizes[1];
  auto ld16 = [](const Tensor &t) {
    return t.sizes[t.rank - 1] * static_cast<int64_t>(dtypeBytes(t.dtype)) %
               16 ==
           0;
  };
  bool aligned = ld16(A) && ld16(B) && ld16(C);

  const Variant *variant = nullptr;
  {
    std::shared_lock<std::shared_mutex> lock(jm.mutex);
    variant = e->variants[aligned].get();
  }
  CacheSource source = CacheSource::Memory;
  if (!variant) {
    if (Status s = I.refuseDuringCapture(stream, entry); !s.ok())
      return s;
    std::lock_guard<std::mutex> compileLock(I.compileMutex);
    {
      std::shared_lock<std::shared_mutex> lock(jm.mutex);
      variant = e->variants[aligned].get();
    }
    if (!variant) {
      mlir::OwningOpRef<mlir::ModuleOp> clone(jm.module->clone());
      // Keep only the entry: one kernel per variant.
      for (auto f :
           llvm::make_early_inc_range(clone->getOps<mlir::func::FuncOp>()))
        if (f.getName() != entry)
          f.erase();
      if (aligned)
        setAssumeAligned(*clone);
      trace::instant("specialize", "specialize " + entry,
                     {{"variant", aligned ? "assume-aligned" : "generic"}});
      std::string description =
          fmt::format("{} @{} on {}{}", jm.name, entry, I.arch,
                      aligned ? " (aligned)" : "");
      auto made = I.makeVariant(*clone, description, e->blockM, e->blockN);
      if (!made.ok())
        return made.status();
      std::unique_ptr<Variant> v = std::move(*made);
      v->info.config = e->config;
      v->info.configSource = ConfigSource::File;
      source = v->info.cacheSource;
      logInfo(fmt::format("{}: config from the file; {} variant; {}, key {}",
                          description, aligned ? "assume-aligned" : "generic",
                          toString(source), v->info.keyHex));
      std::unique_lock<std::shared_mutex> lock(jm.mutex);
      variant = v.get();
      const_cast<JitModule::Entry *>(e)->variants[aligned] = std::move(v);
      std::unique_lock<std::shared_mutex> lock2(I.variantsMutex);
      ++I.moduleVariants;
    }
  }
  if (m == 0 || n == 0)
    return Status::success();
  static thread_local rt::KernelArgs args;
  args.clear();
  auto add = [&](const Tensor &t) {
    args.addMemRef(t.data, t.sizes, nullptr, static_cast<size_t>(t.rank));
  };
  add(A);
  add(B);
  add(C);
  if (ibias >= 0)
    add(tensors[ibias]);
  int64_t grid = ((m + variant->blockM - 1) / variant->blockM) *
                 ((n + variant->blockN - 1) / variant->blockN);
  internal::rememberLast(variant->info, source);
  if (trace::enabled()) {
    trace::Span span("launch", "launch " + variant->info.kernel,
                     {{"op", "gemm"},
                      {"entry", entry},
                      {"shape", fmt::format("M={} N={}", m, n)},
                      {"config", variant->info.config},
                      {"target", I.arch}});
    return variant->kernel.launchOn(stream, rt::Dim3(grid),
                                    rt::Dim3(variant->workgroupSize),
                                    variant->sharedBytes, args);
  }
  return variant->kernel.launchOn(stream, rt::Dim3(grid),
                                  rt::Dim3(variant->workgroupSize),
                                  variant->sharedBytes, args);
}

//===----------------------------------------------------------------------===//
// For the op entry points in their own files (JitInternal.h)
//===----------------------------------------------------------------------===//

std::unique_ptr<internal::MoeState, internal::MoeStateDeleter> &
internal::moeState(Jit::Impl &impl) {
  return impl.moe;
}
rt::Device &internal::device(Jit::Impl &impl) { return *impl.device; }
const TargetInfo &internal::target(Jit::Impl &impl) { return *impl.target; }
const std::string &internal::arch(Jit::Impl &impl) { return impl.arch; }
std::mutex &internal::compileMutex(Jit::Impl &impl) {
  return impl.compileMutex;
}
std::string internal::shapeString(const Tensor &t) {
  std::string s = "[";
  for (int d = 0; d < std::clamp(t.rank, 0, Tensor::kMaxRank); ++d)
    s += (d ? ", " : "") + std::to_string(t.sizes[d]);
  return s + "]";
}

rt::Status internal::checkLayouts(const char *op,
                                  std::initializer_list<NamedTensor> tensors) {
  for (NamedTensor n : tensors) {
    if (!n.t)
      continue;
    if (!n.t->isRowMajor())
      return Status::error(fmt::format("{}: {} {} is not row-major contiguous",
                                       op, n.what, shapeString(*n.t)));
    if (Status s = checkBase(op, n.what, n.t->data); !s.ok())
      return s;
  }
  return Status::success();
}

mlir::MLIRContext *internal::context(Jit::Impl &impl) {
  return impl.context.get();
}
mlir::OwningOpRef<mlir::ModuleOp>
internal::parse(Jit::Impl &impl, const std::string &text,
                const std::string &name, std::string &error) {
  return impl.parse(text, name, error);
}
rt::Expected<std::unique_ptr<Variant>>
internal::makeVariant(Jit::Impl &impl, mlir::ModuleOp module,
                      const std::string &description, int64_t blockM,
                      int64_t blockN, size_t kernels) {
  return impl.makeVariant(module, description, blockM, blockN, kernels);
}
std::unique_ptr<internal::AttentionState, internal::AttentionStateDeleter> &
internal::attentionState(Jit::Impl &impl) {
  return impl.attention;
}
rt::Status internal::refuseDuringCapture(Jit::Impl &impl, void *stream,
                                         const std::string &what) {
  return impl.refuseDuringCapture(stream, what);
}
void internal::countVariants(Jit::Impl &impl, size_t n) {
  std::unique_lock<std::shared_mutex> lock(impl.variantsMutex);
  impl.moduleVariants += n;
}
