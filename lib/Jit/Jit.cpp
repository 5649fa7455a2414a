//===- Jit.cpp - moec as a JIT inside a serving process -------------------===//

#include "moec/Jit/Jit.h"
#include "moec/Jit/CacheKey.h"
#include "moec/Jit/Log.h"
#include "moec/Jit/Trace.h"

#include "moec/Dialect/Config.h"
#include "moec/Dialect/MoecDialect.h"
#include "moec/Driver/Compiler.h"
#include "moec/Target/TargetInfo.h"
#include "moec/Tools/Registration.h"
#include "moec/Transforms/GemmKernel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/xxhash.h"

#include <fmt/format.h>

#include <chrono>
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

size_t moec::jit::dtypeBytes(DType d) { return d == DType::F32 ? 4 : 2; }

const char *moec::jit::toString(DType d) {
  switch (d) {
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  case DType::F32:
    return "f32";
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

constexpr char kPayloadMagic[8] = {'M', 'O', 'E', 'C', 'J', 'I', 'T', '1'};

std::string serializePayload(const CompiledModule &m) {
  std::string out(kPayloadMagic, 8);
  auto put = [&](const void *p, size_t n) {
    out.append(static_cast<const char *>(p), n);
  };
  uint32_t count = static_cast<uint32_t>(m.kernels.size());
  put(&count, 4);
  for (const OutlinedKernel &k : m.kernels) {
    uint32_t len = static_cast<uint32_t>(k.name.size());
    put(&len, 4);
    put(k.name.data(), len);
    put(&k.workgroupSize, 8);
    put(&k.ldsBytes, 8);
    uint8_t dyn = k.dynamicLds;
    put(&dyn, 1);
  }
  uint64_t size = m.image.size();
  put(&size, 8);
  out += m.image;
  return out;
}

struct Payload {
  std::vector<OutlinedKernel> kernels;
  std::string_view image;
};

bool parsePayload(const std::string &bytes, Payload &out) {
  size_t pos = 0;
  auto get = [&](void *p, size_t n) {
    if (pos + n > bytes.size())
      return false;
    std::memcpy(p, bytes.data() + pos, n);
    pos += n;
    return true;
  };
  char magic[8];
  uint32_t count = 0;
  if (!get(magic, 8) || std::memcmp(magic, kPayloadMagic, 8) || !get(&count, 4))
    return false;
  for (uint32_t i = 0; i < count; ++i) {
    OutlinedKernel k;
    uint32_t len = 0;
    uint8_t dyn = 0;
    if (!get(&len, 4) || pos + len > bytes.size())
      return false;
    k.name.assign(bytes.data() + pos, len);
    pos += len;
    if (!get(&k.workgroupSize, 8) || !get(&k.ldsBytes, 8) || !get(&dyn, 1))
      return false;
    k.dynamicLds = dyn;
    out.kernels.push_back(std::move(k));
  }
  uint64_t size = 0;
  if (!get(&size, 8) || pos + size != bytes.size())
    return false;
  out.image = std::string_view(bytes.data() + pos, size);
  return true;
}

double msSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - t)
      .count();
}

/// One compiled and loaded kernel, ready to launch.
struct Variant {
  rt::Kernel kernel;
  std::shared_ptr<rt::Module> module;
  int64_t blockM = 0, blockN = 0;
  int64_t workgroupSize = 1;
  size_t sharedBytes = 0;
  VariantInfo info;
};

/// The POD key of a gemm variant: looked up on every call, so no strings.
struct GemmKey {
  uint8_t a, b, c, bias; // DType, bias 255 = none
  uint8_t transA, transB, act, aligned;
  uint8_t sizeClass;     // heuristic M class (0 with an override)
  uint64_t overrideHash; // xxh3 of GemmOptions::config (0: none)
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
  std::unique_ptr<llvm::orc::LLJIT> hostJit;
  unsigned hostDylibs = 0;

  std::shared_mutex variantsMutex;
  std::unordered_map<GemmKey, std::unique_ptr<Variant>, GemmKeyHash> gemms;
  size_t moduleVariants = 0;

  std::mutex dbMutex;
  TuningDatabase database;

  /// Compiles (or finds in the cache) the single-kernel module `module` and
  /// loads it. `compileMutex` is held.
  rt::Expected<std::unique_ptr<Variant>>
  makeVariant(mlir::ModuleOp module, const std::string &description,
              int64_t blockM, int64_t blockN);
  rt::Expected<std::shared_ptr<rt::Module>>
  loadHostObject(std::string_view object,
                 const std::vector<OutlinedKernel> &kernels);
  /// Parses `text`, attaches this device's target; diagnostics into `error`.
  mlir::OwningOpRef<mlir::ModuleOp> parse(const std::string &text,
                                          const std::string &name,
                                          std::string &error);
  std::string heuristicConfig(const GemmSignature &sig) const;

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

static thread_local const VariantInfo *tlsLastInfo = nullptr;
static thread_local CacheSource tlsLastSource = CacheSource::Memory;

const VariantInfo &Jit::lastVariant() {
  static thread_local VariantInfo scratch;
  if (!tlsLastInfo) {
    scratch = VariantInfo();
    scratch.kernel = "<none: no gemm or launch on this thread yet>";
    return scratch;
  }
  scratch = *tlsLastInfo;
  scratch.cacheSource = tlsLastSource;
  return scratch;
}

Jit::Jit(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Jit::~Jit() = default;
rt::Device &Jit::device() const { return *impl_->device; }
const std::string &Jit::arch() const { return impl_->arch; }
KernelCache &Jit::cache() { return *impl_->cache; }

size_t Jit::variantCount() const {
  std::shared_lock<std::shared_mutex> lock(impl_->variantsMutex);
  return impl_->gemms.size() + impl_->moduleVariants;
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

rt::Expected<std::shared_ptr<rt::Module>>
Jit::Impl::loadHostObject(std::string_view object,
                          const std::vector<OutlinedKernel> &kernels) {
  auto fail = [](llvm::Error e) {
    return Status::error("host JIT: " + llvm::toString(std::move(e)));
  };
  if (!hostJit) {
    auto jit = llvm::orc::LLJITBuilder().create();
    if (!jit)
      return fail(jit.takeError());
    hostJit = std::move(*jit);
  }
  // One dylib per variant: kernels of different variants share names.
  auto jd = hostJit->createJITDylib(fmt::format("moec_variant_{}",
                                                hostDylibs++));
  if (!jd)
    return fail(jd.takeError());
  auto gen = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      hostJit->getDataLayout().getGlobalPrefix());
  if (!gen)
    return fail(gen.takeError());
  jd->addGenerator(std::move(*gen));
  if (auto e = hostJit->addObjectFile(
          *jd, llvm::MemoryBuffer::getMemBufferCopy(
                   llvm::StringRef(object.data(), object.size()),
                   "moec-host-kernel.o")))
    return fail(std::move(e));
  rt::HostKernelTable table;
  for (const OutlinedKernel &k : kernels) {
    auto sym = hostJit->lookup(*jd, "_mlir_" + k.name);
    if (!sym)
      return fail(sym.takeError());
    table[k.name] = sym->toPtr<rt::HostKernelFn>();
  }
  return device->loadHostModule(std::move(table));
}

rt::Expected<std::unique_ptr<Variant>>
Jit::Impl::makeVariant(mlir::ModuleOp module, const std::string &description,
                       int64_t blockM, int64_t blockN) {
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
  if (!parsePayload(*r.payload, p) || p.kernels.size() != 1)
    return Status::error(fmt::format(
        "kernel cache entry {} holds no single kernel; run `moec cache clear`",
        key.hex()));
  const OutlinedKernel &k = p.kernels.front();
  rt::Expected<std::shared_ptr<rt::Module>> loaded =
      target->isHost() ? loadHostObject(p.image, p.kernels)
                       : device->loadModule(p.image.data(), p.image.size());
  if (!loaded.ok())
    return loaded.status();
  variant->module = *loaded;
  auto kernel = variant->module->getKernel(k.name);
  if (!kernel.ok())
    return kernel.status();
  variant->kernel = *kernel;
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

Status checkBase(const char *what, const void *p) {
  if (reinterpret_cast<uintptr_t>(p) % 16)
    return Status::error(fmt::format(
        "gemm: {} at {} is not 16-byte aligned (moec kernels need aligned "
        "base pointers)",
        what, p));
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
  if (a.dtype != b.dtype)
    return Status::error(fmt::format("gemm: A is {} but B is {}",
                                     toString(a.dtype), toString(b.dtype)));
  const Tensor *bias = options.bias;
  if (bias && (bias->rank != 1 || bias->sizes[0] != n))
    return Status::error(fmt::format(
        "gemm: bias must be a vector of N = {} elements", n));
  for (auto [what, t] : {std::pair{"A", &a}, {"B", &b}, {"C", &c}, {"bias", bias}}) {
    if (!t)
      continue;
    if (Status s = checkBase(what, t->data); !s.ok())
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

  const Variant *variant = nullptr;
  {
    std::shared_lock<std::shared_mutex> lock(I.variantsMutex);
    auto it = I.gemms.find(key);
    if (it != I.gemms.end())
      variant = it->second.get();
  }
  CacheSource source = CacheSource::Memory;
  if (!variant) {
    if (Status s = I.refuseDuringCapture(stream, "gemm"); !s.ok())
      return s;
    // Slow path: pick the config, build the IR, compile or load.
    std::lock_guard<std::mutex> compileLock(I.compileMutex);
    {
      std::shared_lock<std::shared_mutex> lock(I.variantsMutex);
      auto it = I.gemms.find(key);
      if (it != I.gemms.end())
        variant = it->second.get();
    }
    if (!variant) {
      GemmSignature sig{a.dtype, b.dtype, c.dtype, transA, transB,
                        bias ? std::optional<DType>(bias->dtype) : std::nullopt,
                        options.activation, m, n, k};
      std::string config;
      ConfigSource configSource;
      if (!options.config.empty()) {
        config = options.config;
        configSource = ConfigSource::Override;
      } else {
        std::optional<std::string> fromDb;
        {
          std::lock_guard<std::mutex> lock(I.dbMutex);
          if (I.database)
            fromDb = I.database(sig, I.arch);
        }
        if (fromDb) {
          config = *fromDb;
          configSource = ConfigSource::TuningDatabase;
        } else {
          config = I.heuristicConfig(sig);
          configSource = ConfigSource::Heuristic;
        }
      }
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
      std::string error;
      auto module = I.parse(textFor(config), "<moec gemm>", error);
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
      std::unique_lock<std::shared_mutex> lock(I.variantsMutex);
      variant = v.get();
      I.gemms.emplace(key, std::move(v));
    }
  }

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
  tlsLastInfo = &variant->info;
  tlsLastSource = source;
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
    if (Status s = checkBase("an argument", t.data); !s.ok())
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
  tlsLastInfo = &variant->info;
  tlsLastSource = source;
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
