//===- MatrixCores.h - the per-target matrix cores --------------*- C++ -*-===//
//
// Each target library (lib/Conversion/{AMDGPU,NVVM,Host}) registers its
// MatrixCore (moec/Transforms/MatrixCore.h) with the target-independent
// skeleton. Tools call registerAllMatrixCores() once, through
// moec::registerMoecDialects.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_CONVERSION_MATRIXCORES_H
#define MOEC_CONVERSION_MATRIXCORES_H

namespace moec {

/// MFMA (gfx90a/gfx942/gfx950): MoecConversionAMDGPU.
void registerAMDGPUMatrixCore();
/// mma.sync with ldmatrix and cp.async (sm_80/sm_90): MoecConversionNVVM.
void registerNVVMMatrixCore();
/// Scalar loops, one lane per workgroup: MoecConversionHost.
void registerHostMatrixCore();

inline void registerAllMatrixCores() {
  registerAMDGPUMatrixCore();
  registerNVVMMatrixCore();
  registerHostMatrixCore();
}

} // namespace moec

#endif // MOEC_CONVERSION_MATRIXCORES_H
