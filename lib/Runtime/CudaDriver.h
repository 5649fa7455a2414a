//===- CudaDriver.h - the CUDA driver API, loaded at run time ---*- C++ -*-===//
//
// The few driver types and constants moec needs, declared here so that
// nothing includes cuda.h (not installed where moec builds), and the symbol
// table filled from libcuda.so.1 (see CudaSymbols.def).
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_LIB_RUNTIME_CUDADRIVER_H
#define MOEC_LIB_RUNTIME_CUDADRIVER_H

#include "moec/Runtime/Status.h"

#include <cstddef>
#include <string>
#include <vector>

namespace moec::rt::cuda {

// C enums are int-sized; passing int is the same ABI.
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long; // 64-bit device address
using CUdevice_attribute = int;
using CUfunction_attribute = int;
using CUjit_option = int;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUevent = struct CUevent_st *;

inline constexpr CUresult CUDA_SUCCESS = 0;
inline constexpr CUresult CUDA_ERROR_NO_DEVICE = 100;

inline constexpr CUdevice_attribute
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
inline constexpr CUdevice_attribute
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
inline constexpr CUfunction_attribute
    CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;

inline constexpr CUjit_option CU_JIT_INFO_LOG_BUFFER = 3;
inline constexpr CUjit_option CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4;
inline constexpr CUjit_option CU_JIT_ERROR_LOG_BUFFER = 5;
inline constexpr CUjit_option CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;

inline constexpr unsigned CU_EVENT_DEFAULT = 0;

/// Dynamic shared memory a kernel gets without opting in.
inline constexpr size_t kDefaultMaxDynamicShared = 48 * 1024;

/// One function pointer per row of CudaSymbols.def.
struct CudaSymbols {
#define MOEC_CU_SYM(name, params) CUresult(*name) params = nullptr;
#include "CudaSymbols.def"
};

/// The process-wide table, loaded on first use from libcuda.so.1 (or the
/// path in MOEC_CUDA_LIBRARY). The error names the library and why it did
/// not load, or every missing symbol.
Expected<const CudaSymbols *> cudaSymbols();

/// Fills `out` from the first of `libraries` that loads; what
/// cudaSymbols() does once. Exposed for tests of the missing-symbol error.
Status loadCudaSymbols(const std::vector<std::string> &libraries,
                       CudaSymbols &out);

/// Success, or "<call> failed: CUDA_ERROR_X (n): <description>".
Status cudaCheck(const CudaSymbols &syms, CUresult result, const char *call);

} // namespace moec::rt::cuda

#endif // MOEC_LIB_RUNTIME_CUDADRIVER_H
