//===- moec.cpp - the moec command-line tool ------------------------------===//
//
//   moec compile FILE.mlir --arch gfx942 [--block-m 64 ...] [--emit mlir] [-o OUT]
//   moec tune | bench | inspect | run ...   (later issues)
//
// Flags override the config written in the file. Every error goes to stderr
// naming the file, line and parameter, and the exit code is non-zero.
//
//===----------------------------------------------------------------------===//

#include "moec/Dialect/MoecDialect.h"
#include "moec/Support/Version.h"
#include "moec/Target/LLVMIR.h"
#include "moec/Target/PTX.h"
#include "moec/Target/TargetInfo.h"
#include "moec/Transforms/GemmKernel.h"
#include "moec/Transforms/Passes.h"
#include "moec/Tools/Registration.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <optional>

using namespace mlir;
namespace cl = llvm::cl;

namespace {

//===----------------------------------------------------------------------===//
// Command-line definition
//===----------------------------------------------------------------------===//

cl::SubCommand compileCmd("compile", "Compile a .mlir file for one target");
cl::SubCommand tuneCmd("tune", "Autotune the kernels of a file on a device");
cl::SubCommand benchCmd("bench", "Time compiled kernels on a device");
cl::SubCommand inspectCmd("inspect", "Print the resources of a code object");
cl::SubCommand runCmd("run", "Compile, launch and check against a reference");

cl::OptionCategory configCat("Tuning config overrides (each replaces the "
                             "value in the file's #moec.config)");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input .mlir>"),
                               cl::Required, cl::sub(compileCmd));
cl::opt<std::string> outputFile("o", cl::desc("Output file (default: stdout)"),
                                cl::value_desc("file"), cl::init("-"),
                                cl::sub(compileCmd));
cl::opt<std::string> arch("arch",
                          cl::desc("Target: gfx90a, gfx942, gfx950, sm_80, "
                                   "sm_90 or host (default: the file's "
                                   "moec.target)"),
                          cl::sub(compileCmd));
cl::opt<std::string> emit("emit",
                          cl::desc("What to write: mlir (verified input), "
                                   "kernels (lowered MLIR), llvm (LLVM IR), "
                                   "ptx (NVIDIA targets)"),
                          cl::init("mlir"), cl::sub(compileCmd));
cl::opt<bool> verbose("verbose", cl::desc("Say what the target ignores"),
                      cl::sub(compileCmd));
cl::opt<bool> asyncCopy("async-copy",
                        cl::desc("NVIDIA: stage K tiles with cp.async into "
                                 "num_stages LDS buffers (sets "
                                 "moec.async_copy on the module)"),
                        cl::sub(compileCmd));

/// One integer field of #moec.config, settable from the command line.
struct IntOverride {
  const char *flag;  ///< e.g. "block-m"
  const char *param; ///< e.g. "block_m"
  cl::opt<int64_t> opt;
  IntOverride(const char *flag, const char *param, const char *desc)
      : flag(flag), param(param),
        opt(llvm::StringRef(flag), cl::desc(desc), cl::cat(configCat), cl::sub(compileCmd)) {}
};

IntOverride blockM("block-m", "block_m", "Rows of the workgroup tile");
IntOverride blockN("block-n", "block_n", "Columns of the workgroup tile");
IntOverride blockK("block-k", "block_k", "K step of the workgroup tile");
IntOverride groupM("group-m", "group_m", "Workgroup swizzle group for L2 reuse");
IntOverride numWarps("num-warps", "num_warps", "Waves (warps) per workgroup");
IntOverride numStages("num-stages", "num_stages", "K-loop pipeline depth");
IntOverride wavesPerEU("waves-per-eu", "waves_per_eu",
                       "Occupancy hint (0 = none)");
IntOverride nonKDim("matrix-instr-nonkdim", "matrix_instr_nonkdim",
                    "MFMA family: 16 or 32");
IntOverride kpack("kpack", "kpack", "K elements per lane per LDS read");
IntOverride blockH("block-h", "block_h", "Attention: query heads per workgroup");
IntOverride blockKV("block-kv", "block_kv", "Attention: KV rows per step");
cl::opt<std::string> epilogue("epilogue", cl::desc("direct | lds"),
                              cl::cat(configCat), cl::sub(compileCmd));

// The subcommands of later issues take anything and say they are not there
// yet, rather than failing with an unhelpful parse error or succeeding.
cl::list<std::string> tuneArgs(cl::Sink, cl::sub(tuneCmd));
cl::list<std::string> benchArgs(cl::Sink, cl::sub(benchCmd));
cl::list<std::string> inspectArgs(cl::Sink, cl::sub(inspectCmd));
cl::list<std::string> runArgs(cl::Sink, cl::sub(runCmd));

//===----------------------------------------------------------------------===//
// compile
//===----------------------------------------------------------------------===//

/// Rewrites the config of every moec op with the flags given. Returns failure
/// (after a diagnostic at the op) when the result is not a valid config.
LogicalResult applyConfigOverrides(ModuleOp module) {
  std::string given;
  for (IntOverride *o : {&blockM, &blockN, &blockK, &groupM, &numWarps,
                         &numStages, &wavesPerEU, &nonKDim, &kpack, &blockH,
                         &blockKV})
    if (o->opt.getNumOccurrences())
      given += fmt::format(" --{} {}", o->flag, o->opt.getValue());
  std::optional<moec::EpilogueKind> epi;
  if (epilogue.getNumOccurrences()) {
    epi = moec::symbolizeEpilogueKind(epilogue);
    if (!epi) {
      llvm::errs() << fmt::format(
          "moec compile: error: --epilogue '{}' is not valid; expected direct "
          "or lds\n",
          epilogue.getValue());
      return failure();
    }
    given += " --epilogue " + epilogue;
  }
  if (given.empty())
    return success();

  auto pick = [](IntOverride &o, int64_t fromFile) {
    return o.opt.getNumOccurrences() ? o.opt.getValue() : fromFile;
  };
  WalkResult result = module.walk([&](Operation *op) {
    auto cfg = op->getAttrOfType<moec::ConfigAttr>("config");
    if (!cfg)
      return WalkResult::advance();
    auto emitError = [&] {
      return op->emitError() << "with" << given << ": ";
    };
    auto updated = moec::ConfigAttr::getChecked(
        emitError, op->getContext(), pick(blockM, cfg.getBlockM()),
        pick(blockN, cfg.getBlockN()), pick(blockK, cfg.getBlockK()),
        pick(groupM, cfg.getGroupM()), pick(numWarps, cfg.getNumWarps()),
        pick(numStages, cfg.getNumStages()),
        pick(wavesPerEU, cfg.getWavesPerEu()),
        pick(nonKDim, cfg.getMatrixInstrNonkdim()), pick(kpack, cfg.getKpack()),
        epi.value_or(cfg.getEpilogue()), pick(blockH, cfg.getBlockH()),
        pick(blockKV, cfg.getBlockKv()));
    if (!updated)
      return WalkResult::interrupt();
    op->setAttr("config", updated);
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

/// Attaches `--arch` (or keeps the file's `moec.target`); fails with a
/// message when neither names a known target.
LogicalResult attachTarget(ModuleOp module) {
  MLIRContext *ctx = module.getContext();
  if (arch.empty()) {
    if (module->hasAttrOfType<moec::TargetAttr>(
            moec::MoecDialect::kTargetAttrName))
      return success();
    llvm::errs() << fmt::format(
        "moec compile: error: no target: pass --arch ({}) or set "
        "moec.target on the module\n",
        moec::knownTargetNames());
    return failure();
  }
  if (!moec::lookupTarget(arch)) {
    llvm::errs() << fmt::format(
        "moec compile: error: --arch '{}' is not a known target; known "
        "targets: {}\n",
        arch.getValue(), moec::knownTargetNames());
    return failure();
  }
  module->setAttr(moec::MoecDialect::kTargetAttrName,
                  moec::TargetAttr::get(ctx, arch));
  return success();
}

int runCompile() {
  if (emit != "mlir" && emit != "kernels" && emit != "llvm" && emit != "ptx") {
    static const char *later[] = {"asm", "obj", "hsaco"};
    bool known = llvm::is_contained(later, emit.getValue());
    llvm::errs() << fmt::format(
        known ? "moec compile: error: --emit {} is not available yet: this "
                "build emits mlir, kernels (the lowered MLIR), llvm and ptx\n"
              : "moec compile: error: --emit '{}' is not valid; expected "
                "mlir, kernels, llvm, asm, obj, hsaco or ptx\n",
        emit.getValue());
    return 1;
  }

  DialectRegistry registry;
  moec::registerMoecDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // The source line printed with each diagnostic says enough; the generic
  // form of the op would only bury the message.
  context.printOpOnDiagnostic(false);

  std::string err;
  std::unique_ptr<llvm::MemoryBuffer> input = openInputFile(inputFile, &err);
  if (!input) {
    llvm::errs() << "moec compile: error: " << err << "\n";
    return 1;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  // Diagnostics print as FILE:LINE:COL: error: ...
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);

  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;

  bool hasKernel = false;
  module->walk([&](Operation *op) {
    if (isa<moec::MoecDialect>(op->getDialect()))
      hasKernel = true;
  });
  if (!hasKernel) {
    llvm::errs() << fmt::format(
        "moec compile: error: {}: no moec op (gemm, moe_align, moe_gemm, "
        "sparse_attention) to compile\n",
        inputFile.getValue());
    return 1;
  }

  if (failed(attachTarget(*module)) || failed(applyConfigOverrides(*module)) ||
      failed(verify(*module)))
    return 1;
  if (asyncCopy)
    (*module)->setAttr(moec::GemmKernelSpec::kAsyncCopyAttrName,
                       UnitAttr::get(&context));

  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputFile, &err);
  if (!output) {
    llvm::errs() << "moec compile: error: " << err << "\n";
    return 1;
  }
  if (emit == "mlir") {
    module->print(output->os());
    output->os() << "\n";
    output->keep();
    return 0;
  }

  // Lower: moec ops -> kernels -> the target's LLVM dialect.
  auto targetAttr = module->getOperation()->getAttrOfType<moec::TargetAttr>(
      moec::MoecDialect::kTargetAttrName);
  const moec::TargetInfo &target = *moec::lookupTarget(targetAttr.getChip());
  if (emit == "ptx" && !target.isNVPTX()) {
    llvm::errs() << fmt::format("moec compile: error: --emit ptx needs an "
                                "NVIDIA target (sm_80, sm_90), not {}\n",
                                target.chip.str());
    return 1;
  }
  if (verbose && target.isNVPTX())
    llvm::errs() << fmt::format("moec compile: note: waves_per_eu, "
                                "matrix_instr_nonkdim and kpack are AMD-only "
                                "and ignored on {}\n", target.chip.str());
  PassManager pm(&context);
  moec::buildLoweringPipeline(pm, target);
  if (failed(pm.run(*module)))
    return 1;
  if (emit == "kernels") {
    module->print(output->os());
    output->os() << "\n";
    output->keep();
    return 0;
  }
  llvm::LLVMContext llvmContext;
  auto llvmModule =
      moec::translateKernelsToLLVMIR(*module, target, llvmContext);
  if (failed(llvmModule))
    return 1;
  if (emit == "ptx") {
    std::string why;
    llvm::FailureOr<std::string> ptx = moec::emitPTX(**llvmModule, target, &why);
    if (failed(ptx)) {
      llvm::errs() << "moec compile: error: " << why << "\n";
      return 1;
    }
    output->os() << *ptx;
    output->keep();
    return 0;
  }
  (*llvmModule)->print(output->os(), nullptr);
  output->keep();
  return 0;
}

int notYet(cl::SubCommand &cmd) {
  llvm::errs() << fmt::format(
      "moec {}: error: not available yet in this build; today only "
      "`moec compile --emit mlir` is\n",
      cmd.getName().str());
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "moec " << moec::kVersion << " (LLVM/MLIR " << LLVM_VERSION_STRING
       << ")\n";
  });
  cl::ParseCommandLineOptions(
      argc, argv,
      "moec: a JIT kernel compiler for GEMM, fused-MoE and sparse attention\n\n"
      "  moec compile moe.mlir --arch gfx942 --block-m 64 --emit mlir\n");

  if (compileCmd)
    return runCompile();
  for (cl::SubCommand *cmd : {&tuneCmd, &benchCmd, &inspectCmd, &runCmd})
    if (*cmd)
      return notYet(*cmd);
  llvm::errs() << "moec: error: expected a subcommand: compile, tune, bench, "
                  "inspect or run (see moec --help)\n";
  return 1;
}
