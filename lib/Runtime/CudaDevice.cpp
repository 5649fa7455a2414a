//===- CudaDevice.cpp - the CUDA driver backend ---------------------------===//
//
// One device = its primary context (cuDevicePrimaryCtxRetain), made current
// on the calling thread before each driver call, so any thread may use the
// device. Work goes to the legacy default stream.
//
//===----------------------------------------------------------------------===//
#include "Backends.h"
#include "CudaDriver.h"
#include "StrCat.h"

#include <cstring>
#include <map>
#include <mutex>

namespace moec::rt::detail {
namespace {

/// Kernel::launch has checked the range.
template <typename T> unsigned u32(T v) { return static_cast<unsigned>(v); }

using namespace moec::rt::cuda;

CUdeviceptr toDevicePtr(const void *p) {
  return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(p));
}
void *fromDevicePtr(CUdeviceptr p) {
  return reinterpret_cast<void *>(static_cast<uintptr_t>(p));
}

/// cuInit, once per process (the driver caches its answer too).
Status initDriver(const CudaSymbols &syms) {
  static const Status status = cudaCheck(syms, syms.cuInit(0), "cuInit");
  return status;
}

class CudaDevice final : public Device {
public:
  CudaDevice(const CudaSymbols &syms, int index, CUdevice device)
      : Device(DeviceKind::Cuda, index), syms_(syms), device_(device) {}
  ~CudaDevice() override {
    if (context_)
      (void)syms_.cuDevicePrimaryCtxRelease(device_);
  }

  Status init() {
    MOEC_RT_RETURN_IF_ERROR(
        check(syms_.cuDevicePrimaryCtxRetain(&context_, device_),
              "cuDevicePrimaryCtxRetain"));
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    char name[256] = {0};
    MOEC_RT_RETURN_IF_ERROR(
        check(syms_.cuDeviceGetName(name, sizeof(name) - 1, device_),
              "cuDeviceGetName"));
    name_ = name;
    int major = 0, minor = 0;
    MOEC_RT_RETURN_IF_ERROR(check(
        syms_.cuDeviceGetAttribute(
            &major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device_),
        "cuDeviceGetAttribute(COMPUTE_CAPABILITY_MAJOR)"));
    MOEC_RT_RETURN_IF_ERROR(check(
        syms_.cuDeviceGetAttribute(
            &minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device_),
        "cuDeviceGetAttribute(COMPUTE_CAPABILITY_MINOR)"));
    arch_ = strCat("sm_", major, minor);
    size_t bytes = 0;
    MOEC_RT_RETURN_IF_ERROR(
        check(syms_.cuDeviceTotalMem(&bytes, device_), "cuDeviceTotalMem"));
    totalMemory_ = bytes;
    return Status::success();
  }

  const CudaSymbols &syms() const { return syms_; }
  Status check(CUresult result, const char *call) const {
    return cudaCheck(syms_, result, call);
  }
  /// The primary context is per device; "current" is per thread.
  Status makeCurrent() const {
    return check(syms_.cuCtxSetCurrent(context_), "cuCtxSetCurrent");
  }

protected:
  Status allocRaw(size_t bytes, void **ptr) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    CUdeviceptr p = 0;
    MOEC_RT_RETURN_IF_ERROR(check(syms_.cuMemAlloc(&p, bytes), "cuMemAlloc"));
    *ptr = fromDevicePtr(p);
    return Status::success();
  }
  Status freeRaw(void *ptr) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    return check(syms_.cuMemFree(toDevicePtr(ptr)), "cuMemFree");
  }
  Status copyHtoD(void *dst, const void *src, size_t bytes) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    return check(syms_.cuMemcpyHtoD(toDevicePtr(dst), src, bytes),
                 "cuMemcpyHtoD");
  }
  Status copyDtoH(void *dst, const void *src, size_t bytes) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    return check(syms_.cuMemcpyDtoH(dst, toDevicePtr(src), bytes),
                 "cuMemcpyDtoH");
  }
  Status copyDtoD(void *dst, const void *src, size_t bytes) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    return check(syms_.cuMemcpyDtoD(toDevicePtr(dst), toDevicePtr(src), bytes),
                 "cuMemcpyDtoD");
  }
  Status memsetD8(void *dst, uint8_t value, size_t bytes) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    return check(syms_.cuMemsetD8(toDevicePtr(dst), value, bytes),
                 "cuMemsetD8");
  }
  Status memsetAsyncRaw(void *dst, uint8_t value, size_t bytes,
                        void *stream) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    return check(syms_.cuMemsetD8Async(toDevicePtr(dst), value, bytes,
                                       static_cast<CUstream>(stream)),
                 "cuMemsetD8Async");
  }
  Expected<std::shared_ptr<Module>> loadModuleRaw(const void *image,
                                                  size_t size) override;

  Status createEventRaw(void **event) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    CUevent e = nullptr;
    MOEC_RT_RETURN_IF_ERROR(
        check(syms_.cuEventCreate(&e, CU_EVENT_DEFAULT), "cuEventCreate"));
    *event = e;
    return Status::success();
  }
  Status destroyEventRaw(void *event) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    return check(syms_.cuEventDestroy(static_cast<CUevent>(event)),
                 "cuEventDestroy");
  }
  Status recordEventRaw(void *event) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    return check(syms_.cuEventRecord(static_cast<CUevent>(event), nullptr),
                 "cuEventRecord");
  }
  Status synchronizeEventRaw(void *event) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    return check(syms_.cuEventSynchronize(static_cast<CUevent>(event)),
                 "cuEventSynchronize");
  }
  Expected<float> elapsedMsRaw(void *start, void *end) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    float ms = 0;
    MOEC_RT_RETURN_IF_ERROR(
        check(syms_.cuEventElapsedTime(&ms, static_cast<CUevent>(start),
                                       static_cast<CUevent>(end)),
              "cuEventElapsedTime"));
    return ms;
  }
  Expected<bool> isCapturingRaw(void *stream) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    int status = 0;
    MOEC_RT_RETURN_IF_ERROR(
        check(syms_.cuStreamIsCapturing(static_cast<CUstream>(stream), &status),
              "cuStreamIsCapturing"));
    return status != 0;
  }
  Status synchronizeRaw() override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    return check(syms_.cuCtxSynchronize(), "cuCtxSynchronize");
  }

private:
  const CudaSymbols &syms_;
  CUdevice device_;
  CUcontext context_ = nullptr;
};

class CudaModule final : public Module {
public:
  CudaModule(std::shared_ptr<Device> device, CUmodule module)
      : Module(std::move(device)), module_(module) {}
  ~CudaModule() override {
    if (cuda().makeCurrent().ok())
      (void)cuda().syms().cuModuleUnload(module_);
  }

protected:
  Expected<void *> lookupKernel(const std::string &name) override {
    MOEC_RT_RETURN_IF_ERROR(cuda().makeCurrent());
    CUfunction fn = nullptr;
    MOEC_RT_RETURN_IF_ERROR(cuda().check(
        cuda().syms().cuModuleGetFunction(&fn, module_, name.c_str()),
        "cuModuleGetFunction"));
    return static_cast<void *>(fn);
  }

  Status launchKernel(void *handle, const std::string &name, Dim3 grid,
                      Dim3 block, size_t sharedBytes, const KernelArgs &args,
                      void *stream) override {
    const CudaSymbols &syms = cuda().syms();
    auto fn = static_cast<CUfunction>(handle);
    MOEC_RT_RETURN_IF_ERROR(cuda().makeCurrent());
    if (sharedBytes > kDefaultMaxDynamicShared) {
      // Beyond 48 KiB a kernel must opt in; remember the largest granted.
      std::lock_guard<std::mutex> lock(mutex_);
      size_t &granted = sharedOptIn_[fn];
      if (sharedBytes > granted) {
        MOEC_RT_RETURN_IF_ERROR(cuda().check(
            syms.cuFuncSetAttribute(
                fn, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                static_cast<int>(sharedBytes)),
            strCat("cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES, ",
                   sharedBytes, ")")
                .c_str()));
        granted = sharedBytes;
      }
    }
    return cuda().check(syms.cuLaunchKernel(fn, u32(grid.x), u32(grid.y),
                                            u32(grid.z), u32(block.x),
                                            u32(block.y), u32(block.z),
                                            u32(sharedBytes),
                                            static_cast<CUstream>(stream),
                                            args.kernelParams(), nullptr),
                        "cuLaunchKernel");
  }

private:
  CudaDevice &cuda() const { return static_cast<CudaDevice &>(*device_); }

  CUmodule module_;
  std::mutex mutex_;
  std::map<CUfunction, size_t> sharedOptIn_;
};

bool startsWith(const void *image, size_t size, const char *magic,
                size_t magicSize) {
  return size >= magicSize && std::memcmp(image, magic, magicSize) == 0;
}

Expected<std::shared_ptr<Module>> CudaDevice::loadModuleRaw(const void *image,
                                                            size_t size) {
  MOEC_RT_RETURN_IF_ERROR(makeCurrent());
  // cubin (ELF) and fatbin images carry their size; PTX is read up to its
  // NUL, which a caller's std::string::data()/size() does not include.
  static const char kElf[] = {0x7f, 'E', 'L', 'F'};
  static const char kFatbin[] = {'\x50', '\xed', '\x55', '\xba'};
  std::string ptx;
  const char *kind = "PTX";
  if (startsWith(image, size, kElf, 4)) {
    kind = "cubin";
  } else if (startsWith(image, size, kFatbin, 4)) {
    kind = "fatbin";
  } else if (static_cast<const char *>(image)[size - 1] != '\0') {
    ptx.assign(static_cast<const char *>(image), size);
    image = ptx.c_str();
  }

  char errorLog[16384] = {0};
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {errorLog, reinterpret_cast<void *>(sizeof(errorLog) - 1)};
  CUmodule module = nullptr;
  Status s = check(syms_.cuModuleLoadDataEx(&module, image, 2, options, values),
                   "cuModuleLoadDataEx");
  if (!s.ok()) {
    std::string text = strCat(s.message(), " (", kind, " image)");
    if (errorLog[0])
      text += strCat("; JIT error log:\n", errorLog);
    return Status::error(text);
  }
  return std::shared_ptr<Module>(
      std::make_shared<CudaModule>(shared_from_this(), module));
}

} // namespace

Expected<int> cudaDeviceCount() {
  MOEC_RT_ASSIGN_OR_RETURN(const CudaSymbols *syms, cudaSymbols());
  MOEC_RT_RETURN_IF_ERROR(initDriver(*syms));
  int count = 0;
  MOEC_RT_RETURN_IF_ERROR(
      cudaCheck(*syms, syms->cuDeviceGetCount(&count), "cuDeviceGetCount"));
  return count;
}

Expected<std::shared_ptr<Device>> openCudaDevice(int index) {
  MOEC_RT_ASSIGN_OR_RETURN(const CudaSymbols *syms, cudaSymbols());
  MOEC_RT_ASSIGN_OR_RETURN(int count, cudaDeviceCount());
  MOEC_RT_RETURN_IF_ERROR(checkDeviceIndex("cuDeviceGetCount", index, count));
  CUdevice device = 0;
  MOEC_RT_RETURN_IF_ERROR(
      cudaCheck(*syms, syms->cuDeviceGet(&device, index), "cuDeviceGet"));
  auto cuda = std::make_shared<CudaDevice>(*syms, index, device);
  MOEC_RT_RETURN_IF_ERROR(cuda->init());
  return std::shared_ptr<Device>(std::move(cuda));
}

} // namespace moec::rt::detail
