//===- Version.h - the compiler version string ------------------*- C++ -*-===//
#ifndef MOEC_SUPPORT_VERSION_H
#define MOEC_SUPPORT_VERSION_H

namespace moec {
/// Part of every cache key: a new compiler never reuses an old code object.
inline constexpr const char *kVersion = "0.1.0";
} // namespace moec

#endif // MOEC_SUPPORT_VERSION_H
