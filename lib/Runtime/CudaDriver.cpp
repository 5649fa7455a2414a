//===- CudaDriver.cpp - loading the CUDA driver symbol table --------------===//
#include "CudaDriver.h"
#include "DynamicLibrary.h"
#include "StrCat.h"

namespace moec::rt::cuda {

using detail::strCat;

Status loadCudaSymbols(const std::vector<std::string> &libraries,
                       CudaSymbols &out) {
  Expected<void *> lib =
      detail::openLibrary("the CUDA driver library", libraries);
  if (!lib)
    return lib.status();
  std::vector<std::string> missing;
  CudaSymbols syms;
#define MOEC_CU_SYM(name, params)                                              \
  syms.name = reinterpret_cast<decltype(syms.name)>(                           \
      detail::findSymbol(*lib, {#name}, missing));
#define MOEC_CU_SYM_ALIAS(name, params, ...)                                   \
  syms.name = reinterpret_cast<decltype(syms.name)>(                           \
      detail::findSymbol(*lib, {__VA_ARGS__}, missing));
#include "CudaSymbols.def"
  if (!missing.empty()) {
    detail::closeLibrary(*lib);
    return Status::error(strCat("the CUDA driver library (", libraries.front(),
                                ") lacks ", detail::joinMissing(missing),
                                ": the driver is older than moec needs"));
  }
  out = syms;
  return Status::success();
}

Expected<const CudaSymbols *> cudaSymbols() {
  // Loaded once per process; the library is never closed (drivers do not
  // survive being unloaded).
  static const struct Loaded {
    CudaSymbols syms;
    Status status;
    Loaded() {
      status = loadCudaSymbols(
          detail::libraryCandidates("MOEC_CUDA_LIBRARY", {"libcuda.so.1"}),
          syms);
    }
  } loaded;
  if (!loaded.status.ok())
    return loaded.status;
  return &loaded.syms;
}

Status cudaCheck(const CudaSymbols &syms, CUresult result, const char *call) {
  if (result == CUDA_SUCCESS)
    return Status::success();
  const char *name = nullptr;
  if (syms.cuGetErrorName(result, &name) != CUDA_SUCCESS || !name)
    name = "unknown CUresult";
  std::string text = strCat(call, " failed: ", name, " (", result, ")");
  if (result == CUDA_ERROR_NO_DEVICE)
    text += ": no CUDA-capable device is detected";
  return Status::error(text);
}

} // namespace moec::rt::cuda
