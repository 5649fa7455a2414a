//===- MatrixCore.cpp - pick the tile product for a target ----------------===//

#include "moec/Conversion/MatrixCore.h"
#include "moec/Dialect/TargetChecks.h"

using namespace mlir;
using namespace moec;

FailureOr<std::unique_ptr<MatrixCore>>
moec::createMatrixCore(const GemmKernelSpec &spec, Location loc) {
  const TargetInfo &t = *spec.target;
  std::unique_ptr<MatrixCore> core;
  switch (t.kind) {
  case TargetKind::AMDGPU:
    core = createMfmaCore(spec);
    break;
  case TargetKind::Host:
    if (isFp8(spec.aType) || isFp8(spec.bType))
      return emitError(loc) << "fp8 GEMM on the host target is not supported "
                               "yet (no CPU fp8 conversion in the lowering)",
             failure();
    core = createHostCore(spec);
    break;
  case TargetKind::NVPTX:
    if (isFp8(spec.aType) || isFp8(spec.bType))
      return emitError(loc) << "fp8 GEMM on " << t.chip
                            << " is not supported yet: the mma.sync lowering "
                               "takes f16 and bf16 inputs",
             failure();
    core = createMmaSyncCore(spec);
    break;
  }
  if (!core)
    return emitError(loc) << "no " << t.chip
                          << " lowering for this gemm configuration ("
                          << spec.mangle() << ")",
           failure();
  return core;
}
