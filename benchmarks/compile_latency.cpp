//===- compile_latency.cpp - moec-compile-bench: per-variant compile time -===//
//
//   moec-compile-bench [FILE.mlir] [--arch gfx942] [--variants 24]
//                      [--link auto|lld|comgr] [--json OUT.json] [--quiet]
//
// Compiles the one moec op of FILE (default: examples/gemm.mlir, a bf16
// 128x128x64-tile GEMM) to a loadable code object once per tuning variant,
// in this process and on this thread only, and times each phase:
//
//   context   a fresh MLIRContext with moec's dialects loaded
//   parse     parse the source text, attach the target and the variant's
//             config, verify (what `moec compile` does before lowering)
//   outline   moec ops -> gpu.func kernels (buildKernelOutliningPipeline)
//   lower     kernels -> the target's LLVM dialect (buildKernelToLLVMPipeline)
//   translate MLIR LLVM/ROCDL dialect -> llvm::Module
//   codegen   LLVM's IR pipeline + the AMDGPU backend -> relocatable object
//   link      object -> code object (hsaco), by comgr or in-process lld
//
// --arch host times what `moec run --arch host` compiles: outline and lower
// as above, then codegen = the host JIT (translation, LLVM's IR pipeline
// and x86 code generation in MLIR's ExecutionEngine, moec's
// jitLoweredHostModule); translate and link are 0 there.
//
// --split-codegen times codegen as two phases, llvm-opt (the IR pipeline,
// moec::optimizeModule) and llvm-backend (emitRelocatableObject with
// optimizeIR off), and checks on the first variant that the object is
// byte-identical to the one-call path.
//
// The variants are distinct configs (num_stages, waves_per_eu, kpack, group_m,
// epilogue, num_warps, matrix_instr_nonkdim over the file's block sizes), in a
// fixed shuffled order; ones the verifier rejects for the target are skipped
// and counted. Nothing is cached between variants; the only state that
// carries over is LLVM's (registered targets, the per-thread TargetMachine
// that lib/Target keeps, lld's), which is what a long-running process pays
// once. So the first variant is reported as "cold" and the rest as "warm".
//
//===----------------------------------------------------------------------===//

#include "moec/Dialect/Config.h"
#include "moec/Driver/Compiler.h"
#include "moec/Dialect/MoecDialect.h"
#include "moec/Target/Backend.h"
#include "moec/Target/LLVMIR.h"
#include "moec/Target/TargetInfo.h"
#include "moec/Tools/Registration.h"
#include "moec/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <chrono>
#include <ctime>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace mlir;
namespace cl = llvm::cl;

namespace {

cl::opt<std::string> inputFile(cl::Positional, cl::desc("[input .mlir]"),
                               cl::init(MOEC_SOURCE_DIR "/examples/gemm.mlir"));
cl::opt<std::string> arch("arch", cl::desc("Target chip"), cl::init("gfx942"));
cl::opt<unsigned> numVariants("variants",
                              cl::desc("Distinct configs to compile"),
                              cl::init(24));
cl::opt<std::string> linkVia("link", cl::desc("auto | lld | comgr"),
                             cl::init("auto"));
cl::opt<std::string> jsonOut("json", cl::desc("Write the results here"));
cl::opt<bool> quiet("quiet", cl::desc("Only the summary"));
cl::opt<bool> splitCodegen("split-codegen",
                           cl::desc("Time LLVM's IR pipeline and the backend "
                                    "separately"));

enum Phase { Context, Parse, Outline, Lower, Translate, Codegen, Backend, Link,
             NumPhases };
/// Codegen is "llvm-opt" and Backend "llvm-backend" with --split-codegen;
/// without it Backend is unused.
std::vector<Phase> activePhases() {
  if (splitCodegen)
    return {Context, Parse, Outline, Lower, Translate, Codegen, Backend, Link};
  return {Context, Parse, Outline, Lower, Translate, Codegen, Link};
}
const char *phaseName(Phase p) {
  static const char *names[NumPhases] = {"context", "parse",   "outline",
                                         "lower",   "translate", "codegen",
                                         "llvm-backend", "link"};
  if (p == Codegen && splitCodegen)
    return "llvm-opt";
  return names[p];
}

struct Variant {
  int64_t numStages, wavesPerEU, kpack, groupM, numWarps, nonKDim;
  moec::EpilogueKind epilogue;

  std::string flags() const {
    return fmt::format("--num-stages {} --waves-per-eu {} --kpack {} "
                       "--group-m {} --epilogue {} --num-warps {} "
                       "--matrix-instr-nonkdim {}",
                       numStages, wavesPerEU, kpack, groupM,
                       moec::stringifyEpilogueKind(epilogue).str(), numWarps,
                       nonKDim);
  }
};

using Clock = std::chrono::steady_clock;
/// Wall clock and this thread's CPU time: on a shared machine the first
/// includes time spent waiting for a core, the second does not.
struct Stamp {
  Clock::time_point wall;
  double cpuMs;
};
Stamp now() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return {Clock::now(), ts.tv_sec * 1e3 + ts.tv_nsec / 1e6};
}

struct Result {
  Variant variant;
  std::array<double, NumPhases> ms{};    ///< wall clock
  std::array<double, NumPhases> cpuMs{}; ///< thread CPU time
  size_t hsacoBytes = 0;
  std::string linkedBy;
  double total() const {
    double t = 0;
    for (double x : ms)
      t += x;
    return t;
  }
  double cpuTotal() const {
    double t = 0;
    for (double x : cpuMs)
      t += x;
    return t;
  }
  /// Ends phase `p`, begun at `start`, and starts the next one.
  void record(Phase p, Stamp &start) {
    Stamp end = now();
    ms[p] = std::chrono::duration<double, std::milli>(end.wall - start.wall)
                .count();
    cpuMs[p] = end.cpuMs - start.cpuMs;
    start = now();
  }
};

/// Every combination, in an order shuffled with a fixed seed so that the
/// first N vary every parameter.
std::vector<Variant> allVariants() {
  std::vector<Variant> vs;
  for (int64_t s : {1, 2, 3})
    for (int64_t w : {0, 1, 2, 4})
      for (int64_t kp : {1, 2})
        for (int64_t g : {1, 4, 8})
          for (auto e : {moec::EpilogueKind::direct, moec::EpilogueKind::lds})
            for (int64_t nw : {2, 4, 8})
              for (int64_t nk : {16, 32})
                vs.push_back({s, w, kp, g, nw, nk, e});
  std::mt19937 rng(20261122);
  std::shuffle(vs.begin(), vs.end(), rng);
  return vs;
}

/// Compiles `source` with `v`'s config. Returns false with `why` set when the
/// variant does not verify for the target (a skip, not an error) and exits
/// on any later failure (a bug).
bool compileVariant(llvm::StringRef source, const moec::TargetInfo &target,
                    moec::LinkVia via, const Variant &v, Result &r,
                    std::string &why, bool checkSplit) {
  r.variant = v;
  Stamp t = now();
  DialectRegistry registry;
  moec::registerMoecDialects(registry);
  MLIRContext context(registry);
  context.disableMultithreading(); // one thread, as the brief measures
  context.loadAllAvailableDialects();
  r.record(Context, t);

  std::string diags;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    llvm::raw_string_ostream os(diags);
    os << d.getLocation() << ": " << d << "\n";
    return success();
  });
  auto die = [&](const char *phase) {
    llvm::errs() << fmt::format("moec-compile-bench: {} failed for {}:\n{}",
                                phase, v.flags(), diags);
    std::exit(1);
  };

  t = now();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(
      source, ParserConfig(&context, /*verifyAfterParse=*/false));
  if (!module)
    die("parsing");
  (*module)->setAttr(moec::MoecDialect::kTargetAttrName,
                     moec::TargetAttr::get(&context, target.chip));
  int configs = 0;
  module->walk([&](Operation *op) {
    auto c = op->getAttrOfType<moec::ConfigAttr>("config");
    if (!c)
      return;
    ++configs;
    moec::ConfigValues values(c);
    values.group_m = v.groupM;
    values.num_warps = v.numWarps;
    values.num_stages = v.numStages;
    values.waves_per_eu = v.wavesPerEU;
    values.matrix_instr_nonkdim = v.nonKDim;
    values.kpack = v.kpack;
    values.epilogue = v.epilogue;
    op->setAttr("config", values.toAttr(&context));
  });
  if (configs == 0)
    die("finding a moec op with a config");
  if (failed(verify(*module))) {
    why = diags;
    return false;
  }
  r.record(Parse, t);

  t = now();
  // As moec::compileModule: no verifier between passes, one at the end.
  PassManager outline(&context);
  outline.enableVerifier(false);
  moec::buildKernelOutliningPipeline(outline);
  if (failed(outline.run(*module)))
    die("outlining");
  // The host JIT looks the kernels up by the names outlining gave them.
  std::vector<moec::OutlinedKernel> kernels = moec::outlinedKernels(*module);
  r.record(Outline, t);

  t = now();
  PassManager lower(&context);
  lower.enableVerifier(false);
  moec::buildKernelToLLVMPipeline(lower, target);
  if (failed(lower.run(*module)) || failed(verify(*module)))
    die("lowering");
  r.record(Lower, t);

  if (target.isHost()) {
    t = now();
    moec::CompiledModule compiled;
    compiled.target = &target;
    compiled.kernels = std::move(kernels);
    if (failed(moec::jitLoweredHostModule(*module, compiled)))
      die("the host JIT");
    r.record(Codegen, t);
    r.linkedBy = "host JIT";
    return true;
  }

  t = now();
  llvm::LLVMContext llvmContext;
  auto llvmModule =
      moec::translateKernelsToLLVMIR(*module, target, llvmContext);
  if (failed(llvmModule))
    die("translation to LLVM IR");
  r.record(Translate, t);

  t = now();
  moec::EmitOptions emitOptions;
  if (splitCodegen) {
    if (llvm::Error err =
            moec::optimizeModule(**llvmModule, target.chip, emitOptions)) {
      diags += llvm::toString(std::move(err));
      die("the IR pipeline");
    }
    r.record(Codegen, t);
    t = now();
    emitOptions.optimizeIR = false;
  }
  auto object =
      moec::emitRelocatableObject(**llvmModule, target.chip, emitOptions);
  if (!object) {
    diags += llvm::toString(object.takeError());
    die("code generation");
  }
  r.record(splitCodegen ? Backend : Codegen, t);
  if (splitCodegen && checkSplit) {
    // The one-call path on a fresh translation must give the same object.
    llvm::LLVMContext again;
    auto fresh = moec::translateKernelsToLLVMIR(*module, target, again);
    if (failed(fresh))
      die("translation to LLVM IR (check)");
    auto reference = moec::emitRelocatableObject(**fresh, target.chip);
    if (!reference) {
      diags += llvm::toString(reference.takeError());
      die("code generation (check)");
    }
    llvm::outs() << (*reference == *object
                         ? "split codegen check: the object is identical to "
                           "the one-call path's\n"
                         : "split codegen check: WARNING: the object differs "
                           "from the one-call path's\n");
  }

  t = now();
  auto hsaco = moec::linkCodeObject(*object, target.chip, via);
  if (!hsaco) {
    diags += llvm::toString(hsaco.takeError());
    die("linking");
  }
  r.record(Link, t);
  r.hsacoBytes = hsaco->bytes.size();
  r.linkedBy = moec::linkViaName(hsaco->linkedBy).str();
  return true;
}

double percentile(std::vector<double> xs, double p) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  // Nearest rank: the smallest value with at least p of the sample at or
  // below it.
  size_t rank = static_cast<size_t>(std::ceil(p * xs.size()));
  return xs[std::clamp<size_t>(rank, 1, xs.size()) - 1];
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  cl::ParseCommandLineOptions(argc, argv,
                              "moec-compile-bench: compile latency of one "
                              "file over many tuning variants\n");
  const moec::TargetInfo *target = moec::lookupTarget(arch);
  if (!target || target->isNVPTX()) {
    llvm::errs() << fmt::format("moec-compile-bench: --arch must be an AMD "
                                "chip (gfx90a, gfx942, gfx950) or host, not "
                                "'{}'\n",
                                arch.getValue());
    return 1;
  }
  if (target->isHost() && splitCodegen) {
    llvm::errs() << "moec-compile-bench: --split-codegen is for AMD chips; "
                    "the host JIT is one phase\n";
    return 1;
  }
  std::optional<moec::LinkVia> via = moec::parseLinkVia(linkVia);
  if (!via) {
    llvm::errs() << "moec-compile-bench: --link must be auto, lld or comgr\n";
    return 1;
  }
  auto buffer = llvm::MemoryBuffer::getFile(inputFile);
  if (!buffer) {
    llvm::errs() << fmt::format("moec-compile-bench: cannot read {}: {}\n",
                                inputFile.getValue(),
                                buffer.getError().message());
    return 1;
  }
  std::string source = (*buffer)->getBuffer().str();

  std::vector<Result> results;
  std::vector<std::string> skipped;
  for (const Variant &v : allVariants()) {
    if (results.size() >= numVariants)
      break;
    Result r;
    std::string why;
    if (!compileVariant(source, *target, *via, v, r, why, results.empty())) {
      skipped.push_back(v.flags() + ": " + why);
      continue;
    }
    if (!quiet)
      llvm::outs() << fmt::format(
          "{:2} {:<110} total {:7.1f} ms, cpu {:7.1f} ms ({}) {} B via {}\n",
          results.size(), v.flags(), r.total(), r.cpuTotal(),
          [&] {
            std::string s;
            for (Phase p : activePhases())
              s += fmt::format("{}{} {:.1f}", s.empty() ? "" : ", ",
                               phaseName(p), r.ms[p]);
            return s;
          }(),
          r.hsacoBytes, r.linkedBy);
    results.push_back(std::move(r));
  }
  if (results.size() < 2) {
    llvm::errs() << fmt::format("moec-compile-bench: only {} variants "
                                "verified for {}\n",
                                results.size(), target->chip.str());
    return 1;
  }

  // Summary: the cold (first) compile, then median and p90 over the warm rest.
  auto column = [&](int phase, bool cpu) {
    std::vector<double> xs;
    for (size_t i = 1; i < results.size(); ++i) {
      const Result &r = results[i];
      xs.push_back(phase < 0 ? (cpu ? r.cpuTotal() : r.total())
                             : (cpu ? r.cpuMs[phase] : r.ms[phase]));
    }
    return xs;
  };
  llvm::outs() << fmt::format(
      "\n{} variants of {} for {} ({} skipped by the verifier), one thread\n",
      results.size(), inputFile.getValue(), target->chip.str(),
      skipped.size());
  llvm::outs() << fmt::format(
      "wall clock (and thread CPU time) in ms; cold = the first variant, warm "
      "= the other {}\n",
      results.size() - 1);
  llvm::outs() << fmt::format("{:<13} {:>9} {:>9} {:>11} {:>9} {:>10} {:>9}\n",
                              "phase", "cold", "cold cpu", "warm median",
                              "warm p90", "median cpu", "p90 cpu");
  std::vector<int> rows = {-1};
  for (Phase p : activePhases())
    rows.push_back(p);
  for (int p : rows) {
    const char *name = p < 0 ? "total" : phaseName(static_cast<Phase>(p));
    const Result &first = results[0];
    double cold = p < 0 ? first.total() : first.ms[p];
    double coldCpu = p < 0 ? first.cpuTotal() : first.cpuMs[p];
    llvm::outs() << fmt::format(
        "{:<13} {:9.1f} {:9.1f} {:11.1f} {:9.1f} {:10.1f} {:9.1f}\n", name,
        cold, coldCpu, percentile(column(p, false), 0.5),
        percentile(column(p, false), 0.9), percentile(column(p, true), 0.5),
        percentile(column(p, true), 0.9));
  }

  if (!jsonOut.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream os(jsonOut, ec, llvm::sys::fs::OF_Text);
    if (ec) {
      llvm::errs() << fmt::format("moec-compile-bench: cannot write {}: {}\n",
                                  jsonOut.getValue(), ec.message());
      return 1;
    }
    os << fmt::format("{{\"input\": \"{}\", \"arch\": \"{}\", \"skipped\": "
                      "{}, \"phases\": [",
                      inputFile.getValue(), target->chip.str(),
                      skipped.size());
    for (Phase p : activePhases())
      os << (p ? ", " : "") << '"' << phaseName(p) << '"';
    os << "],\n \"variants\": [\n";
    for (size_t i = 0; i < results.size(); ++i) {
      const Result &r = results[i];
      os << fmt::format("  {{\"flags\": \"{}\", \"hsaco_bytes\": {}, "
                        "\"linked_by\": \"{}\", \"total_ms\": {:.3f}, "
                        "\"total_cpu_ms\": {:.3f}, \"ms\": [",
                        r.variant.flags(), r.hsacoBytes, r.linkedBy,
                        r.total(), r.cpuTotal());
      for (Phase p : activePhases())
        os << fmt::format("{}{:.3f}", p ? ", " : "", r.ms[p]);
      os << "], \"cpu_ms\": [";
      for (Phase p : activePhases())
        os << fmt::format("{}{:.3f}", p ? ", " : "", r.cpuMs[p]);
      os << "]}" << (i + 1 < results.size() ? ",\n" : "\n");
    }
    os << " ]}\n";
  }
  return 0;
}
