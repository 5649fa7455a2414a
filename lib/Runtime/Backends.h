//===- Backends.h - the device backends Device::open picks from -*- C++ -*-===//
#ifndef MOEC_LIB_RUNTIME_BACKENDS_H
#define MOEC_LIB_RUNTIME_BACKENDS_H

#include "moec/Runtime/Runtime.h"

namespace moec::rt::detail {

// Each returns the bare reason on failure; Device::open adds which device.
Expected<std::shared_ptr<Device>> openCudaDevice(int index);
Expected<int> cudaDeviceCount();
Expected<std::shared_ptr<Device>> openHipDevice(int index);
Expected<int> hipDeviceCount();
Expected<std::shared_ptr<Device>> openHostDevice(int index);

/// "no such device: <api> found 2 devices (indices 0..1)" and the like.
Status checkDeviceIndex(const char *countCall, int index, int count);

} // namespace moec::rt::detail

#endif // MOEC_LIB_RUNTIME_BACKENDS_H
