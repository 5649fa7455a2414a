//===- Tune.cpp - moec tune / moec db --------------------------------------===//
//
//   moec tune FILE.mlir --arch host --shapes shapes.jsonl -o DIR
//   moec tune FILE.mlir --arch sm_90 --sizes M=16,N=4096,K=4096 -o DIR
//   moec tune --op moe --model config.json --tp-size 8 --dtype bf16
//             --batch 1,16 --arch sm_90 -o DIR
//   moec db merge -o OUT DIR...
//   moec db lookup DIR... --file NAME --m M
//
// The GEMM of the file is tuned for each shape on the target's device through
// the existing compile (lib/Driver) and launch (lib/Runtime) path; the tuning
// loop itself is lib/Tuning's. compileCandidate() below is the one place a
// candidate is turned into a kernel: the JIT cache plugs in there.
//
//===----------------------------------------------------------------------===//

#include "AttentionData.h"
#include "MoeData.h"

#include "moec/Dialect/MoecDialect.h"
#include "moec/Dialect/OpPlans.h"
#include "moec/Driver/Compiler.h"
#include "moec/Runtime/KernelArgs.h"
#include "moec/Runtime/Runtime.h"
#include "moec/Target/CodeObject.h"
#include "moec/Target/TargetInfo.h"
#include "moec/Tools/Registration.h"
#include "moec/Dialect/Config.h"
#include "moec/Jit/CacheKey.h"
#include "moec/Jit/KernelCache.h"
#include "moec/Tuning/ConfigMapping.h"
#include "moec/Tuning/ModelConfig.h"
#include "moec/Tuning/SearchSpace.h"
#include "moec/Tuning/SparseMlaConfig.h"
#include "moec/Tuning/ShapeLog.h"
#include "moec/Tuning/Tuner.h"
#include "moec/Tuning/TuningDB.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <mutex>
#include <random>

using namespace mlir;
using namespace moec;
using namespace moec::tuning;
namespace moe = moec::tool::moe;
namespace attn = moec::tool::attn;
namespace emu = moec::emu;
using llvm::StringRef;

int runTune(llvm::ArrayRef<std::string> args);
int runDb(llvm::ArrayRef<std::string> args);

namespace {

constexpr const char *kTuneUsage = R"(usage:
  moec tune FILE.mlir [--arch CHIP] (--shapes LOG.jsonl | --sizes M=..,N=..,K=.. ...
                      | --batch 1,16,256 [--sizes N=..,K=..]) -o DIR [options]
  moec tune --op moe --model config.json [--tp-size N] [--ep-size N]
            [--dtype bf16|fp16|fp8_w8a8|int8_w8a16] [--batch 1,16,256]
            [--arch CHIP -o DIR [options]]
            without -o: the MoE GEMM shapes and the config file name; with
            -o: the w13 (gate+up) moe_gemm tuned per batch (bf16/fp16) into
            DIR/E=..,N=..,device_name=...json (vLLM's file, keys = batch);
            --compile-only: compile the candidates of each batch, no device
  moec tune --op attention --arch CHIP [--q-heads 16,128] [--topk 2048]
            [--batch 1,8,64,256,1024] [--page 64] [--d-qk 576] [--d-v 512]
            [--dtype bf16|fp16] -o DIR [options]
            sparse MLA decode (moec.sparse_attention with a split-KV
            workspace, tokens dynamic) tuned per (tokens, h_q, topk), the
            per-shape table's row as the first seed, each winner checked in
            float64, into DIR/op=sparse_mla,h_q=..,topk=..,d_qk=..,d_v=..,
            device_name=..,dtype=...json (keys = tokens; the runtime's
            database; --budget counts per h_q and topk, one tuner each)
            and a MOEC_MLA_ROW line per shape for
            lib/Tuning/SparseMlaConfigs.def; spaces:
            benchmarks/tune/space_mla_{sm90,gfx942,host}.json
options:
  --space small|full|FILE.json   candidates (default: full)
  --budget SECONDS[s]            stop starting new candidates after this long
  --resume                       continue from DIR/journal.jsonl
  --shard I/N                    tune the I-th (0-based) of N slices of the shapes
  --jobs N                       compile threads (default: every core)
  --warmup N --repeat N          the final round's timing (default 5, 20)
  --quick-repeat N               launches of the first pass (default 5,
                                 after one warm-up)
  --cut F                        cut a candidate slower than F x the best
                                 of the first pass so far (default 1.5)
  --finalists N                  candidates in the final round, besides the
                                 best seed (default 3); the rounds before it
                                 halve the survivors
  --ptxas PATH                   NVIDIA: make SASS with this ptxas on the
                                 compile threads (also $MOEC_PTXAS) rather
                                 than the driver's JIT at load; its spill
                                 report drops spilling candidates
  --json FILE                    append one JSON line per shape (counts,
                                 phases, winner, best seed) to FILE
  --device N                     device index (default 0)
  --devices all|I,J,...          one worker process per device, each tuning
                                 its slice of the shapes into DIR/device-W,
                                 merged into DIR (as `moec db merge`)
  --assume-aligned               specialize for 16-byte leading dimensions
  --compile-only                 compile and resource-check the candidates of
                                 each shape, time nothing (no device needed)
  --quiet                        no progress line
Writes DIR/op=gemm,N=..,K=..,device_name=..,dtype=..,layout=...json (the
vLLM/SGLang file format, keys = M) and DIR/journal.jsonl.
)";

constexpr const char *kDbUsage = R"(usage:
  moec db merge -o OUT DIR...            best time per (file, M); conflicts listed
  moec db lookup DIR... --file NAME --m M  the entry vLLM would pick
)";

int fail(const std::string &cmd, const std::string &msg) {
  llvm::errs() << "moec " << cmd << ": error: " << msg << "\n";
  return 1;
}

/// A tiny flag parser: --name value, --name=value, bare flags, positionals.
struct Args {
  std::map<std::string, std::vector<std::string>> values;
  std::vector<std::string> positional;
  std::string error;

  Args(llvm::ArrayRef<std::string> args,
       std::initializer_list<const char *> withValue,
       std::initializer_list<const char *> bare) {
    for (size_t i = 0; i < args.size(); ++i) {
      StringRef a = args[i];
      if (!a.starts_with("-") || a == "-") {
        positional.push_back(a.str());
        continue;
      }
      StringRef name = a.ltrim('-');
      auto [n, v] = name.split('=');
      bool hasValue = llvm::is_contained(withValue, n);
      if (hasValue) {
        if (name.contains('=')) {
          values[n.str()].push_back(v.str());
        } else if (i + 1 < args.size()) {
          values[n.str()].push_back(args[++i]);
        } else {
          error = fmt::format("{} needs a value", a.str());
          return;
        }
      } else if (llvm::is_contained(bare, n)) {
        values[n.str()].push_back("");
      } else {
        error = fmt::format("unknown option '{}'", a.str());
        return;
      }
    }
  }
  bool has(const char *n) const { return values.count(n); }
  std::string get(const char *n, std::string def = "") const {
    auto it = values.find(n);
    return it == values.end() ? def : it->second.back();
  }
  const std::vector<std::string> &all(const char *n) const {
    static const std::vector<std::string> none;
    auto it = values.find(n);
    return it == values.end() ? none : it->second;
  }
};

std::optional<int64_t> parseInt(StringRef s) {
  int64_t v;
  if (s.trim().getAsInteger(10, v))
    return std::nullopt;
  return v;
}

//===----------------------------------------------------------------------===//
// Element encodings (the subset of `moec run`'s harness the tuner needs)
//===----------------------------------------------------------------------===//

enum class Elt { F32, F16, BF16 };
std::optional<Elt> eltOf(Type t) {
  if (t.isF32())
    return Elt::F32;
  if (t.isF16())
    return Elt::F16;
  if (t.isBF16())
    return Elt::BF16;
  return std::nullopt;
}
const char *eltName(Elt e) {
  return e == Elt::F32 ? "f32" : e == Elt::F16 ? "f16" : "bf16";
}
size_t eltBytes(Elt e) { return e == Elt::F32 ? 4 : 2; }

/// Rounds `f` to the element type; writes its bits, returns its value.
double encode(Elt e, float f, uint8_t *dst) {
  switch (e) {
  case Elt::F32:
    std::memcpy(dst, &f, 4);
    return f;
  case Elt::F16: {
    _Float16 h = static_cast<_Float16>(f);
    std::memcpy(dst, &h, 2);
    return static_cast<double>(h);
  }
  case Elt::BF16: {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    u += 0x7FFF + ((u >> 16) & 1);
    uint16_t h = static_cast<uint16_t>(u >> 16);
    std::memcpy(dst, &h, 2);
    uint32_t back = static_cast<uint32_t>(h) << 16;
    float r;
    std::memcpy(&r, &back, 4);
    return r;
  }
  }
  return 0;
}
double decode(Elt e, const uint8_t *src) {
  switch (e) {
  case Elt::F32: {
    float f;
    std::memcpy(&f, src, 4);
    return f;
  }
  case Elt::F16: {
    _Float16 h;
    std::memcpy(&h, src, 2);
    return static_cast<double>(h);
  }
  case Elt::BF16: {
    uint16_t h;
    std::memcpy(&h, src, 2);
    uint32_t u = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
  }
  return 0;
}
double tolerance(Elt out) {
  return out == Elt::BF16 ? 1.0 / 128 : out == Elt::F16 ? 1.0 / 512 : 1e-4;
}

//===----------------------------------------------------------------------===//
// The GEMM of the file
//===----------------------------------------------------------------------===//

struct GemmInfo {
  int64_t m, n, k; ///< dynamic: ShapedType::kDynamic
  bool transA, transB;
  Elt a, b, c;
  bool bias = false;
  std::string layout() const {
    return std::string(transA ? "t" : "n") + (transB ? "t" : "n");
  }
};

/// What compileCandidate() makes: the kernel cache entry (the JIT's payload:
/// launch metadata + code object) and the launch facts.
struct GemmKernel {
  std::shared_ptr<const std::string> bytes;
  jit::Payload payload; ///< points into `bytes`
  const TargetInfo *target = nullptr;
  Candidate cand;
  std::shared_ptr<rt::Module> loaded; ///< loaded on first use
  std::optional<rt::Kernel> kernel;
  /// NVIDIA with --ptxas: the SASS (cubin) ptxas made of the PTX, loaded
  /// instead of the PTX (no driver JIT at load).
  std::string cubin;
  /// The launch, when compileCandidate's `plan` hook sized it from the op's
  /// KernelPlan (moe_gemm: moec/Dialect/OpPlans.h); grid 0 = not planned.
  int64_t grid = 0, lanes = 0, sharedBytes = 0;
  /// sparse_attention: the KV splits of the launch and, when more than one,
  /// the merge kernel (the payload's second) and its grid.
  int64_t splits = 1, mergeGrid = 0;
  std::optional<rt::Kernel> merge;
};

/// Sizes a candidate's launch from its verified module (before lowering).
using PlanHook =
    std::function<llvm::Error(ModuleOp, const TargetInfo &, GemmKernel &)>;

/// PTX -> cubin with an external ptxas, as its own process (so as many run
/// at once as there are compile workers); what `ptxas -v` says about
/// registers, stack and spills fills `res`. An error names the command.
llvm::Error runPtxas(const std::string &ptxas, StringRef chip, StringRef ptx,
                     std::string &cubin, Resources &res) {
  auto err = [](const std::string &m) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), m);
  };
  llvm::SmallString<128> in, out, log;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("moec-tune", "ptx", in))
    return err("ptxas: cannot create a temporary file: " + ec.message());
  llvm::FileRemover rmIn(in);
  (void)llvm::sys::fs::createTemporaryFile("moec-tune", "cubin", out);
  llvm::FileRemover rmOut(out);
  (void)llvm::sys::fs::createTemporaryFile("moec-tune", "log", log);
  llvm::FileRemover rmLog(log);
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(in, ec);
    if (ec)
      return err("ptxas: cannot write " + std::string(in) + ": " +
                 ec.message());
    os << ptx;
  }
  std::string arch = "-arch=" + chip.str();
  llvm::SmallVector<StringRef> argv = {ptxas, arch, "-O3", "-v", in, "-o", out};
  std::optional<StringRef> redirects[] = {StringRef(""), StringRef(log),
                                          StringRef(log)};
  std::string msg;
  int rc = llvm::sys::ExecuteAndWait(ptxas, argv, std::nullopt, redirects,
                                     /*SecondsToWait=*/300, 0, &msg);
  auto logText = llvm::MemoryBuffer::getFile(log);
  StringRef text = logText ? (*logText)->getBuffer() : StringRef();
  if (rc != 0)
    return err(fmt::format("{} {} failed ({}{}): {}", ptxas, arch, rc,
                           msg.empty() ? "" : ", " + msg,
                           text.trim().take_front(2000).str()));
  auto bin = llvm::MemoryBuffer::getFile(out, false, false);
  if (!bin)
    return err("ptxas: cannot read its output: " + bin.getError().message());
  cubin = (*bin)->getBuffer().str();
  // "Used 168 registers, ..." / "24 bytes stack frame, 8 bytes spill
  // stores, 8 bytes spill loads".
  auto numberBefore = [&](StringRef what) -> int64_t {
    size_t pos = text.find(what);
    if (pos == StringRef::npos)
      return 0;
    StringRef head = text.take_front(pos).rtrim();
    size_t start = head.find_last_not_of("0123456789");
    int64_t v = 0;
    (void)head.substr(start == StringRef::npos ? 0 : start + 1)
        .getAsInteger(10, v);
    return v;
  };
  res.known = true;
  res.vgprs = numberBefore(" registers");
  res.scratchBytes = numberBefore(" bytes stack frame");
  int64_t spillBytes =
      numberBefore(" bytes spill stores") + numberBefore(" bytes spill loads");
  res.vgprSpills = (spillBytes + 3) / 4;
  return llvm::Error::success();
}

/// The one place a candidate becomes a kernel: parse the file in a fresh
/// context, set the target and the candidate's config, verify (the target
/// checks reject what cannot work), then lower and code-generate through the
/// JIT's kernel cache (`cache`, keyed as the JIT keys, moec/Jit/CacheKey.h):
/// a candidate compiled by an earlier run, or by the JIT, is read back, not
/// compiled again. Null `cache`: compile every time. For AMD targets the
/// code object's resources come back for the tuner's spill check.
llvm::Expected<CompiledCandidate>
compileCandidate(const std::string &source, StringRef chip, bool aligned,
                 const Candidate &cand, jit::KernelCache *cache,
                 const std::string &ptxas = "", const PlanHook &plan = {},
                 size_t kernels = 1) {
  auto start = std::chrono::steady_clock::now();
  DialectRegistry registry;
  registerMoecDialects(registry);
  MLIRContext ctx(registry, MLIRContext::Threading::DISABLED);
  ctx.loadAllAvailableDialects();
  std::string diags;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    if (!diags.empty())
      diags += "; ";
    diags += d.str();
    return success();
  });
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(
      source, ParserConfig(&ctx, /*verifyAfterParse=*/false));
  auto err = [&](const char *what) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   fmt::format("{}: {}", what, diags));
  };
  if (!module)
    return err("parse");
  (*module)->setAttr(MoecDialect::kTargetAttrName, TargetAttr::get(&ctx, chip));
  if (failed(applyCandidate(*module, cand)))
    return err("verifier");
  if (aligned)
    setAssumeAligned(*module);
  if (failed(verify(*module)))
    return err("verifier");
  const TargetInfo *target = lookupTarget(chip);
  if (!target)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "no target " + chip.str());
  auto kernel = std::make_shared<GemmKernel>();
  if (plan)
    if (llvm::Error e = plan(*module, *target, *kernel))
      return e;
  // A launch the op's plan sized must agree with the kernel's metadata.
  auto checkPlan = [&]() -> llvm::Error {
    const OutlinedKernel &ki = kernel->payload.kernels.front();
    if (!plan || (ki.workgroupSize == kernel->lanes &&
                  (ki.dynamicLds ? ki.ldsBytes : 0) == kernel->sharedBytes))
      return llvm::Error::success();
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        fmt::format("the op's plan says {} lanes and {} B of dynamic LDS, "
                    "the kernel {} and {}",
                    kernel->lanes, kernel->sharedBytes, ki.workgroupSize,
                    ki.dynamicLds ? ki.ldsBytes : 0));
  };
  // What the JIT stores: host kernels as an object file, not JIT-linked.
  auto compile = [&](std::string &payload, std::string &error) {
    CompileOptions opts;
    opts.hostObject = true;
    FailureOr<CompiledModule> compiled = compileModule(*module, opts);
    if (failed(compiled)) {
      error = "compile: " + diags;
      return false;
    }
    payload = jit::serializePayload(*compiled);
    return true;
  };
  CompiledCandidate cc;
  if (cache) {
    jit::CacheKey key =
        jit::KernelCache::hashKey(jit::cacheKeyText(*module, *target));
    jit::KernelCache::Result r =
        cache->getOrCompile(key, "moec tune candidate " + cand.key(), compile);
    if (!r.payload)
      return llvm::createStringError(llvm::inconvertibleErrorCode(), r.error);
    kernel->bytes = r.payload;
    cc.cacheHit = r.source != jit::CacheSource::Compiled;
  } else {
    std::string payload, error;
    if (!compile(payload, error))
      return llvm::createStringError(llvm::inconvertibleErrorCode(), error);
    kernel->bytes = std::make_shared<const std::string>(std::move(payload));
  }
  if (!jit::parsePayload(*kernel->bytes, kernel->payload) ||
      kernel->payload.kernels.size() != kernels)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        fmt::format("expected {} kernel(s) after lowering", kernels));
  kernel->target = target;
  if (llvm::Error e = checkPlan())
    return e;
  StringRef image(kernel->payload.image.data(), kernel->payload.image.size());
  if (target->isAMDGPU()) {
    auto info = readCodeObject(
        llvm::ArrayRef<char>(image.data(), image.size()),
        "candidate " + cand.key());
    if (!info)
      return info.takeError();
    if (!info->kernels.empty()) {
      const KernelInfo &k = info->kernels.front();
      cc.resources.known = true;
      cc.resources.vgprSpills = k.vgprSpillCount;
      cc.resources.sgprSpills = k.sgprSpillCount;
      cc.resources.scratchBytes = k.scratchBytes;
      cc.resources.ldsBytes = k.ldsBytes;
      cc.resources.vgprs = k.vgprCount;
      cc.resources.wavesPerSimd = k.occupancy ? k.occupancy->wavesPerSimd : 0;
    }
  }
  if (target->isNVPTX() && !ptxas.empty()) {
    if (auto e = runPtxas(ptxas, chip, image, kernel->cubin, cc.resources))
      return e;
  } else if (target->isNVPTX()) {
    // PTX has no register counts (ptxas allocates at load time), but a
    // kernel that needs a stack frame already in LLVM says so with a local
    // depot: `.local .align 8 .b8 __local_depot0[N];`. Such a kernel is
    // treated as spilling. What ptxas spills later is not seen here.
    cc.resources.known = true;
    StringRef ptx = image;
    for (size_t pos = ptx.find("__local_depot"); pos != StringRef::npos;
         pos = ptx.find("__local_depot", pos + 1)) {
      StringRef rest = ptx.substr(pos);
      size_t open = rest.find('['), close = rest.find(']');
      size_t eol = rest.find('\n');
      int64_t bytes = 0;
      if (open < close && close < eol &&
          !rest.slice(open + 1, close).getAsInteger(10, bytes))
        cc.resources.scratchBytes += bytes;
    }
  }
  kernel->cand = cand;
  cc.payload = kernel;
  cc.compileMs = std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - start)
                     .count();
  return cc;
}

//===----------------------------------------------------------------------===//
// Device data of one shape: inputs (copies rotated past the L2), output
//===----------------------------------------------------------------------===//

/// `warmup` launches, then `repeat` launches each between two events, all
/// queued back to back and waited for once; the median launch in
/// microseconds. Every harness times this way; `launch` queues one launch
/// (of whatever kernels a candidate is) on the device.
llvm::Expected<double> timeLaunches(rt::Device &dev,
                                    std::vector<rt::Event> &events,
                                    int warmup, int repeat,
                                    const std::function<llvm::Error()> &launch) {
  auto err = [](const std::string &m) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), m);
  };
  repeat = std::max(repeat, 1);
  while (events.size() < size_t(repeat) + 1) {
    auto ev = dev.createEvent();
    if (!ev.ok())
      return err(ev.message());
    events.push_back(std::move(*ev));
  }
  for (int i = 0; i < warmup; ++i)
    if (auto e = launch())
      return e;
  // Event i marks the start of launch i and the end of launch i - 1.
  for (int i = 0; i < repeat; ++i) {
    if (rt::Status st = events[i].record(); !st.ok())
      return err(st.message());
    if (auto e = launch())
      return e;
  }
  if (rt::Status st = events[repeat].record(); !st.ok())
    return err(st.message());
  if (rt::Status st = events[repeat].synchronize(); !st.ok())
    return err(st.message());
  std::vector<float> times;
  for (int i = 0; i < repeat; ++i) {
    auto ms = rt::Event::elapsedMs(events[i], events[i + 1]);
    if (!ms.ok())
      return err(ms.message());
    times.push_back(*ms);
  }
  llvm::sort(times);
  size_t n = times.size();
  double median = n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
  return median * 1000.0;
}

struct ShapeData {
  int64_t m, n, k;
  std::vector<double> a, b, bias; // rounded values, for the reference
  std::vector<std::array<rt::Buffer, 3>> sets; // a, b, bias per copy
  rt::Buffer c;
};

class GemmHarness {
public:
  GemmHarness(GemmInfo info, std::shared_ptr<rt::Device> dev)
      : info_(info), dev_(std::move(dev)) {}

  llvm::Expected<ShapeData *> data(const ShapeRecord &s) {
    int64_t m = *s.dim("M"), n = *s.dim("N"), k = *s.dim("K");
    if (data_ && data_->m == m && data_->n == n && data_->k == k)
      return data_.get();
    data_.reset();
    auto d = std::make_unique<ShapeData>();
    d->m = m, d->n = n, d->k = k;
    std::mt19937_64 rng(1234);
    uint64_t state = rng();
    auto uni = [&] {
      uint64_t z = (state += 0x9E3779B97F4A7C15ull);
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      z ^= z >> 31;
      return float(double(z >> 11) * 0x1.0p-53 * 2.0 - 1.0);
    };
    auto fill = [&](Elt e, size_t count, std::vector<double> &vals,
                    std::vector<uint8_t> &bytes) {
      vals.resize(count);
      bytes.resize(std::max<size_t>(count * eltBytes(e), 16));
      for (size_t i = 0; i < count; ++i)
        vals[i] = encode(e, uni(), &bytes[i * eltBytes(e)]);
    };
    std::vector<uint8_t> ab, bb, biasb;
    fill(info_.a, size_t(m * k), d->a, ab);
    fill(info_.b, size_t(k * n), d->b, bb);
    fill(info_.c, info_.bias ? size_t(n) : 0, d->bias, biasb);
    size_t inBytes = ab.size() + bb.size();
    int copies = static_cast<int>(std::clamp<size_t>(
        (size_t(128) << 20) / std::max<size_t>(inBytes, 1) + 1, 1, 16));
    for (int i = 0; i < copies; ++i) {
      std::array<rt::Buffer, 3> set;
      const std::vector<uint8_t> *srcs[3] = {&ab, &bb, &biasb};
      for (int j = 0; j < 3; ++j) {
        auto buf = dev_->allocate(std::max<size_t>(srcs[j]->size(), 16));
        if (!buf.ok())
          return makeError(buf.message());
        if (!srcs[j]->empty())
          if (rt::Status st = buf->copyFromHost(srcs[j]->data(), srcs[j]->size());
              !st.ok())
            return makeError(st.message());
        set[j] = std::move(*buf);
      }
      d->sets.push_back(std::move(set));
    }
    auto cbuf = dev_->allocate(std::max<size_t>(m * n * eltBytes(info_.c), 16));
    if (!cbuf.ok())
      return makeError(cbuf.message());
    d->c = std::move(*cbuf);
    data_ = std::move(d);
    return data_.get();
  }

  llvm::Error load(GemmKernel &k) {
    if (k.kernel)
      return llvm::Error::success();
    const jit::Payload &p = k.payload;
    auto loaded =
        k.target->isHost()    ? hostLoader_.load(*dev_, p.image, p.kernels)
        : !k.cubin.empty() ? dev_->loadModule(k.cubin.data(), k.cubin.size())
                              : dev_->loadModule(p.image.data(), p.image.size());
    if (!loaded.ok() && !k.cubin.empty()) {
      // A driver older than the ptxas: the PTX through the driver's JIT.
      if (!cubinWarned_.exchange(true))
        llvm::errs() << "moec tune: warning: the driver refused ptxas's "
                        "cubin ("
                     << loaded.message()
                     << "); loading the PTX instead\n";
      k.cubin.clear();
      loaded = dev_->loadModule(p.image.data(), p.image.size());
    }
    if (!loaded.ok())
      return makeError(loaded.message());
    k.loaded = *loaded;
    auto kernel = k.loaded->getKernel(p.kernels.front().name);
    if (!kernel.ok())
      return makeError(kernel.message());
    k.kernel = std::move(*kernel);
    if (p.kernels.size() > 1) {
      auto merge = k.loaded->getKernel(p.kernels[1].name);
      if (!merge.ok())
        return makeError(merge.message());
      k.merge = std::move(*merge);
    }
    return llvm::Error::success();
  }

  rt::KernelArgs argsFor(ShapeData &d, int set) {
    rt::KernelArgs args;
    auto &s = d.sets[set % d.sets.size()];
    args.addMemRef(s[0].data(), {info_.transA ? d.k : d.m,
                                 info_.transA ? d.m : d.k});
    args.addMemRef(s[1].data(), {info_.transB ? d.n : d.k,
                                 info_.transB ? d.k : d.n});
    args.addMemRef(d.c.data(), {d.m, d.n});
    if (info_.bias)
      args.addMemRef(s[2].data(), {d.n});
    return args;
  }

  llvm::Error launch(GemmKernel &k, ShapeData &d, int set) {
    const OutlinedKernel &ki = k.payload.kernels.front();
    int64_t grid = ((d.m + k.cand.blockM - 1) / k.cand.blockM) *
                   ((d.n + k.cand.blockN - 1) / k.cand.blockN);
    rt::KernelArgs args = argsFor(d, set);
    rt::Status st = k.kernel->launch(rt::Dim3{std::max<int64_t>(grid, 1)},
                                     rt::Dim3{ki.workgroupSize},
                                     ki.dynamicLds ? ki.ldsBytes : 0, args);
    if (!st.ok())
      return makeError(st.message());
    return llvm::Error::success();
  }

  /// The median launch in microseconds (timeLaunches); launch i reads
  /// input copy i (rotated past the L2).
  llvm::Expected<double> time(const ShapeRecord &s, CompiledCandidate &cc,
                              int warmup, int repeat) {
    auto &k = *static_cast<GemmKernel *>(cc.payload.get());
    auto d = data(s);
    if (!d)
      return d.takeError();
    if (auto e = load(k))
      return e;
    return timeLaunches(*dev_, events_, warmup, repeat,
                        [&] { return launch(k, **d, rotation_++); });
  }

  /// Loads the candidate's code (a driver JIT for PTX): thread-safe for
  /// distinct candidates, so the tuner's compile workers call it.
  llvm::Error prepare(CompiledCandidate &cc) {
    return load(*static_cast<GemmKernel *>(cc.payload.get()));
  }

  llvm::Error verify(const ShapeRecord &s, CompiledCandidate &cc) {
    auto &k = *static_cast<GemmKernel *>(cc.payload.get());
    auto dd = data(s);
    if (!dd)
      return dd.takeError();
    ShapeData &d = **dd;
    if (auto e = load(k))
      return e;
    if (rt::Status st = d.c.fill(0xFF); !st.ok())
      return makeError(st.message());
    if (auto e = launch(k, d, 0))
      return e;
    if (rt::Status st = dev_->synchronize(); !st.ok())
      return makeError(st.message());
    size_t cBytes = size_t(d.m * d.n) * eltBytes(info_.c);
    std::vector<uint8_t> c(cBytes);
    if (cBytes)
      if (rt::Status st = d.c.copyToHost(c.data(), cBytes); !st.ok())
        return makeError(st.message());
    // float64 reference on every row of small problems, else a sample.
    // About 2e8 multiply-adds, at least 8 rows spread over M (first and
    // last included), as `moec run` checks.
    std::vector<int64_t> rows;
    int64_t want = std::max<int64_t>(
        8, int64_t(2e8 / std::max(1.0, double(d.n) * double(d.k))));
    int64_t step = std::max<int64_t>(1, d.m / want);
    for (int64_t i = 0; i < d.m; i += step)
      rows.push_back(i);
    if (d.m > 0 && rows.back() != d.m - 1)
      rows.push_back(d.m - 1);
    // One task per checked row, on every core (the rows of an 8192^3
    // problem are half a second on one).
    struct RowCheck {
      double maxErr = 0, maxRef = 0;
      int64_t bad = 0;
    };
    std::vector<RowCheck> per(rows.size());
    llvm::parallelFor(0, rows.size(), [&](size_t r) {
      int64_t i = rows[r];
      RowCheck &rc = per[r];
      for (int64_t j = 0; j < d.n; ++j) {
        double acc = 0;
        for (int64_t kk = 0; kk < d.k; ++kk) {
          double av = info_.transA ? d.a[kk * d.m + i] : d.a[i * d.k + kk];
          double bv = info_.transB ? d.b[j * d.k + kk] : d.b[kk * d.n + j];
          acc += av * bv;
        }
        if (info_.bias)
          acc += d.bias[j];
        double got = decode(info_.c, &c[(i * d.n + j) * eltBytes(info_.c)]);
        if (!std::isfinite(got)) {
          ++rc.bad;
          continue;
        }
        rc.maxErr = std::max(rc.maxErr, std::abs(got - acc));
        rc.maxRef = std::max(rc.maxRef, std::abs(acc));
      }
    });
    double maxErr = 0, maxRef = 0;
    int64_t bad = 0;
    for (const RowCheck &rc : per) {
      maxErr = std::max(maxErr, rc.maxErr);
      maxRef = std::max(maxRef, rc.maxRef);
      bad += rc.bad;
    }
    double rel = maxRef > 0 ? maxErr / maxRef : maxErr;
    if (bad || rel > tolerance(info_.c))
      return makeError(fmt::format(
          "wrong result: max relative error {:.3e} (tolerance {:.1e}), {} "
          "elements unwritten or NaN",
          rel, tolerance(info_.c), bad));
    return llvm::Error::success();
  }

private:
  static llvm::Error makeError(const std::string &msg) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
  }
  GemmInfo info_;
  std::shared_ptr<rt::Device> dev_;
  std::unique_ptr<ShapeData> data_;
  std::vector<rt::Event> events_; ///< reused by time()
  int rotation_ = 0;              ///< the next input copy
  std::atomic<bool> cubinWarned_{false};
  /// Host candidates: their object files linked into this process.
  jit::HostObjectLoader hostLoader_;
};

//===----------------------------------------------------------------------===//
// moec tune --op moe --model
//===----------------------------------------------------------------------===//

/// Every `--batch 1,16,256` value in order; the first entry that is not a
/// positive integer is returned (empty when all are).
std::string parseBatches(const Args &args, std::vector<int64_t> &batches) {
  for (const std::string &list : args.all("batch")) {
    llvm::SmallVector<StringRef> parts;
    StringRef(list).split(parts, ',', -1, false);
    for (StringRef p : parts) {
      auto v = parseInt(p);
      if (!v || *v <= 0)
        return p.str();
      batches.push_back(*v);
    }
  }
  return {};
}

/// The tuner's hooks over a harness (GemmHarness, MoeHarness): `compile`
/// builds a candidate, then the harness loads it on the same worker thread
/// (for PTX the driver's JIT runs there, in parallel, not on the timing
/// thread), its load time counted apart and in the compile time; timing and
/// the float64 check are the harness's.
template <typename Harness, typename CompileFn>
TunerHooks harnessHooks(Harness &harness, CompileFn compile) {
  TunerHooks hooks;
  hooks.compile = [&harness, compile](const ShapeRecord &s, const Candidate &c)
      -> llvm::Expected<CompiledCandidate> {
    auto cc = compile(s, c);
    if (!cc)
      return cc.takeError();
    auto l0 = std::chrono::steady_clock::now();
    if (auto e = harness.prepare(*cc))
      return e;
    cc->loadMs = std::chrono::duration<double, std::milli>(
                     std::chrono::steady_clock::now() - l0)
                     .count();
    cc->compileMs += cc->loadMs;
    return cc;
  };
  hooks.time = [&harness](const ShapeRecord &s, const Candidate &,
                          CompiledCandidate &cc, int warmup, int repeat) {
    return harness.time(s, cc, warmup, repeat);
  };
  hooks.verify = [&harness](const ShapeRecord &s, const Candidate &,
                            CompiledCandidate &cc) {
    return harness.verify(s, cc);
  };
  return hooks;
}

int tuneMoe(const Args &args, const MoeModelShape &shape,
            const std::string &dtype, const std::vector<int64_t> &batches,
            ConfigFileKey key);

int runModelFrontEnd(const Args &args) {
  std::string model = args.get("model");
  if (model.empty())
    return fail("tune", "--op moe needs --model config.json");
  auto buf = llvm::MemoryBuffer::getFile(model, true);
  if (!buf)
    return fail("tune", fmt::format("{}: cannot read: {}", model,
                                    buf.getError().message()));
  auto tp = parseInt(args.get("tp-size", "1")),
       ep = parseInt(args.get("ep-size", "1"));
  if (!tp || !ep)
    return fail("tune", "--tp-size and --ep-size take integers");
  auto shape = deriveMoeShape((*buf)->getBuffer(), model, *tp, *ep);
  if (!shape)
    return fail("tune", llvm::toString(shape.takeError()));
  std::string dtype = args.get("dtype", "bf16");
  if (dtype != "bf16" && dtype != "fp16" && dtype != "fp8_w8a8" &&
      dtype != "int8_w8a16")
    return fail("tune", fmt::format("--dtype '{}': expected bf16, fp16, "
                                    "fp8_w8a8 or int8_w8a16",
                                    dtype));
  std::vector<int64_t> batches;
  if (std::string bad = parseBatches(args, batches); !bad.empty())
    return fail("tune", fmt::format("--batch entry '{}' is not a positive "
                                    "integer",
                                    bad));
  if (batches.empty())
    batches = {1,   2,   4,   8,    16,   24,   32,   48,   64,
               96,  128, 256, 512, 1024, 1536, 2048, 3072, 4096};
  ConfigFileKey key;
  key.dims = {{"E", shape->experts}, {"N", shape->fileN()}};
  key.deviceName = args.has("device-name")
                       ? vllmDeviceName(args.get("device-name"))
                       : std::string("<device>");
  if (dtype == "fp8_w8a8" || dtype == "int8_w8a16")
    key.dtype = dtype;
  if (dtype == "fp8_w8a8")
    key.blockShape = shape->blockShape;
  llvm::outs() << fmt::format(
      "{} ({}): E={} top_k={} hidden={} intermediate={} tp={} ep={}\n"
      "  w13: N={} K={}   w2: N={} K={}   rows per GEMM = batch x top_k\n"
      "  config file: {}\n",
      model, shape->architecture.empty() ? "?" : shape->architecture,
      shape->experts, shape->topk, shape->hidden, shape->intermediate,
      shape->tp, shape->ep, shape->w13N(), shape->w13K(), shape->w2N(),
      shape->w2K(), configFileName(key));
  for (int64_t b : batches)
    llvm::outs() << fmt::format("  batch {}: M = {} (w13 {}x{}x{}, w2 "
                                "{}x{}x{})\n",
                                b, b * shape->topk, b * shape->topk,
                                shape->w13N(), shape->w13K(), b * shape->topk,
                                shape->w2N(), shape->w2K());
  if (args.has("o") || args.has("compile-only"))
    return tuneMoe(args, *shape, dtype, batches, key);
  return 0;
}

//===----------------------------------------------------------------------===//
// moec tune FILE
//===----------------------------------------------------------------------===//

std::optional<double> parseSeconds(StringRef s) {
  s = s.trim();
  double scale = 1;
  if (s.consume_back("ms"))
    scale = 1e-3;
  else if (s.consume_back("m"))
    scale = 60;
  else
    s.consume_back("s");
  double v;
  if (s.getAsDouble(v) || v < 0)
    return std::nullopt;
  return v * scale;
}

/// The tuner's options from the command line (shared by `moec tune FILE`
/// and `--op moe`); an error text, empty when they parse.
std::string parseTunerOptions(const Args &args, const TargetInfo &target,
                              TunerOptions &topts, std::string &ptxas) {
  if (auto j = parseInt(args.get("jobs", "0")))
    topts.threads = unsigned(*j);
  if (auto w = parseInt(args.get("warmup", "5")))
    topts.warmup = int(*w);
  if (auto r = parseInt(args.get("repeat", "20")))
    topts.repeat = std::max<int>(1, int(*r));
  if (auto q = parseInt(args.get("quick-repeat", "5")))
    topts.quickRepeat = std::max<int>(1, int(*q));
  if (auto f = parseInt(args.get("finalists", "3")))
    topts.retimeTop = std::max<int>(1, int(*f));
  if (args.has("cut")) {
    double f = 0;
    if (StringRef(args.get("cut")).getAsDouble(f) || f < 1)
      return fmt::format("--cut '{}': expected a factor >= 1, e.g. 1.5",
                         args.get("cut"));
    topts.cutFactor = f;
  }
  if (args.has("budget")) {
    auto b = parseSeconds(args.get("budget"));
    if (!b)
      return fmt::format("--budget '{}': expected seconds, e.g. 60s",
                         args.get("budget"));
    topts.budgetSeconds = *b;
  }
  topts.resume = args.has("resume");
  // NVIDIA: SASS by an external ptxas on the compile workers (and its
  // register/spill report), instead of the driver's JIT at load.
  ptxas = args.get("ptxas");
  if (ptxas.empty())
    if (const char *p = std::getenv("MOEC_PTXAS"))
      ptxas = p;
  if (!ptxas.empty() && !target.isNVPTX())
    ptxas.clear();
  if (!ptxas.empty() && !llvm::sys::fs::can_execute(ptxas))
    return fmt::format("--ptxas '{}': not an executable", ptxas);
  if (!args.has("quiet"))
    topts.progress = &llvm::errs();
  if (const char *k = std::getenv("MOEC_TUNE_KILL_AFTER"))
    if (auto v = parseInt(k))
      topts.killAfterRecords = int(*v);
  return {};
}

//===----------------------------------------------------------------------===//
// What every op's tuning shares: the space, the device, the per-shape loop
// (tune, report, JSON line, DB entry) and --compile-only
//===----------------------------------------------------------------------===//

/// --space: "full", "small" (the op's defaults for the family) or a JSON
/// file.
llvm::Expected<SearchSpace> loadSpace(const Args &args, StringRef op,
                                      TargetFamily family) {
  std::string spaceArg = args.get("space", "full");
  if (spaceArg == "full" || spaceArg == "small")
    return SearchSpace::defaults(op, family, spaceArg);
  auto sb = llvm::MemoryBuffer::getFile(spaceArg, true);
  if (!sb)
    return llvm::createStringError(
        sb.getError(),
        fmt::format("{}: cannot read: {}", spaceArg, sb.getError().message()));
  return SearchSpace::fromJson((*sb)->getBuffer(), spaceArg);
}

/// The device of the target's kind, index --device (default 0).
rt::Expected<std::shared_ptr<rt::Device>> openTuneDevice(const Args &args,
                                                         const TargetInfo &t) {
  rt::DeviceKind kind = t.isHost()    ? rt::DeviceKind::Host
                        : t.isNVPTX() ? rt::DeviceKind::Cuda
                                      : rt::DeviceKind::Hip;
  auto idx = parseInt(args.get("device", "0"));
  return rt::Device::open(kind, idx ? int(*idx) : 0);
}

unsigned compileThreads(const TunerOptions &topts) {
  return topts.threads ? topts.threads
                       : llvm::hardware_concurrency().compute_thread_count();
}

/// One shape of one op, as the shared loop sees it.
struct TuneJob {
  ShapeRecord record;
  /// What starts the shape's lines: "M=16 N=4096 K=4096", "batch 8 (w13 ...)".
  std::string label;
  std::vector<Candidate> cands; ///< seeds first (candidatesForShape)
  size_t seeds = 0;
  std::map<std::string, int> dropped; ///< pruned for the shape, per rule
  /// The JSON line: "shape" and fields of the op's own ("batch", ...).
  llvm::json::Array jsonShape;
  llvm::json::Object jsonExtra;
  /// Where the winner goes: the config file and its key (M, batch, tokens).
  std::string dbPath;
  int64_t dbKey = 0;
  /// The winner's entry in that file; `us` < 0: no time (the JSON line's
  /// "config").
  std::function<TuningEntry(const Candidate &, double us)> entry;
};

/// Tunes every job in order: each shape's summary line, the winner and the
/// best seed, the phases, the --json line, the winner's entry written into
/// its file (read, put, atomic write). `onWinner` adds lines of the op's
/// own. Returns the exit code (1 when a shape had no passing candidate)
/// and counts compiled candidates into `compiled`; an error stops it.
llvm::Expected<int> runJobs(
    const Args &args, Tuner &tuner, unsigned threads,
    std::vector<TuneJob> &jobs, int &compiled,
    const std::function<void(const TuneJob &, const ShapeResult &)> &onWinner =
        {}) {
  int exitCode = 0;
  for (TuneJob &job : jobs) {
    auto shapeStart = std::chrono::steady_clock::now();
    auto result = tuner.tuneShape(job.record, job.cands, job.seeds);
    if (!result)
      return result.takeError();
    compiled += result->compiled;
    double secs = std::chrono::duration<double>(
                      std::chrono::steady_clock::now() - shapeStart)
                      .count();
    std::string droppedText;
    int pruned = 0;
    for (auto &[why, n] : job.dropped) {
      droppedText += fmt::format("{}{} {}", droppedText.empty() ? "" : ", ", n,
                                 why);
      pruned += n;
    }
    llvm::outs() << fmt::format(
        "{}: {} candidates ({}{} pruned for the shape: {}); {} compiled, {} "
        "from the journal, {} rejected, {} spill, {} cut, {} timed, {} wrong, "
        "{} kernel cache hits; {:.1f} s\n",
        job.label, job.cands.size(),
        job.seeds ? fmt::format("{} seeds first; ", job.seeds) : std::string(),
        pruned, droppedText.empty() ? "none" : droppedText, result->compiled,
        result->fromJournal, result->rejected, result->spilled, result->cut,
        result->timed, result->wrong, result->cacheHits, secs);
    const TunerPhases &ph = result->phases;
    std::string timeLine = fmt::format(
        "  time: compile {:.1f} s wall ({} candidates, {:.1f}/s on {} "
        "threads; {:.1f} s CPU, of which loading {:.1f} s), waiting for "
        "compiles {:.1f} s, first pass {:.2f} s, {} re-timing round(s) {:.2f} "
        "s ({} measurements, {} finalists), verify {:.2f} s; total {:.1f} s",
        ph.compileWall, ph.compiledInWall,
        ph.compileWall > 0 ? ph.compiledInWall / ph.compileWall : 0.0, threads,
        ph.compileCpu, ph.loadCpu, ph.wait, ph.firstPass, result->rounds,
        ph.halving + ph.finalRound, result->retimed, result->finalists,
        ph.verify, ph.total);
    auto writeJson = [&](const char *status) -> llvm::Error {
      if (!args.has("json"))
        return llvm::Error::success();
      llvm::json::Object o{
          {"shape", llvm::json::Array(job.jsonShape)},
          {"status", status},
          {"wall_s", secs},
          {"candidates", int64_t(job.cands.size())},
          {"seeds", int64_t(job.seeds)},
          {"pruned", pruned},
          {"compiled", result->compiled},
          {"cache_hits", result->cacheHits},
          {"journal", result->fromJournal},
          {"rejected", result->rejected},
          {"spill", result->spilled},
          {"cut", result->cut},
          {"timed", result->timed},
          {"wrong", result->wrong},
          {"rounds", result->rounds},
          {"retimed", result->retimed},
          {"finalists", result->finalists},
          {"complete", result->complete},
          {"threads", int64_t(threads)},
          {"phases",
           llvm::json::Object{{"compile_wall_s", ph.compileWall},
                              {"compiled_in_wall", ph.compiledInWall},
                              {"compile_cpu_s", ph.compileCpu},
                              {"load_cpu_s", ph.loadCpu},
                              {"wait_s", ph.wait},
                              {"first_pass_s", ph.firstPass},
                              {"halving_s", ph.halving},
                              {"final_round_s", ph.finalRound},
                              {"verify_s", ph.verify},
                              {"total_s", ph.total}}}};
      for (const auto &kv : job.jsonExtra)
        o[kv.first] = kv.second;
      auto entryJson = [&](const Candidate &c) {
        llvm::json::Object e;
        for (auto &[k, v] : job.entry(c, -1).fields)
          e[k] = v;
        return e;
      };
      if (result->best) {
        o["best"] = result->best->key();
        o["best_us"] = result->bestUs;
        o["config"] = entryJson(*result->best);
      }
      if (result->bestSeed) {
        o["best_seed"] = result->bestSeed->key();
        o["best_seed_us"] = result->bestSeedUs;
        o["seed_config"] = entryJson(*result->bestSeed);
      }
      std::string line;
      llvm::raw_string_ostream os(line);
      os << llvm::json::Value(std::move(o)) << "\n";
      AppendFile f;
      if (auto e = f.open(args.get("json")))
        return e;
      return f.append(line);
    };
    if (!result->best) {
      llvm::outs() << "  no candidate passed\n" << timeLine << "\n";
      if (auto e = writeJson("none"))
        return e;
      exitCode = 1;
      continue;
    }
    llvm::outs() << fmt::format("  best {} {:.3f} us\n", result->best->key(),
                                result->bestUs);
    if (result->bestSeed)
      llvm::outs() << fmt::format(
          "  best seed {} {:.3f} us (same final round): tuned {:.3f}x it\n",
          result->bestSeed->key(), result->bestSeedUs,
          result->bestUs > 0 ? result->bestSeedUs / result->bestUs : 0.0);
    llvm::outs() << timeLine << "\n";
    if (onWinner)
      onWinner(job, *result);
    if (auto e = writeJson("ok"))
      return e;
    ConfigFile cf;
    if (llvm::sys::fs::exists(job.dbPath)) {
      auto existing = readConfigFile(job.dbPath);
      if (!existing)
        return existing.takeError();
      cf = std::move(*existing);
    }
    cf.put(job.dbKey, job.entry(*result->best, result->bestUs));
    if (auto e = writeConfigFile(job.dbPath, cf))
      return e;
    if (!result->complete)
      llvm::outs() << "  (stopped at the time budget: not every candidate "
                      "was tried; --resume continues)\n";
  }
  return exitCode;
}

/// --compile-only: every candidate of each job compiled on `threads`
/// threads (no device, no kernel cache): how fast, and what the verifier,
/// the code generator and the resources reject. Exit code 1 when a job
/// has no candidate that compiles.
int compileOnlyJobs(
    const std::vector<TuneJob> &jobs, unsigned threads,
    const std::function<llvm::Expected<CompiledCandidate>(
        const TuneJob &, const Candidate &)> &compile) {
  int exit = 0;
  for (const TuneJob &job : jobs) {
    llvm::DefaultThreadPool pool(llvm::hardware_concurrency(threads));
    std::atomic<int> ok{0}, rejected{0}, spilled{0};
    std::mutex firstMutex;
    std::string first;
    auto t0 = std::chrono::steady_clock::now();
    for (const Candidate &c : job.cands)
      pool.async([&, c] {
        auto r = compile(job, c);
        if (!r) {
          std::string msg = llvm::toString(r.takeError());
          ++rejected;
          std::lock_guard<std::mutex> lock(firstMutex);
          if (first.empty())
            first = c.key() + ": " + msg;
        } else if (r->resources.vgprSpills || r->resources.sgprSpills ||
                   r->resources.scratchBytes) {
          ++spilled;
        } else {
          ++ok;
        }
      });
    pool.wait();
    double secs = std::chrono::duration<double>(
                      std::chrono::steady_clock::now() - t0)
                      .count();
    llvm::outs() << fmt::format(
        "compile-only {}: {} candidates in {:.2f} s on {} threads: {:.1f} "
        "compiled/s; {} ok, {} rejected, {} spill{}\n",
        job.label, job.cands.size(), secs, threads,
        secs > 0 ? job.cands.size() / secs : 0.0, ok.load(), rejected.load(),
        spilled.load(),
        first.empty() ? "" : " (first: " + first.substr(0, 300) + ")");
    if (ok.load() + spilled.load() == 0)
      exit = 1;
  }
  return exit;
}

/// The tuner for `jobs`: its journal in DIR (created).
llvm::Error openJournal(const std::string &outDir, TunerOptions &topts) {
  if (std::error_code ec = llvm::sys::fs::create_directories(outDir))
    return llvm::createStringError(
        ec, fmt::format("cannot create {}: {}", outDir, ec.message()));
  llvm::SmallString<256> journal(outDir);
  llvm::sys::path::append(journal, "journal.jsonl");
  topts.journalPath = std::string(journal);
  return llvm::Error::success();
}

/// DIR/NAME for a config file key.
std::string dbPathIn(const std::string &dir, const ConfigFileKey &key) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, configFileName(key));
  return std::string(path);
}

//===----------------------------------------------------------------------===//
// moec tune --op moe: the w13 (gate+up) moe_gemm of a model
//===----------------------------------------------------------------------===//

/// The moe_gemm tuned for a model: A [tokens, K] (tokens dynamic, so one
/// kernel per candidate serves every batch: later batches are kernel cache
/// hits), W [E, N, K], C [tokens, top_k, N], routing arrays dynamic.
struct MoeProblem {
  int64_t experts = 0, topK = 1, n = 0, k = 0;
  std::string elt; ///< bf16 or f16
  emu::EK ek = emu::EK::BF16;

  std::string moduleText() const {
    std::string a = fmt::format("memref<?x{}x{}>", k, elt);
    std::string w = fmt::format("memref<{}x{}x{}x{}>", experts, n, k, elt);
    std::string c = fmt::format("memref<?x{}x{}x{}>", topK, n, elt);
    return fmt::format(
        R"(module {{
  func.func @moe_w13(%a: {0}, %w: {1}, %c: {2}, %s: memref<?xi32>,
                     %e: memref<?xi32>, %n: memref<1xi32>) {{
    moec.moe_gemm %a, %w -> %c
      routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>)
      {{top_k = {3} : i64, config = #moec.config<block_m = 16>}}
      : {0}, {1} -> {2}
    return
  }}
}}
)",
        a, w, c, topK);
  }
  /// vLLM's buffer sizes for a block_m: room for the worst case.
  int64_t sortedLen(int64_t tokens, int64_t blockM) const {
    return tokens * topK + experts * (blockM - 1);
  }
  int64_t blocks(int64_t tokens, int64_t blockM) const {
    return (sortedLen(tokens, blockM) + blockM - 1) / blockM;
  }
};

/// What the harnesses of planned launches share (MoeHarness,
/// AttentionHarness): the device, GemmHarness's loader (host object files,
/// cubins, PTX), the timing events, uploads and the planted-bug switch.
class DeviceHarness {
public:
  explicit DeviceHarness(std::shared_ptr<rt::Device> dev)
      : dev_(dev), loader_(GemmInfo{}, dev) {}

  /// Loads the candidate's code (a driver JIT for PTX) on a compile worker.
  llvm::Error prepare(CompiledCandidate &cc) {
    return loader_.load(*static_cast<GemmKernel *>(cc.payload.get()));
  }

protected:
  static llvm::Error err(const std::string &m) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), m);
  }
  /// The candidate's kernel, loaded.
  llvm::Expected<GemmKernel *> loaded(CompiledCandidate &cc) {
    auto *k = static_cast<GemmKernel *>(cc.payload.get());
    if (auto e = loader_.load(*k))
      return e;
    return k;
  }
  llvm::Expected<rt::Buffer> deviceCopy(const void *src, size_t bytes) {
    auto buf = dev_->allocate(std::max<size_t>(bytes, 16));
    if (!buf.ok())
      return err(buf.message());
    if (bytes)
      if (rt::Status st = buf->copyFromHost(src, bytes); !st.ok())
        return err(st.message());
    return std::move(*buf);
  }
  /// A pooled array expanded to its full size on the device.
  llvm::Expected<rt::Buffer> deviceCopy(const moe::PooledArray &x) {
    size_t eb = x.eltBytes(), pool = x.bytes.size();
    std::vector<uint8_t> full(size_t(x.elems) * eb);
    for (size_t off = 0; off < full.size(); off += pool)
      std::memcpy(&full[off], x.bytes.data(),
                  std::min(pool, full.size() - off));
    return deviceCopy(full.data(), full.size());
  }
  /// Testing: whether `c` gets the harness's planted bug: its key starts
  /// with $MOEC_TUNE_PLANT_WRONG (with a leading '!': does not). The check
  /// must catch every planted candidate.
  static bool planted(const Candidate &c) {
    const char *w = std::getenv("MOEC_TUNE_PLANT_WRONG");
    if (!w || !*w)
      return false;
    StringRef prefix(w);
    bool negate = prefix.consume_front("!");
    return StringRef(c.key()).starts_with(prefix) != negate;
  }

  std::shared_ptr<rt::Device> dev_;
  GemmHarness loader_; ///< its load(): host object files, cubins, PTX
  std::vector<rt::Event> events_;
};

/// Device data of one batch and the routing of each block_m, as vLLM's
/// benchmark_moe.py makes it: uniform random top-k (seeded), aligned on the
/// host (moe_align's reference) for each candidate's block_m.
class MoeHarness : public DeviceHarness {
public:
  MoeHarness(MoeProblem p, std::shared_ptr<rt::Device> dev)
      : DeviceHarness(dev), p_(std::move(p)) {}

  llvm::Expected<double> time(const ShapeRecord &s, CompiledCandidate &cc,
                              int warmup, int repeat) {
    auto kp = loaded(cc);
    if (!kp)
      return kp.takeError();
    GemmKernel &k = **kp;
    auto r = routing(s, k.cand.blockM);
    if (!r)
      return r.takeError();
    return timeLaunches(*dev_, events_, warmup, repeat,
                        [&] { return launch(k, **r); });
  }

  /// C starts as NaN bytes; every routed copy's row must match the float64
  /// reference (moe::checkMoeGemm).
  llvm::Error verify(const ShapeRecord &s, CompiledCandidate &cc) {
    auto kp = loaded(cc);
    if (!kp)
      return kp.takeError();
    GemmKernel &k = **kp;
    auto r = routing(s, k.cand.blockM);
    if (!r)
      return r.takeError();
    Data &d = *data_;
    // The planted bug (testing): every block names the next expert, so the
    // kernel multiplies with the wrong weights.
    std::unique_ptr<Routing> wrong;
    if (planted(k.cand)) {
      wrong = std::make_unique<Routing>();
      wrong->ref = (*r)->ref;
      for (int32_t &e : wrong->ref.expertIds)
        if (e >= 0)
          e = int32_t((e + 1) % p_.experts);
      if (auto e = upload(*wrong))
        return e;
    }
    Routing &use = wrong ? *wrong : **r;
    if (rt::Status st = d.c.fill(0xFF); !st.ok())
      return err(st.message());
    if (auto e = launch(k, use))
      return e;
    if (rt::Status st = dev_->synchronize(); !st.ok())
      return err(st.message());
    int64_t elems = d.tokens * p_.topK * p_.n;
    std::vector<uint8_t> bytes(elems * emu::bytesOf(p_.ek));
    if (rt::Status st = d.c.copyToHost(bytes.data(), bytes.size()); !st.ok())
      return err(st.message());
    std::vector<double> c = moe::decodeAll(p_.ek, bytes, elems);
    moe::GemmRefProblem prob;
    prob.tokens = d.tokens, prob.topK = p_.topK, prob.n = p_.n, prob.k = p_.k;
    prob.experts = p_.experts;
    moe::GemmRefInputs in;
    in.a = [&](int64_t row, int64_t kk) { return d.a.at(row * p_.k + kk); };
    in.w = [&](int64_t e, int64_t n, int64_t kk) {
      return d.w.at((e * p_.n + n) * p_.k + kk);
    };
    std::mt19937_64 rng(7);
    // The reference is the true routing: a planted one is wrong.
    moe::GemmCheck check =
        moe::checkMoeGemm(prob, in, (*r)->ref, k.cand.blockM, c,
                          tolerance(p_.ek == emu::EK::BF16 ? Elt::BF16
                                                           : Elt::F16),
                          rng);
    if (!check.pass)
      return err("wrong result: " + check.summary);
    return llvm::Error::success();
  }

private:
  struct Routing {
    moe::AlignOutputs ref;
    rt::Buffer sorted, experts, npad;
  };
  struct Data {
    int64_t tokens = 0;
    moe::PooledArray a, w;
    std::vector<int32_t> ids;
    rt::Buffer aBuf, wBuf, c;
    std::map<int64_t, std::unique_ptr<Routing>> byBlockM;
  };
  llvm::Error upload(Routing &r) {
    auto s = deviceCopy(r.ref.sorted.data(), r.ref.sorted.size() * 4);
    if (!s)
      return s.takeError();
    auto e = deviceCopy(r.ref.expertIds.data(), r.ref.expertIds.size() * 4);
    if (!e)
      return e.takeError();
    auto n = deviceCopy(&r.ref.npad, 4);
    if (!n)
      return n.takeError();
    r.sorted = std::move(*s), r.experts = std::move(*e),
    r.npad = std::move(*n);
    return llvm::Error::success();
  }
  llvm::Expected<Routing *> routing(const ShapeRecord &s, int64_t blockM) {
    int64_t tokens = *s.dim("M");
    if (!data_ || data_->tokens != tokens) {
      data_.reset();
      auto d = std::make_unique<Data>();
      d->tokens = tokens;
      std::mt19937_64 rng(1234);
      d->ids = moe::makeTopkIds(moe::Routing::Uniform, tokens, p_.topK,
                                p_.experts, rng);
      d->a = moe::PooledArray::random(p_.ek, tokens * p_.k, -1, 1, rng);
      d->w = moe::PooledArray::random(p_.ek, p_.experts * p_.n * p_.k, -1, 1,
                                      rng);
      auto a = deviceCopy(d->a);
      if (!a)
        return a.takeError();
      auto w = deviceCopy(d->w);
      if (!w)
        return w.takeError();
      auto c = dev_->allocate(std::max<size_t>(
          size_t(tokens * p_.topK * p_.n) * emu::bytesOf(p_.ek), 16));
      if (!c.ok())
        return err(c.message());
      d->aBuf = std::move(*a), d->wBuf = std::move(*w), d->c = std::move(*c);
      data_ = std::move(d);
    }
    auto &slot = data_->byBlockM[blockM];
    if (!slot) {
      auto r = std::make_unique<Routing>();
      r->ref = moe::alignReference(data_->ids, p_.topK, p_.experts, blockM,
                                   nullptr, p_.sortedLen(tokens, blockM),
                                   p_.blocks(tokens, blockM));
      // Past the padded length: the sentinel, as vLLM fills it.
      int32_t copies = int32_t(tokens * p_.topK);
      for (int32_t &x : r->ref.sorted)
        if (x < 0)
          x = copies;
      if (auto e = upload(*r))
        return e;
      slot = std::move(r);
    }
    return slot.get();
  }
  llvm::Error launch(GemmKernel &k, Routing &r) {
    Data &d = *data_;
    rt::KernelArgs args;
    args.addMemRef(d.aBuf.data(), {d.tokens, p_.k});
    args.addMemRef(d.wBuf.data(), {p_.experts, p_.n, p_.k});
    args.addMemRef(d.c.data(), {d.tokens, p_.topK, p_.n});
    args.addMemRef(r.sorted.data(), {int64_t(r.ref.sorted.size())});
    args.addMemRef(r.experts.data(), {int64_t(r.ref.expertIds.size())});
    args.addMemRef(r.npad.data(), {1});
    rt::Status st = k.kernel->launch(rt::Dim3{std::max<int64_t>(k.grid, 1)},
                                     rt::Dim3{k.lanes}, k.sharedBytes, args);
    if (!st.ok())
      return err(st.message());
    return llvm::Error::success();
  }

  MoeProblem p_;
  std::unique_ptr<Data> data_;
};

int tuneMoe(const Args &args, const MoeModelShape &shape,
            const std::string &dtype, const std::vector<int64_t> &batches,
            ConfigFileKey key) {
  for (const char *flag : {"shard", "devices", "shapes", "sizes"})
    if (args.has(flag))
      return fail("tune", fmt::format("--{} is not for --op moe yet (one "
                                      "process per batch list and device)",
                                      flag));
  if (dtype != "bf16" && dtype != "fp16")
    return fail("tune", fmt::format("--op moe -o: the MoE tuning harness "
                                    "takes bf16 and fp16 today, not '{}'",
                                    dtype));
  std::string chip = args.get("arch");
  const TargetInfo *target = lookupTarget(chip);
  if (!target)
    return fail("tune", fmt::format("--op moe -o needs --arch, one of {}",
                                    knownTargetNames()));
  TargetFamily family = familyOfChip(chip);
  std::string outDir = args.get("o");
  MoeProblem p;
  p.experts = shape.experts, p.topK = shape.topk;
  p.n = shape.w13N(), p.k = shape.w13K();
  p.elt = dtype == "bf16" ? "bf16" : "f16";
  p.ek = dtype == "bf16" ? emu::EK::BF16 : emu::EK::F16;
  const std::string source = p.moduleText();

  llvm::Expected<SearchSpace> space = loadSpace(args, "moe", family);
  if (!space)
    return fail("tune", llvm::toString(space.takeError()));

  TunerOptions topts;
  std::string ptxas;
  if (std::string e = parseTunerOptions(args, *target, topts, ptxas);
      !e.empty())
    return fail("tune", e);

  // A candidate for a batch: compiled (through `cache` when given), its
  // launch sized by getMoeGemmPlan for the batch's routing buffers.
  auto compileMoe = [&](int64_t tokens, const Candidate &c,
                        jit::KernelCache *cache)
      -> llvm::Expected<CompiledCandidate> {
    PlanHook plan = [&](ModuleOp m, const TargetInfo &t,
                        GemmKernel &k) -> llvm::Error {
      MoeGemmOp op;
      m.walk([&](MoeGemmOp o) { op = o; });
      if (!op)
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       "no moec.moe_gemm");
      KernelPlan kp = getMoeGemmPlan(op, t);
      k.grid = kp.gridSize(p.sortedLen(tokens, c.blockM), p.n);
      k.lanes = kp.lanes;
      k.sharedBytes = kp.dynamicLds ? kp.ldsBytes : 0;
      return llvm::Error::success();
    };
    return compileCandidate(source, chip, false, c, cache, ptxas, plan);
  };

  // One job per batch: vLLM prunes with the GEMM's rows, batch x top_k.
  std::vector<TuneJob> jobs;
  for (int64_t tokens : batches) {
    TuneJob job;
    ShapeRecord &s = job.record;
    s.op = "moe_gemm";
    s.shape = {{"M", tokens}, {"E", p.experts}, {"N", p.n}, {"K", p.k},
               {"top_k", p.topK}};
    s.dtypes = {p.elt, p.elt, p.elt};
    s.attrs = {{"gemm", "w13"}};
    s.target = chip;
    GemmShape gs{tokens * p.topK, p.n, p.k, int64_t(emu::bytesOf(p.ek)),
                 int64_t(emu::bytesOf(p.ek))};
    job.cands = candidatesForShape(*space, gs, family, &job.seeds, &job.dropped);
    job.label = fmt::format("batch {} (w13 M={} N={} K={}, E={} top_k={})",
                            tokens, gs.m, p.n, p.k, p.experts, p.topK);
    job.jsonShape = llvm::json::Array{gs.m, p.n, p.k};
    job.jsonExtra = llvm::json::Object{
        {"batch", tokens}, {"experts", p.experts}, {"top_k", p.topK}};
    job.dbKey = tokens;
    // vLLM's file: only the keys vLLM passes to its kernel (no time: vLLM
    // would pass it on).
    job.entry = [family](const Candidate &c, double) {
      return toEntry(c, family, EntryFlavor::VllmMoe);
    };
    jobs.push_back(std::move(job));
  }

  // Compile only: every candidate of each batch, no device (how fast they
  // compile, what the verifier and the plan check reject).
  if (args.has("compile-only"))
    return compileOnlyJobs(jobs, compileThreads(topts),
                           [&](const TuneJob &job, const Candidate &c) {
                             return compileMoe(*job.record.dim("M"), c,
                                               nullptr);
                           });

  auto opened = openTuneDevice(args, *target);
  if (!opened.ok())
    return fail("tune", opened.message());
  std::shared_ptr<rt::Device> dev = *opened;
  std::string deviceName =
      args.has("device-name") ? args.get("device-name") : dev->name();
  key.deviceName = vllmDeviceName(deviceName);
  if (auto e = openJournal(outDir, topts))
    return fail("tune", llvm::toString(std::move(e)));
  std::string path = dbPathIn(outDir, key);
  for (TuneJob &job : jobs) {
    job.record.device = deviceName;
    job.dbPath = path;
  }

  MoeHarness harness(p, dev);
  jit::KernelCache cache;
  TunerHooks hooks =
      harnessHooks(harness, [&](const ShapeRecord &s, const Candidate &c) {
        return compileMoe(*s.dim("M"), c, &cache);
      });
  Tuner tuner(hooks, topts);
  if (auto e = tuner.open())
    return fail("tune", llvm::toString(std::move(e)));
  auto t0 = std::chrono::steady_clock::now();
  int compiled = 0;
  auto exitCode = runJobs(args, tuner, compileThreads(topts), jobs, compiled);
  if (!exitCode)
    return fail("tune", llvm::toString(exitCode.takeError()));
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  llvm::outs() << fmt::format("tuned {} batch size(s) in {:.1f} s into {}\n",
                              batches.size(), secs, path);
  return *exitCode;
}

//===----------------------------------------------------------------------===//
// moec tune --op attention: sparse MLA decode per (tokens, h_q, topk)
//===----------------------------------------------------------------------===//

/// The sparse_attention tuned for a decode shape: q [tokens, h_q, d_qk]
/// (tokens dynamic, so one kernel per candidate serves every batch), a
/// paged KV cache [blocks, page, d_qk], indices [tokens, topk], out, lse
/// and a split-KV workspace [splits, tokens * h_q, d_v + 1] (dynamic).
struct AttentionProblem {
  int64_t hQ = 16, topk = 2048, page = 64, dQK = 576, dV = 512;
  std::string elt = "bf16";
  emu::EK ek = emu::EK::BF16;
  double scale = 0.0721687836; ///< 1 / sqrt(192), as the example

  std::string moduleText() const {
    std::string q = fmt::format("memref<?x{}x{}x{}>", hQ, dQK, elt);
    std::string kv = fmt::format("memref<?x{}x{}x{}>", page, dQK, elt);
    std::string idx = fmt::format("memref<?x{}xi32>", topk);
    std::string out = fmt::format("memref<?x{}x{}x{}>", hQ, dV, elt);
    std::string lse = fmt::format("memref<?x{}xf32>", hQ);
    std::string ws = fmt::format("memref<?x?x{}xf32>", dV + 1);
    return fmt::format(
        R"(module {{
  func.func @mla(%q: {0}, %kv: {1}, %idx: {2}, %out: {3}, %lse: {4}, %ws: {5}) {{
    moec.sparse_attention %q, %kv, %idx -> %out lse(%lse : {4})
        workspace(%ws : {5}) {{
      scale = {6} : f32, config = #moec.config<>
    }} : {0}, {1}, {2} -> {3}
    return
  }}
}}
)",
        q, kv, idx, out, lse, ws, scale);
  }
  /// Rows of the cache for a batch: as moec run sizes it, min(max(2 topk,
  /// tokens x topk), 2^20), in whole pages.
  int64_t blocks(int64_t tokens) const {
    int64_t rows = std::min<int64_t>(std::max<int64_t>(2 * topk, tokens * topk),
                                     int64_t(1) << 20);
    return std::max<int64_t>(1, (rows + page - 1) / page);
  }
};

/// Device data of one batch (random q and cache, uniform random index rows
/// with about 1 in 8 entries -1, as `moec run --index-pattern random`), the
/// candidate's launch (attention kernel, then the merge kernel when it
/// splits), and the float64 check of out and lse (`moec run`'s reference
/// and tolerances).
class AttentionHarness : public DeviceHarness {
public:
  AttentionHarness(AttentionProblem p, std::shared_ptr<rt::Device> dev)
      : DeviceHarness(dev), p_(std::move(p)) {}

  llvm::Expected<double> time(const ShapeRecord &s, CompiledCandidate &cc,
                              int warmup, int repeat) {
    auto kp = loaded(cc);
    if (!kp)
      return kp.takeError();
    GemmKernel &k = **kp;
    auto d = data(*s.dim("tokens"), k.splits);
    if (!d)
      return d.takeError();
    return timeLaunches(*dev_, events_, warmup, repeat,
                        [&] { return launch(k, **d, (*d)->idxBuf); });
  }

  llvm::Error verify(const ShapeRecord &s, CompiledCandidate &cc) {
    auto kp = loaded(cc);
    if (!kp)
      return kp.takeError();
    GemmKernel &k = **kp;
    auto dd = data(*s.dim("tokens"), k.splits);
    if (!dd)
      return dd.takeError();
    Data &d = **dd;
    // The planted bug (testing): the kernel reads the next row of the
    // cache for every index.
    std::optional<rt::Buffer> wrong;
    if (planted(k.cand)) {
      std::vector<int32_t> shifted = d.idx;
      int64_t rows = d.blocks * p_.page;
      for (int32_t &i : shifted)
        if (i >= 0)
          i = int32_t((i + 1) % rows);
      auto buf = deviceCopy(shifted.data(), shifted.size() * 4);
      if (!buf)
        return buf.takeError();
      wrong = std::move(*buf);
    }
    if (rt::Status st = d.out.fill(0xFF); !st.ok())
      return err(st.message());
    if (rt::Status st = d.lse.fill(0xFF); !st.ok())
      return err(st.message());
    if (auto e = launch(k, d, wrong ? *wrong : d.idxBuf))
      return e;
    if (rt::Status st = dev_->synchronize(); !st.ok())
      return err(st.message());
    int64_t outElems = d.tokens * p_.hQ * p_.dV;
    std::vector<uint8_t> outBytes(size_t(outElems) * emu::bytesOf(p_.ek));
    std::vector<float> lse(size_t(d.tokens * p_.hQ));
    if (rt::Status st = d.out.copyToHost(outBytes.data(), outBytes.size());
        !st.ok())
      return err(st.message());
    if (rt::Status st = d.lse.copyToHost(lse.data(), lse.size() * 4); !st.ok())
      return err(st.message());
    std::vector<double> out = moe::decodeAll(p_.ek, outBytes, outElems);
    // Every token of small batches, else a sample (first and last kept) of
    // about 2e8 multiply-adds, as `moec run` checks.
    std::vector<int64_t> toks;
    double perToken = double(p_.hQ) * p_.topk * (p_.dQK + p_.dV);
    int64_t want = std::max<int64_t>(2, int64_t(2e8 / perToken));
    int64_t step = std::max<int64_t>(1, d.tokens / want);
    for (int64_t t = 0; t < d.tokens; t += step)
      toks.push_back(t);
    if (d.tokens > 0 && toks.back() != d.tokens - 1)
      toks.push_back(d.tokens - 1);
    attn::Shape shape;
    shape.tokens = d.tokens, shape.hQ = p_.hQ, shape.dQK = p_.dQK;
    shape.dV = p_.dV, shape.topk = p_.topk, shape.kvRows = d.blocks * p_.page;
    shape.scale = double(float(p_.scale));
    struct Check {
      double maxErr = 0, maxRef = 0, maxLseErr = 0;
      int64_t bad = 0;
    };
    std::vector<Check> per(toks.size());
    llvm::parallelFor(0, toks.size(), [&](size_t i) {
      int64_t t = toks[i];
      Check &c = per[i];
      std::vector<double> ref(size_t(p_.dV));
      for (int64_t h = 0; h < p_.hQ; ++h) {
        double refLse;
        attn::referenceRow(
            shape,
            [&](int64_t tt, int64_t hh, int64_t cc) {
              return d.q.at((tt * p_.hQ + hh) * p_.dQK + cc);
            },
            [&](int64_t r, int64_t cc) { return d.kv.at(r * p_.dQK + cc); },
            d.idx.data() + t * p_.topk, t, h, ref.data(), refLse);
        for (int64_t col = 0; col < p_.dV; ++col) {
          double got = out[size_t((t * p_.hQ + h) * p_.dV + col)];
          if (!std::isfinite(got)) {
            ++c.bad;
            continue;
          }
          c.maxErr = std::max(c.maxErr, std::abs(got - ref[col]));
          c.maxRef = std::max(c.maxRef, std::abs(ref[col]));
        }
        double gotLse = lse[size_t(t * p_.hQ + h)];
        if (std::isinf(refLse))
          c.bad += !(std::isinf(gotLse) && gotLse < 0);
        else if (!std::isfinite(gotLse))
          ++c.bad;
        else
          c.maxLseErr = std::max(c.maxLseErr, std::abs(gotLse - refLse));
      }
    });
    Check all;
    for (const Check &c : per) {
      all.maxErr = std::max(all.maxErr, c.maxErr);
      all.maxRef = std::max(all.maxRef, c.maxRef);
      all.maxLseErr = std::max(all.maxLseErr, c.maxLseErr);
      all.bad += c.bad;
    }
    // moec run's tolerances: P goes through the KV type before P x V.
    const double outTol = 1.0 / 64, lseTol = 1e-4;
    double rel = all.maxRef > 0 ? all.maxErr / all.maxRef : all.maxErr;
    if (all.bad || rel > outTol || all.maxLseErr > lseTol)
      return err(fmt::format(
          "wrong result: max relative error {:.3e} (tolerance {:.1e}), max "
          "lse error {:.3e} (tolerance {:.0e}), {} values unwritten, NaN or "
          "wrong where a row is all -1 ({} tokens checked)",
          rel, outTol, all.maxLseErr, lseTol, all.bad, toks.size()));
    return llvm::Error::success();
  }

private:
  struct Data {
    int64_t tokens = 0, blocks = 0, wsSplits = 0;
    moe::PooledArray q, kv;
    std::vector<int32_t> idx;
    rt::Buffer qBuf, kvBuf, idxBuf, out, lse, ws;
  };
  llvm::Expected<Data *> data(int64_t tokens, int64_t splits) {
    if (!data_ || data_->tokens != tokens) {
      data_.reset();
      auto d = std::make_unique<Data>();
      d->tokens = tokens;
      d->blocks = p_.blocks(tokens);
      std::mt19937_64 rng(1234);
      d->q = moe::PooledArray::random(p_.ek, tokens * p_.hQ * p_.dQK, -1, 1,
                                      rng);
      d->kv = moe::PooledArray::random(p_.ek, d->blocks * p_.page * p_.dQK,
                                       -1, 1, rng);
      d->idx = attn::makeIndices(attn::IndexPattern::Random, tokens, p_.topk,
                                 d->blocks * p_.page, p_.page, rng);
      auto q = deviceCopy(d->q);
      if (!q)
        return q.takeError();
      auto kv = deviceCopy(d->kv);
      if (!kv)
        return kv.takeError();
      auto idx = deviceCopy(d->idx.data(), d->idx.size() * 4);
      if (!idx)
        return idx.takeError();
      auto out = dev_->allocate(std::max<size_t>(
          size_t(tokens * p_.hQ * p_.dV) * emu::bytesOf(p_.ek), 16));
      auto lse = dev_->allocate(std::max<size_t>(size_t(tokens * p_.hQ) * 4, 16));
      if (!out.ok() || !lse.ok())
        return err(!out.ok() ? out.message() : lse.message());
      d->qBuf = std::move(*q), d->kvBuf = std::move(*kv);
      d->idxBuf = std::move(*idx), d->out = std::move(*out);
      d->lse = std::move(*lse);
      data_ = std::move(d);
    }
    if (splits > data_->wsSplits) {
      auto ws = dev_->allocate(
          size_t(splits * tokens * p_.hQ * (p_.dV + 1)) * 4);
      if (!ws.ok())
        return err(ws.message());
      data_->ws = std::move(*ws);
      data_->wsSplits = splits;
    }
    return data_.get();
  }
  /// The kernel's arguments are the op's operands in ODS order.
  llvm::Error launch(GemmKernel &k, Data &d, rt::Buffer &idx) {
    rt::KernelArgs args;
    args.addMemRef(d.qBuf.data(), {d.tokens, p_.hQ, p_.dQK});
    args.addMemRef(d.kvBuf.data(), {d.blocks, p_.page, p_.dQK});
    args.addMemRef(idx.data(), {d.tokens, p_.topk});
    args.addMemRef(d.out.data(), {d.tokens, p_.hQ, p_.dV});
    args.addMemRef(d.lse.data(), {d.tokens, p_.hQ});
    args.addMemRef(d.ws.data(), {k.splits, d.tokens * p_.hQ, p_.dV + 1});
    rt::Status st = k.kernel->launch(rt::Dim3{std::max<int64_t>(k.grid, 1)},
                                     rt::Dim3{k.lanes}, k.sharedBytes, args);
    if (st.ok() && k.splits > 1)
      st = k.merge->launch(rt::Dim3{std::max<int64_t>(k.mergeGrid, 1)},
                           rt::Dim3{k.lanes}, 0, args);
    if (!st.ok())
      return err(st.message());
    return llvm::Error::success();
  }

  AttentionProblem p_;
  std::unique_ptr<Data> data_;
};

/// A comma-separated list of positive integers (--h-q, --topk, --batch);
/// the first bad entry, empty when all parse.
std::string parseList(const Args &args, const char *flag,
                      std::vector<int64_t> &out) {
  for (const std::string &list : args.all(flag)) {
    llvm::SmallVector<StringRef> parts;
    StringRef(list).split(parts, ',', -1, false);
    for (StringRef p : parts) {
      auto v = parseInt(p);
      if (!v || *v <= 0)
        return p.str();
      out.push_back(*v);
    }
  }
  return {};
}

int tuneAttention(const Args &args) {
  for (const char *flag : {"shard", "devices", "shapes", "sizes", "model"})
    if (args.has(flag))
      return fail("tune", fmt::format("--{} is not for --op attention", flag));
  std::string chip = args.get("arch");
  const TargetInfo *target = lookupTarget(chip);
  if (!target)
    return fail("tune", fmt::format("--op attention needs --arch, one of {}",
                                    knownTargetNames()));
  TargetFamily family = familyOfChip(chip);
  std::vector<int64_t> hqs, topks, batches;
  for (auto [flag, list] : {std::pair{"q-heads", &hqs}, {"topk", &topks},
                            {"batch", &batches}})
    if (std::string bad = parseList(args, flag, *list); !bad.empty())
      return fail("tune", fmt::format("--{} entry '{}' is not a positive "
                                      "integer",
                                      flag, bad));
  if (hqs.empty())
    hqs = {16, 128};
  if (topks.empty())
    topks = {2048};
  if (batches.empty())
    batches = {1, 8, 64, 256, 1024};
  llvm::sort(hqs);
  hqs.erase(std::unique(hqs.begin(), hqs.end()), hqs.end());
  llvm::sort(batches);
  batches.erase(std::unique(batches.begin(), batches.end()), batches.end());
  AttentionProblem base;
  for (auto [flag, field] :
       {std::pair{"page", &base.page}, {"d-qk", &base.dQK}, {"d-v", &base.dV}})
    if (args.has(flag)) {
      auto v = parseInt(args.get(flag));
      if (!v || *v <= 0)
        return fail("tune", fmt::format("--{} takes a positive integer", flag));
      *field = *v;
    }
  std::string dtype = args.get("dtype", "bf16");
  if (dtype != "bf16" && dtype != "fp16")
    return fail("tune", fmt::format("--op attention --dtype '{}': expected "
                                    "bf16 or fp16",
                                    dtype));
  base.elt = dtype == "bf16" ? "bf16" : "f16";
  base.ek = dtype == "bf16" ? emu::EK::BF16 : emu::EK::F16;
  std::string outDir = args.get("o");
  if (outDir.empty() && !args.has("compile-only"))
    return fail("tune", "--op attention needs -o DIR (or --compile-only)");

  llvm::Expected<SearchSpace> space = loadSpace(args, "attention", family);
  if (!space)
    return fail("tune", llvm::toString(space.takeError()));
  TunerOptions topts;
  std::string ptxas;
  if (std::string e = parseTunerOptions(args, *target, topts, ptxas);
      !e.empty())
    return fail("tune", e);
  const int64_t cus = SparseAttentionPlan::typicalComputeUnits(*target);

  // A candidate for a batch of `tokens`: compiled (through `cache` when
  // given), its launch (grid, splits, merge grid) sized by the op's
  // SparseAttentionPlan as `moec run` sizes it.
  auto compileAttention = [&](const AttentionProblem &p, int64_t tokens,
                              const Candidate &c, jit::KernelCache *cache)
      -> llvm::Expected<CompiledCandidate> {
    PlanHook plan = [&](ModuleOp m, const TargetInfo &t,
                        GemmKernel &k) -> llvm::Error {
      SparseAttentionOp op;
      m.walk([&](SparseAttentionOp o) { op = o; });
      if (!op)
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       "no moec.sparse_attention");
      SparseAttentionPlan sp = getSparseAttentionPlan(op, t);
      k.splits = sp.kvSplitsFor(tokens, p.hQ, p.topk, cus);
      k.grid = sp.gridSize(tokens, p.hQ, k.splits);
      k.mergeGrid = sp.mergeGridSize(tokens, p.hQ);
      k.lanes = sp.kernel.lanes;
      k.sharedBytes = sp.kernel.dynamicLds ? sp.kernel.ldsBytes : 0;
      return llvm::Error::success();
    };
    return compileCandidate(p.moduleText(), chip, false, c, cache, ptxas,
                            plan, /*kernels=*/2);
  };

  // The device (its name names the DB file), unless compiling only.
  std::shared_ptr<rt::Device> dev;
  std::string deviceName = args.get("device-name");
  if (!args.has("compile-only")) {
    auto opened = openTuneDevice(args, *target);
    if (!opened.ok())
      return fail("tune", opened.message());
    dev = *opened;
    if (deviceName.empty())
      deviceName = dev->name();
  }
  if (deviceName.empty())
    deviceName = typicalDeviceName(chip);

  // One job per (h_q, topk, batch), the table's row for the shape as the
  // first seed (so the result is never slower than what the runtime picks
  // without a database).
  std::vector<TuneJob> jobs;
  std::vector<AttentionProblem> problems; // per job
  for (int64_t hQ : hqs)
    for (int64_t topk : topks)
      for (int64_t tokens : batches) {
        AttentionProblem p = base;
        p.hQ = hQ, p.topk = topk;
        TuneJob job;
        ShapeRecord &s = job.record;
        s.op = "sparse_attention";
        s.shape = {{"tokens", tokens}, {"h_q", hQ}, {"topk", topk},
                   {"page", p.page},   {"d_qk", p.dQK}, {"d_v", p.dV}};
        s.dtypes = {p.elt, p.elt, p.elt};
        s.target = chip;
        s.device = deviceName;
        SparseMlaShape shape{tokens, hQ, topk};
        Candidate row = lookupSparseMlaTable(chip, shape).candidate();
        job.cands = candidatesForAttention(*space, shape, family, cus, {row},
                                           &job.seeds, &job.dropped);
        job.label = fmt::format("tokens {} (h_q={} topk={} page={} d_qk={} "
                                "d_v={})",
                                tokens, hQ, topk, p.page, p.dQK, p.dV);
        job.jsonShape = llvm::json::Array{tokens, hQ, topk};
        job.jsonExtra = llvm::json::Object{
            {"tokens", tokens}, {"h_q", hQ}, {"topk", topk}, {"page", p.page}};
        job.dbPath = dbPathIn(outDir, sparseMlaFileKey(hQ, topk, p.dQK, p.dV,
                                                       deviceName, dtype == "bf16" ? "bf16" : "f16"));
        job.dbKey = tokens;
        job.entry = [family](const Candidate &c, double us) {
          TuningEntry e = toEntry(c, family, EntryFlavor::Attention);
          if (us >= 0)
            e.set("time_us", std::round(us * 1000) / 1000);
          return e;
        };
        jobs.push_back(std::move(job));
        problems.push_back(p);
      }
  auto problemOf = [&](const ShapeRecord &s) -> const AttentionProblem & {
    for (const AttentionProblem &p : problems)
      if (p.hQ == *s.dim("h_q") && p.topk == *s.dim("topk"))
        return p;
    return problems.front();
  };

  if (args.has("compile-only"))
    return compileOnlyJobs(jobs, compileThreads(topts),
                           [&](const TuneJob &job, const Candidate &c) {
                             return compileAttention(problemOf(job.record),
                                                     *job.record.dim("tokens"),
                                                     c, nullptr);
                           });
  if (auto e = openJournal(outDir, topts))
    return fail("tune", llvm::toString(std::move(e)));

  jit::KernelCache cache;
  int exitCode = 0, compiled = 0;
  auto t0 = std::chrono::steady_clock::now();
  std::set<std::string> files;
  // One harness (one problem's data) per (h_q, topk), in job order.
  for (size_t first = 0; first < jobs.size();) {
    size_t last = first;
    const AttentionProblem &p = problems[first];
    while (last < jobs.size() && problems[last].hQ == p.hQ &&
           problems[last].topk == p.topk)
      ++last;
    std::vector<TuneJob> group(std::make_move_iterator(jobs.begin() + first),
                               std::make_move_iterator(jobs.begin() + last));
    AttentionHarness harness(p, dev);
    TunerHooks hooks =
        harnessHooks(harness, [&](const ShapeRecord &s, const Candidate &c) {
          return compileAttention(p, *s.dim("tokens"), c, &cache);
        });
    Tuner tuner(hooks, topts);
    if (auto e = tuner.open())
      return fail("tune", llvm::toString(std::move(e)));
    // The table line of each winner: a MOEC_MLA_ROW of SparseMlaConfigs.def
    // covering the tokens nearest to this batch (as the DB's nearest
    // lookup) and the h_q up to this one from the previous tuned h_q.
    auto onWinner = [&](const TuneJob &job, const ShapeResult &r) {
      int64_t tokens = job.dbKey;
      size_t bi = std::find(batches.begin(), batches.end(), tokens) -
                  batches.begin();
      size_t hi = std::find(hqs.begin(), hqs.end(), p.hQ) - hqs.begin();
      SparseMlaTableRow row = lookupSparseMlaTable(chip, {tokens, p.hQ, p.topk});
      const Candidate &c = *r.best;
      std::string target = chip;
      row.hQMin = hi == 0 ? -1 : hqs[hi - 1] + 1;
      row.hQMax = hi + 1 == hqs.size() ? -1 : p.hQ;
      row.topkMin = row.topkMax = -1;
      row.tokensMin = bi == 0 ? 0 : (batches[bi - 1] + tokens) / 2 + 1;
      row.tokensMax = bi + 1 == batches.size()
                          ? -1
                          : (tokens + batches[bi + 1]) / 2;
      int64_t groups = tokens * ((p.hQ + c.blockH - 1) / c.blockH);
      row.regime = groups < cus && c.kvSplits > 1 ? "ramp" : "saturated";
      row.blockH = c.blockH, row.blockKV = c.blockKV;
      row.numWarps = c.numWarps, row.numStages = c.numStages;
      row.kvSplits = c.kvSplits, row.wavesPerEU = c.wavesPerEU;
      row.nonKDim = c.nonKDim;
      std::string source = fmt::format("moec tune: h_q {} topk {} batch {}, "
                                       "{:.1f} us",
                                       p.hQ, p.topk, tokens, r.bestUs);
      row.source = source.c_str();
      row.target = target.c_str();
      llvm::outs() << "  table row: " << row.defLine() << "\n";
    };
    auto rc = runJobs(args, tuner, compileThreads(topts), group, compiled,
                      onWinner);
    if (!rc)
      return fail("tune", llvm::toString(rc.takeError()));
    exitCode |= *rc;
    for (const TuneJob &j : group)
      if (llvm::sys::fs::exists(j.dbPath))
        files.insert(j.dbPath);
    first = last;
  }
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  llvm::outs() << fmt::format("tuned {} decode shape(s) in {:.1f} s; {} "
                              "candidates compiled; winners in {}\n",
                              jobs.size(), secs, compiled,
                              llvm::join(files, ", "));
  return exitCode;
}

} // namespace

int runTune(llvm::ArrayRef<std::string> argv) {
  Args args(argv,
            {"arch", "shapes", "sizes", "batch", "o", "space", "budget",
             "shard", "jobs", "warmup", "repeat", "device", "op", "model",
             "tp-size", "ep-size", "dtype", "device-name", "devices", "cut",
             "finalists", "quick-repeat", "json", "ptxas", "q-heads", "topk",
             "page", "d-qk", "d-v"},
            {"resume", "assume-aligned", "compile-only", "quiet", "help"});
  if (!args.error.empty())
    return fail("tune", args.error + "\n" + kTuneUsage);
  if (args.has("help")) {
    llvm::outs() << kTuneUsage;
    return 0;
  }
  std::string op = args.get("op", "gemm");
  if (op == "moe")
    return runModelFrontEnd(args);
  if (op == "attention")
    return tuneAttention(args);
  if (op != "gemm")
    return fail("tune", fmt::format("--op '{}': expected gemm, moe or "
                                    "attention",
                                    op));
  if (args.positional.size() != 1)
    return fail("tune", std::string("expected one input .mlir file\n") +
                            kTuneUsage);
  const std::string file = args.positional.front();
  std::string outDir = args.get("o");
  if (outDir.empty() && !args.has("compile-only"))
    return fail("tune", "-o DIR is required (where the config files go)");

  // The file: its one moec.gemm and target.
  auto buf = llvm::MemoryBuffer::getFile(file, true);
  if (!buf)
    return fail("tune", fmt::format("{}: cannot read: {}", file,
                                    buf.getError().message()));
  const std::string source = (*buf)->getBuffer().str();
  DialectRegistry registry;
  registerMoecDialects(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(source, ParserConfig(&ctx, false), file);
  if (!module)
    return 1;
  std::string chip = args.get("arch");
  if (chip.empty())
    if (auto t = (*module)->getAttrOfType<TargetAttr>(
            MoecDialect::kTargetAttrName))
      chip = t.getChip().str();
  if (chip.empty() || !lookupTarget(chip))
    return fail("tune", fmt::format("--arch '{}': expected one of {}", chip,
                                    knownTargetNames()));
  SmallVector<GemmOp> gemms;
  int otherOps = 0;
  module->walk([&](Operation *o) {
    if (auto g = dyn_cast<GemmOp>(o))
      gemms.push_back(g);
    else if (isa<MoecDialect>(o->getDialect()))
      ++otherOps;
  });
  if (gemms.size() != 1 || otherOps)
    return fail("tune", fmt::format("{}: tuning needs exactly one moec.gemm "
                                    "(and no other moec op) in the file",
                                    file));
  GemmOp g = gemms.front();
  GemmInfo info;
  info.m = g.getM(), info.n = g.getN(), info.k = g.getK();
  info.transA = g.getTransposeA();
  info.transB = g.getTransposeB();
  auto elt = [](Value v) {
    return eltOf(cast<MemRefType>(v.getType()).getElementType());
  };
  auto ea = elt(g.getA()), eb = elt(g.getB()), ec = elt(g.getC());
  if (!ea || !eb || !ec || g.getScaleA() || g.getScaleB() ||
      g.getActivation() != Activation::none || (g.getBias() && !elt(g.getBias())))
    return fail("tune", "the tuning harness takes f16/bf16/f32 GEMMs without "
                        "scales or activation today");
  info.a = *ea, info.b = *eb, info.c = *ec;
  info.bias = static_cast<bool>(g.getBias());
  if (g.getBias() && *elt(g.getBias()) != info.c)
    return fail("tune", "the tuning harness takes a bias of C's type only");
  const TargetInfo &target = *lookupTarget(chip);
  TargetFamily family = familyOfChip(chip);
  bool aligned = args.has("assume-aligned");

  // The search space.
  llvm::Expected<SearchSpace> space = loadSpace(args, "gemm", family);
  if (!space)
    return fail("tune", llvm::toString(space.takeError()));

  // --devices: this process only starts one worker per device and merges.
  if (args.has("devices")) {
    if (args.has("compile-only") || outDir.empty())
      return fail("tune", "--devices needs -o DIR and is not for "
                          "--compile-only");
    std::vector<int> devices;
    if (args.get("devices") == "all") {
      rt::DeviceKind kind = target.isHost()    ? rt::DeviceKind::Host
                            : target.isNVPTX() ? rt::DeviceKind::Cuda
                                               : rt::DeviceKind::Hip;
      auto n = rt::Device::count(kind);
      if (!n.ok())
        return fail("tune", n.message());
      for (int i = 0; i < *n; ++i)
        devices.push_back(i);
    } else {
      llvm::SmallVector<StringRef> parts;
      StringRef(args.get("devices")).split(parts, ',', -1, false);
      for (StringRef p : parts) {
        auto v = parseInt(p);
        if (!v || *v < 0)
          return fail("tune", fmt::format("--devices '{}': expected all or "
                                          "device indices I,J,...",
                                          args.get("devices")));
        devices.push_back(int(*v));
      }
    }
    if (devices.empty())
      return fail("tune", "--devices: no device");
    std::string self =
        llvm::sys::fs::getMainExecutable(nullptr, (void *)&runTune);
    // The worker's arguments: ours without -o, --devices and --device.
    std::vector<std::string> base = {self, "tune"};
    for (size_t i = 0; i < argv.size(); ++i) {
      StringRef a = argv[i];
      StringRef name = a.ltrim('-');
      StringRef key = name.split('=').first;
      if (a.starts_with("-") && (key == "o" || key == "devices" ||
                                 key == "device")) {
        if (!name.contains('='))
          ++i;
        continue;
      }
      base.push_back(a.str());
    }
    std::vector<llvm::sys::ProcessInfo> procs;
    std::vector<std::string> dirs;
    int w = 0, workers = int(devices.size());
    for (int dev : devices) {
      llvm::SmallString<256> dir(outDir);
      llvm::sys::path::append(dir, fmt::format("device-{}", w));
      dirs.push_back(std::string(dir));
      std::vector<std::string> wargs = base;
      for (const std::string &x :
           {std::string("--device"), std::to_string(dev), std::string("--shard"),
            fmt::format("{}/{}", w, workers), std::string("-o"), dirs.back()})
        wargs.push_back(x);
      std::vector<StringRef> refs(wargs.begin(), wargs.end());
      std::string err;
      procs.push_back(llvm::sys::ExecuteNoWait(self, refs, std::nullopt, {}, 0,
                                               &err));
      if (!procs.back().Pid)
        return fail("tune", fmt::format("cannot start worker {}: {}", w, err));
      ++w;
    }
    int failed = 0;
    for (size_t i = 0; i < procs.size(); ++i) {
      std::string err;
      llvm::sys::ProcessInfo r =
          llvm::sys::Wait(procs[i], std::nullopt, &err);
      if (r.ReturnCode != 0) {
        ++failed;
        llvm::errs() << fmt::format("moec tune: worker {} (device {}) "
                                    "exited with {}{}\n",
                                    i, devices[i], r.ReturnCode,
                                    err.empty() ? "" : ": " + err);
      }
    }
    std::vector<std::string> present;
    for (const std::string &d : dirs)
      if (llvm::sys::fs::is_directory(d))
        present.push_back(d);
    auto report = mergeDirectories(present, outDir);
    if (!report)
      return fail("tune", llvm::toString(report.takeError()));
    for (const std::string &c : report->conflicts)
      llvm::outs() << "conflict: " << c << "\n";
    llvm::outs() << fmt::format("{} worker(s), {} failed; merged {} file(s), "
                                "{} entries into {}\n",
                                workers, failed, report->files,
                                report->entries, outDir);
    return failed ? 1 : 0;
  }

  // The device (not needed to compile only).
  std::shared_ptr<rt::Device> dev;
  std::string deviceName = args.get("device-name");
  if (!args.has("compile-only")) {
    auto opened = openTuneDevice(args, target);
    if (!opened.ok())
      return fail("tune", opened.message());
    dev = *opened;
    if (deviceName.empty())
      deviceName = dev->name();
  }
  if (deviceName.empty())
    deviceName = chip;

  // The shapes.
  std::vector<ShapeRecord> shapes;
  std::vector<std::string> skipped;
  auto makeRecord = [&](int64_t m, int64_t n, int64_t k) {
    ShapeRecord r;
    r.op = "gemm";
    r.shape = {{"M", m}, {"N", n}, {"K", k}};
    r.dtypes = {eltName(info.a), eltName(info.b), eltName(info.c)};
    r.attrs = {{"layout", info.layout()}};
    r.target = chip;
    r.device = deviceName;
    return r;
  };
  auto checkStatic = [&](int64_t fromFile, int64_t v) {
    return ShapedType::isDynamic(fromFile) || fromFile == v;
  };
  if (args.has("shapes")) {
    auto log = readShapeLog(args.get("shapes"));
    if (!log)
      return fail("tune", llvm::toString(log.takeError()));
    for (const ShapeRecord &r : *log) {
      auto m = r.dim("M"), n = r.dim("N"), k = r.dim("K");
      ShapeRecord want = m && n && k ? makeRecord(*m, *n, *k) : ShapeRecord{};
      std::string why;
      if (r.op != "gemm")
        why = "op " + r.op;
      else if (!m || !n || !k)
        why = "no M, N, K";
      else if (r.target != chip)
        why = "target " + r.target;
      else if (r.dtypes != want.dtypes)
        why = "dtypes " + llvm::join(r.dtypes, ",");
      else if (!r.attr("layout").empty() && r.attr("layout") != info.layout())
        why = "layout " + r.attr("layout");
      else if (!checkStatic(info.m, *m) || !checkStatic(info.n, *n) ||
               !checkStatic(info.k, *k))
        why = "sizes differ from the file's static sizes";
      if (!why.empty()) {
        skipped.push_back(fmt::format("{} ({})", r.toJson(), why));
        continue;
      }
      shapes.push_back(want);
    }
  }
  std::map<std::string, int64_t> fixed;
  std::vector<std::map<std::string, int64_t>> sizeSets;
  for (const std::string &list : args.all("sizes")) {
    std::map<std::string, int64_t> set;
    llvm::SmallVector<StringRef> parts;
    StringRef(list).split(parts, ',', -1, false);
    for (StringRef p : parts) {
      auto [k, v] = p.split('=');
      auto val = parseInt(v);
      if (!val || *val < 0 || (k != "M" && k != "N" && k != "K"))
        return fail("tune", fmt::format("--sizes entry '{}' is not M=, N= or "
                                        "K=<integer>",
                                        p.str()));
      set[k.str()] = *val;
    }
    sizeSets.push_back(set);
  }
  std::vector<int64_t> batches;
  if (std::string bad = parseBatches(args, batches); !bad.empty())
    return fail("tune", fmt::format("--batch entry '{}' is not a positive "
                                    "integer",
                                    bad));
  auto resolve = [&](std::map<std::string, int64_t> set, int64_t fromFile,
                     const char *name) -> std::optional<int64_t> {
    if (set.count(name))
      return set[name];
    if (!ShapedType::isDynamic(fromFile))
      return fromFile;
    return std::nullopt;
  };
  if (!batches.empty() && sizeSets.empty())
    sizeSets.push_back({});
  for (auto &set : sizeSets) {
    std::vector<std::map<std::string, int64_t>> expanded;
    if (!batches.empty())
      for (int64_t b : batches) {
        auto s = set;
        s["M"] = b;
        expanded.push_back(s);
      }
    else
      expanded.push_back(set);
    for (auto &s : expanded) {
      auto m = resolve(s, info.m, "M"), n = resolve(s, info.n, "N"),
           k = resolve(s, info.k, "K");
      if (!m || !n || !k)
        return fail("tune", "give every dynamic size with --sizes (or M with "
                            "--batch)");
      if (!checkStatic(info.m, *m) || !checkStatic(info.n, *n) ||
          !checkStatic(info.k, *k))
        return fail("tune", "--sizes contradicts the file's static sizes");
      shapes.push_back(makeRecord(*m, *n, *k));
    }
  }
  // Distinct shapes, in order.
  {
    std::vector<ShapeRecord> unique;
    std::set<std::string> seen;
    for (auto &s : shapes)
      if (seen.insert(s.toJson()).second)
        unique.push_back(s);
    shapes = std::move(unique);
  }
  for (const std::string &s : skipped)
    llvm::errs() << "moec tune: skipping " << s << "\n";
  // Each --shard slices what the previous one left (--devices adds one).
  // An empty slice is not an error: job arrays may have more jobs than shapes.
  bool hadShapes = !shapes.empty();
  for (const std::string &shard : args.all("shard")) {
    auto [i, n] = StringRef(shard).split('/');
    auto si = parseInt(i), sn = parseInt(n);
    if (!si || !sn || *sn < 1 || *si < 0 || *si >= *sn)
      return fail("tune", fmt::format("--shard '{}': expected I/N with 0 <= "
                                      "I < N",
                                      shard));
    shapes = shardSlice(shapes, int(*si), int(*sn));
  }
  if (shapes.empty() && hadShapes) {
    llvm::outs() << "no shape in this shard\n";
    return 0;
  }
  if (shapes.empty())
    return fail("tune", "no shape to tune (give --shapes, --sizes or --batch; "
                        "see the skipped lines above)");

  TunerOptions topts;
  std::string ptxas;
  if (std::string e = parseTunerOptions(args, target, topts, ptxas);
      !e.empty())
    return fail("tune", e);

  // One job per shape: M=.. N=.. K=.., into DIR's file for (N, K, device,
  // dtype, layout), keyed by M, with the measured time.
  std::vector<TuneJob> jobs;
  for (const ShapeRecord &s : shapes) {
    TuneJob job;
    job.record = s;
    GemmShape gs{*s.dim("M"), *s.dim("N"), *s.dim("K"),
                 int64_t(eltBytes(info.a)), int64_t(eltBytes(info.b))};
    job.cands = candidatesForShape(*space, gs, family, &job.seeds, &job.dropped);
    job.label = fmt::format("M={} N={} K={}", gs.m, gs.n, gs.k);
    job.jsonShape = llvm::json::Array{gs.m, gs.n, gs.k};
    job.dbPath = dbPathIn(outDir, gemmFileKey(gs.n, gs.k, deviceName,
                                              eltName(info.a), info.layout()));
    job.dbKey = gs.m;
    job.entry = [family](const Candidate &c, double us) {
      TuningEntry e = toEntry(c, family, EntryFlavor::Moec);
      if (us >= 0)
        e.set("time_us", std::round(us * 1000) / 1000);
      return e;
    };
    jobs.push_back(std::move(job));
  }

  // Compile only: how fast candidates compile, and what the resources prune.
  if (args.has("compile-only"))
    return compileOnlyJobs(jobs, compileThreads(topts),
                           [&](const TuneJob &, const Candidate &c) {
                             return compileCandidate(source, chip, aligned, c,
                                                     nullptr, ptxas);
                           });

  if (auto e = openJournal(outDir, topts))
    return fail("tune", llvm::toString(std::move(e)));

  GemmHarness harness(info, dev);
  // Candidates go through the JIT's kernel cache ($MOEC_CACHE_DIR, else
  // ~/.cache/moec): a second run of the same shape compiles nothing.
  jit::KernelCache cache;
  TunerHooks hooks =
      harnessHooks(harness, [&](const ShapeRecord &, const Candidate &c) {
        return compileCandidate(source, chip, aligned, c, &cache, ptxas);
      });
  Tuner tuner(hooks, topts);
  if (auto e = tuner.open())
    return fail("tune", llvm::toString(std::move(e)));

  int totalCompiled = 0;
  auto t0 = std::chrono::steady_clock::now();
  auto exitCode =
      runJobs(args, tuner, compileThreads(topts), jobs, totalCompiled);
  if (!exitCode)
    return fail("tune", llvm::toString(exitCode.takeError()));
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  llvm::outs() << fmt::format("tuned {} shape(s) in {:.1f} s; {} candidates "
                              "compiled ({:.1f}/s)\n",
                              shapes.size(), secs, totalCompiled,
                              secs > 0 ? totalCompiled / secs : 0.0);
  return *exitCode;
}

int runDb(llvm::ArrayRef<std::string> argv) {
  Args args(argv, {"o", "file", "m"}, {"help"});
  if (!args.error.empty())
    return fail("db", args.error + "\n" + kDbUsage);
  if (args.has("help")) {
    llvm::outs() << kDbUsage;
    return 0;
  }
  if (args.positional.empty())
    return fail("db", std::string("expected merge or lookup\n") + kDbUsage);
  std::string sub = args.positional.front();
  std::vector<std::string> dirs(args.positional.begin() + 1,
                                args.positional.end());
  if (sub == "merge") {
    if (!args.has("o") || dirs.empty())
      return fail("db merge", "expected -o OUT and at least one input "
                              "directory");
    auto report = mergeDirectories(dirs, args.get("o"));
    if (!report)
      return fail("db merge", llvm::toString(report.takeError()));
    for (const std::string &c : report->conflicts)
      llvm::outs() << "conflict: " << c << "\n";
    llvm::outs() << fmt::format("merged {} file(s), {} entries, {} "
                                "conflict(s) into {}\n",
                                report->files, report->entries,
                                report->conflicts.size(), args.get("o"));
    return 0;
  }
  if (sub == "lookup") {
    auto m = parseInt(args.get("m"));
    if (!args.has("file") || !m || dirs.empty())
      return fail("db lookup", "expected DIR... --file NAME --m M");
    auto key = parseConfigFileName(args.get("file"));
    if (!key)
      return fail("db lookup", fmt::format("'{}' is not a config file name",
                                           args.get("file")));
    TuningDB db(dirs);
    auto r = db.lookupOrReport(*key, *m, "the default config");
    if (!r)
      return 1;
    llvm::outs() << fmt::format("{} M={} -> {} {}\n", r->path, *m,
                                r->matchedKey, r->entry.str());
    return 0;
  }
  return fail("db", fmt::format("unknown subcommand '{}'\n{}", sub, kDbUsage));
}
