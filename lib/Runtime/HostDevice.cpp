//===- HostDevice.cpp - host kernels on a thread pool ---------------------===//
//
// The host device runs "host kernels" (HostKernel.h): workgroups spread
// over a thread pool, the lanes of each as fibers (HostLanes.cpp). Buffers are 64-byte aligned host
// memory; events read a steady clock.
//
//===----------------------------------------------------------------------===//
#include "Backends.h"
#include "HostLanes.h"
#include "StrCat.h"
#include "ThreadPool.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <unistd.h>

namespace moec::rt::detail {
namespace {

constexpr size_t kHostAlignment = 64;

struct HostEvent {
  bool recorded = false;
  std::chrono::steady_clock::time_point time;
};

/// MOEC_HOST_THREADS, or the hardware's thread count.
Expected<unsigned> hostThreadCount() {
  if (const char *env = std::getenv("MOEC_HOST_THREADS"); env && *env) {
    char *end = nullptr;
    long n = std::strtol(env, &end, 10);
    if (*end != '\0' || n <= 0 || n > 4096)
      return Status::error(strCat("MOEC_HOST_THREADS='", env,
                                  "' is not a thread count (an integer in "
                                  "1..4096)"));
    return static_cast<unsigned>(n);
  }
  unsigned n = std::thread::hardware_concurrency();
  return n ? n : 1u;
}

std::string cpuModelName() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) != 0)
      continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos)
      break;
    size_t start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? "host CPU" : line.substr(start);
  }
  return "host CPU";
}

class HostDevice final : public Device {
public:
  explicit HostDevice(unsigned threads)
      : Device(DeviceKind::Host, 0), pool_(threads) {
    name_ = cpuModelName();
    arch_ = "host";
    long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGESIZE);
    totalMemory_ =
        pages > 0 && pageSize > 0 ? uint64_t(pages) * uint64_t(pageSize) : 0;
  }

  ThreadPool &pool() { return pool_; }

protected:
  Status allocRaw(size_t bytes, void **ptr) override {
    // Rounding SIZE_MAX up would wrap to 0 and "succeed" with a tiny block.
    if (bytes > SIZE_MAX - kHostAlignment)
      return Status::error(strCat("cannot allocate ", bytes,
                                  " bytes: more than the address space"));
    size_t rounded =
        (bytes + kHostAlignment - 1) / kHostAlignment * kHostAlignment;
    *ptr = std::aligned_alloc(kHostAlignment, rounded);
    if (!*ptr)
      return Status::error(strCat("aligned_alloc(", kHostAlignment, ", ",
                                  rounded, ") failed: out of host memory"));
    return Status::success();
  }
  Status freeRaw(void *ptr) override {
    std::free(ptr);
    return Status::success();
  }
  Status copyHtoD(void *dst, const void *src, size_t bytes) override {
    std::memmove(dst, src, bytes);
    return Status::success();
  }
  Status copyDtoH(void *dst, const void *src, size_t bytes) override {
    std::memmove(dst, src, bytes);
    return Status::success();
  }
  Status copyDtoD(void *dst, const void *src, size_t bytes) override {
    std::memmove(dst, src, bytes);
    return Status::success();
  }
  Status memsetD8(void *dst, uint8_t value, size_t bytes) override {
    std::memset(dst, value, bytes);
    return Status::success();
  }
  Status memsetAsyncRaw(void *dst, uint8_t value, size_t bytes,
                        void *) override {
    std::memset(dst, value, bytes);
    return Status::success();
  }
  Expected<std::shared_ptr<Module>> loadModuleRaw(const void *,
                                                  size_t) override {
    return Status::error("the host device runs host kernels: load them with "
                         "loadHostModule(HostKernelTable), not from a code "
                         "object image");
  }
  Expected<std::shared_ptr<Module>>
  loadHostModuleRaw(HostKernelTable kernels) override;

  Status createEventRaw(void **event) override {
    *event = new HostEvent();
    return Status::success();
  }
  Status destroyEventRaw(void *event) override {
    delete static_cast<HostEvent *>(event);
    return Status::success();
  }
  Status recordEventRaw(void *event) override {
    // Host launches are synchronous: "now" is after all earlier work.
    auto *e = static_cast<HostEvent *>(event);
    e->time = std::chrono::steady_clock::now();
    e->recorded = true;
    return Status::success();
  }
  Status synchronizeEventRaw(void *event) override {
    if (!static_cast<HostEvent *>(event)->recorded)
      return Status::error("the event was never recorded");
    return Status::success();
  }
  Expected<float> elapsedMsRaw(void *start, void *end) override {
    auto *s = static_cast<HostEvent *>(start);
    auto *e = static_cast<HostEvent *>(end);
    if (!s->recorded || !e->recorded)
      return Status::error(strCat("the ", s->recorded ? "end" : "start",
                                  " event was never recorded"));
    return std::chrono::duration<float, std::milli>(e->time - s->time).count();
  }
  Status synchronizeRaw() override { return Status::success(); }

private:
  ThreadPool pool_;
};

class HostModule final : public Module {
public:
  HostModule(std::shared_ptr<Device> device, HostKernelTable kernels)
      : Module(std::move(device)), kernels_(std::move(kernels)) {}

protected:
  Expected<void *> lookupKernel(const std::string &name) override {
    auto it = kernels_.find(name);
    if (it == kernels_.end()) {
      std::string known;
      for (const auto &entry : kernels_)
        known += strCat(known.empty() ? "" : ", ", entry.first);
      return Status::error(strCat("no such kernel; the module has ",
                                  known.empty() ? "none" : known));
    }
    // The table never changes after loading: the entry's address is stable.
    return static_cast<void *>(&it->second);
  }

  Status launchKernel(void *handle, const std::string &name, Dim3 grid,
                      Dim3 block, size_t sharedBytes, const KernelArgs &args,
                      void *stream) override;

private:
  HostKernelTable kernels_;
};

Expected<std::shared_ptr<Module>>
HostDevice::loadHostModuleRaw(HostKernelTable kernels) {
  return std::shared_ptr<Module>(
      std::make_shared<HostModule>(shared_from_this(), std::move(kernels)));
}

Status HostModule::launchKernel(void *handle, const std::string &name,
                                Dim3 grid, Dim3 block, size_t sharedBytes,
                                const KernelArgs &args, void *) {
  if (block.x == 0 || block.y != 1 || block.z != 1 || block.x > 1024)
    return Status::error(strCat("block (", block.x, ", ", block.y, ", ",
                                block.z,
                                ") is not supported: host kernels run "
                                "block.x lanes (1 to 1024) per workgroup, "
                                "block.y and block.z must be 1"));
  if (sharedBytes != 0)
    return Status::error(strCat(sharedBytes,
                                " bytes of dynamic shared memory requested: "
                                "host kernels take none (their LDS is "
                                "static)"));
  HostKernelFn fn = *static_cast<HostKernelFn *>(handle);
  ThreadPool &pool = static_cast<HostDevice &>(*device_).pool();

  // Per participant: a copy of the argument values and a pointer array into
  // it, followed by the three block-id pointers (HostKernel.h). The values
  // are copied again for every workgroup, so no call sees another's writes.
  struct Frame {
    std::vector<uint64_t> values;
    std::vector<void *> params;
    int64_t blockId[3] = {0, 0, 0};
  };
  const size_t numValues = args.size();
  const size_t valueWords = (args.packedSize() + 7) / 8;
  std::vector<Frame> frames(pool.size());
  for (Frame &f : frames) {
    f.values.assign(valueWords, 0);
    char *base = reinterpret_cast<char *>(f.values.data());
    f.params.resize(numValues + kHostKernelBlockIdArgs);
    for (size_t i = 0; i < numValues; ++i)
      f.params[i] = base + args.slots()[i].offset;
    for (unsigned d = 0; d < kHostKernelBlockIdArgs; ++d)
      f.params[numValues + d] = &f.blockId[d];
  }

  const int64_t gx = grid.x, gy = grid.y;
  std::mutex failureMutex;
  std::string failure;
  pool.parallelFor(
      static_cast<int64_t>(grid.count()),
      [&](int64_t linear, unsigned participant) {
        Frame &f = frames[participant];
        if (args.packedSize())
          std::memcpy(f.values.data(), args.packed(), args.packedSize());
        f.blockId[0] = linear % gx;
        f.blockId[1] = (linear / gx) % gy;
        f.blockId[2] = linear / (gx * gy);
        HostWorkgroup wg;
        wg.fn = fn;
        wg.params = f.params.data();
        wg.lanes = block.x;
        for (int d = 0; d < 3; ++d)
          wg.blockId[d] = f.blockId[d];
        try {
          runHostWorkgroup(wg);
        } catch (...) {
          wg.error = strCat("threw a C++ exception in ", wg.where());
        }
        if (!wg.error.empty()) {
          std::lock_guard<std::mutex> lock(failureMutex);
          if (failure.empty())
            failure = strCat("host kernel '", name, "' ", wg.error);
        }
      });
  if (!failure.empty())
    return Status::error(failure);
  return Status::success();
}

} // namespace

Expected<std::shared_ptr<Device>> openHostDevice(int index) {
  if (index != 0)
    return Status::error("no such device: there is one host device (index 0)");
  Expected<unsigned> threads = hostThreadCount();
  if (!threads)
    return threads.status();
  auto device = std::make_shared<HostDevice>(*threads);
  if (!device->pool().startError().empty())
    return Status::error(strCat(
        "only ", device->pool().size(), " of ",
        *threads, " threads started (", device->pool().startError(),
        "); set MOEC_HOST_THREADS to fewer threads or raise the memory or "
        "process limit"));
  return std::shared_ptr<Device>(std::move(device));
}

} // namespace moec::rt::detail
