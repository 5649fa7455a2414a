//===- KernelArgs.h - kernel argument packing -------------------*- C++ -*-===//
//
// Kernels compiled through MLIR's standard lowering take each memref argument
// expanded into its descriptor fields, then the scalars, in order:
//
//   memref<?x?xf32>  ->  (f32 *allocated, f32 *aligned, i64 offset,
//                         i64 sizes[2], i64 strides[2])
//
// KernelArgs collects those values and produces both forms drivers take:
//
//  (a) `kernelParams()`: an array of pointers, one per argument value, what
//      cuLaunchKernel / hipModuleLaunchKernel take as `kernelParams` and what
//      a host kernel receives (see HostKernel.h);
//  (b) `packed()`: every value in one byte buffer, each at an offset aligned
//      to its own size (pointers and i64 to 8, i32 and f32 to 4), the layout
//      of a kernel-argument segment (HIP's `extra` /
//      HIP_LAUNCH_PARAM_BUFFER_POINTER form).
//
// Example, `func(%a: memref<?x?xf32>, %n: i32, %alpha: f32)`:
//
//   KernelArgs args;
//   args.addMemRef(a.data(), {M, K});  // 7 values, strides {K, 1}
//   args.addI32(n).addF32(alpha);      // 9 values in all
//
// A malformed argument (strides of another rank than sizes) is recorded in
// `status()` and reported by Kernel::launch; nothing throws.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_RUNTIME_KERNELARGS_H
#define MOEC_RUNTIME_KERNELARGS_H

#include "moec/Runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace moec::rt {

class Buffer;

/// What one argument value is; only the size and alignment matter to the
/// drivers, the kind makes layouts testable and errors readable.
enum class ArgKind { Ptr, I32, I64, F32 };

/// One argument value inside the packed buffer.
struct ArgSlot {
  ArgKind kind;
  size_t offset; ///< byte offset in `packed()`, a multiple of `size`
  size_t size;   ///< 4 or 8
};

class KernelArgs {
public:
  KernelArgs() = default;

  /// A memref descriptor: allocated = aligned = `ptr`, then `offset` (in
  /// elements), the sizes and the strides (in elements). Empty `strides`
  /// means row-major (contiguous, last dimension fastest). Rank 0 (no sizes)
  /// adds only the two pointers and the offset.
  KernelArgs &addMemRef(const void *ptr, std::vector<int64_t> sizes,
                        std::vector<int64_t> strides = {}, int64_t offset = 0);
  /// The same for a device buffer (its device address).
  KernelArgs &addMemRef(const Buffer &buffer, std::vector<int64_t> sizes,
                        std::vector<int64_t> strides = {}, int64_t offset = 0);
  /// The same from arrays of `rank` sizes and strides (null strides:
  /// row-major). Allocates nothing once the object has held as many values
  /// before (see clear()): the JIT's launch path uses this form.
  KernelArgs &addMemRef(const void *ptr, const int64_t *sizes,
                        const int64_t *strides, size_t rank,
                        int64_t offset = 0);
  /// Forgets every value but keeps the storage, so refilling the object
  /// with the same shape of arguments allocates nothing.
  void clear();
  KernelArgs &addPtr(const void *ptr);
  KernelArgs &addPtr(const Buffer &buffer);
  KernelArgs &addI32(int32_t value);
  KernelArgs &addI64(int64_t value);
  KernelArgs &addF32(float value);

  /// Number of argument values (a rank-r memref counts 3 + 2r).
  size_t size() const { return slots_.size(); }
  const std::vector<ArgSlot> &slots() const { return slots_; }

  /// Form (a): one pointer per value, into this object's storage. Rebuilt on
  /// each call; valid until the next add* or kernelParams call, a copy or
  /// move, or this object's end. Not safe to call from two threads at once on
  /// one object (copy the KernelArgs instead).
  void **kernelParams() const;
  /// Form (b): the values, naturally aligned, `packedSize()` bytes. The
  /// storage itself is 8-byte aligned.
  const void *packed() const { return storage_.data(); }
  /// End of the last value (no trailing padding); 0 when empty.
  size_t packedSize() const { return packedSize_; }

  /// Success, or the first malformed argument.
  const Status &status() const { return status_; }

  /// Row-major strides of `sizes`, in elements.
  static std::vector<int64_t>
  rowMajorStrides(const std::vector<int64_t> &sizes);

private:
  void append(ArgKind kind, const void *value, size_t size);

  std::vector<uint64_t> storage_; ///< 8-byte aligned bytes of the values
  size_t packedSize_ = 0;
  std::vector<ArgSlot> slots_;
  mutable std::vector<void *> params_;
  size_t memrefCount_ = 0;
  Status status_;
};

} // namespace moec::rt

#endif // MOEC_RUNTIME_KERNELARGS_H
