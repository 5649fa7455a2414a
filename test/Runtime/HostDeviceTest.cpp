//===- HostDeviceTest.cpp - host device: buffers, launches, events --------===//
#include "moec/Runtime/Runtime.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

using namespace moec::rt;

namespace {

std::shared_ptr<Device> openHost() {
  auto device = Device::open(DeviceKind::Host);
  EXPECT_TRUE(device.ok()) << device.message();
  return device.ok() ? *device : nullptr;
}

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

/// Sets an environment variable for one scope.
class ScopedEnv {
public:
  ScopedEnv(const char *name, const char *value) : name_(name) {
    if (const char *old = std::getenv(name))
      old_ = old, hadOld_ = true;
    setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (hadOld_)
      setenv(name_, old_.c_str(), 1);
    else
      unsetenv(name_);
  }

private:
  const char *name_;
  std::string old_;
  bool hadOld_ = false;
};

//===----------------------------------------------------------------------===//
// Host kernels of the documented ABI (HostKernel.h), written by hand the
// way the compiler will generate them.
//===----------------------------------------------------------------------===//

/// One memref<?xf32> (or rank-r) descriptor read from args[first...].
struct MemRef1D {
  float *aligned;
  int64_t offset, size, stride;
  float &operator[](int64_t i) const { return aligned[offset + i * stride]; }
};
MemRef1D memref1D(void **args, size_t first) {
  return {*static_cast<float **>(args[first + 1]),
          *static_cast<int64_t *>(args[first + 2]),
          *static_cast<int64_t *>(args[first + 3]),
          *static_cast<int64_t *>(args[first + 4])};
}
struct MemRef2D {
  float *aligned;
  int64_t offset, sizes[2], strides[2];
  float &at(int64_t i, int64_t j) const {
    return aligned[offset + i * strides[0] + j * strides[1]];
  }
};
MemRef2D memref2D(void **args, size_t first) {
  auto i64 = [&](size_t k) { return *static_cast<int64_t *>(args[first + k]); };
  return {*static_cast<float **>(args[first + 1]),
          i64(2),
          {i64(3), i64(4)},
          {i64(5), i64(6)}};
}
int64_t blockId(void **args, size_t numValues, int dim) {
  return *static_cast<int64_t *>(args[numValues + dim]);
}

/// vadd(a, b, c: memref<?xf32>, chunk: i64): workgroup (x, y) of a grid
/// (gx, gy) adds elements [(y * gx + x) * chunk, ... + chunk). 16 values.
constexpr int64_t kVaddGridX = 4;
void vaddKernel(void **args) {
  MemRef1D a = memref1D(args, 0), b = memref1D(args, 5), c = memref1D(args, 10);
  int64_t chunk = *static_cast<int64_t *>(args[15]);
  int64_t block = blockId(args, 16, 1) * kVaddGridX + blockId(args, 16, 0);
  for (int64_t i = block * chunk; i < (block + 1) * chunk && i < c.size; ++i)
    c[i] = a[i] + b[i];
}

/// matmul(A: MxK, B: KxN, C: MxN, all memref<?x?xf32> with any strides):
/// workgroup (x, y) computes the 8x8 tile of C at rows 8y, columns 8x.
constexpr int64_t kTile = 8;
void matmulKernel(void **args) {
  MemRef2D A = memref2D(args, 0), B = memref2D(args, 7), C = memref2D(args, 14);
  int64_t row0 = blockId(args, 21, 1) * kTile,
          col0 = blockId(args, 21, 0) * kTile;
  int64_t M = C.sizes[0], N = C.sizes[1], K = A.sizes[1];
  for (int64_t i = row0; i < row0 + kTile && i < M; ++i)
    for (int64_t j = col0; j < col0 + kTile && j < N; ++j) {
      float acc = 0;
      for (int64_t k = 0; k < K; ++k)
        acc += A.at(i, k) * B.at(k, j);
      C.at(i, j) = acc;
    }
}

/// count(hits: ptr to int32[gx * gy * gz] of atomics, gx: i64, gy: i64).
void countKernel(void **args) {
  auto *hits = *static_cast<std::atomic<int> **>(args[0]);
  int64_t gx = *static_cast<int64_t *>(args[1]);
  int64_t gy = *static_cast<int64_t *>(args[2]);
  int64_t x = blockId(args, 3, 0), y = blockId(args, 3, 1),
          z = blockId(args, 3, 2);
  hits[(z * gy + y) * gx + x].fetch_add(1);
}

/// Records which thread ran each workgroup: (ids: ptr to std::thread::id[]).
void threadIdKernel(void **args) {
  auto *ids = *static_cast<std::thread::id **>(args[0]);
  ids[blockId(args, 1, 0)] = std::this_thread::get_id();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

/// Reads its scalar, then scribbles over it: no other workgroup may see
/// the scribble. (seen: ptr to int64[], value: i64)
void scribbleKernel(void **args) {
  auto *seen = *static_cast<int64_t **>(args[0]);
  auto *value = static_cast<int64_t *>(args[1]);
  seen[blockId(args, 2, 0)] = *value;
  *value = -1;
}

void sleepKernel(void **) {
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

void throwingKernel(void **args) {
  if (blockId(args, 0, 0) == 2)
    throw std::runtime_error("boom");
}

/// A lane program (HostKernel.h): (out: ptr to int64[grid], lanes: i64).
/// Each lane writes its id into LDS, all meet at a barrier, then lane l
/// reads lane (l + 1) % lanes' slot, a second barrier, and lane 0 sums what
/// the lanes read into out[workgroup]: lanes * (lanes - 1) / 2 only if
/// every lane saw every other lane's write.
void laneSumKernel(void **args) {
  auto *out = *static_cast<int64_t **>(args[0]);
  int64_t lanes = *static_cast<int64_t *>(args[1]);
  auto *lds = static_cast<int64_t *>(moec_host_lds(16 * lanes));
  int64_t tid = moec_host_thread_id();
  lds[tid] = tid;
  moec_host_barrier(0);
  int64_t next = lds[(tid + 1) % lanes];
  lds[lanes + tid] = next;
  moec_host_barrier(1);
  if (tid == 0) {
    int64_t sum = 0;
    for (int64_t l = 0; l < lanes; ++l)
      sum += lds[lanes + l];
    out[blockId(args, 2, 0)] = sum;
  }
}

/// Xor shuffles (out: ptr to int32[grid * lanes]): lane l gets lane l ^ 1's
/// id, then a butterfly over groups of 8 lanes sums their ids.
void shuffleKernel(void **args) {
  auto *out = *static_cast<int32_t **>(args[0]);
  int64_t lanes = *static_cast<int64_t *>(args[1]);
  int32_t tid = static_cast<int32_t>(moec_host_thread_id());
  int32_t x = moec_host_shuffle_xor(tid, 1, 64, 0) == (tid ^ 1) ? tid : -1000;
  for (int32_t off = 4; off >= 1; off /= 2)
    x += moec_host_shuffle_xor(x, off, 64, off);
  out[blockId(args, 2, 0) * lanes + tid] = x;
}

/// Reads a lane outside the 64-lane segment.
void badShuffleKernel(void **) {
  moec_host_shuffle_xor(1, 64, 64, 3);
}

/// Odd lanes return before the barrier the even lanes wait at.
void divergentKernel(void **) {
  if (moec_host_thread_id() % 2)
    return;
  moec_host_barrier(7);
}

/// Lanes below 4 wait at barrier 1, the others at barrier 2.
void splitBarrierKernel(void **) {
  moec_host_barrier(moec_host_thread_id() < 4 ? 1 : 2);
}

//===----------------------------------------------------------------------===//
// Devices and buffers
//===----------------------------------------------------------------------===//

TEST(HostDevice, Open) {
  auto host = openHost();
  ASSERT_TRUE(host);
  EXPECT_EQ(host->kind(), DeviceKind::Host);
  EXPECT_EQ(host->index(), 0);
  EXPECT_EQ(host->arch(), "host");
  EXPECT_FALSE(host->name().empty());
  EXPECT_TRUE(contains(host->label(), "host device 0 ("));
  auto count = Device::count(DeviceKind::Host);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 1);
}

TEST(HostDevice, OnlyIndexZeroExists) {
  auto device = Device::open(DeviceKind::Host, 1);
  ASSERT_FALSE(device.ok());
  EXPECT_TRUE(
      contains(device.message(), "opening host device 1: no such device"))
      << device.message();
}

TEST(HostDevice, DeviceKindNames) {
  EXPECT_STREQ(toString(DeviceKind::Cuda), "cuda");
  auto kind = parseDeviceKind("hip");
  ASSERT_TRUE(kind.ok());
  EXPECT_EQ(*kind, DeviceKind::Hip);
  auto bad = parseDeviceKind("tpu");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(contains(bad.message(), "'tpu'"));
}

TEST(HostBuffer, AllocateCopyFill) {
  auto host = openHost();
  ASSERT_TRUE(host);
  auto buf = host->allocate(100);
  ASSERT_TRUE(buf.ok()) << buf.message();
  EXPECT_EQ(buf->size(), 100u);
  EXPECT_EQ(buf->device(), host.get());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(buf->data()) % 64, 0u);

  std::vector<uint8_t> in(100), out(100, 0);
  for (size_t i = 0; i < in.size(); ++i)
    in[i] = static_cast<uint8_t>(i * 7);
  ASSERT_TRUE(buf->copyFromHost(in).ok());
  ASSERT_TRUE(buf->copyToHost(out).ok());
  EXPECT_EQ(in, out);

  ASSERT_TRUE(buf->fill(0xAB, 10, 20).ok());
  ASSERT_TRUE(buf->copyToHost(out).ok());
  for (size_t i = 0; i < out.size(); ++i)
    EXPECT_EQ(out[i], i >= 20 && i < 30 ? 0xAB : in[i]) << i;
  ASSERT_TRUE(buf->fill(0).ok());
  uint8_t tail[4];
  ASSERT_TRUE(buf->copyToHost(tail, 4, 96).ok());
  EXPECT_EQ(tail[3], 0);
}

TEST(HostBuffer, OutOfRangeIsAnError) {
  auto host = openHost();
  auto buf = host->allocate(64);
  ASSERT_TRUE(buf.ok());
  char data[128] = {0};
  Status s = buf->copyFromHost(data, 128);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(),
                       "Buffer::copyFromHost: 128 bytes at offset 0 exceed "
                       "the buffer's 64 bytes"))
      << s.message();
  EXPECT_FALSE(buf->copyToHost(data, 8, 60).ok());
  EXPECT_FALSE(buf->fill(1, 1, 65).ok());
  EXPECT_TRUE(buf->copyToHost(data, 0, 64).ok()); // empty range at the end
}

// Device out of memory: an error naming the size, never an abort or a
// wrapped size (SIZE_MAX used to round up to 0 bytes and "succeed").
TEST(HostBuffer, OutOfMemoryIsAnError) {
  auto host = openHost();
  for (size_t bytes : {SIZE_MAX, SIZE_MAX - 1, size_t(1) << 62}) {
    auto buf = host->allocate(bytes);
    ASSERT_FALSE(buf.ok()) << bytes << " bytes were allocated";
    EXPECT_TRUE(contains(buf.message(), "allocating " + std::to_string(bytes) +
                                            " bytes on"))
        << buf.message();
  }
}

TEST(HostBuffer, MovesTransferOwnership) {
  auto host = openHost();
  auto made = host->allocate(256);
  ASSERT_TRUE(made.ok());
  Buffer a = std::move(*made);
  void *ptr = a.data();
  ASSERT_TRUE(a.fill(7).ok());

  Buffer b(std::move(a));
  EXPECT_EQ(b.data(), ptr);
  EXPECT_EQ(b.size(), 256u);
  EXPECT_EQ(a.data(), nullptr);
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(a.device(), nullptr);
  EXPECT_FALSE(a.fill(1, 1).ok()) << "a moved-from buffer holds nothing";

  auto other = host->allocate(32);
  ASSERT_TRUE(other.ok());
  Buffer c = std::move(*other);
  c = std::move(b); // frees c's old 32 bytes
  EXPECT_EQ(c.data(), ptr);
  uint8_t byte = 0;
  ASSERT_TRUE(c.copyToHost(&byte, 1, 255).ok());
  EXPECT_EQ(byte, 7);

  EXPECT_TRUE(c.reset().ok());
  EXPECT_EQ(c.data(), nullptr);
  EXPECT_TRUE(c.reset().ok()) << "resetting twice is harmless";
  static_assert(!std::is_copy_constructible_v<Buffer>);
  static_assert(!std::is_copy_assignable_v<Buffer>);
}

TEST(HostBuffer, KeepsItsDeviceAlive) {
  Buffer buf;
  {
    auto host = openHost();
    auto made = host->allocate(16);
    ASSERT_TRUE(made.ok());
    buf = std::move(*made);
  } // the caller's last reference to the device is gone
  ASSERT_NE(buf.device(), nullptr);
  EXPECT_EQ(buf.device()->kind(), DeviceKind::Host);
  EXPECT_TRUE(buf.fill(3).ok());
}

TEST(HostBuffer, ZeroBytes) {
  auto host = openHost();
  auto buf = host->allocate(0);
  ASSERT_TRUE(buf.ok());
  EXPECT_EQ(buf->size(), 0u);
  EXPECT_EQ(buf->data(), nullptr);
  EXPECT_TRUE(buf->fill(1).ok());
}

TEST(HostBuffer, DeviceToDeviceCopy) {
  auto host = openHost();
  auto a = host->allocate(64), b = host->allocate(64);
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<uint8_t> pattern(64);
  for (size_t i = 0; i < 64; ++i)
    pattern[i] = static_cast<uint8_t>(i);
  ASSERT_TRUE(a->copyFromHost(pattern).ok());
  ASSERT_TRUE(b->fill(0).ok());
  ASSERT_TRUE(b->copyFrom(*a, 16, 8, 32).ok());
  std::vector<uint8_t> out(64);
  ASSERT_TRUE(b->copyToHost(out).ok());
  for (size_t i = 0; i < 64; ++i)
    EXPECT_EQ(out[i], i >= 8 && i < 24 ? i + 24 : 0) << i;

  auto otherHost = openHost(); // a second device object
  auto c = otherHost->allocate(64);
  ASSERT_TRUE(c.ok());
  Status s = c->copyFrom(*a, 8);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "different devices")) << s.message();
}

//===----------------------------------------------------------------------===//
// Launches
//===----------------------------------------------------------------------===//

TEST(HostLaunch, VectorAddOver2DGrid) {
  auto host = openHost();
  const int64_t n = 1000, gridY = 3,
                chunk = (n + kVaddGridX * gridY - 1) / (kVaddGridX * gridY);
  std::vector<float> a(n), b(n), c(n, -1.f);
  for (int64_t i = 0; i < n; ++i)
    a[i] = 0.5f * i, b[i] = 1000.f - i;
  auto A = host->allocate(n * 4), B = host->allocate(n * 4),
       C = host->allocate(n * 4);
  ASSERT_TRUE(A.ok() && B.ok() && C.ok());
  ASSERT_TRUE(A->copyFromHost(a).ok() && B->copyFromHost(b).ok());
  ASSERT_TRUE(C->fill(0).ok());

  auto module = host->loadHostModule({{"vadd", vaddKernel}});
  ASSERT_TRUE(module.ok()) << module.message();
  auto kernel = (*module)->getKernel("vadd");
  ASSERT_TRUE(kernel.ok()) << kernel.message();
  EXPECT_EQ(kernel->name(), "vadd");

  KernelArgs args;
  args.addMemRef(*A, {n}).addMemRef(*B, {n}).addMemRef(*C, {n}).addI64(chunk);
  ASSERT_EQ(args.size(), 16u);
  Status s = kernel->launch({kVaddGridX, gridY}, {1, 1, 1}, args);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_TRUE(host->synchronize().ok());
  ASSERT_TRUE(C->copyToHost(c).ok());
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(c[i], a[i] + b[i]) << i;
}

// A tiled matmul with ragged edges, B given column-major through its strides.
TEST(HostLaunch, TiledMatmul) {
  auto host = openHost();
  const int64_t M = 37, N = 29, K = 19;
  std::vector<float> a(M * K), bColMajor(K * N), c(M * N, 0.f);
  for (int64_t i = 0; i < M * K; ++i)
    a[i] = float((i * 13) % 17) - 8.f;
  for (int64_t i = 0; i < K * N; ++i)
    bColMajor[i] = float((i * 7) % 11) * 0.25f - 1.f;
  auto A = host->allocate(a.size() * 4),
       B = host->allocate(bColMajor.size() * 4),
       C = host->allocate(c.size() * 4);
  ASSERT_TRUE(A.ok() && B.ok() && C.ok());
  ASSERT_TRUE(A->copyFromHost(a).ok() && B->copyFromHost(bColMajor).ok());
  ASSERT_TRUE(C->fill(0xFF).ok()); // NaNs where a tile is missed

  auto module = host->loadHostModule({{"matmul", matmulKernel}});
  ASSERT_TRUE(module.ok());
  auto kernel = (*module)->getKernel("matmul");
  ASSERT_TRUE(kernel.ok());
  KernelArgs args;
  args.addMemRef(*A, {M, K})
      .addMemRef(*B, {K, N}, /*strides=*/{1, K})
      .addMemRef(*C, {M, N});
  Dim3 grid((N + kTile - 1) / kTile, (M + kTile - 1) / kTile);
  Status s = kernel->launch(grid, {1}, args);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_TRUE(C->copyToHost(c).ok());
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      float ref = 0;
      for (int64_t k = 0; k < K; ++k)
        ref += a[i * K + k] * bColMajor[j * K + k];
      ASSERT_NEAR(c[i * N + j], ref, 1e-4f * (1 + std::fabs(ref)))
          << "C[" << i << "][" << j << "]";
    }
}

TEST(HostLaunch, EveryWorkgroupOfA3DGridRunsOnce) {
  auto host = openHost();
  const int64_t gx = 3, gy = 4, gz = 5;
  std::vector<std::atomic<int>> hits(gx * gy * gz);
  auto module = host->loadHostModule({{"count", countKernel}});
  ASSERT_TRUE(module.ok());
  auto kernel = (*module)->getKernel("count");
  ASSERT_TRUE(kernel.ok());
  KernelArgs args;
  args.addPtr(hits.data()).addI64(gx).addI64(gy);
  ASSERT_TRUE(kernel->launch({gx, gy, gz}, {1, 1, 1}, args).ok());
  for (size_t i = 0; i < hits.size(); ++i)
    EXPECT_EQ(hits[i].load(), 1) << "workgroup " << i;
}

TEST(HostLaunch, EachWorkgroupGetsItsOwnArguments) {
  auto host = openHost();
  const int64_t groups = 64;
  std::vector<int64_t> seen(groups, 0);
  auto module = host->loadHostModule({{"scribble", scribbleKernel}});
  ASSERT_TRUE(module.ok());
  auto kernel = (*module)->getKernel("scribble");
  ASSERT_TRUE(kernel.ok());
  KernelArgs args;
  args.addPtr(seen.data()).addI64(77);
  ASSERT_TRUE(kernel->launch({groups}, {1}, args).ok());
  for (int64_t i = 0; i < groups; ++i)
    EXPECT_EQ(seen[i], 77) << "workgroup " << i;
  EXPECT_EQ(*static_cast<int64_t *>(args.kernelParams()[1]), 77)
      << "the caller's arguments are untouched";
}

TEST(HostLaunch, ThreadCountFromEnvironment) {
  const int64_t groups = 12;
  std::vector<std::thread::id> ids(groups);
  KernelArgs args;
  args.addPtr(ids.data());
  {
    ScopedEnv env("MOEC_HOST_THREADS", "1");
    auto host = openHost();
    auto module = host->loadHostModule({{"tid", threadIdKernel}});
    ASSERT_TRUE(module.ok());
    auto kernel = (*module)->getKernel("tid");
    ASSERT_TRUE(kernel.ok());
    ASSERT_TRUE(kernel->launch({groups}, {1}, args).ok());
    for (const auto &id : ids)
      EXPECT_EQ(id, std::this_thread::get_id()) << "one thread: the caller";
  }
  {
    ScopedEnv env("MOEC_HOST_THREADS", "3");
    auto host = openHost();
    auto module = host->loadHostModule({{"tid", threadIdKernel}});
    ASSERT_TRUE(module.ok());
    auto kernel = (*module)->getKernel("tid");
    ASSERT_TRUE(kernel.ok());
    ASSERT_TRUE(kernel->launch({groups}, {1}, args).ok());
    std::set<std::thread::id> distinct(ids.begin(), ids.end());
    EXPECT_LE(distinct.size(), 3u);
    EXPECT_GE(distinct.size(), 1u);
  }
  {
    ScopedEnv env("MOEC_HOST_THREADS", "lots");
    auto host = Device::open(DeviceKind::Host);
    ASSERT_FALSE(host.ok());
    EXPECT_TRUE(contains(host.message(), "MOEC_HOST_THREADS='lots'"))
        << host.message();
  }
}

TEST(HostLaunch, KernelKeepsItsModuleLoaded) {
  auto host = openHost();
  std::vector<std::atomic<int>> hits(2);
  Kernel kernel;
  {
    auto module = host->loadHostModule({{"count", countKernel}});
    ASSERT_TRUE(module.ok());
    auto k = (*module)->getKernel("count");
    ASSERT_TRUE(k.ok());
    kernel = *k;
  }
  KernelArgs args;
  args.addPtr(hits.data()).addI64(2).addI64(1);
  ASSERT_TRUE(kernel.launch({2}, {1}, args).ok());
  EXPECT_EQ(hits[0].load() + hits[1].load(), 2);
}

//===----------------------------------------------------------------------===//
// Error paths
//===----------------------------------------------------------------------===//

TEST(HostErrors, UnknownKernelName) {
  auto host = openHost();
  auto module =
      host->loadHostModule({{"vadd", vaddKernel}, {"count", countKernel}});
  ASSERT_TRUE(module.ok());
  auto kernel = (*module)->getKernel("vsub");
  ASSERT_FALSE(kernel.ok());
  EXPECT_TRUE(contains(kernel.message(), "looking up kernel 'vsub'"))
      << kernel.message();
  EXPECT_TRUE(
      contains(kernel.message(), "no such kernel; the module has count, vadd"))
      << kernel.message();
}

TEST(HostErrors, BadBlockDims) {
  auto host = openHost();
  auto module = host->loadHostModule({{"count", countKernel}});
  auto kernel = (*module)->getKernel("count");
  ASSERT_TRUE(kernel.ok());
  std::vector<std::atomic<int>> hits(1);
  KernelArgs args;
  args.addPtr(hits.data()).addI64(1).addI64(1);
  Status s = kernel->launch({1}, {2048, 1, 1}, args);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(
      contains(s.message(), "launching kernel 'count' on host device 0"))
      << s.message();
  EXPECT_TRUE(contains(s.message(), "block (2048, 1, 1) is not supported"))
      << s.message();
  EXPECT_TRUE(contains(s.message(), "block.y and block.z must be 1"))
      << s.message();
  EXPECT_FALSE(kernel->launch({1}, {1, 2, 1}, args).ok());
  EXPECT_EQ(hits[0].load(), 0) << "nothing ran";

  Status empty = kernel->launch({0, 1}, {1}, args);
  ASSERT_FALSE(empty.ok());
  EXPECT_TRUE(contains(empty.message(), "grid (0, 1, 1) is empty"));

  Status shared = kernel->launch({1}, {1}, 1024, args);
  ASSERT_FALSE(shared.ok());
  EXPECT_TRUE(contains(shared.message(), "dynamic shared memory"));
}

TEST(HostLanes, LanesShareLdsAndMeetAtBarriers) {
  auto host = openHost();
  auto module = host->loadHostModule({{"sum", laneSumKernel}});
  ASSERT_TRUE(module.ok());
  auto kernel = (*module)->getKernel("sum");
  ASSERT_TRUE(kernel.ok());
  for (int64_t lanes : {1, 2, 64, 256, 1024}) {
    const int64_t groups = 9;
    std::vector<int64_t> out(groups, -1);
    KernelArgs args;
    args.addPtr(out.data()).addI64(lanes);
    Status s = kernel->launch({groups}, {static_cast<unsigned>(lanes)}, args);
    ASSERT_TRUE(s.ok()) << s.message();
    for (int64_t g = 0; g < groups; ++g)
      EXPECT_EQ(out[g], lanes * (lanes - 1) / 2)
          << "lanes " << lanes << ", workgroup " << g;
  }
}

TEST(HostLanes, XorShuffles) {
  auto host = openHost();
  auto module = host->loadHostModule(
      {{"shuffle", shuffleKernel}, {"bad", badShuffleKernel}});
  ASSERT_TRUE(module.ok());
  auto kernel = (*module)->getKernel("shuffle");
  ASSERT_TRUE(kernel.ok());
  const int64_t lanes = 256, groups = 3;
  std::vector<int32_t> out(lanes * groups, -1);
  KernelArgs args;
  args.addPtr(out.data()).addI64(lanes);
  Status s = kernel->launch({groups}, {lanes}, args);
  ASSERT_TRUE(s.ok()) << s.message();
  for (int64_t g = 0; g < groups; ++g)
    for (int32_t l = 0; l < lanes; ++l) {
      int32_t first = l & ~7;
      EXPECT_EQ(out[g * lanes + l], 8 * first + 28) << "lane " << l;
    }
  auto bad = (*module)->getKernel("bad");
  ASSERT_TRUE(bad.ok());
  KernelArgs none;
  s = bad->launch({1}, {128}, none);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "lane 0 of workgroup (0, 0, 0): "
                                    "gpu.shuffle xor 64 (number 3) reads lane "
                                    "64, outside its 64-lane segment"))
      << s.message();
}

TEST(HostLanes, DivergentBarriersFailTheLaunch) {
  auto host = openHost();
  auto module = host->loadHostModule(
      {{"divergent", divergentKernel}, {"split", splitBarrierKernel}});
  ASSERT_TRUE(module.ok());
  auto divergent = (*module)->getKernel("divergent");
  ASSERT_TRUE(divergent.ok());
  KernelArgs args;
  Status s = divergent->launch({1}, {8}, args);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(),
                       "divergent barrier in workgroup (0, 0, 0): lanes 0, "
                       "2, 4, 6 wait at barrier 7 while lanes 1, 3, 5, 7 "
                       "returned"))
      << s.message();
  auto split = (*module)->getKernel("split");
  ASSERT_TRUE(split.ok());
  s = split->launch({2}, {8}, args);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "lanes 0-3 wait at barrier 1, lanes 4-7 "
                                    "at barrier 2"))
      << s.message();
  // One lane never waits: the same kernels run.
  EXPECT_TRUE(divergent->launch({3}, {1}, args).ok());
  EXPECT_TRUE(split->launch({3}, {1}, args).ok());
}

// Grids from run-time ints and size_ts need no casts; nonsense is an error.
TEST(HostLaunch, DimsFromAnyIntegerType) {
  auto host = openHost();
  auto module = host->loadHostModule({{"count", countKernel}});
  auto kernel = (*module)->getKernel("count");
  ASSERT_TRUE(kernel.ok());
  int gx = 3;
  size_t gy = 2;
  std::vector<std::atomic<int>> hits(6);
  KernelArgs args;
  args.addPtr(hits.data()).addI64(gx).addI64(int64_t(gy));
  ASSERT_TRUE(kernel->launch({gx, gy}, {1}, args).ok());
  for (auto &h : hits)
    EXPECT_EQ(h.load(), 1);

  int negative = -2;
  Status s = kernel->launch({negative}, {1}, args);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(),
                       "grid (-2, 1, 1) has a dimension outside [1, 2^32 - 1]"))
      << s.message();
  EXPECT_FALSE(kernel->launch({int64_t(1) << 32}, {1}, args).ok());
}

TEST(HostErrors, MalformedArgumentsAreReportedAtLaunch) {
  auto host = openHost();
  auto module = host->loadHostModule({{"count", countKernel}});
  auto kernel = (*module)->getKernel("count");
  ASSERT_TRUE(kernel.ok());
  float x[4] = {};
  KernelArgs args;
  args.addMemRef(x, {2, 2}, {1});
  Status s = kernel->launch({1}, {1}, args);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.message(), "has 2 sizes but 1 strides"))
      << s.message();
}

TEST(HostErrors, ModuleLoading) {
  auto host = openHost();
  const char image[] = "\x7f"
                       "ELF....";
  auto fromImage = host->loadModule(image, sizeof(image));
  ASSERT_FALSE(fromImage.ok());
  EXPECT_TRUE(contains(fromImage.message(), "loadHostModule"))
      << fromImage.message();

  auto nullFn = host->loadHostModule({{"broken", nullptr}});
  ASSERT_FALSE(nullFn.ok());
  EXPECT_TRUE(contains(nullFn.message(),
                       "kernel 'broken' has a null function pointer"));

  auto empty = host->loadModule(nullptr, 0);
  ASSERT_FALSE(empty.ok());
  EXPECT_TRUE(contains(empty.message(), "the image is empty"));

  Kernel none;
  KernelArgs args;
  EXPECT_FALSE(none.launch({1}, {1}, args).ok());
}

TEST(HostErrors, ThrowingKernelBecomesAnError) {
  auto host = openHost();
  auto module = host->loadHostModule({{"throws", throwingKernel}});
  auto kernel = (*module)->getKernel("throws");
  ASSERT_TRUE(kernel.ok());
  KernelArgs args;
  Status s = kernel->launch({4}, {1}, args);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(
      contains(s.message(), "threw a C++ exception in workgroup (2, 0, 0)"))
      << s.message();
}

//===----------------------------------------------------------------------===//
// Events
//===----------------------------------------------------------------------===//

TEST(HostEvents, MeasureWallTime) {
  auto host = openHost();
  auto module = host->loadHostModule({{"sleep", sleepKernel}});
  auto kernel = (*module)->getKernel("sleep");
  ASSERT_TRUE(kernel.ok());
  auto timer = Timer::create(*host);
  ASSERT_TRUE(timer.ok()) << timer.message();
  KernelArgs args;
  ASSERT_TRUE(timer->start().ok());
  ASSERT_TRUE(kernel->launch({1}, {1}, args).ok());
  ASSERT_TRUE(timer->stop().ok());
  auto ms = timer->elapsedMs();
  ASSERT_TRUE(ms.ok()) << ms.message();
  EXPECT_GE(*ms, 19.f);
  EXPECT_LT(*ms, 5000.f);
}

TEST(HostEvents, UnrecordedEventIsAnError) {
  auto host = openHost();
  auto start = host->createEvent(), end = host->createEvent();
  ASSERT_TRUE(start.ok() && end.ok());
  ASSERT_TRUE(end->record().ok());
  auto ms = Event::elapsedMs(*start, *end);
  ASSERT_FALSE(ms.ok());
  EXPECT_TRUE(contains(ms.message(), "start event was never recorded"))
      << ms.message();

  Event moved = std::move(*end);
  EXPECT_FALSE(end->record().ok()) << "a moved-from event is empty";
  EXPECT_TRUE(moved.record().ok());
}

} // namespace
