//===- HipDevice.cpp - the HIP backend ------------------------------------===//
//
// One device = a HIP device index, made current on the calling thread
// (hipSetDevice) before each call, so any thread may use it. Work goes to the
// null stream. Kernels take their arguments in HIP's `extra` form: the
// KernelArgs packed buffer, laid out like the kernel-argument segment.
//
//===----------------------------------------------------------------------===//
#include "Backends.h"
#include "HipDriver.h"
#include "StrCat.h"

#include <cctype>
#include <cstring>
#include <vector>

namespace moec::rt::detail {
namespace {

/// Kernel::launch has checked the range.
template <typename T> unsigned u32(T v) { return static_cast<unsigned>(v); }

using namespace moec::rt::hip;

Status initHip(const HipSymbols &syms) {
  static const Status status = hipCheck(syms, syms.hipInit(0), "hipInit");
  return status;
}

/// The ISA name ("gfx942") from hipGetDeviceProperties, without relying on
/// the struct's layout (it changed in ROCm 6.0, and `gcnArchName` moved):
/// the properties are read into a buffer far larger than any version's
/// struct and the first NUL-terminated "gfx<hex digits>[:features]" string
/// in it is the ISA. Empty when not found.
std::string findGfxArch(const HipSymbols &syms, int index) {
  std::vector<char> props(64 * 1024, 0);
  if (syms.hipGetDeviceProperties(props.data(), index) != hipSuccess)
    return "";
  const size_t n = props.size();
  for (size_t i = 0; i + 4 < n; ++i) {
    if (std::memcmp(&props[i], "gfx", 3) != 0)
      continue;
    size_t j = i + 3;
    while (j < n && std::isxdigit(static_cast<unsigned char>(props[j])))
      ++j;
    if (j == i + 3 || j >= n || (props[j] != '\0' && props[j] != ':'))
      continue;
    return std::string(&props[i], j - i);
  }
  return "";
}

class HipDevice final : public Device {
public:
  HipDevice(const HipSymbols &syms, int index)
      : Device(DeviceKind::Hip, index), syms_(syms) {}

  Status init() {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    char name[256] = {0};
    MOEC_RT_RETURN_IF_ERROR(
        check(syms_.hipDeviceGetName(name, sizeof(name) - 1, index()),
              "hipDeviceGetName"));
    name_ = name;
    arch_ = findGfxArch(syms_, index());
    if (arch_.empty())
      arch_ = "gfx-unknown";
    size_t bytes = 0;
    MOEC_RT_RETURN_IF_ERROR(
        check(syms_.hipDeviceTotalMem(&bytes, index()), "hipDeviceTotalMem"));
    totalMemory_ = bytes;
    return Status::success();
  }

  const HipSymbols &syms() const { return syms_; }
  Status check(hipError_t result, const char *call) const {
    return hipCheck(syms_, result, call);
  }
  Status makeCurrent() const {
    return check(syms_.hipSetDevice(index()), "hipSetDevice");
  }

protected:
  Status allocRaw(size_t bytes, void **ptr) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    return check(syms_.hipMalloc(ptr, bytes), "hipMalloc");
  }
  Status freeRaw(void *ptr) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    return check(syms_.hipFree(ptr), "hipFree");
  }
  Status copyHtoD(void *dst, const void *src, size_t bytes) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    return check(syms_.hipMemcpy(dst, src, bytes, hipMemcpyHostToDevice),
                 "hipMemcpy(HostToDevice)");
  }
  Status copyDtoH(void *dst, const void *src, size_t bytes) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    return check(syms_.hipMemcpy(dst, src, bytes, hipMemcpyDeviceToHost),
                 "hipMemcpy(DeviceToHost)");
  }
  Status copyDtoD(void *dst, const void *src, size_t bytes) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    return check(syms_.hipMemcpy(dst, src, bytes, hipMemcpyDeviceToDevice),
                 "hipMemcpy(DeviceToDevice)");
  }
  Status memsetD8(void *dst, uint8_t value, size_t bytes) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    return check(syms_.hipMemset(dst, value, bytes), "hipMemset");
  }
  Status memsetAsyncRaw(void *dst, uint8_t value, size_t bytes,
                        void *stream) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    return check(syms_.hipMemsetAsync(dst, value, bytes,
                                      static_cast<hipStream_t>(stream)),
                 "hipMemsetAsync");
  }
  Expected<std::shared_ptr<Module>> loadModuleRaw(const void *image,
                                                  size_t size) override;

  Status createEventRaw(void **event) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    hipEvent_t e = nullptr;
    MOEC_RT_RETURN_IF_ERROR(check(syms_.hipEventCreate(&e), "hipEventCreate"));
    *event = e;
    return Status::success();
  }
  Status destroyEventRaw(void *event) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    return check(syms_.hipEventDestroy(static_cast<hipEvent_t>(event)),
                 "hipEventDestroy");
  }
  Status recordEventRaw(void *event) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    return check(syms_.hipEventRecord(static_cast<hipEvent_t>(event), nullptr),
                 "hipEventRecord");
  }
  Status synchronizeEventRaw(void *event) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    return check(syms_.hipEventSynchronize(static_cast<hipEvent_t>(event)),
                 "hipEventSynchronize");
  }
  Expected<float> elapsedMsRaw(void *start, void *end) override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    float ms = 0;
    MOEC_RT_RETURN_IF_ERROR(
        check(syms_.hipEventElapsedTime(&ms, static_cast<hipEvent_t>(start),
                                        static_cast<hipEvent_t>(end)),
              "hipEventElapsedTime"));
    return ms;
  }
  Status synchronizeRaw() override {
    MOEC_RT_RETURN_IF_ERROR(makeCurrent());
    return check(syms_.hipDeviceSynchronize(), "hipDeviceSynchronize");
  }

private:
  const HipSymbols &syms_;
};

class HipModule final : public Module {
public:
  HipModule(std::shared_ptr<Device> device, hipModule_t module)
      : Module(std::move(device)), module_(module) {}
  ~HipModule() override {
    if (hip().makeCurrent().ok())
      (void)hip().syms().hipModuleUnload(module_);
  }

protected:
  Expected<void *> lookupKernel(const std::string &name) override {
    MOEC_RT_RETURN_IF_ERROR(hip().makeCurrent());
    hipFunction_t fn = nullptr;
    MOEC_RT_RETURN_IF_ERROR(hip().check(
        hip().syms().hipModuleGetFunction(&fn, module_, name.c_str()),
        "hipModuleGetFunction"));
    return static_cast<void *>(fn);
  }

  Status launchKernel(void *handle, const std::string &, Dim3 grid, Dim3 block,
                      size_t sharedBytes, const KernelArgs &args,
                      void *stream) override {
    MOEC_RT_RETURN_IF_ERROR(hip().makeCurrent());
    size_t size = args.packedSize();
    void *extra[] = {HIP_LAUNCH_PARAM_BUFFER_POINTER,
                     const_cast<void *>(args.packed()),
                     HIP_LAUNCH_PARAM_BUFFER_SIZE, &size, HIP_LAUNCH_PARAM_END};
    return hip().check(hip().syms().hipModuleLaunchKernel(
                           static_cast<hipFunction_t>(handle), u32(grid.x),
                           u32(grid.y), u32(grid.z), u32(block.x), u32(block.y),
                           u32(block.z), u32(sharedBytes),
                           static_cast<hipStream_t>(stream), nullptr, extra),
                       "hipModuleLaunchKernel");
  }

private:
  HipDevice &hip() const { return static_cast<HipDevice &>(*device_); }

  hipModule_t module_;
};

Expected<std::shared_ptr<Module>> HipDevice::loadModuleRaw(const void *image,
                                                           size_t) {
  // A code object is an ELF file and carries its own size.
  MOEC_RT_RETURN_IF_ERROR(makeCurrent());
  hipModule_t module = nullptr;
  MOEC_RT_RETURN_IF_ERROR(
      check(syms_.hipModuleLoadData(&module, image), "hipModuleLoadData"));
  return std::shared_ptr<Module>(
      std::make_shared<HipModule>(shared_from_this(), module));
}

} // namespace

Expected<int> hipDeviceCount() {
  MOEC_RT_ASSIGN_OR_RETURN(const HipSymbols *syms, hipSymbols());
  MOEC_RT_RETURN_IF_ERROR(initHip(*syms));
  int count = 0;
  MOEC_RT_RETURN_IF_ERROR(
      hipCheck(*syms, syms->hipGetDeviceCount(&count), "hipGetDeviceCount"));
  return count;
}

Expected<std::shared_ptr<Device>> openHipDevice(int index) {
  MOEC_RT_ASSIGN_OR_RETURN(const HipSymbols *syms, hipSymbols());
  MOEC_RT_ASSIGN_OR_RETURN(int count, hipDeviceCount());
  MOEC_RT_RETURN_IF_ERROR(checkDeviceIndex("hipGetDeviceCount", index, count));
  auto hip = std::make_shared<HipDevice>(*syms, index);
  MOEC_RT_RETURN_IF_ERROR(hip->init());
  return std::shared_ptr<Device>(std::move(hip));
}

} // namespace moec::rt::detail
