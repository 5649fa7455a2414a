//===- HostKernel.h - the ABI of kernels run by the host device -*- C++ -*-===//
//
// A host kernel is the CPU form of a GPU kernel: the lane program of one
// workgroup. The compiler generates functions of this form; the runtime only
// calls them: once per workgroup when the block is (1, 1, 1), once per lane
// (lanes = block.x; y and z must be 1) otherwise, each lane a fiber of the
// worker thread that runs the workgroup (HostLanes.cpp).
//
//   extern "C" void kernel(void **args);
//
//   args[0 .. N-1]  pointers to the N argument values, exactly as
//                   KernelArgs::kernelParams() lays them out: a memref is
//                   3 + 2 * rank values (allocated ptr, aligned ptr, i64
//                   offset, i64 sizes[rank], i64 strides[rank]), then the
//                   scalars (i32, i64, f32, ptr) in order. Memref pointers
//                   are host addresses (host Buffers are host memory).
//   args[N]         int64_t *  block id x  (0 <= x < grid.x)
//   args[N + 1]     int64_t *  block id y
//   args[N + 2]     int64_t *  block id z
//
// E.g. `void add(memref<?xf32> a, memref<?xf32> b, memref<?xf32> c, i64 n)`
// takes N = 3 * 5 + 1 = 16 values and reads its block id x from
// `*(int64_t *)args[16]`.
//
// A kernel of more than one lane calls three functions of the runtime (the
// JIT resolves them through hostRuntimeSymbols()):
//
//   int64_t moec_host_thread_id(void)   this lane's id, 0 <= id < block.x
//   void moec_host_barrier(int64_t s)   gpu.barrier number s of the kernel:
//                                       returns once every lane of the
//                                       workgroup has reached a barrier; a
//                                       lane that returns while others wait,
//                                       or lanes at different barriers, fail
//                                       the launch (divergent barrier)
//   void *moec_host_lds(int64_t bytes)  the workgroup's LDS (shared by its
//                                       lanes, 64-byte aligned, filled with
//                                       0xff bytes when the workgroup starts)
//   int32_t moec_host_shuffle_xor(int32_t v, int32_t mask, int32_t width,
//                                 int64_t s)
//                                       gpu.shuffle xor number s: the v of
//                                       lane id ^ mask, which must be in the
//                                       caller's width-lane segment; every
//                                       lane of the workgroup meets there
//                                       (as at a barrier)
//
// Launch runs the workgroups of the grid in parallel on a
// thread pool (size `std::thread::hardware_concurrency()`, or the positive
// integer in MOEC_HOST_THREADS). Each call gets its own copy of the array and
// of the argument values, so a kernel may not rely on any order between
// workgroups, nor write through `args`. The launch returns once every
// workgroup has run: host launches are synchronous.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_RUNTIME_HOSTKERNEL_H
#define MOEC_RUNTIME_HOSTKERNEL_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace moec::rt {

/// A host kernel; see the ABI above.
using HostKernelFn = void (*)(void **args);

/// Kernel name -> function, what a host Module is loaded from (the JIT that
/// makes the functions lives in the compiler library, not here).
using HostKernelTable = std::map<std::string, HostKernelFn>;

/// Trailing pointers after the argument values: block id x, y, z.
inline constexpr unsigned kHostKernelBlockIdArgs = 3;

/// A runtime function that host kernels call, by its C name.
struct HostRuntimeSymbol {
  const char *name;
  void *address;
};
/// The runtime functions of the ABI above (`*count` of them), for a JIT
/// that links host kernels: it defines each name at its address.
const HostRuntimeSymbol *hostRuntimeSymbols(size_t *count);

} // namespace moec::rt

extern "C" {
int64_t moec_host_thread_id(void);
void moec_host_barrier(int64_t site);
void *moec_host_lds(int64_t bytes);
int32_t moec_host_shuffle_xor(int32_t value, int32_t mask, int32_t width,
                              int64_t site);
}

#endif // MOEC_RUNTIME_HOSTKERNEL_H
