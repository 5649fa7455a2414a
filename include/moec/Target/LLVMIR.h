//===- LLVMIR.h - lowered kernels -> LLVM IR --------------------*- C++ -*-===//
#ifndef MOEC_TARGET_LLVMIR_H
#define MOEC_TARGET_LLVMIR_H

#include "moec/Target/TargetInfo.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/Module.h"

#include <memory>

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace moec {

/// Registers the MLIR -> LLVM IR translations moec uses (builtin, LLVM,
/// ROCDL, NVVM) and nothing else.
void registerLLVMIRTranslations(mlir::DialectRegistry &registry);

/// Translates the kernels of a module lowered by buildLoweringPipeline:
/// the `gpu.module @moec_kernels` for GPU targets, the whole module for the
/// host. Sets the triple and the target CPU on every function.
mlir::FailureOr<std::unique_ptr<llvm::Module>>
translateKernelsToLLVMIR(mlir::ModuleOp module, const TargetInfo &target,
                         llvm::LLVMContext &context);

} // namespace moec

#endif // MOEC_TARGET_LLVMIR_H
