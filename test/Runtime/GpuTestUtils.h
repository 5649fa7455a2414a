//===- GpuTestUtils.h - skipping GPU tests visibly --------------*- C++ -*-===//
//
// GPU tests open their device with MOEC_REQUIRE_DEVICE. Where the device is
// unavailable the test is skipped with the runtime's reason, which GoogleTest
// prints under the test ("Skipped ... no CUDA device: opening CUDA device 0:
// cannot load the CUDA driver library: libcuda.so.1: ..."), so a skipped GPU
// run never reads as a pass. With MOEC_REQUIRE_GPU=1 in the environment the
// test fails instead: set it on the GPU machine.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TEST_RUNTIME_GPUTESTUTILS_H
#define MOEC_TEST_RUNTIME_GPUTESTUTILS_H

#include "moec/Runtime/Runtime.h"

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

namespace moec::rt::test {

/// Whether MOEC_REQUIRE_GPU asks for a device to be present.
inline bool gpuRequired() {
  const char *env = std::getenv("MOEC_REQUIRE_GPU");
  return env && *env && std::strcmp(env, "0") != 0;
}

/// Device 0 of `kind`, or null with `reason` saying why not.
inline std::shared_ptr<Device> openOrExplain(DeviceKind kind,
                                             std::string &reason) {
  Expected<std::shared_ptr<Device>> device = Device::open(kind, 0);
  if (device.ok()) {
    // One line per test names the device that ran it.
    std::cout << "[ moec     ] running on " << (*device)->label() << "\n";
    return *device;
  }
  reason = std::string("no ") + (kind == DeviceKind::Cuda ? "CUDA" : "HIP") +
           " device: " + device.message();
  return nullptr;
}

} // namespace moec::rt::test

/// Declares `std::shared_ptr<Device> var` opened on device 0 of `kind`, or
/// skips the test with the reason (fails it under MOEC_REQUIRE_GPU=1).
#define MOEC_REQUIRE_DEVICE(var, kind)                                         \
  std::string var##SkipReason_;                                                \
  std::shared_ptr<::moec::rt::Device> var =                                    \
      ::moec::rt::test::openOrExplain(kind, var##SkipReason_);                 \
  if (!var) {                                                                  \
    if (::moec::rt::test::gpuRequired())                                       \
      FAIL() << var##SkipReason_ << " (MOEC_REQUIRE_GPU is set)";              \
    GTEST_SKIP() << var##SkipReason_;                                          \
  }

#define MOEC_REQUIRE_CUDA(var)                                                 \
  MOEC_REQUIRE_DEVICE(var, ::moec::rt::DeviceKind::Cuda)

#endif // MOEC_TEST_RUNTIME_GPUTESTUTILS_H
