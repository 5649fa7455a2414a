//===- PTX.h - LLVM IR -> PTX for NVIDIA targets ----------------*- C++ -*-===//
//
// The NVIDIA end of the pipeline: an LLVM module of kernels (as
// translateKernelsToLLVMIR makes it for sm_80 / sm_90) is optimized at O3 and
// compiled to PTX text by LLVM's NVPTX backend, in process. The CUDA driver
// JIT-compiles the PTX when the runtime loads it (cuModuleLoadData).
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TARGET_PTX_H
#define MOEC_TARGET_PTX_H

#include "moec/Target/TargetInfo.h"

#include "llvm/IR/Module.h"
#include "llvm/Support/LogicalResult.h"

#include <string>

namespace moec {

/// The PTX version every NVIDIA target is emitted for: 8.0, which the CUDA
/// 12+ drivers load (and CUDA 13's on the H100).
inline constexpr const char *kPTXFeatures = "+ptx80";

/// Optimizes `module` in place (new pass manager, O3) and compiles it to PTX
/// for `target` (must be NVPTX: sm_80 or sm_90). On failure, returns failure
/// and, when `error` is given, says why there.
llvm::FailureOr<std::string> emitPTX(llvm::Module &module,
                                     const TargetInfo &target,
                                     std::string *error = nullptr);

} // namespace moec

#endif // MOEC_TARGET_PTX_H
