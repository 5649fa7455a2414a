//===- Run.cpp - moec run / moec bench: launch and check a kernel ---------===//
//
// Compiles the one moec.gemm of a file, launches it on a device with fresh
// random inputs, and compares against a float64 host reference computed from
// the same (rounded) inputs. The output buffer is poisoned with NaNs first,
// so an element the kernel forgets to write fails the check. `bench` then
// times it: warm-up, median over repeats, inputs rotated across enough
// copies to defeat the L2 cache.
//
//===----------------------------------------------------------------------===//

#include "Run.h"
#include "Emulate.h"
#include "RunSupport.h"

#include "moec/Dialect/MoecDialect.h"
#include "moec/Driver/Compiler.h"
#include "moec/Emulator/Numeric.h"
#include "moec/Runtime/KernelArgs.h"
#include "moec/Runtime/Runtime.h"
#include "moec/Dialect/OpPlans.h"
#include "moec/Tuning/ShapeLog.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <sys/resource.h>
#include <unistd.h>

using namespace mlir;
using namespace moec;
using moec::tool::RunOptions;

namespace {

//===----------------------------------------------------------------------===//
// Element encodings
//===----------------------------------------------------------------------===//

// fp8: e4m3/e5m2 in gfx942's fnuz and gfx950's OCP flavours.
enum class Elt { F32, F16, BF16, F8E4M3FNUZ, F8E5M2FNUZ, F8E4M3FN, F8E5M2 };

FailureOr<Elt> eltOf(Type t) {
  if (t.isF32())
    return Elt::F32;
  if (t.isF16())
    return Elt::F16;
  if (t.isBF16())
    return Elt::BF16;
  if (isa<Float8E4M3FNUZType>(t))
    return Elt::F8E4M3FNUZ;
  if (isa<Float8E5M2FNUZType>(t))
    return Elt::F8E5M2FNUZ;
  if (isa<Float8E4M3FNType>(t))
    return Elt::F8E4M3FN;
  if (isa<Float8E5M2Type>(t))
    return Elt::F8E5M2;
  return failure();
}

size_t eltBytes(Elt e) {
  return e == Elt::F32 ? 4 : e == Elt::F16 || e == Elt::BF16 ? 2 : 1;
}
emu::EK fp8Kind(Elt e) {
  return e == Elt::F8E4M3FNUZ   ? emu::EK::F8E4M3FNUZ
         : e == Elt::F8E5M2FNUZ ? emu::EK::F8E5M2FNUZ
         : e == Elt::F8E4M3FN   ? emu::EK::F8E4M3FN
                                : emu::EK::F8E5M2;
}

uint16_t toBF16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if (std::isnan(f))
    return 0x7FC0;
  u += 0x7FFF + ((u >> 16) & 1); // round to nearest even
  return static_cast<uint16_t>(u >> 16);
}
float fromBF16(uint16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
uint16_t toF16(float f) {
  _Float16 h = static_cast<_Float16>(f);
  uint16_t u;
  std::memcpy(&u, &h, 2);
  return u;
}
float fromF16(uint16_t u) {
  _Float16 h;
  std::memcpy(&h, &u, 2);
  return static_cast<float>(h);
}

/// A host array in the kernel's element encoding, with its decoded values.
struct HostArray {
  Elt elt;
  std::vector<uint8_t> bytes;
  std::vector<double> values; // what the encoded bits mean

  HostArray(Elt elt, size_t n) : elt(elt), bytes(n * eltBytes(elt)), values(n) {}
  size_t size() const { return values.size(); }

  void set(size_t i, double v) {
    float f = static_cast<float>(v);
    switch (elt) {
    case Elt::F32:
      std::memcpy(&bytes[i * 4], &f, 4);
      values[i] = f;
      return;
    case Elt::F16: {
      uint16_t h = toF16(f);
      std::memcpy(&bytes[i * 2], &h, 2);
      values[i] = fromF16(h);
      return;
    }
    case Elt::BF16: {
      uint16_t h = toBF16(f);
      std::memcpy(&bytes[i * 2], &h, 2);
      values[i] = fromBF16(h);
      return;
    }
    default: {
      uint8_t q = emu::encodeFp8(fp8Kind(elt), f);
      bytes[i] = q;
      values[i] = emu::decodeFp8(fp8Kind(elt), q);
      return;
    }
    }
  }
  double decode(size_t i) const {
    switch (elt) {
    case Elt::F32: {
      float f;
      std::memcpy(&f, &bytes[i * 4], 4);
      return f;
    }
    case Elt::F16: {
      uint16_t h;
      std::memcpy(&h, &bytes[i * 2], 2);
      return fromF16(h);
    }
    case Elt::BF16: {
      uint16_t h;
      std::memcpy(&h, &bytes[i * 2], 2);
      return fromBF16(h);
    }
    default:
      return emu::decodeFp8(fp8Kind(elt), bytes[i]);
    }
    return 0;
  }
};

double activation(Activation act, double x) {
  switch (act) {
  case Activation::none:
    return x;
  case Activation::relu:
    return std::max(x, 0.0);
  case Activation::silu:
    return x / (1.0 + std::exp(-x));
  case Activation::gelu:
    return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
  case Activation::gelu_tanh:
    return 0.5 * x *
           (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
  }
  return x;
}

/// Relative error bound for an output element type (one rounding of the
/// result plus f32 accumulation).
double tolerance(Elt out) {
  switch (out) {
  case Elt::BF16:
    return 1.0 / 128; // 2^-7: bf16 keeps 8 significant bits
  case Elt::F16:
    return 1.0 / 512; // 2^-9
  case Elt::F32:
    return 1e-4;
  default:
    return 1.0 / 4; // fp8 outputs: 3 or 2 mantissa bits
  }
  return 0;
}

int fail(const std::string &msg) {
  llvm::errs() << "moec run: error: " << msg << "\n";
  return 1;
}

//===----------------------------------------------------------------------===//
// The problem
//===----------------------------------------------------------------------===//

struct GemmProblem {
  int64_t m, n, k;
  bool transA, transB;
  Elt a, b, c;
  std::optional<Elt> bias;
  bool scaleA = false, scaleB = false;
  bool scaleAPerTensor = true, scaleBPerTensor = true;
  Activation act;
};

} // namespace

FailureOr<int64_t> moec::tool::resolveDim(int64_t fromType, const char *name,
                                          const RunOptions &opts) {
  auto it = opts.sizes.find(name);
  if (!ShapedType::isDynamic(fromType)) {
    if (it != opts.sizes.end() && it->second != fromType) {
      llvm::errs() << fmt::format(
          "moec run: error: --sizes {}={} contradicts the static size {} in "
          "the file\n",
          name, it->second, fromType);
      return failure();
    }
    return fromType;
  }
  if (it == opts.sizes.end()) {
    llvm::errs() << fmt::format("moec run: error: {} is dynamic in the file; "
                                "give it with --sizes {}=<n>\n",
                                name, name);
    return failure();
  }
  if (it->second < 0) {
    llvm::errs() << fmt::format("moec run: error: --sizes {}={} is negative\n",
                                name, it->second);
    return failure();
  }
  return it->second;
}

namespace {

FailureOr<GemmProblem> describe(GemmOp op, const RunOptions &opts) {
  GemmProblem p;
  auto m = resolveDim(op.getM(), "M", opts);
  auto n = resolveDim(op.getN(), "N", opts);
  auto k = resolveDim(op.getK(), "K", opts);
  if (failed(m) || failed(n) || failed(k))
    return failure();
  p.m = *m, p.n = *n, p.k = *k;
  p.transA = op.getTransposeA();
  p.transB = op.getTransposeB();
  auto eltType = [](Value v) {
    return cast<MemRefType>(v.getType()).getElementType();
  };
  auto a = eltOf(eltType(op.getA())), b = eltOf(eltType(op.getB())),
       c = eltOf(eltType(op.getC()));
  if (failed(a) || failed(b) || failed(c)) {
    op.emitError() << "moec run: only f16/bf16/f32/fp8 operands are "
                      "supported by the run harness";
    return failure();
  }
  p.a = *a, p.b = *b, p.c = *c;
  if (op.getBias())
    p.bias = *eltOf(eltType(op.getBias()));
  auto perTensor = [](Value s) {
    auto t = cast<MemRefType>(s.getType());
    return t.getRank() == 0 || (t.getRank() == 1 && t.getDimSize(0) == 1);
  };
  p.scaleA = static_cast<bool>(op.getScaleA());
  p.scaleB = static_cast<bool>(op.getScaleB());
  p.scaleAPerTensor = !p.scaleA || perTensor(op.getScaleA());
  p.scaleBPerTensor = !p.scaleB || perTensor(op.getScaleB());
  p.act = op.getActivation();
  return p;
}

/// Checked a * b, or nullopt on overflow.
std::optional<uint64_t> mulChecked(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_mul_overflow(a, b, &r))
    return std::nullopt;
  return r;
}

std::string bytesText(uint64_t bytes) {
  if (bytes >= (uint64_t(1) << 30))
    return fmt::format("{:.1f} GiB", double(bytes) / double(uint64_t(1) << 30));
  if (bytes >= (uint64_t(1) << 20))
    return fmt::format("{:.1f} MiB", double(bytes) / double(uint64_t(1) << 20));
  return fmt::format("{} bytes", bytes);
}

/// What a problem needs, each count checked for overflow.
struct Footprint {
  uint64_t deviceBytes = 0; ///< A, B, C, bias and scales on the device
  uint64_t hostBytes = 0;   ///< their host copies plus the decoded values
  std::string detail;       ///< "A 20.0 GiB, B ..., C ..."
};

/// Sizes every buffer of `p`. Fails, naming the operand and dimensions,
/// when an element or byte count does not fit in 64 bits.
FailureOr<Footprint> footprint(const GemmProblem &p) {
  struct Array {
    const char *name, *dims;
    int64_t rows, cols;
    Elt elt;
    bool present;
  } arrays[] = {
      {"A", p.transA ? "K x M" : "M x K", p.transA ? p.k : p.m,
       p.transA ? p.m : p.k, p.a, true},
      {"B", p.transB ? "N x K" : "K x N", p.transB ? p.n : p.k,
       p.transB ? p.k : p.n, p.b, true},
      {"C", "M x N", p.m, p.n, p.c, true},
      {"bias", "N", 1, p.n, p.bias.value_or(Elt::F32), p.bias.has_value()},
      {"scale_a", "M", 1, p.scaleAPerTensor ? 1 : p.m, Elt::F32, p.scaleA},
      {"scale_b", "N", 1, p.scaleBPerTensor ? 1 : p.n, Elt::F32, p.scaleB},
  };
  Footprint f;
  for (const Array &a : arrays) {
    if (!a.present)
      continue;
    auto elems = mulChecked(uint64_t(a.rows), uint64_t(a.cols));
    auto bytes = elems ? mulChecked(*elems, eltBytes(a.elt)) : std::nullopt;
    // Host: the encoded bytes and one double per element.
    auto host = elems ? mulChecked(*elems, eltBytes(a.elt) + sizeof(double))
                      : std::nullopt;
    if (!elems || !bytes || !host ||
        __builtin_add_overflow(f.deviceBytes, *bytes, &f.deviceBytes) ||
        __builtin_add_overflow(f.hostBytes, *host, &f.hostBytes)) {
      llvm::errs() << fmt::format(
          "moec run: error: {} is {} = {} x {} elements: the size overflows "
          "64 bits\n",
          a.name, a.dims, a.rows, a.cols);
      return failure();
    }
    f.detail += fmt::format("{}{} {} ({} {} x {})", f.detail.empty() ? "" : ", ",
                            a.name, bytesText(*bytes), a.dims, a.rows, a.cols);
  }
  return f;
}

/// The memory this process may use: physical memory, lowered by an address
/// space limit (ulimit -v) when one is set.
uint64_t hostMemoryLimit() {
  uint64_t limit = uint64_t(sysconf(_SC_PHYS_PAGES)) *
                   uint64_t(sysconf(_SC_PAGE_SIZE));
  struct rlimit rl;
  if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    limit = std::min<uint64_t>(limit, rl.rlim_cur);
  return limit;
}

/// The device buffers of one set of inputs.
struct DeviceInputs {
  rt::Buffer a, b, bias, scaleA, scaleB;
};

} // namespace

int moec::tool::runGemm(ModuleOp module, const RunOptions &opts) {
  SmallVector<Operation *> ops;
  module.walk([&](Operation *op) {
    if (isa<MoecDialect>(op->getDialect()))
      ops.push_back(op);
  });
  if (llvm::any_of(ops, [](Operation *o) {
        return isa<SparseAttentionOp, SparseWindowIndicesOp>(o);
      }))
    return runAttentionFunction(module, opts);
  if (ops.size() != 1)
    return fail(fmt::format("the file must hold exactly one moec op to run, "
                            "it holds {}",
                            ops.size()));
  auto gemm = dyn_cast<GemmOp>(ops.front());
  if (!gemm)
    return fail(fmt::format("only moec.gemm, moec.sparse_attention and moec.sparse_window_indices can be run today, not {}",
                            ops.front()->getName().getStringRef().str()));
  FailureOr<GemmProblem> problem = describe(gemm, opts);
  if (failed(problem))
    return 1;
  const GemmProblem &p = *problem;
  // The kernel's plan sizes the launch: grid, lanes, dynamic LDS.
  auto targetAttr = module->getAttrOfType<TargetAttr>(MoecDialect::kTargetAttrName);
  if (!targetAttr)
    return fail("the module has no moec.target");
  const KernelPlan plan =
      getGemmPlan(gemm, *lookupTarget(targetAttr.getChip()));
  // Every size below multiplies user input: check it before using it, and
  // refuse what cannot fit instead of aborting in an allocation.
  FailureOr<Footprint> need = footprint(p);
  if (failed(need))
    return 1;
  if (uint64_t limit = hostMemoryLimit(); need->hostBytes > limit / 4 * 3)
    return fail(fmt::format(
        "M={} N={} K={} needs {} of host memory for the inputs, the output "
        "and the reference ({}); this process may use {}",
        p.m, p.n, p.k, bytesText(need->hostBytes), need->detail,
        bytesText(limit)));

  if (plan.config.assume_aligned) {
    // The specialized kernel reads whole 16-byte vectors along each leading
    // dimension; other sizes would read or write past a row.
    auto bytes = [](Elt e) { return int64_t(eltBytes(e)); };
    struct Ld {
      const char *what;
      int64_t elems, bytes;
    } lds[] = {{p.transA ? "M (A is K x M)" : "K (A is M x K)",
                p.transA ? p.m : p.k, bytes(p.a)},
               {p.transB ? "K (B is N x K)" : "N (B is K x N)",
                p.transB ? p.k : p.n, bytes(p.b)},
               {"N (C is M x N)", p.n, bytes(p.c)}};
    for (const Ld &ld : lds)
      if (ld.elems * ld.bytes % 16)
        return fail(fmt::format(
            "--assume-aligned: the leading dimension {} = {} is {} bytes, "
            "not a multiple of 16",
            ld.what, ld.elems, ld.elems * ld.bytes));
  }

  if (opts.emulate && opts.bench)
    return fail("--emulate checks numerics; it cannot time a kernel");
  FailureOr<CompiledModule> compiled = compileModule(
      module, opts.emulate ? CompileStop::LaneLevel : CompileStop::Loadable);
  if (failed(compiled))
    return 1;
  if (compiled->kernels.size() != 1)
    return fail("expected one kernel after lowering");
  const OutlinedKernel &kinfo = compiled->kernels.front();
  if (opts.verbose)
    llvm::errs() << fmt::format(
        "moec run: compiled {} for {} in {:.1f} ms (outline {:.1f}, lower "
        "{:.1f}, codegen {:.1f}); {} lanes, {} B LDS\n",
        kinfo.name, compiled->target->chip.str(),
        compiled->outlineMs + compiled->lowerMs + compiled->codegenMs,
        compiled->outlineMs, compiled->lowerMs, compiled->codegenMs,
        plan.lanes, plan.ldsBytes);

  // The device: the one matching the target unless --device says otherwise.
  // --emulate: host memory, the lane-level kernel run by lib/Emulator.
  auto device = openRunDevice(*compiled, opts.emulate, opts.deviceIndex);
  if (!device.ok())
    return fail(device.message());
  std::shared_ptr<rt::Device> dev = *device;
  std::optional<rt::Expected<rt::Kernel>> kernel;
  if (!opts.emulate) {
    auto loaded = loadCompiled(*dev, *compiled);
    if (!loaded.ok())
      return fail(loaded.message());
    kernel = (*loaded)->getKernel(kinfo.name);
    if (!kernel->ok())
      return fail(kernel->message());
  }
  if (uint64_t total = dev->totalMemory(); total && need->deviceBytes > total)
    return fail(fmt::format("M={} N={} K={} needs {} of device memory ({}); "
                            "{} has {}",
                            p.m, p.n, p.k, bytesText(need->deviceBytes),
                            need->detail, dev->label(), bytesText(total)));
  // MOEC_SHAPE_LOG: the shape this run asked for, as the JIT runtime logs
  // it, so that `moec tune --shapes` can tune it.
  if (tuning::ShapeLog *log = tuning::ShapeLog::global()) {
    auto name = [](Elt e) {
      switch (e) {
      case Elt::F32: return "f32";
      case Elt::F16: return "f16";
      case Elt::BF16: return "bf16";
      case Elt::F8E4M3FNUZ: return "f8E4M3FNUZ";
      case Elt::F8E5M2FNUZ: return "f8E5M2FNUZ";
      case Elt::F8E4M3FN: return "f8E4M3FN";
      case Elt::F8E5M2: return "f8E5M2";
      }
      return "?";
    };
    tuning::ShapeRecord rec;
    rec.op = "gemm";
    rec.shape = {{"M", p.m}, {"N", p.n}, {"K", p.k}};
    rec.dtypes = {name(p.a), name(p.b), name(p.c)};
    rec.attrs = {{"layout", std::string(p.transA ? "t" : "n") +
                                (p.transB ? "t" : "n")}};
    rec.target = compiled->target->chip.str();
    rec.device = dev->name();
    if (auto r = log->record(rec); !r)
      llvm::errs() << "moec run: warning: MOEC_SHAPE_LOG: "
                   << llvm::toString(r.takeError()) << "\n";
  }

  // Fresh random inputs unless a seed is given.
  uint64_t seed = opts.seed ? *opts.seed : std::random_device{}();
  std::mt19937_64 rng(seed);
  // Inputs of large problems are hundreds of millions of values: a
  // splitmix64 stream seeded from rng is several times faster than <random>.
  uint64_t state = rng();
  auto next = [&state]() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  auto uni = [&](std::mt19937_64 &) {
    return double(next() >> 11) * 0x1.0p-53 * 2.0 - 1.0; // [-1, 1)
  };
  auto scaleDist = [&](std::mt19937_64 &) {
    return 0.5 + double(next() >> 11) * 0x1.0p-53 * 1.5; // [0.5, 2)
  };
  int64_t aRows = p.transA ? p.k : p.m, aCols = p.transA ? p.m : p.k;
  int64_t bRows = p.transB ? p.n : p.k, bCols = p.transB ? p.k : p.n;
  HostArray a(p.a, aRows * aCols), b(p.b, bRows * bCols);
  for (size_t i = 0; i < a.size(); ++i)
    a.set(i, uni(rng));
  for (size_t i = 0; i < b.size(); ++i)
    b.set(i, uni(rng));
  HostArray bias(p.bias.value_or(Elt::F32), p.bias ? p.n : 0);
  for (size_t i = 0; i < bias.size(); ++i)
    bias.set(i, uni(rng));
  HostArray scaleA(Elt::F32, p.scaleA ? (p.scaleAPerTensor ? 1 : p.m) : 0);
  HostArray scaleB(Elt::F32, p.scaleB ? (p.scaleBPerTensor ? 1 : p.n) : 0);
  for (size_t i = 0; i < scaleA.size(); ++i)
    scaleA.set(i, scaleDist(rng));
  for (size_t i = 0; i < scaleB.size(); ++i)
    scaleB.set(i, scaleDist(rng));

  auto upload = [&](const HostArray &h) {
    return uploadBytes(*dev, h.bytes.data(), h.bytes.size());
  };
  auto makeInputs = [&]() -> rt::Expected<DeviceInputs> {
    DeviceInputs in;
    for (auto [dst, src] :
         {std::pair{&in.a, &a}, {&in.b, &b}, {&in.bias, &bias},
          {&in.scaleA, &scaleA}, {&in.scaleB, &scaleB}}) {
      auto buf = upload(*src);
      if (!buf.ok())
        return buf.status();
      *dst = std::move(*buf);
    }
    return in;
  };
  auto inputs = makeInputs();
  if (!inputs.ok())
    return fail(inputs.message());
  size_t cBytes = static_cast<size_t>(p.m * p.n) * eltBytes(p.c);
  auto cBuf = dev->allocate(std::max<size_t>(cBytes, 16));
  if (!cBuf.ok())
    return fail(cBuf.message());
  // Poison: all-ones bytes are NaN in f16, bf16 and f32.
  if (rt::Status s = cBuf->fill(0xFF); !s.ok())
    return fail(s.message());

  auto argsFor = [&](DeviceInputs &in) {
    rt::KernelArgs args;
    args.addMemRef(in.a.data(), {aRows, aCols});
    args.addMemRef(in.b.data(), {bRows, bCols});
    args.addMemRef(cBuf->data(), {p.m, p.n});
    if (p.bias)
      args.addMemRef(in.bias.data(), {p.n});
    if (p.scaleA)
      args.addMemRef(in.scaleA.data(), {static_cast<int64_t>(scaleA.size())});
    if (p.scaleB)
      args.addMemRef(in.scaleB.data(), {static_cast<int64_t>(scaleB.size())});
    return args;
  };
  rt::Dim3 gridDim{std::max<int64_t>(plan.gridSize(p.m, p.n), 1)};
  rt::Dim3 blockDim{plan.lanes};
  bool empty = p.m == 0 || p.n == 0;
  size_t sharedBytes = plan.dynamicLds ? plan.ldsBytes : 0;
  if (!empty) {
    rt::KernelArgs args = argsFor(*inputs);
    if (opts.emulate) {
      std::string summary;
      std::string error = tool::emulateLaunch(
          module, kinfo.name, {gridDim.x, 1, 1}, {blockDim.x, 1, 1}, args,
          {&*cBuf, &inputs->a, &inputs->b, &inputs->bias, &inputs->scaleA,
           &inputs->scaleB},
          summary);
      if (!error.empty())
        return fail(error);
      if (opts.verbose)
        llvm::errs() << "moec run: " << summary << "\n";
    } else if (rt::Status s = (*kernel)->launch(gridDim, blockDim, sharedBytes,
                                                args);
               !s.ok()) {
      return fail(s.message());
    }
    if (rt::Status s = dev->synchronize(); !s.ok())
      return fail(s.message());
  }
  HostArray c(p.c, p.m * p.n);
  if (cBytes)
    if (rt::Status s = cBuf->copyToHost(c.bytes.data(), cBytes); !s.ok())
      return fail(s.message());

  // Reference in float64 from the rounded inputs; all rows for small
  // problems, a random sample of rows for large ones.
  std::vector<int64_t> rows;
  const double maxRefWork = 2e8;
  if (double(p.m) * p.n * p.k <= maxRefWork || p.m == 0) {
    for (int64_t i = 0; i < p.m; ++i)
      rows.push_back(i);
  } else {
    int64_t want = std::max<int64_t>(
        8, static_cast<int64_t>(maxRefWork / (double(p.n) * std::max<int64_t>(p.k, 1))));
    std::uniform_int_distribution<int64_t> pick(0, p.m - 1);
    rows.push_back(0);
    rows.push_back(p.m - 1);
    while (static_cast<int64_t>(rows.size()) < want)
      rows.push_back(pick(rng));
  }
  auto A = [&](int64_t i, int64_t kk) {
    return p.transA ? a.values[kk * aCols + i] : a.values[i * aCols + kk];
  };
  auto B = [&](int64_t kk, int64_t j) {
    return p.transB ? b.values[j * bCols + kk] : b.values[kk * bCols + j];
  };
  double maxAbsErr = 0, maxRef = 0;
  int64_t nonFinite = 0;
  for (int64_t i : rows)
    for (int64_t j = 0; j < p.n; ++j) {
      double acc = 0;
      for (int64_t kk = 0; kk < p.k; ++kk)
        acc += A(i, kk) * B(kk, j);
      if (p.scaleA)
        acc *= scaleA.values[p.scaleAPerTensor ? 0 : i];
      if (p.scaleB)
        acc *= scaleB.values[p.scaleBPerTensor ? 0 : j];
      if (p.bias)
        acc += bias.values[j];
      double ref = activation(p.act, acc);
      double got = c.decode(i * p.n + j);
      if (!std::isfinite(got)) {
        ++nonFinite;
        continue;
      }
      maxAbsErr = std::max(maxAbsErr, std::abs(got - ref));
      maxRef = std::max(maxRef, std::abs(ref));
    }
  double relErr = maxRef > 0 ? maxAbsErr / maxRef : maxAbsErr;
  bool pass = nonFinite == 0 && relErr <= tolerance(p.c);
  llvm::outs() << fmt::format(
      "{} on {} ({}): M={} N={} K={} seed={} checked_rows={} max_abs_err={:.3e} "
      "max_rel_err={:.3e} (tolerance {:.1e}) unwritten_or_nan={} -> {}\n",
      kinfo.name, opts.emulate ? std::string("the AMD emulator") : dev->label(),
      compiled->target->chip.str(), p.m, p.n, p.k,
      seed, rows.size(), maxAbsErr, relErr, tolerance(p.c), nonFinite,
      pass ? "PASS" : "FAIL");
  if (!pass)
    return 1;
  if (!opts.bench || empty)
    return 0;

  // Timing: enough input copies that the working set exceeds a 50 MB L2.
  size_t inBytes = a.bytes.size() + b.bytes.size();
  int copies = static_cast<int>(
      std::clamp<size_t>((size_t(128) << 20) / std::max<size_t>(inBytes, 1) + 1,
                         1, 16));
  std::vector<DeviceInputs> sets;
  sets.push_back(std::move(*inputs));
  for (int i = 1; i < copies; ++i) {
    auto more = makeInputs();
    if (!more.ok())
      return fail(more.message());
    sets.push_back(std::move(*more));
  }
  std::vector<rt::KernelArgs> argSets;
  for (DeviceInputs &in : sets)
    argSets.push_back(argsFor(in));
  auto timed = medianLaunchMs(*dev, opts.warmup, opts.repeat, [&](int i) {
    return (*kernel)->launch(gridDim, blockDim, sharedBytes,
                             argSets[i % argSets.size()]);
  });
  if (!timed.ok())
    return fail(timed.message());
  double median = *timed;
  double flops = 2.0 * p.m * p.n * p.k;
  double bytes = a.bytes.size() + b.bytes.size() + cBytes;
  llvm::outs() << fmt::format(
      "bench {}: median {:.4f} ms over {} runs ({} warm-up, {} input copies) "
      "{:.1f} TFLOP/s {:.1f} GB/s\n",
      kinfo.name, median, opts.repeat, opts.warmup, copies,
      flops / median / 1e9, bytes / median / 1e6);
  if (!opts.jsonOut.empty())
    if (std::string err = appendLine(
            opts.jsonOut,
            fmt::format("{{\"kernel\": \"{}\", \"target\": \"{}\", \"shape\": "
                        "[{}, {}, {}], \"ms\": {:.6f}, \"tflops\": {:.3f}, "
                        "\"config\": \"{}\"}}",
                        kinfo.name, compiled->target->chip.str(), p.m, p.n,
                        p.k, median, flops / median / 1e9, opts.configLabel));
        !err.empty())
      return fail(err);
  return 0;
}
