//===- KernelArgs.cpp - kernel argument packing ---------------------------===//
#include "moec/Runtime/KernelArgs.h"
#include "StrCat.h"
#include "moec/Runtime/Runtime.h"

#include <algorithm>
#include <cstring>

namespace moec::rt {

static_assert(sizeof(void *) == 8, "kernel ABIs here assume 64-bit pointers");

using detail::strCat;

void KernelArgs::append(ArgKind kind, const void *value, size_t size) {
  // Natural alignment: every value sits at a multiple of its own size.
  size_t offset = (packedSize_ + size - 1) / size * size;
  size_t end = offset + size;
  storage_.resize((end + 7) / 8, 0); // padding stays zero
  std::memcpy(reinterpret_cast<char *>(storage_.data()) + offset, value, size);
  slots_.push_back(ArgSlot{kind, offset, size});
  packedSize_ = end;
}

std::vector<int64_t>
KernelArgs::rowMajorStrides(const std::vector<int64_t> &sizes) {
  // What MLIR's descriptor for an identity layout holds: running products.
  // The product past the outermost dimension is never used, so only the
  // strides themselves must fit; one that does not saturates at INT64_MAX
  // (addMemRef reports it).
  std::vector<int64_t> strides(sizes.size());
  int64_t stride = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    strides[i] = stride;
    if (i > 0 && __builtin_mul_overflow(stride, sizes[i], &stride))
      stride = INT64_MAX;
  }
  return strides;
}

KernelArgs &KernelArgs::addMemRef(const void *ptr, const int64_t *sizes,
                                  const int64_t *strides, size_t rank,
                                  int64_t offset) {
  size_t memref = memrefCount_++;
  for (size_t d = 0; d < rank; ++d)
    if (sizes[d] < 0 && status_.ok())
      status_ = Status::error(strCat("KernelArgs: memref argument ", memref,
                                     " has negative size ", sizes[d],
                                     " in dimension ", d));
  addPtr(ptr); // allocated
  addPtr(ptr); // aligned
  addI64(offset);
  for (size_t d = 0; d < rank; ++d)
    addI64(sizes[d]);
  int64_t stride = 1;
  size_t first = slots_.size();
  for (size_t d = 0; d < rank; ++d)
    addI64(strides ? strides[d] : 0);
  if (!strides) // row-major: running products, filled in from the back
    for (size_t d = rank; d-- > 0;) {
      std::memcpy(reinterpret_cast<char *>(storage_.data()) +
                      slots_[first + d].offset,
                  &stride, sizeof(stride));
      stride *= sizes[d];
    }
  return *this;
}

void KernelArgs::clear() {
  storage_.clear();
  slots_.clear();
  packedSize_ = 0;
  memrefCount_ = 0;
  status_ = Status::success();
}

KernelArgs &KernelArgs::addMemRef(const void *ptr, std::vector<int64_t> sizes,
                                  std::vector<int64_t> strides,
                                  int64_t offset) {
  size_t memref = memrefCount_++;
  size_t firstValue = slots_.size();
  if (strides.empty() && !sizes.empty()) {
    strides = rowMajorStrides(sizes);
    // Row-major over these sizes, every element's offset must fit in int64.
    int64_t elements = 1;
    bool overflow = false;
    for (int64_t s : sizes)
      overflow |= s > 0 && __builtin_mul_overflow(elements, s, &elements);
    if (overflow && status_.ok())
      status_ = Status::error(strCat("KernelArgs: memref argument ", memref,
                                     " has more elements than int64 can "
                                     "index"));
  }
  if (strides.size() != sizes.size()) {
    if (status_.ok())
      status_ = Status::error(strCat("KernelArgs: memref argument ", memref,
                                     " (argument value ", firstValue, ") has ",
                                     sizes.size(), " sizes but ",
                                     strides.size(), " strides"));
    strides.resize(sizes.size(), 0); // keep the layout of the declared rank
  }
  for (size_t d = 0; d < sizes.size(); ++d)
    if (sizes[d] < 0 && status_.ok())
      status_ = Status::error(strCat("KernelArgs: memref argument ", memref,
                                     " has negative size ", sizes[d],
                                     " in dimension ", d));
  addPtr(ptr); // allocated
  addPtr(ptr); // aligned
  addI64(offset);
  for (int64_t s : sizes)
    addI64(s);
  for (int64_t s : strides)
    addI64(s);
  return *this;
}

KernelArgs &KernelArgs::addMemRef(const Buffer &buffer,
                                  std::vector<int64_t> sizes,
                                  std::vector<int64_t> strides,
                                  int64_t offset) {
  return addMemRef(buffer.data(), std::move(sizes), std::move(strides), offset);
}

KernelArgs &KernelArgs::addPtr(const void *ptr) {
  append(ArgKind::Ptr, &ptr, sizeof(ptr));
  return *this;
}

KernelArgs &KernelArgs::addPtr(const Buffer &buffer) {
  return addPtr(buffer.data());
}

KernelArgs &KernelArgs::addI32(int32_t value) {
  append(ArgKind::I32, &value, sizeof(value));
  return *this;
}

KernelArgs &KernelArgs::addI64(int64_t value) {
  append(ArgKind::I64, &value, sizeof(value));
  return *this;
}

KernelArgs &KernelArgs::addF32(float value) {
  append(ArgKind::F32, &value, sizeof(value));
  return *this;
}

void **KernelArgs::kernelParams() const {
  char *base =
      const_cast<char *>(reinterpret_cast<const char *>(storage_.data()));
  params_.resize(slots_.size());
  for (size_t i = 0; i < slots_.size(); ++i)
    params_[i] = base + slots_[i].offset;
  return params_.data();
}

} // namespace moec::rt
