//===- PTX.cpp - LLVM IR -> PTX for NVIDIA targets ------------------------===//
//
// Only the NVPTX backend is initialized (once, whatever the thread), never
// every target: the library links the backends it uses and nothing else.
//
//===----------------------------------------------------------------------===//

#include "moec/Target/PTX.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/OptimizationLevel.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Triple.h"

#include <memory>
#include <mutex>

using namespace moec;

static void initializeNVPTX() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeNVPTXTargetInfo();
    LLVMInitializeNVPTXTarget();
    LLVMInitializeNVPTXTargetMC();
    LLVMInitializeNVPTXAsmPrinter();
  });
}

llvm::FailureOr<std::string> moec::emitPTX(llvm::Module &module,
                                           const TargetInfo &target,
                                           std::string *error) {
  auto fail = [&](const llvm::Twine &why) -> llvm::FailureOr<std::string> {
    if (error)
      *error = why.str();
    return llvm::failure();
  };
  if (!target.isNVPTX())
    return fail("PTX is emitted for NVIDIA targets only, not " +
                target.chip.str());
  initializeNVPTX();

  llvm::Triple triple(target.triple);
  std::string lookupError;
  const llvm::Target *backend =
      llvm::TargetRegistry::lookupTarget(triple, lookupError);
  if (!backend)
    return fail("no NVPTX backend for " + triple.str() + ": " + lookupError);
  std::unique_ptr<llvm::TargetMachine> machine(backend->createTargetMachine(
      triple, target.chip, kPTXFeatures, llvm::TargetOptions(), std::nullopt,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return fail("cannot create an NVPTX target machine for " +
                target.chip.str());
  module.setTargetTriple(triple);
  module.setDataLayout(machine->createDataLayout());

  std::string verifyMessage;
  llvm::raw_string_ostream verifyStream(verifyMessage);
  if (llvm::verifyModule(module, &verifyStream))
    return fail("the LLVM IR of the kernels is invalid: " + verifyMessage);

  {
    // O3 with the new pass manager, tuned for this target machine.
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder passes(machine.get());
    passes.registerModuleAnalyses(mam);
    passes.registerCGSCCAnalyses(cgam);
    passes.registerFunctionAnalyses(fam);
    passes.registerLoopAnalyses(lam);
    passes.crossRegisterProxies(lam, fam, cgam, mam);
    llvm::ModulePassManager mpm =
        passes.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
    mpm.run(module, mam);
  }

  llvm::SmallString<0> ptx;
  llvm::raw_svector_ostream out(ptx);
  llvm::legacy::PassManager codegen;
  if (machine->addPassesToEmitFile(codegen, out, nullptr,
                                   llvm::CodeGenFileType::AssemblyFile))
    return fail("the NVPTX backend cannot emit assembly for " +
                target.chip.str());
  codegen.run(module);
  return std::string(ptx.str());
}
