//===- Backend.cpp - LLVM IR to ISA, relocatable objects and PTX ----------===//
//
// A TargetMachine per thread and target, reused; an IR pipeline (a shortened
// O1 for AMDGPU, see kAMDGPUPipeline; LLVM's per-module default otherwise);
// then the legacy code-generation pass manager, which is what LLVM 22's
// backends still use. Only the AMDGPU and NVPTX backends are registered:
// registering every backend would drag all of them into every binary.
//
//===----------------------------------------------------------------------===//

#include "moec/Target/Backend.h"
#include "moec/Target/TargetInfo.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Analysis/CGSCCPassManager.h"
#include "llvm/Analysis/LoopAnalysisManager.h"
#include "llvm/IR/CallingConv.h"
#include "llvm/IR/DiagnosticHandler.h"
#include "llvm/IR/DiagnosticInfo.h"
#include "llvm/IR/DiagnosticPrinter.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassInstrumentation.h"
#include "llvm/IR/PassManager.h"
#include "llvm/IR/PassTimingInfo.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/CodeGen.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Triple.h"

#include <fmt/format.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

using namespace moec;
using llvm::Expected;

namespace {

llvm::Error makeError(std::string message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Code-generation defaults moec changes, for every AMDGPU compile in this
/// process; each only where the command line (moec-translate,
/// moec-compile-bench take LLVM's options) left it alone.
///
/// amdgpu-use-aa-in-codegen=false: the machine schedulers' dependence
/// graphs ask alias analysis about every pair of memory operations in a
/// block; with the LDS tiles addressed off one workgroup global through
/// long GEP chains, BasicAA's GEP decomposition was ~28% of the backend's
/// instructions for a num_warps = 2 GEMM (backend CPU time -17% at the
/// median of the 24 compile-latency variants). moec's kernels order their
/// LDS traffic with barriers, so the answers rarely matter: of the 117
/// kernels of benchmarks/asm_corpus.sh (the 24 variants, the 8 ISA configs,
/// the lit tests' kernels on gfx90a/gfx942/gfx950) 109 are byte-identical,
/// 6 reorder instructions with the same registers and K loop, moe-align
/// needs 14 VGPRs instead of 48, and one lit fp8 kernel's K loop has a
/// redundant s_waitcnt more (73 -> 74). Measured in benchmarks/NOTES.md
/// ("Compile latency", 2026-11-27 evening).
void setCodegenDefaults() {
  auto &options = llvm::cl::getRegisteredOptions();
  auto setBool = [&](llvm::StringRef name, bool value) {
    llvm::cl::Option *option = options.lookup(name);
    if (!option || option->getNumOccurrences() > 0)
      return;
    // Registered by the AMDGPU backend as cl::opt<bool>.
    static_cast<llvm::cl::opt<bool> *>(option)->setValue(value);
  };
  setBool("amdgpu-use-aa-in-codegen", false);
}

/// Registers the AMDGPU and NVPTX backends, once per process.
void initializeBackends() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeAMDGPUTargetInfo();
    LLVMInitializeAMDGPUTarget();
    LLVMInitializeAMDGPUTargetMC();
    LLVMInitializeAMDGPUAsmPrinter();
    // Inline assembly in a kernel is parsed when an object is emitted.
    LLVMInitializeAMDGPUAsmParser();
    LLVMInitializeNVPTXTargetInfo();
    LLVMInitializeNVPTXTarget();
    LLVMInitializeNVPTXTargetMC();
    LLVMInitializeNVPTXAsmPrinter();
    setCodegenDefaults();
  });
}

/// Collects the errors LLVM reports through the context while the backend
/// runs: without a handler LLVMContext prints them and exits the process.
/// Warnings and remarks keep LLVM's default printing.
class ErrorCollector : public llvm::DiagnosticHandler {
public:
  ErrorCollector(std::string &errors, llvm::DiagnosticHandler *next)
      : errors(errors), next(next) {}
  bool handleDiagnostics(const llvm::DiagnosticInfo &info) override {
    // Warnings go to the handler the caller installed (moec's driver puts
    // them at the kernel's source location), else LLVM prints them.
    if (info.getSeverity() != llvm::DS_Error)
      return next && next->handleDiagnostics(info);
    llvm::raw_string_ostream os(errors);
    if (!errors.empty())
      os << "\n";
    llvm::DiagnosticPrinterRawOStream printer(os);
    info.print(printer);
    return true;
  }

private:
  std::string &errors;
  llvm::DiagnosticHandler *next;
};

/// Installs an ErrorCollector on a context for its lifetime, then puts the
/// previous handler back.
class ScopedErrorCollector {
public:
  explicit ScopedErrorCollector(llvm::LLVMContext &context)
      : context(context), previous(context.getDiagnosticHandler()) {
    context.setDiagnosticHandler(
        std::make_unique<ErrorCollector>(errors, previous.get()));
  }
  ~ScopedErrorCollector() { context.setDiagnosticHandler(std::move(previous)); }
  const std::string &text() const { return errors; }

private:
  llvm::LLVMContext &context;
  std::unique_ptr<llvm::DiagnosticHandler> previous;
  std::string errors;
};

/// A moec target LLVM generates code for (not the host).
const TargetInfo *lookupCodegenTarget(llvm::StringRef chip) {
  const TargetInfo *target = lookupTarget(chip);
  return target && !target->isHost() ? target : nullptr;
}

Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const TargetInfo &target, const EmitOptions &opts) {
  initializeBackends();
  std::optional<llvm::CodeGenOptLevel> level =
      llvm::CodeGenOpt::getLevel(static_cast<int>(opts.optLevel));
  if (!level)
    return makeError(fmt::format("optimization level {} is not valid; "
                                 "expected 0, 1, 2 or 3",
                                 opts.optLevel));
  llvm::Triple triple(target.triple);
  std::string error;
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!llvmTarget)
    return makeError(
        fmt::format("no LLVM backend for {}: {}", target.triple.str(), error));
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine(llvmTarget->createTargetMachine(
      triple, target.chip, opts.features, options, llvm::Reloc::PIC_,
      std::nullopt, *level));
  if (!machine)
    return makeError(fmt::format("LLVM could not create a target machine for "
                                 "{} ({})",
                                 target.chip.str(), target.triple.str()));
  if (!machine->getMCSubtargetInfo()->isCPUStringValid(target.chip))
    return makeError(fmt::format("LLVM's {} backend does not know the "
                                 "processor {}",
                                 llvmTarget->getName(), target.chip.str()));
  return machine;
}

/// The calling thread's target machine for (chip, features, level), made on
/// first use. A TargetMachine is not safe to share between threads (its
/// register info fills caches lazily) but is meant to be reused: building
/// AMDGPU's register alias tables again cost ~7 ms of a ~25 ms kernel.
Expected<llvm::TargetMachine *> getTargetMachine(const TargetInfo &target,
                                                 const EmitOptions &opts) {
  thread_local llvm::StringMap<std::unique_ptr<llvm::TargetMachine>> cache;
  std::string key =
      fmt::format("{}|{}|{}", target.chip.str(), opts.features, opts.optLevel);
  auto it = cache.find(key);
  if (it != cache.end())
    return it->second.get();
  Expected<std::unique_ptr<llvm::TargetMachine>> machine =
      createTargetMachine(target, opts);
  if (!machine)
    return machine.takeError();
  llvm::TargetMachine *result = machine->get();
  cache[key] = std::move(*machine);
  return result;
}

/// Points `module` at the target (triple, data layout, code object version)
/// after checking that nothing in it names another target, and verifies it.
llvm::Error prepareModule(llvm::Module &module, llvm::TargetMachine &machine,
                          const TargetInfo &target, const EmitOptions &opts) {
  const llvm::Triple &want = machine.getTargetTriple();
  const llvm::Triple &have = module.getTargetTriple();
  if (!have.str().empty() &&
      (have.getArch() != want.getArch() || have.getOS() != want.getOS()))
    return makeError(
        fmt::format("module '{}' is for {} but the target {} needs {}",
                    module.getModuleIdentifier(), have.str(), target.chip.str(),
                    want.str()));
  for (const llvm::Function &fn : module) {
    // IR for one GPU family crashes the other's backend (LLVM aborts in
    // instruction selection), so catch it here: a module without a triple
    // still shows its family in kernel calling conventions and intrinsics.
    llvm::StringRef family;
    if (fn.getCallingConv() == llvm::CallingConv::AMDGPU_KERNEL ||
        fn.getName().starts_with("llvm.amdgcn."))
      family = "AMDGPU";
    else if (fn.getCallingConv() == llvm::CallingConv::PTX_Kernel ||
             fn.getName().starts_with("llvm.nvvm."))
      family = "NVPTX";
    if (!family.empty() && (family == "AMDGPU") != target.isAMDGPU())
      return makeError(fmt::format(
          "module '{}' holds {} code (@{}) but the target {} is {}",
          module.getModuleIdentifier(), family.str(), fn.getName().str(),
          target.chip.str(), target.isAMDGPU() ? "AMDGPU" : "NVPTX"));
    llvm::Attribute cpu = fn.getFnAttribute("target-cpu");
    if (cpu.isValid() && cpu.getValueAsString() != target.chip)
      return makeError(fmt::format(
          "function @{} asks for target-cpu {} but the target is {}",
          fn.getName().str(), cpu.getValueAsString().str(), target.chip.str()));
  }
  module.setTargetTriple(want);
  module.setDataLayout(machine.createDataLayout());

  if (target.isAMDGPU()) {
    unsigned version = opts.codeObjectVersion;
    if (version != 400 && version != 500 && version != 600)
      return makeError(fmt::format("code object version {} is not valid; "
                                   "expected 400, 500 or 600",
                                   version));
    module.setModuleFlag(llvm::Module::Error, "amdhsa_code_object_version",
                         version);
  }

  std::string problems;
  llvm::raw_string_ostream os(problems);
  if (llvm::verifyModule(module, &os))
    return makeError(fmt::format("module '{}' does not verify: {}",
                                 module.getModuleIdentifier(), problems));
  return llvm::Error::success();
}

/// The IR pipeline for AMDGPU kernels at optLevel >= 1: LLVM's O1 pipeline
/// (`opt -O1 -print-pipeline-passes`) less what does nothing to moec's
/// kernels (no calls, coroutines, OpenMP or library calls, so no inliner,
/// attribute inference or library-call passes; no vectorizer, which O1 runs
/// forced-only) and less 5 of O1's 8 InstCombine runs.
///
/// Why not O3: MLIR hands over simplified, unrolled and vectorized kernels.
/// On 149 gfx942/gfx90a/gfx950 modules (the lit tests' kernels, the 24
/// compile-latency variants and 13 more GEMM configs, those two with
/// masked and with buffer loads) this pipeline gives O1's ISA byte for byte
/// up to labels, and that is O3's or better: of the 146 lit-test kernels
/// none got worse, 16 have a K loop one instruction shorter and 8 two VGPRs
/// fewer. It spends 58% fewer instructions than O3 (34% fewer than O1).
/// What it cannot lose is loop rotation: without it (or without any
/// pipeline) the bf16 GEMM K loop grows 36-39%; shorter hand-picked
/// pipelines moved registers and K-loop length both ways. The measurements
/// are in benchmarks/NOTES.md ("Compile latency").
/// MOEC_IR_PIPELINE='default<O3>' restores the old pipeline.
constexpr const char *kAMDGPUPipeline =
    "function(simplifycfg,sroa,early-cse),"
    "ipsccp,globalopt,"
    "function(mem2reg,instcombine<max-iterations=1;no-verify-fixpoint>,"
    "simplifycfg<switch-range-to-icmp>,"
    "infer-address-spaces,amdgpu-lower-kernel-attributes,"
    "amdgpu-promote-alloca-to-vector,"
    "sroa,early-cse<memssa>,simplifycfg<switch-range-to-icmp>,reassociate,"
    "loop-mssa(loop-instsimplify,loop-simplifycfg,licm<no-allowspeculation>,"
    "loop-rotate,licm,simple-loop-unswitch),"
    "simplifycfg<switch-range-to-icmp>,"
    "instcombine<max-iterations=1;no-verify-fixpoint>,"
    "loop(loop-idiom,indvars,loop-deletion,loop-unroll-full),"
    "sroa,memcpyopt,sccp,bdce,infer-address-spaces,adce,"
    "simplifycfg<switch-range-to-icmp>),"
    "globalopt,globaldce,"
    "function(loop(loop-rotate,loop-deletion),infer-alignment,loop-load-elim,"
    "simplifycfg<forward-switch-cond;switch-range-to-icmp;switch-to-arithmetic;"
    "switch-to-lookup;no-keep-loops;hoist-common-insts;sink-common-insts>,"
    "vector-combine,loop-unroll<O1>,sroa<preserve-cfg>,infer-alignment,"
    "instcombine<max-iterations=1;no-verify-fixpoint>,"
    "loop-mssa(licm),alignment-from-assumptions,infer-address-spaces,"
    "loop-sink,instsimplify,div-rem-pairs,"
    "simplifycfg<switch-range-to-icmp;switch-to-arithmetic;"
    "hoist-loads-stores-with-cond-faulting;speculate-unpredictables>),"
    "amdgpu-attributor,globaldce";

/// The IR pipeline `optimize` runs: `opts.irPipeline`, else
/// $MOEC_IR_PIPELINE, else kAMDGPUPipeline for AMDGPU at optLevel >= 1,
/// else LLVM's per-module default pipeline at `opts.optLevel`. Code
/// generation stays at `opts.optLevel` either way: at 2 the AMDGPU backend
/// runs EarlyCSE where it runs GVN at 3, and GVN keeps the K loop of
/// today's masked-load kernels ~40% shorter.
std::string irPipelineFor(const TargetInfo &target, const EmitOptions &opts) {
  if (!opts.irPipeline.empty())
    return opts.irPipeline;
  if (const char *env = std::getenv("MOEC_IR_PIPELINE"); env && *env)
    return env;
  if (target.isAMDGPU() && opts.optLevel >= 1)
    return kAMDGPUPipeline;
  return fmt::format("default<O{}>", opts.optLevel);
}

/// Runs the IR pipeline (new pass manager) with the target's own passes.
llvm::Error optimize(llvm::Module &module, llvm::TargetMachine &machine,
                     const TargetInfo &target, const EmitOptions &opts) {
  // -time-passes (moec-translate, moec-compile-bench) reports these passes
  // with the code generator's; the timers add up across calls.
  llvm::PassInstrumentationCallbacks callbacks;
  std::optional<llvm::TimePassesHandler> timePasses;
  if (llvm::TimePassesIsEnabled) {
    timePasses.emplace(/*Enabled=*/true);
    timePasses->registerCallbacks(callbacks);
  }
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder builder(&machine, llvm::PipelineTuningOptions(),
                            std::nullopt, &callbacks);
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);

  std::string pipeline = irPipelineFor(target, opts);
  llvm::ModulePassManager passes;
  if (llvm::Error err = builder.parsePassPipeline(passes, pipeline))
    return makeError(fmt::format("IR pipeline '{}': {}", pipeline,
                                 llvm::toString(std::move(err))));
  passes.run(module, mam);
  return llvm::Error::success();
}

/// The target for `chip`, its TargetMachine, and the module prepared for it.
Expected<std::pair<const TargetInfo *, llvm::TargetMachine *>>
prepare(llvm::Module &module, llvm::StringRef chip, const EmitOptions &opts,
        llvm::StringRef what) {
  const TargetInfo *target = lookupCodegenTarget(chip);
  if (!target) {
    std::string known;
    for (const TargetInfo &t : allTargets())
      if (!t.isHost())
        known += (known.empty() ? "" : ", ") + t.chip.str();
    return makeError(fmt::format("{}: '{}' is not a target moec emits code "
                                 "for; known: {}",
                                 what.str(), chip.str(), known));
  }
  Expected<llvm::TargetMachine *> machine = getTargetMachine(*target, opts);
  if (!machine)
    return machine.takeError();
  if (llvm::Error err = prepareModule(module, **machine, *target, opts))
    return err;
  return std::make_pair(target, *machine);
}

/// Runs the whole backend on `module` for `chip`, writing `fileType`.
Expected<llvm::SmallString<0>> emit(llvm::Module &module, llvm::StringRef chip,
                                    const EmitOptions &opts,
                                    llvm::CodeGenFileType fileType,
                                    llvm::StringRef what) {
  auto prepared = prepare(module, chip, opts, what);
  if (!prepared)
    return prepared.takeError();
  auto [target, machine] = *prepared;

  ScopedErrorCollector errors(module.getContext());
  if (opts.optimizeIR)
    if (llvm::Error err = optimize(module, *machine, *target, opts))
      return err;

  llvm::SmallString<0> out;
  llvm::raw_svector_ostream os(out);
  llvm::legacy::PassManager codegen;
  if (machine->addPassesToEmitFile(codegen, os, nullptr, fileType))
    return makeError(fmt::format("{}: the {} backend cannot emit this kind "
                                 "of file",
                                 what.str(), target->chip.str()));
  codegen.run(module);
  if (!errors.text().empty())
    return makeError(fmt::format("{} for {}: {}", what.str(),
                                 target->chip.str(), errors.text()));
  return out;
}

} // namespace

llvm::Error moec::optimizeModule(llvm::Module &module, llvm::StringRef chip,
                                 const EmitOptions &opts) {
  auto prepared = prepare(module, chip, opts, "optimizeModule");
  if (!prepared)
    return prepared.takeError();
  ScopedErrorCollector errors(module.getContext());
  if (llvm::Error err =
          optimize(module, *prepared->second, *prepared->first, opts))
    return err;
  if (!errors.text().empty())
    return makeError(fmt::format("optimizeModule for {}: {}", chip.str(),
                                 errors.text()));
  return llvm::Error::success();
}

Expected<std::string> moec::emitAssembly(llvm::Module &module,
                                         llvm::StringRef chip,
                                         const EmitOptions &opts) {
  Expected<llvm::SmallString<0>> text = emit(
      module, chip, opts, llvm::CodeGenFileType::AssemblyFile, "emitAssembly");
  if (!text)
    return text.takeError();
  return text->str().str();
}

Expected<std::vector<char>>
moec::emitRelocatableObject(llvm::Module &module, llvm::StringRef chip,
                            const EmitOptions &opts) {
  const TargetInfo *target = lookupTarget(chip);
  if (target && !target->isAMDGPU())
    return makeError(fmt::format("emitRelocatableObject: {} is not an AMDGPU "
                                 "target; NVIDIA targets take PTX (emitPTX)",
                                 chip.str()));
  Expected<llvm::SmallString<0>> object =
      emit(module, chip, opts, llvm::CodeGenFileType::ObjectFile,
           "emitRelocatableObject");
  if (!object)
    return object.takeError();
  return std::vector<char>(object->begin(), object->end());
}

Expected<std::string> moec::emitPTX(llvm::Module &module, llvm::StringRef chip,
                                    const EmitOptions &opts) {
  const TargetInfo *target = lookupTarget(chip);
  if (target && !target->isNVPTX())
    return makeError(fmt::format("emitPTX: {} is not an NVIDIA target; PTX "
                                 "is for sm_80 and sm_90",
                                 chip.str()));
  Expected<llvm::SmallString<0>> text =
      emit(module, chip, opts, llvm::CodeGenFileType::AssemblyFile, "emitPTX");
  if (!text)
    return text.takeError();
  return text->str().str();
}

Expected<CodeObjectBinary> moec::emitCodeObject(llvm::Module &module,
                                                llvm::StringRef chip,
                                                const EmitOptions &opts,
                                                LinkVia via) {
  Expected<std::vector<char>> object =
      emitRelocatableObject(module, chip, opts);
  if (!object)
    return object.takeError();
  return linkCodeObject(*object, chip, via);
}
