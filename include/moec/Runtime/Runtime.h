//===- Runtime.h - devices, buffers, modules, kernels, events ---*- C++ -*-===//
//
// The device runtime: what a program needs to run kernels moec compiled, and
// nothing of the compiler (no LLVM/MLIR), so an application that only loads
// cached code objects links MoecRuntime alone.
//
// Three kinds of device:
//   cuda  the CUDA driver API (libcuda.so.1, opened with dlopen; the device's
//         primary context; modules from PTX or cubin images);
//   hip   HIP (libamdhip64.so, opened with dlopen; modules from code objects);
//   host  the CPU: "host kernels" (see HostKernel.h) run on a thread pool.
// None needs a driver at build time; a missing library or device is an error
// that says so, never a crash.
//
//   auto dev = Device::open(DeviceKind::Cuda, 0);
//   if (!dev) { std::cerr << dev.message() << "\n"; ... }
//   auto buf = (*dev)->allocate(n * sizeof(float));
//   auto mod = (*dev)->loadModule(ptx.data(), ptx.size());
//   auto k = (*mod)->getKernel("vadd");
//   KernelArgs args; args.addPtr(*buf).addI32(n);
//   Status s = k->launch({(n + 255) / 256}, {256}, args);
//
// Lifetime: a Device lives while anything made from it does (Buffers,
// Modules, Kernels and Events hold it); a Module lives while a Kernel from it
// does. GPU work goes to the device's default stream in order; copies to and
// from host memory wait for the kernels before them.
//
// Threads: a Device may be used from several threads; each object made from
// it (Buffer, Event, Module) from one thread at a time.
//
// Environment: MOEC_CUDA_LIBRARY / MOEC_HIP_LIBRARY replace the driver
// library searched for (default libcuda.so.1; libamdhip64.so, .so.6, .so.5);
// MOEC_HOST_THREADS sets the host device's pool size.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_RUNTIME_RUNTIME_H
#define MOEC_RUNTIME_RUNTIME_H

#include "moec/Runtime/HostKernel.h"
#include "moec/Runtime/KernelArgs.h"
#include "moec/Runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace moec::rt {

enum class DeviceKind { Host, Cuda, Hip };

/// "host", "cuda", "hip".
const char *toString(DeviceKind kind);
/// The inverse of toString; an error names the unknown word.
Expected<DeviceKind> parseDeviceKind(const std::string &word);

/// Grid or block extent; unspecified dimensions are 1. Takes any integer
/// type without narrowing complaints (`launch({n / 256}, {256}, args)` with
/// `n` an int or size_t); Kernel::launch rejects dimensions outside
/// [1, 2^32 - 1] with an error.
struct Dim3 {
  int64_t x = 1, y = 1, z = 1;
  template <typename X = int64_t, typename Y = int64_t, typename Z = int64_t,
            typename = std::enable_if_t<std::is_integral_v<X> &&
                                        std::is_integral_v<Y> &&
                                        std::is_integral_v<Z>>>
  Dim3(X x = 1, Y y = 1, Z z = 1)
      : x(static_cast<int64_t>(x)), y(static_cast<int64_t>(y)),
        z(static_cast<int64_t>(z)) {}
  /// x * y * z; only meaningful for dimensions Kernel::launch accepts.
  int64_t count() const { return x * y * z; }
};

class Device;
class Module;

/// A device allocation, freed when the Buffer dies. Move-only. An empty
/// Buffer (default-constructed, moved-from or of size 0) has a null address.
class Buffer {
public:
  Buffer() = default;
  ~Buffer();
  Buffer(Buffer &&other) noexcept;
  Buffer &operator=(Buffer &&other) noexcept;
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;

  size_t size() const { return size_; }
  /// The device address (a host address for host buffers). Pass it to a
  /// kernel through KernelArgs; never dereference a GPU address on the host.
  void *data() const { return ptr_; }
  /// The device that owns the memory; null for an empty Buffer.
  Device *device() const { return device_.get(); }

  /// Copies `bytes` from host memory to this buffer at byte `offset`.
  Status copyFromHost(const void *src, size_t bytes, size_t offset = 0);
  /// Copies `bytes` from this buffer at byte `offset` to host memory; waits
  /// for the kernels launched before.
  Status copyToHost(void *dst, size_t bytes, size_t offset = 0) const;
  /// Device-to-device copy of `bytes` from `src` (same device).
  Status copyFrom(const Buffer &src, size_t bytes, size_t dstOffset = 0,
                  size_t srcOffset = 0);
  /// Sets every byte of [offset, offset + bytes) to `value`.
  Status fill(uint8_t value, size_t bytes, size_t offset = 0);
  /// Sets every byte to `value`.
  Status fill(uint8_t value) { return fill(value, size_); }

  template <typename T> Status copyFromHost(const std::vector<T> &src) {
    return copyFromHost(src.data(), src.size() * sizeof(T));
  }
  /// Fills `dst` (already sized) from the start of the buffer.
  template <typename T> Status copyToHost(std::vector<T> &dst) const {
    return copyToHost(dst.data(), dst.size() * sizeof(T));
  }

  /// Frees now and says whether the driver agreed; the Buffer is empty after.
  Status reset();

private:
  friend class Device;
  Buffer(std::shared_ptr<Device> device, void *ptr, size_t size)
      : device_(std::move(device)), ptr_(ptr), size_(size) {}
  Status checkRange(const char *what, size_t bytes, size_t offset) const;

  std::shared_ptr<Device> device_;
  void *ptr_ = nullptr;
  size_t size_ = 0;
};

/// A point in a device's stream of work; two recorded events give the time
/// between them. Move-only.
class Event {
public:
  Event() = default;
  ~Event();
  Event(Event &&other) noexcept;
  Event &operator=(Event &&other) noexcept;
  Event(const Event &) = delete;
  Event &operator=(const Event &) = delete;

  /// Marks the current point of the device's stream (host: now).
  Status record();
  /// Waits until the recorded point is reached.
  Status synchronize();
  /// Milliseconds from `start` to `end` (both recorded on one device); waits
  /// for `end`.
  static Expected<float> elapsedMs(const Event &start, const Event &end);

private:
  friend class Device;
  Event(std::shared_ptr<Device> device, void *handle)
      : device_(std::move(device)), handle_(handle) {}
  void destroy();

  std::shared_ptr<Device> device_;
  void *handle_ = nullptr;
};

/// start() ... stop(), then elapsedMs(): device time between the two.
class Timer {
public:
  static Expected<Timer> create(Device &device);
  Status start() { return start_.record(); }
  Status stop() { return stop_.record(); }
  Expected<float> elapsedMs() const { return Event::elapsedMs(start_, stop_); }

private:
  Timer(Event start, Event stop)
      : start_(std::move(start)), stop_(std::move(stop)) {}
  Event start_, stop_;
};

/// A kernel of a loaded Module. Cheap to copy; keeps its Module loaded.
class Kernel {
public:
  Kernel() = default;
  const std::string &name() const { return name_; }

  /// Launches `grid` workgroups of `block` lanes with `sharedBytes` of
  /// dynamic shared memory (LDS). GPU launches are asynchronous (use
  /// Device::synchronize or an Event); host launches return when done. On
  /// CUDA, more than 48 KiB of dynamic shared memory is opted into for the
  /// kernel automatically.
  Status launch(Dim3 grid, Dim3 block, size_t sharedBytes,
                const KernelArgs &args) const {
    return launchOn(nullptr, grid, block, sharedBytes, args);
  }
  /// As launch, on `stream`: a CUstream (CUDA) or hipStream_t (HIP) of the
  /// caller, null for the default stream; ignored on the host. Nothing is
  /// allocated and nothing waits on a successful launch, so it may be
  /// recorded into a CUDA/HIP graph.
  Status launchOn(void *stream, Dim3 grid, Dim3 block, size_t sharedBytes,
                  const KernelArgs &args) const;
  Status launch(Dim3 grid, Dim3 block, const KernelArgs &args) const {
    return launch(grid, block, 0, args);
  }

private:
  friend class Module;
  Kernel(std::shared_ptr<Module> module, void *handle, std::string name)
      : module_(std::move(module)), handle_(handle), name_(std::move(name)) {}

  std::shared_ptr<Module> module_;
  void *handle_ = nullptr;
  std::string name_;
};

/// Loaded code: a GPU code object / PTX image, or a table of host kernels.
class Module : public std::enable_shared_from_this<Module> {
public:
  virtual ~Module();
  /// The kernel named `name`; an error names it and the module.
  Expected<Kernel> getKernel(const std::string &name);
  Device &device() const { return *device_; }

protected:
  explicit Module(std::shared_ptr<Device> device)
      : device_(std::move(device)) {}
  /// The backend's handle of kernel `name`.
  virtual Expected<void *> lookupKernel(const std::string &name) = 0;
  /// Grid, block and args are already checked for emptiness and errors.
  /// `stream` is the backend's stream handle (null: default stream).
  virtual Status launchKernel(void *handle, const std::string &name, Dim3 grid,
                              Dim3 block, size_t sharedBytes,
                              const KernelArgs &args, void *stream) = 0;

  std::shared_ptr<Device> device_;

private:
  friend class Kernel;
};

/// A CUDA, HIP or host device. Made by `open`, shared by everything made
/// from it.
class Device : public std::enable_shared_from_this<Device> {
public:
  virtual ~Device();

  /// Opens device `index` of `kind`. The error says why it is unavailable:
  /// the driver library is missing or lacks a symbol, the driver failed
  /// (its call and error name), there is no device, or `index` is out of
  /// range.
  static Expected<std::shared_ptr<Device>> open(DeviceKind kind, int index = 0);
  /// How many devices of `kind` there are; the error as for `open`. A
  /// machine with the library but no device gives 0 or an error, whichever
  /// the driver says.
  static Expected<int> count(DeviceKind kind);

  DeviceKind kind() const { return kind_; }
  int index() const { return index_; }
  /// The driver's name ("NVIDIA H100 80GB HBM3"), or the CPU model.
  const std::string &name() const { return name_; }
  /// What the compiler targets: "sm_90" (from the compute capability),
  /// "gfx942" (the code object ISA), or "host".
  const std::string &arch() const { return arch_; }
  /// Device memory in bytes (0 where unknown).
  uint64_t totalMemory() const { return totalMemory_; }
  /// "CUDA device 0 (NVIDIA H100 80GB HBM3, sm_90)", for messages.
  std::string label() const;

  /// A new allocation of `bytes` (host: 64-byte aligned).
  Expected<Buffer> allocate(size_t bytes);
  /// Loads a GPU code object: PTX text (need not be NUL-terminated) or a
  /// cubin/fatbin for CUDA, an AMDGPU code object (ELF) for HIP. The host
  /// device refuses it (use loadHostModule).
  Expected<std::shared_ptr<Module>> loadModule(const void *image, size_t size);
  Expected<std::shared_ptr<Module>> loadModule(const std::string &image) {
    return loadModule(image.data(), image.size());
  }
  /// Host device only: a module of host kernels (see HostKernel.h).
  Expected<std::shared_ptr<Module>> loadHostModule(HostKernelTable kernels);
  Expected<Event> createEvent();
  /// Waits for all work submitted to the device.
  /// Whether `stream` (CUstream / hipStream_t of the caller) is being
  /// captured into a graph, when launching anything but a recorded kernel
  /// would be an error. CUDA asks the driver; HIP and the host say false.
  Expected<bool> isCapturing(void *stream);
  /// Sets `bytes` bytes at device address `dst` to `value` on `stream`
  /// (CUstream / hipStream_t, null: default stream; the host writes them
  /// now). Asynchronous and allocation-free, so it may be captured into a
  /// graph. Zero bytes is a no-op.
  Status memsetAsync(void *dst, uint8_t value, size_t bytes, void *stream);
  Status synchronize();

protected:
  Device(DeviceKind kind, int index) : kind_(kind), index_(index) {}

  // What each backend provides. Sizes are non-zero and ranges already
  // checked; errors name the driver call.
  virtual Status allocRaw(size_t bytes, void **ptr) = 0;
  virtual Status freeRaw(void *ptr) = 0;
  virtual Status copyHtoD(void *dst, const void *src, size_t bytes) = 0;
  virtual Status copyDtoH(void *dst, const void *src, size_t bytes) = 0;
  virtual Status copyDtoD(void *dst, const void *src, size_t bytes) = 0;
  virtual Status memsetD8(void *dst, uint8_t value, size_t bytes) = 0;
  virtual Status memsetAsyncRaw(void *dst, uint8_t value, size_t bytes,
                                void *stream) = 0;
  virtual Expected<std::shared_ptr<Module>> loadModuleRaw(const void *image,
                                                          size_t size);
  virtual Expected<std::shared_ptr<Module>>
  loadHostModuleRaw(HostKernelTable kernels);
  virtual Status createEventRaw(void **event) = 0;
  virtual Status destroyEventRaw(void *event) = 0;
  virtual Status recordEventRaw(void *event) = 0;
  virtual Status synchronizeEventRaw(void *event) = 0;
  virtual Expected<float> elapsedMsRaw(void *start, void *end) = 0;
  virtual Status synchronizeRaw() = 0;
  virtual Expected<bool> isCapturingRaw(void *stream) { return false; }

  std::string name_;
  std::string arch_;
  uint64_t totalMemory_ = 0;

private:
  friend class Buffer;
  friend class Event;
  DeviceKind kind_;
  int index_;
};

} // namespace moec::rt

#endif // MOEC_RUNTIME_RUNTIME_H
