//===- CApiInternal.h - helpers shared by the C API's files -----*- C++ -*-===//
//
// Private to lib/Jit: the per-thread error, argument checks and the
// exception guard of every moec_* function (CApi.cpp defines them; each op's
// C entry points may live in their own file, e.g. CApiMoe.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_LIB_JIT_CAPIINTERNAL_H
#define MOEC_LIB_JIT_CAPIINTERNAL_H

#include "moec-c/moec.h"
#include "moec/Jit/Jit.h"

#include <fmt/format.h>

#include <exception>
#include <memory>
#include <string>

struct moec_jit {
  std::unique_ptr<moec::jit::Jit> jit;
};

namespace moec::capi {
/// Sets this thread's moec_last_error() and returns `status`.
moec_status fail(moec_status status, std::string message);
/// "fn: arg is NULL".
moec_status nullArg(const char *fn, const char *arg);
moec_status fromStatus(const moec::rt::Status &s);
/// Converts and checks a C tensor.
moec_status toTensor(const char *fn, const char *what, const moec_tensor *in,
                     moec::jit::Tensor &out);
} // namespace moec::capi

#define MOEC_C_GUARD_BEGIN try {
#define MOEC_C_GUARD_END(fn)                                                   \
  }                                                                            \
  catch (const std::exception &e) {                                            \
    return ::moec::capi::fail(MOEC_ERROR_FAILED,                               \
                              fmt::format("{}: {}", fn, e.what()));            \
  }                                                                            \
  catch (...) {                                                                \
    return ::moec::capi::fail(MOEC_ERROR_FAILED,                               \
                              fmt::format("{}: unknown error", fn));           \
  }

#endif // MOEC_LIB_JIT_CAPIINTERNAL_H
