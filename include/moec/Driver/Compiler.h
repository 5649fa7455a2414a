//===- Compiler.h - a verified moec module -> loadable kernels --*- C++ -*-===//
//
// The whole compile path behind `moec compile`, `moec run` and the tuner:
// outline kernels, lower them for the module's target, and produce what the
// runtime loads: PTX, an AMDGPU code object, or JIT-compiled host functions.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_DRIVER_COMPILER_H
#define MOEC_DRIVER_COMPILER_H

#include "moec/Runtime/HostKernel.h"
#include "moec/Target/Backend.h"
#include "moec/Target/TargetInfo.h"

#include "mlir/IR/BuiltinOps.h"

#include <memory>
#include <string>
#include <vector>

namespace moec {

/// What the outlining step decided about one kernel.
struct OutlinedKernel {
  std::string name;
  int64_t workgroupSize = 1; ///< lanes per workgroup
  int64_t ldsBytes = 0;
  /// The LDS is dynamic shared memory: launch with ldsBytes as its size.
  bool dynamicLds = false;
};

/// The loadable result of compiling one module.
struct CompiledModule {
  const TargetInfo *target = nullptr;
  std::vector<OutlinedKernel> kernels;
  /// GPU targets: the image for Device::loadModule (PTX text or hsaco).
  std::string image;
  /// Host target: entry points of the documented host-kernel ABI.
  rt::HostKernelTable hostKernels;
  /// Keeps the host JIT (and so hostKernels) alive.
  std::shared_ptr<void> hostEngine;
  /// Milliseconds spent in each phase, for compile-latency reports.
  double outlineMs = 0, lowerMs = 0, codegenMs = 0;
};

/// What to produce from a module lowered to the target's LLVM dialect.
enum class DeviceImageKind {
  Assembly, ///< AMDGPU ISA text (NVIDIA: PTX)
  Object,   ///< AMDGPU relocatable object (NVIDIA: PTX)
  Loadable  ///< what Device::loadModule takes: hsaco or PTX
};

/// The code-generation options compileModule and emitDeviceImage use for
/// `target`: the single place they are decided, so a cache key that
/// serializes this (moec/Jit/CacheKey.h) covers every knob.
EmitOptions emitOptionsFor(const TargetInfo &target);

/// How far compileModule goes.
enum class CompileStop {
  Loadable, ///< a loadable image (GPU) or JIT-compiled host kernels
  /// GPU targets: stop at the lane level (buildKernelToLaneLevelPipeline),
  /// leaving the kernels in `module` for the emulator; no LLVM, no image.
  LaneLevel,
};

/// Options of compileModule.
struct CompileOptions {
  CompileStop stop = CompileStop::Loadable;
  /// Host target: also put the JIT-compiled object (ELF, with the packed
  /// `_mlir_<kernel>` entry points) into CompiledModule::image, so that it
  /// can be cached and loaded again without compiling (moec/Jit).
  bool hostObject = false;
};

/// Translates and code-generates the kernels of a lowered module.
mlir::FailureOr<std::string>
emitDeviceImage(mlir::ModuleOp module, const TargetInfo &target,
                DeviceImageKind kind = DeviceImageKind::Loadable);

/// What the outlining step recorded on each kernel of `module`
/// (compileModule's CompiledModule::kernels).
std::vector<OutlinedKernel> outlinedKernels(mlir::ModuleOp module);

/// Host target: JIT-compiles the kernels of a module lowered by
/// buildKernelToLLVMPipeline into out.hostKernels, for out.kernels
/// (outlinedKernels); compileModule's code-generation step, callable alone
/// so that moec-compile-bench can time it.
mlir::LogicalResult jitLoweredHostModule(mlir::ModuleOp module,
                                         CompiledModule &out,
                                         bool keepObject = false);

/// Compiles `module` (verified, carrying a `moec.target`) for that target.
/// `module` is lowered in place. Diagnostics go to the module's context.
mlir::FailureOr<CompiledModule>
compileModule(mlir::ModuleOp module, CompileStop stop = CompileStop::Loadable);
/// The same with every option (CompileOptions::stop included).
mlir::FailureOr<CompiledModule> compileModule(mlir::ModuleOp module,
                                              const CompileOptions &opts);

} // namespace moec

#endif // MOEC_DRIVER_COMPILER_H
