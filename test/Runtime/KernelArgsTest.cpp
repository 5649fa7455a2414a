//===- KernelArgsTest.cpp - the exact layout of packed kernel arguments ---===//
#include "moec/Runtime/KernelArgs.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace moec::rt;

namespace {

template <typename T> T readPacked(const KernelArgs &args, size_t offset) {
  T value;
  std::memcpy(&value, static_cast<const char *>(args.packed()) + offset,
              sizeof(T));
  return value;
}

void expectSlot(const KernelArgs &args, size_t i, ArgKind kind, size_t offset,
                size_t size) {
  ASSERT_LT(i, args.size());
  EXPECT_EQ(args.slots()[i].kind, kind) << "value " << i;
  EXPECT_EQ(args.slots()[i].offset, offset) << "value " << i;
  EXPECT_EQ(args.slots()[i].size, size) << "value " << i;
}

TEST(KernelArgs, RowMajorStrides) {
  EXPECT_EQ(KernelArgs::rowMajorStrides({2, 3, 4}),
            (std::vector<int64_t>{12, 4, 1}));
  EXPECT_EQ(KernelArgs::rowMajorStrides({7}), (std::vector<int64_t>{1}));
  EXPECT_TRUE(KernelArgs::rowMajorStrides({}).empty());
}

// Sizes from the command line: a stride past int64 is an error, not a
// wrapped (signed-overflow) stride the kernel would index with.
TEST(KernelArgs, StrideOverflowIsAnError) {
  std::vector<int64_t> strides =
      KernelArgs::rowMajorStrides({4, int64_t(1) << 62, 4});
  EXPECT_EQ(strides[2], 1);
  EXPECT_EQ(strides[1], 4);
  EXPECT_EQ(strides[0], INT64_MAX) << "saturates";
  float data[4] = {};
  KernelArgs args;
  args.addMemRef(data, {4, int64_t(1) << 62});
  ASSERT_FALSE(args.status().ok());
  EXPECT_NE(args.status().message().find("more elements than int64 can index"),
            std::string::npos)
      << args.status().message();
  KernelArgs fine;
  fine.addMemRef(data, {int64_t(1) << 31, int64_t(1) << 31});
  EXPECT_TRUE(fine.status().ok()) << fine.status().message();
}

// memref<?x?xf32> expands to (allocated, aligned, offset, size0, size1,
// stride0, stride1), every field 8 bytes at an 8-byte boundary.
TEST(KernelArgs, MemRefRank2Descriptor) {
  float data[32] = {};
  KernelArgs args;
  args.addMemRef(data, {4, 8});
  ASSERT_TRUE(args.status().ok()) << args.status().message();
  ASSERT_EQ(args.size(), 7u);
  expectSlot(args, 0, ArgKind::Ptr, 0, 8);
  expectSlot(args, 1, ArgKind::Ptr, 8, 8);
  for (size_t i = 2; i < 7; ++i)
    expectSlot(args, i, ArgKind::I64, 8 * i, 8);
  EXPECT_EQ(args.packedSize(), 56u);
  EXPECT_EQ(readPacked<void *>(args, 0), static_cast<void *>(data));
  EXPECT_EQ(readPacked<void *>(args, 8), static_cast<void *>(data));
  EXPECT_EQ(readPacked<int64_t>(args, 16), 0); // offset
  EXPECT_EQ(readPacked<int64_t>(args, 24), 4); // sizes
  EXPECT_EQ(readPacked<int64_t>(args, 32), 8);
  EXPECT_EQ(readPacked<int64_t>(args, 40), 8); // row-major strides
  EXPECT_EQ(readPacked<int64_t>(args, 48), 1);
}

TEST(KernelArgs, MemRefExplicitStridesAndOffset) {
  float data[64] = {};
  KernelArgs args;
  args.addMemRef(data, {3, 4}, {1, 3}, 5); // a column-major view at +5
  ASSERT_TRUE(args.status().ok());
  ASSERT_EQ(args.size(), 7u);
  EXPECT_EQ(readPacked<int64_t>(args, 16), 5);
  EXPECT_EQ(readPacked<int64_t>(args, 24), 3);
  EXPECT_EQ(readPacked<int64_t>(args, 32), 4);
  EXPECT_EQ(readPacked<int64_t>(args, 40), 1);
  EXPECT_EQ(readPacked<int64_t>(args, 48), 3);
}

TEST(KernelArgs, MemRefRank0HasPointersAndOffsetOnly) {
  float x = 0;
  KernelArgs args;
  args.addMemRef(&x, {});
  ASSERT_EQ(args.size(), 3u);
  expectSlot(args, 2, ArgKind::I64, 16, 8);
  EXPECT_EQ(args.packedSize(), 24u);
}

// Scalars sit at multiples of their own size; i32/f32 pack in pairs, an i64
// or pointer after an odd number of 4-byte values skips 4 bytes of padding.
TEST(KernelArgs, ScalarsAreNaturallyAligned) {
  int dummy = 0;
  KernelArgs args;
  args.addI32(1).addI64(2).addF32(3.5f).addI32(-4).addPtr(&dummy).addF32(6.f);
  ASSERT_EQ(args.size(), 6u);
  expectSlot(args, 0, ArgKind::I32, 0, 4);
  expectSlot(args, 1, ArgKind::I64, 8, 8);
  expectSlot(args, 2, ArgKind::F32, 16, 4);
  expectSlot(args, 3, ArgKind::I32, 20, 4);
  expectSlot(args, 4, ArgKind::Ptr, 24, 8);
  expectSlot(args, 5, ArgKind::F32, 32, 4);
  EXPECT_EQ(args.packedSize(), 36u); // no trailing padding
  EXPECT_EQ(readPacked<int32_t>(args, 0), 1);
  EXPECT_EQ(readPacked<int32_t>(args, 4), 0) << "padding must be zero";
  EXPECT_EQ(readPacked<int64_t>(args, 8), 2);
  EXPECT_EQ(readPacked<float>(args, 16), 3.5f);
  EXPECT_EQ(readPacked<int32_t>(args, 20), -4);
  EXPECT_EQ(readPacked<void *>(args, 24), static_cast<void *>(&dummy));
  EXPECT_EQ(readPacked<float>(args, 32), 6.f);
}

TEST(KernelArgs, MemRefAfterI32IsPadded) {
  float data[4] = {};
  KernelArgs args;
  args.addI32(9).addMemRef(data, {4});
  ASSERT_EQ(args.size(), 6u);
  expectSlot(args, 1, ArgKind::Ptr, 8, 8);
  expectSlot(args, 5, ArgKind::I64, 40, 8);
  EXPECT_EQ(args.packedSize(), 48u);
}

// func(%a: memref<?x?xf32>, %b: memref<?xf16>, %n: i32, %alpha: f32) as
// MLIR's lowering passes it: 7 + 5 + 2 = 14 values.
TEST(KernelArgs, LoweredSignature) {
  float a[6] = {};
  uint16_t b[3] = {};
  KernelArgs args;
  args.addMemRef(a, {2, 3}).addMemRef(b, {3}).addI32(42).addF32(0.5f);
  ASSERT_EQ(args.size(), 14u);
  expectSlot(args, 7, ArgKind::Ptr, 56, 8);  // b allocated
  expectSlot(args, 11, ArgKind::I64, 88, 8); // b stride
  expectSlot(args, 12, ArgKind::I32, 96, 4);
  expectSlot(args, 13, ArgKind::F32, 100, 4);
  EXPECT_EQ(args.packedSize(), 104u);
  EXPECT_EQ(readPacked<int64_t>(args, 88), 1);
}

// Form (a): kernelParams()[i] points at value i inside the packed storage.
TEST(KernelArgs, KernelParamsPointIntoPackedValues) {
  float data[8] = {};
  KernelArgs args;
  args.addMemRef(data, {8}).addI32(7).addI64(-3).addF32(2.25f);
  void **params = args.kernelParams();
  const char *base = static_cast<const char *>(args.packed());
  for (size_t i = 0; i < args.size(); ++i)
    EXPECT_EQ(static_cast<const char *>(params[i]),
              base + args.slots()[i].offset);
  EXPECT_EQ(*static_cast<float **>(params[1]), data);
  EXPECT_EQ(*static_cast<int64_t *>(params[3]), 8);
  EXPECT_EQ(*static_cast<int32_t *>(params[5]), 7);
  EXPECT_EQ(*static_cast<int64_t *>(params[6]), -3);
  EXPECT_EQ(*static_cast<float *>(params[7]), 2.25f);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(base) % 8, 0u);
}

TEST(KernelArgs, CopiesPointIntoTheirOwnStorage) {
  KernelArgs args;
  args.addI64(11).addI32(12);
  KernelArgs copy = args;
  copy.addI32(13);
  void **params = copy.kernelParams();
  const char *base = static_cast<const char *>(copy.packed());
  EXPECT_NE(base, static_cast<const char *>(args.packed()));
  EXPECT_EQ(static_cast<const char *>(params[0]), base);
  EXPECT_EQ(*static_cast<int64_t *>(params[0]), 11);
  EXPECT_EQ(*static_cast<int32_t *>(params[2]), 13);
  EXPECT_EQ(args.size(), 2u);
}

TEST(KernelArgs, MismatchedStridesAreReported) {
  float data[8] = {};
  KernelArgs args;
  args.addI32(1).addMemRef(data, {2, 4}, {4});
  ASSERT_FALSE(args.status().ok());
  EXPECT_NE(
      args.status().message().find(
          "memref argument 0 (argument value 1) has 2 sizes but 1 strides"),
      std::string::npos)
      << args.status().message();
  // The layout still follows the declared rank.
  EXPECT_EQ(args.size(), 8u);
}

TEST(KernelArgs, NegativeSizeIsReported) {
  float data[1] = {};
  KernelArgs args;
  args.addMemRef(data, {-1});
  ASSERT_FALSE(args.status().ok());
  EXPECT_NE(args.status().message().find("negative size -1"),
            std::string::npos);
}

TEST(KernelArgs, Empty) {
  KernelArgs args;
  EXPECT_EQ(args.size(), 0u);
  EXPECT_EQ(args.packedSize(), 0u);
  EXPECT_TRUE(args.status().ok());
}

} // namespace
