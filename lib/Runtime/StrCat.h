//===- StrCat.h - message building without libfmt ---------------*- C++ -*-===//
//
// The runtime builds its error messages with this one helper so that it needs
// nothing beyond libc/libstdc++ at run time (a test binary carried to the GPU
// machine must not need libfmt there).
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_LIB_RUNTIME_STRCAT_H
#define MOEC_LIB_RUNTIME_STRCAT_H

#include <sstream>
#include <string>

namespace moec::rt::detail {

template <typename... Ts> std::string strCat(const Ts &...parts) {
  std::ostringstream os;
  (os << ... << parts);
  return os.str();
}

} // namespace moec::rt::detail

#endif // MOEC_LIB_RUNTIME_STRCAT_H
