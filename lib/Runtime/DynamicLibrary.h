//===- DynamicLibrary.h - dlopen/dlsym for the driver tables ----*- C++ -*-===//
#ifndef MOEC_LIB_RUNTIME_DYNAMICLIBRARY_H
#define MOEC_LIB_RUNTIME_DYNAMICLIBRARY_H

#include "moec/Runtime/Status.h"

#include <initializer_list>
#include <string>
#include <vector>

namespace moec::rt::detail {

/// dlopens the first of `candidates` that loads (RTLD_NOW | RTLD_LOCAL). The
/// error names `what` and every candidate with dlerror()'s reason.
Expected<void *> openLibrary(const std::string &what,
                             const std::vector<std::string> &candidates);

/// The library candidates: the single path in environment variable `envVar`
/// when it is set and non-empty, else `defaults`.
std::vector<std::string> libraryCandidates(const char *envVar,
                                           std::vector<std::string> defaults);

/// Looks up the first of `names` in `library`. When none is there, appends
/// "first" or "first (or second, ...)" to `missing` and returns null.
void *findSymbol(void *library, std::initializer_list<const char *> names,
                 std::vector<std::string> &missing);

/// "cuFoo, cuBar (or cuBar_v2)" from what findSymbol collected.
std::string joinMissing(const std::vector<std::string> &missing);

void closeLibrary(void *library);

} // namespace moec::rt::detail

#endif // MOEC_LIB_RUNTIME_DYNAMICLIBRARY_H
