//===- LLVMIR.cpp - lowered kernels -> LLVM IR ----------------------------===//

#include "moec/Target/LLVMIR.h"
#include "moec/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/ROCDL/ROCDLToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

using namespace mlir;

void moec::registerLLVMIRTranslations(DialectRegistry &registry) {
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerROCDLDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
}

FailureOr<std::unique_ptr<llvm::Module>>
moec::translateKernelsToLLVMIR(ModuleOp module, const TargetInfo &target,
                               llvm::LLVMContext &context) {
  std::unique_ptr<llvm::Module> llvmModule;
  if (target.isHost()) {
    llvmModule = translateModuleToLLVMIR(module, context, "moec_host");
  } else {
    auto kernels = module.lookupSymbol<gpu::GPUModuleOp>(kKernelModuleName);
    if (!kernels)
      return module.emitError() << "no gpu.module @" << kKernelModuleName
                                << " to translate: nothing was lowered";
    // Translate the kernel module's contents as a module of their own.
    OpBuilder b(module.getContext());
    OwningOpRef<ModuleOp> device = ModuleOp::create(b, kernels.getLoc());
    b.setInsertionPointToStart(device->getBody());
    for (Operation &op : kernels.getBody()->without_terminator())
      b.clone(op);
    llvmModule = translateModuleToLLVMIR(*device, context, "moec_kernels");
  }
  if (!llvmModule)
    return module.emitError() << "translation to LLVM IR failed";
  if (!target.isHost()) {
    llvmModule->setTargetTriple(llvm::Triple(target.triple));
    for (llvm::Function &f : *llvmModule)
      if (!f.isDeclaration())
        f.addFnAttr("target-cpu", target.chip);
  }
  return llvmModule;
}
