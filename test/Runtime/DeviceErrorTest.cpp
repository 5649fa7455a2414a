//===- DeviceErrorTest.cpp - unavailable GPUs are clean errors ------------===//
//
// On a machine without a GPU (where moec is built and tested), opening a CUDA
// or HIP device must fail with a message naming the missing library, the
// failing driver call or the missing device, and must not crash. This
// machine has no libcuda.so.1, and has libamdhip64 (Debian's HIP 5.2.3) but
// no AMD GPU: hipInit/hipGetDeviceCount fail there.
//
//===----------------------------------------------------------------------===//
#include "moec/Runtime/Runtime.h"

// The loaders themselves (private headers of lib/Runtime).
#include "CudaDriver.h"
#include "HipDriver.h"

#include <gtest/gtest.h>

using namespace moec::rt;

namespace {

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

bool containsAny(const std::string &text,
                 std::initializer_list<const char *> parts) {
  for (const char *p : parts)
    if (contains(text, p))
      return true;
  return false;
}

TEST(DeviceErrors, OpeningCudaWithoutAGpuIsACleanError) {
  auto device = Device::open(DeviceKind::Cuda, 0);
  if (device.ok())
    GTEST_SKIP() << "a CUDA device is present: " << (*device)->label();
  const std::string &msg = device.message();
  std::cout << "[ moec     ] " << msg << "\n";
  EXPECT_TRUE(contains(msg, "opening CUDA device 0: ")) << msg;
  EXPECT_TRUE(containsAny(
      msg, {"libcuda.so.1", "cuInit failed", "cuDeviceGetCount", "no device"}))
      << msg;
}

TEST(DeviceErrors, OpeningHipWithoutAGpuIsACleanError) {
  auto device = Device::open(DeviceKind::Hip, 0);
  if (device.ok())
    GTEST_SKIP() << "a HIP device is present: " << (*device)->label();
  const std::string &msg = device.message();
  std::cout << "[ moec     ] " << msg << "\n";
  EXPECT_TRUE(contains(msg, "opening HIP device 0: ")) << msg;
  EXPECT_TRUE(containsAny(
      msg, {"libamdhip64", "hipInit failed", "hipGetDeviceCount", "no device"}))
      << msg;
  // A second attempt answers the same, from the cached driver state.
  auto again = Device::open(DeviceKind::Hip, 0);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.message(), msg);
}

TEST(DeviceErrors, CountingDevices) {
  for (DeviceKind kind : {DeviceKind::Cuda, DeviceKind::Hip}) {
    auto count = Device::count(kind);
    if (count.ok()) {
      EXPECT_GE(*count, 0);
    } else {
      EXPECT_TRUE(contains(count.message(), "counting ")) << count.message();
    }
  }
}

TEST(DeviceErrors, IndexOutOfRange) {
  for (DeviceKind kind : {DeviceKind::Cuda, DeviceKind::Hip}) {
    auto device = Device::open(kind, 1000);
    ASSERT_FALSE(device.ok());
    EXPECT_TRUE(contains(device.message(), " device 1000: "))
        << device.message();
    auto count = Device::count(kind);
    if (count.ok()) { // the driver works: the index is what is wrong
      EXPECT_TRUE(
          containsAny(device.message(), {"no such device", "no device"}))
          << device.message();
    }
  }
}

// The loader names the library it could not open, with dlerror's reason.
TEST(DriverLoader, MissingLibraryIsNamed) {
  cuda::CudaSymbols cu;
  Status s = cuda::loadCudaSymbols({"libmoec-no-such-driver.so.1"}, cu);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "cannot load the CUDA driver library: "
                                    "libmoec-no-such-driver.so.1"))
      << s.message();
  EXPECT_EQ(cu.cuInit, nullptr);

  hip::HipSymbols hp;
  Status h = hip::loadHipSymbols({"libmoec-no-a.so", "libmoec-no-b.so"}, hp);
  ASSERT_FALSE(h.ok());
  EXPECT_TRUE(contains(h.message(), "libmoec-no-a.so")) << h.message();
  EXPECT_TRUE(contains(h.message(), "libmoec-no-b.so")) << h.message();
}

// A library that loads but lacks the table's symbols: every missing one is
// named, versioned entry points with the names tried.
TEST(DriverLoader, MissingSymbolsAreNamed) {
  cuda::CudaSymbols cu;
  Status s = cuda::loadCudaSymbols({"libc.so.6"}, cu);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "the CUDA driver library (libc.so.6) lacks "
                                    "cuGetErrorName, cuInit"))
      << s.message();
  EXPECT_TRUE(contains(s.message(), "cuMemAlloc_v2")) << s.message();
  EXPECT_TRUE(
      contains(s.message(), "cuEventElapsedTime_v2 (or cuEventElapsedTime)"))
      << s.message();

  hip::HipSymbols hp;
  Status h = hip::loadHipSymbols({"libc.so.6"}, hp);
  ASSERT_FALSE(h.ok());
  EXPECT_TRUE(contains(h.message(), "lacks hipGetErrorName, hipInit"))
      << h.message();
  EXPECT_TRUE(contains(
      h.message(), "hipGetDevicePropertiesR0600 (or hipGetDeviceProperties)"))
      << h.message();
}

// Debian's HIP 5.2.3 has every symbol moec uses (6.x only adds the R0600
// properties entry point, which the table takes when present).
TEST(DriverLoader, InstalledHipHasTheWholeTable) {
  hip::HipSymbols hp;
  Status h = hip::loadHipSymbols(
      {"libamdhip64.so", "libamdhip64.so.6", "libamdhip64.so.5"}, hp);
  if (!h.ok() && contains(h.message(), "cannot load"))
    GTEST_SKIP() << "no HIP runtime installed: " << h.message();
  ASSERT_TRUE(h.ok()) << h.message();
  EXPECT_NE(hp.hipModuleLaunchKernel, nullptr);
  EXPECT_NE(hp.hipGetDeviceProperties, nullptr);
}

} // namespace
