//===- HipDriver.h - the HIP runtime API, loaded at run time ----*- C++ -*-===//
//
// The few HIP types and constants moec needs, declared here so that nothing
// includes the HIP headers, and the symbol table filled from libamdhip64
// (see HipSymbols.def).
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_LIB_RUNTIME_HIPDRIVER_H
#define MOEC_LIB_RUNTIME_HIPDRIVER_H

#include "moec/Runtime/Status.h"

#include <cstddef>
#include <string>
#include <vector>

namespace moec::rt::hip {

// C enums are int-sized; passing int is the same ABI.
using hipError_t = int;
using hipDeviceAttribute_t = int;
using hipMemcpyKind = int;
using hipModule_t = struct ihipModule_t *;
using hipFunction_t = struct ihipModuleSymbol_t *;
using hipStream_t = struct ihipStream_t *;
using hipEvent_t = struct ihipEvent_t *;

inline constexpr hipError_t hipSuccess = 0;
inline constexpr hipError_t hipErrorInvalidDevice = 101;
inline constexpr hipError_t hipErrorNoDevice = 100;

inline constexpr hipMemcpyKind hipMemcpyHostToDevice = 1;
inline constexpr hipMemcpyKind hipMemcpyDeviceToHost = 2;
inline constexpr hipMemcpyKind hipMemcpyDeviceToDevice = 3;

// hipModuleLaunchKernel's `extra` keys (hip_runtime_api.h). Not CUDA's:
// CU_LAUNCH_PARAM_END is 0, HIP's is 3.
inline void *const HIP_LAUNCH_PARAM_BUFFER_POINTER =
    reinterpret_cast<void *>(1);
inline void *const HIP_LAUNCH_PARAM_BUFFER_SIZE = reinterpret_cast<void *>(2);
inline void *const HIP_LAUNCH_PARAM_END = reinterpret_cast<void *>(3);

/// One function pointer per row of HipSymbols.def.
struct HipSymbols {
#define MOEC_HIP_SYM(name, params) hipError_t(*name) params = nullptr;
#define MOEC_HIP_SYM_STR(name, params) const char *(*name)params = nullptr;
#include "HipSymbols.def"
};

/// The process-wide table, loaded on first use from libamdhip64.so (then
/// .so.6, .so.5; or the path in MOEC_HIP_LIBRARY). The error names the
/// library and why it did not load, or every missing symbol.
Expected<const HipSymbols *> hipSymbols();

/// Fills `out` from the first of `libraries` that loads.
Status loadHipSymbols(const std::vector<std::string> &libraries,
                      HipSymbols &out);

/// Success, or "<call> failed: hipErrorX (n)".
Status hipCheck(const HipSymbols &syms, hipError_t result, const char *call);

} // namespace moec::rt::hip

#endif // MOEC_LIB_RUNTIME_HIPDRIVER_H
