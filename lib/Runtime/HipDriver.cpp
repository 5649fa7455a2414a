//===- HipDriver.cpp - loading the HIP symbol table -----------------------===//
#include "HipDriver.h"
#include "DynamicLibrary.h"
#include "StrCat.h"

namespace moec::rt::hip {

using detail::strCat;

Status loadHipSymbols(const std::vector<std::string> &libraries,
                      HipSymbols &out) {
  Expected<void *> lib =
      detail::openLibrary("the HIP runtime library", libraries);
  if (!lib)
    return lib.status();
  std::vector<std::string> missing;
  HipSymbols syms;
#define MOEC_HIP_SYM(name, params)                                             \
  syms.name = reinterpret_cast<decltype(syms.name)>(                           \
      detail::findSymbol(*lib, {#name}, missing));
#define MOEC_HIP_SYM_STR(name, params) MOEC_HIP_SYM(name, params)
#define MOEC_HIP_SYM_ALIAS(name, params, ...)                                  \
  syms.name = reinterpret_cast<decltype(syms.name)>(                           \
      detail::findSymbol(*lib, {__VA_ARGS__}, missing));
#include "HipSymbols.def"
  if (!missing.empty()) {
    detail::closeLibrary(*lib);
    return Status::error(strCat("the HIP runtime library (", libraries.front(),
                                ") lacks ", detail::joinMissing(missing),
                                ": HIP is older than moec needs"));
  }
  out = syms;
  return Status::success();
}

Expected<const HipSymbols *> hipSymbols() {
  // Loaded once per process and never closed.
  static const struct Loaded {
    HipSymbols syms;
    Status status;
    Loaded() {
      status = loadHipSymbols(
          detail::libraryCandidates(
              "MOEC_HIP_LIBRARY",
              {"libamdhip64.so", "libamdhip64.so.6", "libamdhip64.so.5"}),
          syms);
    }
  } loaded;
  if (!loaded.status.ok())
    return loaded.status;
  return &loaded.syms;
}

Status hipCheck(const HipSymbols &syms, hipError_t result, const char *call) {
  if (result == hipSuccess)
    return Status::success();
  const char *name = syms.hipGetErrorName(result);
  std::string text = strCat(
      call, " failed: ", name ? name : "unknown hipError_t", " (", result, ")");
  // HIP 5.x answers hipInit on a machine without a GPU with
  // hipErrorInvalidDevice; say what that means there.
  std::string callName = call;
  if ((result == hipErrorNoDevice || result == hipErrorInvalidDevice) &&
      (callName == "hipInit" || callName == "hipGetDeviceCount"))
    text += ": no usable AMD GPU (is /dev/kfd present and accessible?)";
  return Status::error(text);
}

} // namespace moec::rt::hip
