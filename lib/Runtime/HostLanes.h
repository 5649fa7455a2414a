//===- HostLanes.h - running one host workgroup's lanes ---------*- C++ -*-===//
#ifndef MOEC_LIB_RUNTIME_HOSTLANES_H
#define MOEC_LIB_RUNTIME_HOSTLANES_H

#include "moec/Runtime/HostKernel.h"

#include <cstdint>
#include <string>

namespace moec::rt::detail {

/// One workgroup of a launch, as the worker thread runs it.
struct HostWorkgroup {
  HostKernelFn fn = nullptr;
  void **params = nullptr;
  int64_t lanes = 1;
  int64_t blockId[3] = {0, 0, 0};
  /// LDS bytes the lanes asked for (-1: none yet).
  int64_t ldsBytes = -1;
  /// Set when the workgroup stopped: a divergent barrier, lanes that
  /// disagree about LDS, no memory for the lanes' stacks.
  std::string error;
  std::string where() const;
};

/// Runs every lane of `wg` to completion (HostLanes.cpp), on this thread.
void runHostWorkgroup(HostWorkgroup &wg);

} // namespace moec::rt::detail

#endif // MOEC_LIB_RUNTIME_HOSTLANES_H
