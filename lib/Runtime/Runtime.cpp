//===- Runtime.cpp - the backend-independent half of the runtime ----------===//
//
// Argument checks, error context and object lifetimes live here once; the
// backends (CudaDevice.cpp, HipDevice.cpp, HostDevice.cpp) only call their
// driver.
//
//===----------------------------------------------------------------------===//
#include "moec/Runtime/Runtime.h"
#include "Backends.h"
#include "StrCat.h"

namespace moec::rt {

using detail::strCat;

const char *toString(DeviceKind kind) {
  switch (kind) {
  case DeviceKind::Host:
    return "host";
  case DeviceKind::Cuda:
    return "cuda";
  case DeviceKind::Hip:
    return "hip";
  }
  return "unknown";
}

Expected<DeviceKind> parseDeviceKind(const std::string &word) {
  for (DeviceKind kind : {DeviceKind::Host, DeviceKind::Cuda, DeviceKind::Hip})
    if (word == toString(kind))
      return kind;
  return Status::error(
      strCat("unknown device kind '", word, "' (expected host, cuda or hip)"));
}

static const char *displayName(DeviceKind kind) {
  switch (kind) {
  case DeviceKind::Host:
    return "host";
  case DeviceKind::Cuda:
    return "CUDA";
  case DeviceKind::Hip:
    return "HIP";
  }
  return "unknown";
}

static std::string dimText(Dim3 d) {
  return strCat("(", d.x, ", ", d.y, ", ", d.z, ")");
}

/// Every dimension in [1, 2^32 - 1] (what the drivers take) and the product
/// within int64_t (what the host device counts in).
static Status checkDims(const char *what, Dim3 d) {
  if (d.x == 0 || d.y == 0 || d.z == 0)
    return Status::error(strCat(what, " ", dimText(d), " is empty"));
  const int64_t kMax = 0xffffffffLL;
  int64_t xy = 0, xyz = 0;
  if (d.x < 0 || d.y < 0 || d.z < 0 || d.x > kMax || d.y > kMax || d.z > kMax ||
      __builtin_mul_overflow(d.x, d.y, &xy) ||
      __builtin_mul_overflow(xy, d.z, &xyz))
    return Status::error(strCat(what, " ", dimText(d),
                                " has a dimension outside [1, 2^32 - 1]"));
  return Status::success();
}

//===----------------------------------------------------------------------===//
// Device
//===----------------------------------------------------------------------===//

Device::~Device() = default;

Expected<std::shared_ptr<Device>> Device::open(DeviceKind kind, int index) {
  Expected<std::shared_ptr<Device>> device = [&] {
    switch (kind) {
    case DeviceKind::Cuda:
      return detail::openCudaDevice(index);
    case DeviceKind::Hip:
      return detail::openHipDevice(index);
    case DeviceKind::Host:
      break;
    }
    return detail::openHostDevice(index);
  }();
  if (!device)
    return device.status().withContext(
        strCat("opening ", displayName(kind), " device ", index));
  return device;
}

Expected<int> Device::count(DeviceKind kind) {
  Expected<int> n = [&]() -> Expected<int> {
    switch (kind) {
    case DeviceKind::Cuda:
      return detail::cudaDeviceCount();
    case DeviceKind::Hip:
      return detail::hipDeviceCount();
    case DeviceKind::Host:
      break;
    }
    return 1;
  }();
  if (!n)
    return n.status().withContext(
        strCat("counting ", displayName(kind), " devices"));
  return n;
}

std::string Device::label() const {
  return strCat(displayName(kind_), " device ", index_, " (", name_, ", ",
                arch_, ")");
}

Expected<Buffer> Device::allocate(size_t bytes) {
  if (bytes == 0)
    return Buffer(shared_from_this(), nullptr, 0);
  void *ptr = nullptr;
  Status s = allocRaw(bytes, &ptr);
  if (!s.ok())
    return s.withContext(strCat("allocating ", bytes, " bytes on ", label()));
  return Buffer(shared_from_this(), ptr, bytes);
}

Expected<std::shared_ptr<Module>> Device::loadModule(const void *image,
                                                     size_t size) {
  std::string where =
      strCat("loading a module (", size, " bytes) on ", label());
  if (!image || size == 0)
    return Status::error(where + ": the image is empty");
  Expected<std::shared_ptr<Module>> module = loadModuleRaw(image, size);
  if (!module)
    return module.status().withContext(where);
  return module;
}

Expected<std::shared_ptr<Module>>
Device::loadHostModule(HostKernelTable kernels) {
  std::string where = strCat("loading a host module (", kernels.size(),
                             " kernels) on ", label());
  for (const auto &entry : kernels)
    if (!entry.second)
      return Status::error(strCat(where, ": kernel '", entry.first,
                                  "' has a null function pointer"));
  Expected<std::shared_ptr<Module>> module =
      loadHostModuleRaw(std::move(kernels));
  if (!module)
    return module.status().withContext(where);
  return module;
}

Expected<std::shared_ptr<Module>> Device::loadModuleRaw(const void *, size_t) {
  return Status::error("this device does not load code object images");
}

Expected<std::shared_ptr<Module>> Device::loadHostModuleRaw(HostKernelTable) {
  return Status::error("host kernels run only on the host device (open "
                       "DeviceKind::Host); load GPU code with loadModule");
}

Expected<Event> Device::createEvent() {
  void *handle = nullptr;
  Status s = createEventRaw(&handle);
  if (!s.ok())
    return s.withContext(strCat("creating an event on ", label()));
  return Event(shared_from_this(), handle);
}

Status Device::synchronize() {
  return synchronizeRaw().withContext(strCat("synchronizing ", label()));
}

Status Device::memsetAsync(void *dst, uint8_t value, size_t bytes,
                           void *stream) {
  if (!bytes)
    return Status::success();
  if (!dst)
    return Status::error("memsetAsync: null destination");
  return memsetAsyncRaw(dst, value, bytes, stream);
}

Expected<bool> Device::isCapturing(void *stream) {
  if (!stream)
    return false;
  return isCapturingRaw(stream);
}

//===----------------------------------------------------------------------===//
// Buffer
//===----------------------------------------------------------------------===//

Buffer::~Buffer() { (void)reset(); }

Buffer::Buffer(Buffer &&other) noexcept
    : device_(std::move(other.device_)), ptr_(other.ptr_), size_(other.size_) {
  other.ptr_ = nullptr;
  other.size_ = 0;
}

Buffer &Buffer::operator=(Buffer &&other) noexcept {
  if (this != &other) {
    (void)reset();
    device_ = std::move(other.device_);
    ptr_ = other.ptr_;
    size_ = other.size_;
    other.ptr_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

Status Buffer::reset() {
  Status s;
  if (device_ && ptr_)
    s = device_->freeRaw(ptr_).withContext(
        strCat("freeing ", size_, " bytes on ", device_->label()));
  device_.reset();
  ptr_ = nullptr;
  size_ = 0;
  return s;
}

Status Buffer::checkRange(const char *what, size_t bytes, size_t offset) const {
  if (offset > size_ || bytes > size_ - offset)
    return Status::error(strCat("Buffer::", what, ": ", bytes,
                                " bytes at offset ", offset,
                                " exceed the buffer's ", size_, " bytes"));
  return Status::success();
}

Status Buffer::copyFromHost(const void *src, size_t bytes, size_t offset) {
  MOEC_RT_RETURN_IF_ERROR(checkRange("copyFromHost", bytes, offset));
  if (bytes == 0)
    return Status::success();
  if (!src)
    return Status::error("Buffer::copyFromHost: null source");
  return device_->copyHtoD(static_cast<char *>(ptr_) + offset, src, bytes)
      .withContext(strCat("Buffer::copyFromHost (", bytes, " bytes) on ",
                          device_->label()));
}

Status Buffer::copyToHost(void *dst, size_t bytes, size_t offset) const {
  MOEC_RT_RETURN_IF_ERROR(checkRange("copyToHost", bytes, offset));
  if (bytes == 0)
    return Status::success();
  if (!dst)
    return Status::error("Buffer::copyToHost: null destination");
  return device_->copyDtoH(dst, static_cast<const char *>(ptr_) + offset, bytes)
      .withContext(strCat("Buffer::copyToHost (", bytes, " bytes) on ",
                          device_->label()));
}

Status Buffer::copyFrom(const Buffer &src, size_t bytes, size_t dstOffset,
                        size_t srcOffset) {
  MOEC_RT_RETURN_IF_ERROR(
      checkRange("copyFrom (destination)", bytes, dstOffset));
  MOEC_RT_RETURN_IF_ERROR(
      src.checkRange("copyFrom (source)", bytes, srcOffset));
  if (bytes == 0)
    return Status::success();
  if (device_ != src.device_)
    return Status::error(strCat("Buffer::copyFrom: the buffers belong to "
                                "different devices (",
                                device_->label(), " and ", src.device_->label(),
                                ")"));
  return device_
      ->copyDtoD(static_cast<char *>(ptr_) + dstOffset,
                 static_cast<const char *>(src.ptr_) + srcOffset, bytes)
      .withContext(
          strCat("Buffer::copyFrom (", bytes, " bytes) on ", device_->label()));
}

Status Buffer::fill(uint8_t value, size_t bytes, size_t offset) {
  MOEC_RT_RETURN_IF_ERROR(checkRange("fill", bytes, offset));
  if (bytes == 0)
    return Status::success();
  return device_->memsetD8(static_cast<char *>(ptr_) + offset, value, bytes)
      .withContext(
          strCat("Buffer::fill (", bytes, " bytes) on ", device_->label()));
}

//===----------------------------------------------------------------------===//
// Event and Timer
//===----------------------------------------------------------------------===//

Event::~Event() { destroy(); }

Event::Event(Event &&other) noexcept
    : device_(std::move(other.device_)), handle_(other.handle_) {
  other.handle_ = nullptr;
}

Event &Event::operator=(Event &&other) noexcept {
  if (this != &other) {
    destroy();
    device_ = std::move(other.device_);
    handle_ = other.handle_;
    other.handle_ = nullptr;
  }
  return *this;
}

void Event::destroy() {
  if (device_ && handle_)
    (void)device_->destroyEventRaw(handle_);
  device_.reset();
  handle_ = nullptr;
}

Status Event::record() {
  if (!handle_)
    return Status::error("Event::record: empty event");
  return device_->recordEventRaw(handle_).withContext(
      strCat("Event::record on ", device_->label()));
}

Status Event::synchronize() {
  if (!handle_)
    return Status::error("Event::synchronize: empty event");
  return device_->synchronizeEventRaw(handle_).withContext(
      strCat("Event::synchronize on ", device_->label()));
}

Expected<float> Event::elapsedMs(const Event &start, const Event &end) {
  if (!start.handle_ || !end.handle_)
    return Status::error("Event::elapsedMs: empty event");
  if (start.device_ != end.device_)
    return Status::error("Event::elapsedMs: the events belong to different "
                         "devices");
  std::string where = strCat("Event::elapsedMs on ", end.device_->label());
  MOEC_RT_RETURN_IF_ERROR(
      end.device_->synchronizeEventRaw(end.handle_).withContext(where));
  Expected<float> ms = end.device_->elapsedMsRaw(start.handle_, end.handle_);
  if (!ms)
    return ms.status().withContext(where);
  return ms;
}

Expected<Timer> Timer::create(Device &device) {
  MOEC_RT_ASSIGN_OR_RETURN(Event start, device.createEvent());
  MOEC_RT_ASSIGN_OR_RETURN(Event stop, device.createEvent());
  return Timer(std::move(start), std::move(stop));
}

//===----------------------------------------------------------------------===//
// Module and Kernel
//===----------------------------------------------------------------------===//

Module::~Module() = default;

Expected<Kernel> Module::getKernel(const std::string &name) {
  Expected<void *> handle = lookupKernel(name);
  if (!handle)
    return handle.status().withContext(strCat(
        "looking up kernel '", name, "' in a module on ", device_->label()));
  return Kernel(shared_from_this(), *handle, name);
}

Status Kernel::launchOn(void *stream, Dim3 grid, Dim3 block,
                        size_t sharedBytes, const KernelArgs &args) const {
  if (!module_)
    return Status::error("Kernel::launch: empty kernel");
  // The context string is built only on an error: a launch allocates nothing.
  auto where = [&] {
    return strCat("launching kernel '", name_, "' on ",
                  module_->device().label());
  };
  if (!args.status().ok())
    return args.status().withContext(where());
  if (Status s = checkDims("grid", grid); !s.ok())
    return s.withContext(where());
  if (Status s = checkDims("block", block); !s.ok())
    return s.withContext(where());
  if (sharedBytes > 0xffffffffULL)
    return Status::error(strCat(where(), ": ", sharedBytes,
                                " bytes of dynamic shared memory is beyond "
                                "2^32 - 1"));
  Status s = module_->launchKernel(handle_, name_, grid, block, sharedBytes,
                                   args, stream);
  if (!s.ok())
    return s.withContext(where());
  return s;
}

namespace detail {

Status checkDeviceIndex(const char *countCall, int index, int count) {
  if (count <= 0)
    return Status::error(strCat("no device: ", countCall, " found 0 devices"));
  if (index < 0 || index >= count)
    return Status::error(strCat("no such device: ", countCall, " found ", count,
                                count == 1 ? " device" : " devices",
                                " (indices 0..", count - 1, ")"));
  return Status::success();
}

} // namespace detail
} // namespace moec::rt
