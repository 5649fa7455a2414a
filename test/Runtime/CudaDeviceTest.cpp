//===- CudaDeviceTest.cpp - the CUDA backend on a real GPU ----------------===//
//
// Runs where a CUDA device is present (the lead's H100); elsewhere every test
// skips with the reason the device is unavailable (GpuTestUtils.h). Run on
// the GPU machine with
//
//   MOEC_REQUIRE_GPU=1 build/bin/moec-runtime-tests
//   --gtest_filter='CudaDevice*'
//
// The kernels are PTX text for sm_80 (PTX ISA 8.0; the driver JITs it for
// newer GPUs), in the form LLVM's NVPTX backend emits: `vadd` takes raw
// pointers, `vadd_memref` takes memref descriptors exactly as MLIR's lowering
// passes them, `reverse_smem` stages through dynamic shared memory.
//
//===----------------------------------------------------------------------===//
#include "GpuTestUtils.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

using namespace moec::rt;

namespace {

// c[i] = a[i] + b[i] for i < n: (f32* a, f32* b, f32* c, i32 n), one thread
// per element.
constexpr const char *kVaddPtx = R"(
.version 8.0
.target sm_80
.address_size 64

.visible .entry vadd(
	.param .u64 .ptr .global .align 1 vadd_param_0,
	.param .u64 .ptr .global .align 1 vadd_param_1,
	.param .u64 .ptr .global .align 1 vadd_param_2,
	.param .u32 vadd_param_3
)
{
	.reg .pred 	%p<2>;
	.reg .b32 	%r<9>;
	.reg .b64 	%rd<8>;

	mov.u32 	%r1, %ctaid.x;
	mov.u32 	%r2, %ntid.x;
	ld.param.b32 	%r3, [vadd_param_3];
	mov.u32 	%r4, %tid.x;
	mad.lo.s32 	%r5, %r1, %r2, %r4;
	setp.ge.s32 	%p1, %r5, %r3;
	@%p1 bra 	$L__done;
	ld.param.b64 	%rd4, [vadd_param_0];
	ld.param.b64 	%rd5, [vadd_param_1];
	ld.param.b64 	%rd6, [vadd_param_2];
	mul.wide.s32 	%rd7, %r5, 4;
	add.s64 	%rd1, %rd4, %rd7;
	add.s64 	%rd2, %rd5, %rd7;
	add.s64 	%rd3, %rd6, %rd7;
	ld.global.b32 	%r6, [%rd1];
	ld.global.b32 	%r7, [%rd2];
	add.rn.f32 	%r8, %r6, %r7;
	st.global.b32 	[%rd3], %r8;
$L__done:
	ret;
}

// The same on memref<?xf32> descriptors (allocated, aligned, offset, size,
// stride) x 3: c[i] = a[i] + b[i] for i < size(c), honoring offsets/strides.
.visible .entry vadd_memref(
	.param .u64 .ptr .align 1 vadd_memref_param_0,
	.param .u64 .ptr .align 1 vadd_memref_param_1,
	.param .u64 vadd_memref_param_2,
	.param .u64 vadd_memref_param_3,
	.param .u64 vadd_memref_param_4,
	.param .u64 .ptr .align 1 vadd_memref_param_5,
	.param .u64 .ptr .align 1 vadd_memref_param_6,
	.param .u64 vadd_memref_param_7,
	.param .u64 vadd_memref_param_8,
	.param .u64 vadd_memref_param_9,
	.param .u64 .ptr .align 1 vadd_memref_param_10,
	.param .u64 .ptr .align 1 vadd_memref_param_11,
	.param .u64 vadd_memref_param_12,
	.param .u64 vadd_memref_param_13,
	.param .u64 vadd_memref_param_14
)
{
	.reg .pred 	%p<2>;
	.reg .b32 	%r<8>;
	.reg .b64 	%rd<24>;

	ld.param.b64 	%rd11, [vadd_memref_param_1];
	cvta.to.global.u64 	%rd1, %rd11;
	ld.param.b64 	%rd12, [vadd_memref_param_6];
	cvta.to.global.u64 	%rd2, %rd12;
	ld.param.b64 	%rd13, [vadd_memref_param_11];
	cvta.to.global.u64 	%rd3, %rd13;
	mov.u32 	%r1, %ctaid.x;
	mov.u32 	%r2, %ntid.x;
	mov.u32 	%r3, %tid.x;
	mad.lo.s32 	%r4, %r1, %r2, %r3;
	cvt.u64.u32 	%rd4, %r4;
	ld.param.b64 	%rd14, [vadd_memref_param_13];
	setp.ge.s64 	%p1, %rd4, %rd14;
	@%p1 bra 	$L__done_memref;
	ld.param.b64 	%rd10, [vadd_memref_param_14];
	ld.param.b64 	%rd9, [vadd_memref_param_12];
	ld.param.b64 	%rd8, [vadd_memref_param_9];
	ld.param.b64 	%rd7, [vadd_memref_param_7];
	ld.param.b64 	%rd6, [vadd_memref_param_4];
	ld.param.b64 	%rd5, [vadd_memref_param_2];
	mad.lo.s64 	%rd15, %rd4, %rd6, %rd5;
	mad.lo.s64 	%rd16, %rd4, %rd8, %rd7;
	mad.lo.s64 	%rd17, %rd4, %rd10, %rd9;
	shl.b64 	%rd18, %rd15, 2;
	add.s64 	%rd19, %rd1, %rd18;
	shl.b64 	%rd20, %rd16, 2;
	add.s64 	%rd21, %rd2, %rd20;
	shl.b64 	%rd22, %rd17, 2;
	add.s64 	%rd23, %rd3, %rd22;
	ld.global.b32 	%r5, [%rd19];
	ld.global.b32 	%r6, [%rd21];
	add.rn.f32 	%r7, %r5, %r6;
	st.global.b32 	[%rd23], %r7;
$L__done_memref:
	ret;
}

// (f32* in, f32* out, i32 nfloats): each block reverses its slice of `in`
// into `out`, staging through the TOP of `nfloats` floats of dynamic shared
// memory (so a launch with less than asked would read out of range).
.extern .shared .align 16 .b8 smem[];

.visible .entry reverse_smem(
	.param .u64 .ptr .global .align 1 reverse_smem_param_0,
	.param .u64 .ptr .global .align 1 reverse_smem_param_1,
	.param .u32 reverse_smem_param_2
)
{
	.reg .b32 	%r<12>;
	.reg .b64 	%rd<11>;

	ld.param.b64 	%rd1, [reverse_smem_param_0];
	ld.param.b64 	%rd2, [reverse_smem_param_1];
	mov.u32 	%r1, %ctaid.x;
	ld.param.b32 	%r2, [reverse_smem_param_2];
	mov.u32 	%r3, %ntid.x;
	mov.u32 	%r4, %tid.x;
	mad.lo.s32 	%r5, %r1, %r3, %r4;
	mul.wide.u32 	%rd3, %r5, 4;
	add.s64 	%rd4, %rd1, %rd3;
	ld.global.b32 	%r6, [%rd4];
	not.b32 	%r7, %r4;
	add.s32 	%r8, %r7, %r2;
	mul.wide.u32 	%rd5, %r8, 4;
	mov.b64 	%rd6, smem;
	add.s64 	%rd7, %rd6, %rd5;
	st.shared.b32 	[%rd7], %r6;
	bar.sync 	0;
	sub.s32 	%r9, %r2, %r3;
	add.s32 	%r10, %r9, %r4;
	mul.wide.u32 	%rd8, %r10, 4;
	add.s64 	%rd9, %rd6, %rd8;
	ld.shared.b32 	%r11, [%rd9];
	add.s64 	%rd10, %rd2, %rd3;
	st.global.b32 	[%rd10], %r11;
	ret;
}
)";

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

std::shared_ptr<Module> loadKernels(Device &device) {
  // Deliberately without the trailing NUL: the runtime adds it for PTX.
  std::string ptx = kVaddPtx;
  auto module = device.loadModule(ptx.data(), ptx.size());
  EXPECT_TRUE(module.ok()) << module.message();
  return module.ok() ? *module : nullptr;
}

// The skip reason itself: where no CUDA device exists it must say why.
TEST(CudaDeviceHelper, SkipReasonSaysWhy) {
  std::string reason;
  auto device = test::openOrExplain(DeviceKind::Cuda, reason);
  if (device) {
    EXPECT_TRUE(reason.empty());
    return;
  }
  EXPECT_TRUE(contains(reason, "no CUDA device: opening CUDA device 0: "))
      << reason;
  EXPECT_GT(reason.size(),
            std::string("no CUDA device: opening CUDA device 0: ").size());
}

TEST(CudaDevice, Properties) {
  MOEC_REQUIRE_CUDA(device);
  EXPECT_EQ(device->kind(), DeviceKind::Cuda);
  EXPECT_EQ(device->arch().rfind("sm_", 0), 0u) << device->arch();
  EXPECT_FALSE(device->name().empty());
  EXPECT_GT(device->totalMemory(), 0u);
  EXPECT_TRUE(device->synchronize().ok());
}

TEST(CudaDevice, BufferRoundTripAndFill) {
  MOEC_REQUIRE_CUDA(device);
  const size_t n = 1 << 20;
  auto buf = device->allocate(n), other = device->allocate(n);
  ASSERT_TRUE(buf.ok()) << buf.message();
  ASSERT_TRUE(other.ok()) << other.message();
  std::vector<uint8_t> in(n), out(n);
  for (size_t i = 0; i < n; ++i)
    in[i] = static_cast<uint8_t>((i * 31) ^ (i >> 8));
  ASSERT_TRUE(buf->copyFromHost(in).ok());
  ASSERT_TRUE(buf->copyToHost(out).ok());
  EXPECT_TRUE(in == out);

  Status fill = buf->fill(0xAB, 4096, 1000);
  ASSERT_TRUE(fill.ok()) << fill.message();
  ASSERT_TRUE(buf->copyToHost(out).ok());
  for (size_t i = 0; i < n; ++i)
    if (out[i] != (i >= 1000 && i < 5096 ? 0xAB : in[i]))
      FAIL() << "byte " << i << " is " << int(out[i]);

  Status copy = other->copyFrom(*buf, n);
  ASSERT_TRUE(copy.ok()) << copy.message();
  std::vector<uint8_t> out2(n);
  ASSERT_TRUE(other->copyToHost(out2).ok());
  EXPECT_TRUE(out == out2);

  Buffer moved = std::move(*buf);
  EXPECT_EQ(buf->data(), nullptr);
  EXPECT_TRUE(moved.reset().ok());
}

TEST(CudaDevice, LaunchVaddAndTimeIt) {
  MOEC_REQUIRE_CUDA(device);
  auto module = loadKernels(*device);
  ASSERT_TRUE(module);
  auto kernel = module->getKernel("vadd");
  ASSERT_TRUE(kernel.ok()) << kernel.message();

  const int n = 1 << 20;
  std::vector<float> a(n), b(n), c(n, 0.f);
  for (int i = 0; i < n; ++i)
    a[i] = 0.5f * i, b[i] = 3.f - i;
  auto A = device->allocate(n * 4), B = device->allocate(n * 4),
       C = device->allocate(n * 4);
  ASSERT_TRUE(A.ok() && B.ok() && C.ok());
  ASSERT_TRUE(A->copyFromHost(a).ok() && B->copyFromHost(b).ok());
  ASSERT_TRUE(C->fill(0).ok());

  KernelArgs args;
  args.addPtr(*A).addPtr(*B).addPtr(*C).addI32(n);
  auto timer = Timer::create(*device);
  ASSERT_TRUE(timer.ok()) << timer.message();
  ASSERT_TRUE(timer->start().ok());
  Status s = kernel->launch({(n + 255) / 256}, {256}, args);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_TRUE(timer->stop().ok());
  auto ms = timer->elapsedMs();
  ASSERT_TRUE(ms.ok()) << ms.message();
  EXPECT_GT(*ms, 0.f);
  EXPECT_LT(*ms, 1000.f);
  std::cout << "[ moec     ] vadd of " << n << " floats: " << *ms << " ms ("
            << 12.0 * n / (*ms * 1e6) << " GB/s)\n";

  ASSERT_TRUE(device->synchronize().ok());
  ASSERT_TRUE(C->copyToHost(c).ok());
  for (int i = 0; i < n; ++i)
    ASSERT_EQ(c[i], a[i] + b[i]) << i;
}

TEST(CudaDevice, LaunchWithMemRefDescriptors) {
  MOEC_REQUIRE_CUDA(device);
  auto module = loadKernels(*device);
  ASSERT_TRUE(module);
  auto kernel = module->getKernel("vadd_memref");
  ASSERT_TRUE(kernel.ok()) << kernel.message();

  // a: every other float starting at element 3; b: contiguous; c: at +1.
  const int64_t n = 1000;
  std::vector<float> a(3 + 2 * n), b(n), c(n + 1, -1.f);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = float(i);
  for (int64_t i = 0; i < n; ++i)
    b[i] = 100.f * i;
  auto A = device->allocate(a.size() * 4), B = device->allocate(b.size() * 4),
       C = device->allocate(c.size() * 4);
  ASSERT_TRUE(A.ok() && B.ok() && C.ok());
  ASSERT_TRUE(A->copyFromHost(a).ok() && B->copyFromHost(b).ok() &&
              C->copyFromHost(c).ok());
  KernelArgs args;
  args.addMemRef(*A, {n}, {2}, 3).addMemRef(*B, {n}).addMemRef(*C, {n}, {1}, 1);
  ASSERT_EQ(args.size(), 15u);
  Status s = kernel->launch({(n + 127) / 128}, {128}, args);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_TRUE(C->copyToHost(c).ok());
  EXPECT_EQ(c[0], -1.f) << "before the view's offset";
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(c[1 + i], a[3 + 2 * i] + b[i]) << i;
}

// 96 KiB of dynamic shared memory: beyond the 48 KiB default, so the runtime
// must opt the kernel in (cuFuncSetAttribute) for the launch to succeed.
TEST(CudaDevice, LargeDynamicSharedMemory) {
  MOEC_REQUIRE_CUDA(device);
  auto module = loadKernels(*device);
  ASSERT_TRUE(module);
  auto kernel = module->getKernel("reverse_smem");
  ASSERT_TRUE(kernel.ok()) << kernel.message();

  const int block = 256, blocks = 64, n = block * blocks;
  const size_t sharedBytes = 96 * 1024;
  std::vector<float> in(n), out(n, 0.f);
  for (int i = 0; i < n; ++i)
    in[i] = float(i);
  auto In = device->allocate(n * 4), Out = device->allocate(n * 4);
  ASSERT_TRUE(In.ok() && Out.ok());
  ASSERT_TRUE(In->copyFromHost(in).ok());
  KernelArgs args;
  args.addPtr(*In).addPtr(*Out).addI32(int32_t(sharedBytes / 4));
  Status s = kernel->launch({blocks}, {block}, sharedBytes, args);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_TRUE(device->synchronize().ok());
  ASSERT_TRUE(Out->copyToHost(out).ok());
  for (int i = 0; i < n; ++i) {
    int base = i / block * block, t = i % block;
    ASSERT_EQ(out[i], in[base + block - 1 - t]) << i;
  }
}

TEST(CudaDevice, Errors) {
  MOEC_REQUIRE_CUDA(device);
  auto module = loadKernels(*device);
  ASSERT_TRUE(module);
  auto missing = module->getKernel("no_such_kernel");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(contains(missing.message(),
                       "cuModuleGetFunction failed: CUDA_ERROR_NOT_FOUND"))
      << missing.message();
  EXPECT_TRUE(contains(missing.message(), "'no_such_kernel'"));

  std::string bad =
      ".version 8.0\n.target sm_80\n.address_size 64\n"
      ".visible .entry broken() { add.f32 %f1, %f2, %f3; ret; }\n";
  auto broken = device->loadModule(bad);
  ASSERT_FALSE(broken.ok());
  std::cout << "[ moec     ] " << broken.message() << "\n";
  EXPECT_TRUE(
      contains(broken.message(), "cuModuleLoadDataEx failed: CUDA_ERROR_"))
      << broken.message();
  EXPECT_TRUE(contains(broken.message(), "(PTX image)")) << broken.message();

  auto kernel = module->getKernel("vadd");
  ASSERT_TRUE(kernel.ok());
  KernelArgs args;
  args.addPtr(nullptr).addPtr(nullptr).addPtr(nullptr).addI32(0);
  Status tooBig = kernel->launch({1}, {4096}, args); // > 1024 threads
  ASSERT_FALSE(tooBig.ok());
  EXPECT_TRUE(contains(tooBig.message(), "cuLaunchKernel failed: CUDA_ERROR_"))
      << tooBig.message();
  EXPECT_TRUE(device->synchronize().ok())
      << "a rejected launch leaves the context usable";

  auto outOfRange = Device::open(DeviceKind::Cuda, 1000);
  ASSERT_FALSE(outOfRange.ok());
  EXPECT_TRUE(
      contains(outOfRange.message(), "no such device: cuDeviceGetCount found"))
      << outOfRange.message();
}

} // namespace
