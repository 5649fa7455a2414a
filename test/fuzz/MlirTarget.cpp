//===- MlirTarget.cpp - fuzz target: parse, verify, lower -----------------===//
#include "FuzzTargets.h"

#include "moec/Dialect/MoecDialect.h"
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
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

int moec::fuzz::mlir(const uint8_t *data, size_t size, std::string_view chip) {
  // Inputs past 64 KiB only slow the fuzzer down.
  if (size > (64 << 10))
    return 0;
  const TargetInfo *target = lookupTarget(llvm::StringRef(chip.data(), chip.size()));
  if (!target)
    return 0;
  // A fresh context per input: uniqued attributes would otherwise pile up,
  // and no state leaks from one input to the next.
  DialectRegistry registry;
  registerMoecDialects(registry);
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  ScopedDiagnosticHandler quiet(&context, [](Diagnostic &) { return success(); });

  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz"),
      llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(
      sourceMgr, ParserConfig(&context, /*verifyAfterParse=*/false));
  if (!module)
    return 0;
  // What `moec compile --arch <chip>` does: the target replaces the file's.
  (*module)->setAttr(MoecDialect::kTargetAttrName,
                     TargetAttr::get(&context, target->chip));
  if (failed(verify(*module)))
    return 0;
  PassManager pm(&context);
  buildLoweringPipeline(pm, *target);
  if (failed(pm.run(*module)))
    return 0;
  llvm::LLVMContext llvmContext;
  auto llvmModule = translateKernelsToLLVMIR(*module, *target, llvmContext);
  return succeeded(llvmModule) ? 0 : 0;
}
