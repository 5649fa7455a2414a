//===- HostKernel.h - the ABI of kernels run by the host device -*- C++ -*-===//
//
// A host kernel is the CPU form of a GPU kernel: one call runs one workgroup
// (one lane: block dims are always (1, 1, 1)). The compiler generates
// functions of this form; the runtime only calls them.
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
// Launch calls the function once per workgroup of the grid, in parallel on a
// thread pool (size `std::thread::hardware_concurrency()`, or the positive
// integer in MOEC_HOST_THREADS). Each call gets its own copy of the array and
// of the argument values, so a kernel may not rely on any order between
// workgroups, nor write through `args`. The launch returns once every
// workgroup has run: host launches are synchronous.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_RUNTIME_HOSTKERNEL_H
#define MOEC_RUNTIME_HOSTKERNEL_H

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

} // namespace moec::rt

#endif // MOEC_RUNTIME_HOSTKERNEL_H
