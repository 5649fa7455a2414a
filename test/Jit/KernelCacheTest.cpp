//===- KernelCacheTest.cpp - the JIT's kernel cache under faults ----------===//
//
// Every fault the cache must survive: truncated, corrupted, foreign-version
// and wrong-key entries, unusable and missing directories, a size cap smaller
// than an entry, eviction order, many threads and many processes asking for
// the same cold key.
//
//===----------------------------------------------------------------------===//

#include "moec/Jit/KernelCache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace moec::jit;
namespace fs = std::filesystem;

namespace {

/// A fresh directory per test, removed afterwards.
class CacheTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string tmpl =
        (fs::temp_directory_path() / "moec-cache-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root = tmpl;
    dir = root + "/cache";
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(root, fs::perms::owner_all, ec);
    fs::remove_all(root, ec);
  }

  /// Options that collect warnings instead of printing them.
  CacheOptions opts(uint64_t maxBytes = 1 << 20) {
    CacheOptions o;
    o.directory = dir;
    o.maxBytes = maxBytes;
    o.warn = [this](const std::string &w) { warnings.push_back(w); };
    return o;
  }

  static KernelCache::CompileFn produce(std::string payload,
                                        std::atomic<int> *calls = nullptr) {
    return [payload, calls](std::string &out, std::string &) {
      if (calls)
        ++*calls;
      out = payload;
      return true;
    };
  }

  static std::string readFile(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  static void writeFile(const std::string &path, const std::string &bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
  }

  /// Puts an entry for `key` on disk through a first cache, then damages it
  /// with `damage`, then checks that a second cache (a new process, as far
  /// as the memory level goes) detects it, says so once, recompiles, and
  /// leaves a whole entry behind.
  void checkDamaged(const std::function<void(std::string &file)> &damage,
                    const char *expectInWarning) {
    CacheKey key = KernelCache::hashKey("kernel A");
    {
      KernelCache first(opts());
      auto r = first.getOrCompile(key, "A", produce("payload-A-v1"));
      ASSERT_TRUE(r.payload);
    }
    std::string path = dir + "/" + key.hex() + ".moeck";
    std::string bytes = readFile(path);
    ASSERT_FALSE(bytes.empty());
    damage(bytes);
    writeFile(path, bytes);

    KernelCache second(opts());
    EXPECT_EQ(second.lookup(key), nullptr) << "a damaged entry was loaded";
    std::atomic<int> calls{0};
    auto r = second.getOrCompile(key, "A", produce("payload-A-v2", &calls));
    ASSERT_TRUE(r.payload);
    EXPECT_EQ(*r.payload, "payload-A-v2");
    EXPECT_EQ(r.source, CacheSource::Compiled);
    EXPECT_EQ(calls.load(), 1);
    ASSERT_EQ(warnings.size(), 1u) << "reported once";
    EXPECT_NE(warnings[0].find(expectInWarning), std::string::npos)
        << warnings[0];
    EXPECT_GE(second.stats().corruptEntries, 1u);

    // Replaced by a whole entry that a third cache loads from disk.
    KernelCache third(opts());
    CacheSource src;
    auto again = third.lookup(key, &src);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, "payload-A-v2");
    EXPECT_EQ(src, CacheSource::Disk);
    auto entries = KernelCache::listDirectory(dir);
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].problem, "");
  }

  std::string root, dir;
  std::vector<std::string> warnings;
};

TEST(CacheKeyTest, HexRoundTripAndSensitivity) {
  CacheKey a = KernelCache::hashKey("gemm block_m=64");
  CacheKey b = KernelCache::hashKey("gemm block_m=32");
  EXPECT_NE(a, b);
  EXPECT_EQ(a, KernelCache::hashKey("gemm block_m=64"));
  EXPECT_EQ(a.hex().size(), 32u);
  EXPECT_EQ(CacheKey::fromHex(a.hex()), a);
  EXPECT_FALSE(CacheKey::fromHex("xyz"));
  EXPECT_FALSE(CacheKey::fromHex(std::string(32, 'g')));
}

TEST_F(CacheTest, CompileOnceThenMemoryThenDisk) {
  CacheKey key = KernelCache::hashKey("k");
  std::atomic<int> calls{0};
  {
    KernelCache cache(opts());
    EXPECT_TRUE(cache.onDisk());
    auto r1 = cache.getOrCompile(key, "desc", produce("bytes", &calls));
    ASSERT_TRUE(r1.payload);
    EXPECT_EQ(r1.source, CacheSource::Compiled);
    auto r2 = cache.getOrCompile(key, "desc", produce("other", &calls));
    EXPECT_EQ(r2.source, CacheSource::Memory);
    EXPECT_EQ(*r2.payload, "bytes");
    EXPECT_EQ(calls.load(), 1);
  }
  KernelCache fresh(opts());
  auto r3 = fresh.getOrCompile(key, "desc", produce("other", &calls));
  EXPECT_EQ(r3.source, CacheSource::Disk);
  EXPECT_EQ(*r3.payload, "bytes");
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(fresh.stats().diskHits, 1u);
  EXPECT_TRUE(warnings.empty());
  auto list = KernelCache::listDirectory(dir);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].description, "desc");
  EXPECT_EQ(list[0].keyHex, key.hex());
}

TEST_F(CacheTest, TruncatedEntry) {
  checkDamaged([](std::string &f) { f.resize(f.size() - 3); }, "truncated");
}

TEST_F(CacheTest, TruncatedInsideHeader) {
  checkDamaged([](std::string &f) { f.resize(20); }, "truncated");
}

TEST_F(CacheTest, FlippedPayloadByte) {
  checkDamaged([](std::string &f) { f[f.size() - 2] ^= 0x10; }, "checksum");
}

TEST_F(CacheTest, ForeignFormatVersion) {
  checkDamaged([](std::string &f) { f[8] = 7; }, "format version 7");
}

TEST_F(CacheTest, ForeignFile) {
  checkDamaged([](std::string &f) { f = "garbage that is long enough to be "
                                        "mistaken for a header by a naive "
                                        "reader"; },
               "bad magic");
}

TEST_F(CacheTest, WrongKey) {
  // The entry of key B copied to key A's file name.
  checkDamaged(
      [](std::string &f) {
        CacheKey other = KernelCache::hashKey("kernel B");
        std::memcpy(&f[16], other.bytes.data(), 16);
      },
      "holds key");
}

TEST_F(CacheTest, MissingDirectoryIsCreated) {
  CacheOptions o = opts();
  o.directory = dir + "/deeper/still";
  KernelCache cache(o);
  EXPECT_TRUE(cache.onDisk());
  auto r = cache.getOrCompile(KernelCache::hashKey("x"), "", produce("p"));
  ASSERT_TRUE(r.payload);
  EXPECT_EQ(KernelCache::listDirectory(o.directory).size(), 1u);
  EXPECT_TRUE(warnings.empty());
}

TEST_F(CacheTest, UncreatableDirectoryIsMemoryOnly) {
  // A directory below a regular file cannot be made, not even by root.
  writeFile(root + "/file", "x");
  CacheOptions o = opts();
  o.directory = root + "/file/cache";
  KernelCache cache(o);
  EXPECT_FALSE(cache.onDisk());
  std::atomic<int> calls{0};
  CacheKey key = KernelCache::hashKey("x");
  for (int i = 0; i < 3; ++i) {
    auto r = cache.getOrCompile(key, "", produce("p", &calls));
    ASSERT_TRUE(r.payload);
    EXPECT_EQ(*r.payload, "p");
  }
  EXPECT_EQ(calls.load(), 1);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("memory-only"), std::string::npos) << warnings[0];
}

TEST_F(CacheTest, ReadOnlyDirectoryIsMemoryOnly) {
  std::string ro;
  if (::geteuid() == 0) {
    // Root writes anywhere permissions say no; /proc refuses new files.
    ro = "/proc/self";
  } else {
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec);
    ro = dir;
  }
  CacheOptions o = opts();
  o.directory = ro;
  KernelCache cache(o);
  EXPECT_FALSE(cache.onDisk());
  auto r1 = cache.getOrCompile(KernelCache::hashKey("a"), "", produce("1"));
  auto r2 = cache.getOrCompile(KernelCache::hashKey("b"), "", produce("2"));
  ASSERT_TRUE(r1.payload && r2.payload);
  EXPECT_EQ(*r2.payload, "2");
  ASSERT_EQ(warnings.size(), 1u) << "one warning, not one per entry";
  EXPECT_NE(warnings[0].find("cannot write"), std::string::npos)
      << warnings[0];
}

TEST_F(CacheTest, EntryLargerThanCapStaysInMemory) {
  // "Full disk": a cap smaller than one entry.
  KernelCache cache(opts(/*maxBytes=*/64));
  std::string big(1000, 'z');
  CacheKey k1 = KernelCache::hashKey("1"), k2 = KernelCache::hashKey("2");
  auto r = cache.getOrCompile(k1, "", produce(big));
  ASSERT_TRUE(r.payload);
  EXPECT_EQ(*r.payload, big);
  EXPECT_TRUE(cache.getOrCompile(k2, "", produce(big)).payload);
  EXPECT_EQ(cache.getOrCompile(k1, "", produce("x")).source,
            CacheSource::Memory);
  EXPECT_TRUE(KernelCache::listDirectory(dir).empty());
  EXPECT_EQ(cache.stats().writeFailures, 2u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("cap"), std::string::npos) << warnings[0];
}

TEST_F(CacheTest, LeastRecentlyUsedIsEvicted) {
  std::string payload(400, 'p');
  // Room for two entries (header + description + payload ~ 450 bytes each).
  KernelCache cache(opts(/*maxBytes=*/1000));
  CacheKey a = KernelCache::hashKey("a"), b = KernelCache::hashKey("b"),
           c = KernelCache::hashKey("c");
  auto pause = [] { std::this_thread::sleep_for(std::chrono::milliseconds(20)); };
  ASSERT_TRUE(cache.getOrCompile(a, "a", produce(payload)).payload);
  pause();
  ASSERT_TRUE(cache.getOrCompile(b, "b", produce(payload)).payload);
  pause();
  // A disk hit on a (from a second cache, as a new process would) makes b
  // the least recently used.
  {
    KernelCache reader(opts(1000));
    CacheSource src;
    ASSERT_TRUE(reader.lookup(a, &src));
    EXPECT_EQ(src, CacheSource::Disk);
  }
  pause();
  ASSERT_TRUE(cache.getOrCompile(c, "c", produce(payload)).payload);
  EXPECT_TRUE(fs::exists(cache.entryPath(a)));
  EXPECT_FALSE(fs::exists(cache.entryPath(b))) << "b was least recently used";
  EXPECT_TRUE(fs::exists(cache.entryPath(c)));
  EXPECT_EQ(cache.stats().evictions, 1u);
  uint64_t total = 0;
  for (auto &e : KernelCache::listDirectory(dir))
    total += e.fileBytes;
  EXPECT_LE(total, 1000u);
}

TEST_F(CacheTest, ManyThreadsOneKeyCompileOnce) {
  KernelCache cache(opts());
  CacheKey key = KernelCache::hashKey("shared");
  std::atomic<int> calls{0};
  auto slow = [&](std::string &out, std::string &) {
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    out = "the kernel";
    return true;
  };
  std::vector<std::thread> threads;
  std::vector<std::string> got(16);
  for (int i = 0; i < 16; ++i)
    threads.emplace_back([&, i] {
      auto r = cache.getOrCompile(key, "", slow);
      got[i] = r.payload ? *r.payload : "<null>";
    });
  for (auto &t : threads)
    t.join();
  EXPECT_EQ(calls.load(), 1);
  for (auto &g : got)
    EXPECT_EQ(g, "the kernel");
}

TEST_F(CacheTest, CompileFailureReachesEveryWaiterAndIsNotCached) {
  KernelCache cache(opts());
  CacheKey key = KernelCache::hashKey("bad");
  std::atomic<int> calls{0};
  auto failing = [&](std::string &, std::string &err) {
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    err = "block_m = 48 must be a power of two";
    return false;
  };
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      auto r = cache.getOrCompile(key, "", failing);
      if (!r.payload && r.error.find("power of two") != std::string::npos)
        ++errors;
    });
  for (auto &t : threads)
    t.join();
  EXPECT_EQ(errors.load(), 4);
  EXPECT_EQ(calls.load(), 1);
  EXPECT_TRUE(KernelCache::listDirectory(dir).empty());
  // Not cached: the next request tries again.
  auto r = cache.getOrCompile(key, "", produce("ok"));
  EXPECT_TRUE(r.payload);
}

TEST_F(CacheTest, ManyProcessesColdCacheOneKey) {
  // Several processes start on a cold cache at once and ask for one key:
  // each gets the right payload, and the entry left behind is whole.
  CacheKey key = KernelCache::hashKey("race");
  std::string payload;
  for (int i = 0; i < (1 << 20); ++i)
    payload.push_back(static_cast<char>(i * 7 + (i >> 9)));
  const int kProcs = 6;
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int rc = 0;
      for (int round = 0; round < 20 && rc == 0; ++round) {
        CacheOptions o;
        o.directory = dir;
        o.maxBytes = 64 << 20;
        o.warn = [&](const std::string &) { rc = 3; };
        KernelCache cache(o);
        auto r = cache.getOrCompile(key, "race", [&](std::string &out,
                                                     std::string &) {
          out = payload;
          return true;
        });
        if (!r.payload)
          rc = 1;
        else if (*r.payload != payload)
          rc = 2;
      }
      ::_exit(rc);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0)
        << "1: no payload, 2: wrong payload, 3: a warning (bad entry seen)";
  }
  auto entries = KernelCache::listDirectory(dir);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].problem, "");
  for (auto &f : fs::directory_iterator(dir))
    EXPECT_EQ(f.path().filename().string().find(".tmp."), std::string::npos)
        << "temporary left behind: " << f.path();
  KernelCache check(opts(64 << 20));
  auto got = check.lookup(key);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, payload);
}

TEST_F(CacheTest, ClearDirectory) {
  KernelCache cache(opts());
  for (const char *k : {"a", "b", "c"})
    ASSERT_TRUE(cache.getOrCompile(KernelCache::hashKey(k), k, produce(k)).payload);
  writeFile(dir + "/unrelated.txt", "keep me");
  writeFile(dir + "/" + std::string(32, '0') + ".moeck.tmp.1.2", "stale");
  EXPECT_EQ(KernelCache::listDirectory(dir).size(), 3u);
  std::string error;
  EXPECT_EQ(KernelCache::clearDirectory(dir, error), 4);
  EXPECT_TRUE(KernelCache::listDirectory(dir).empty());
  EXPECT_TRUE(fs::exists(dir + "/unrelated.txt"));
  EXPECT_EQ(KernelCache::clearDirectory(root + "/nowhere", error), 0);
}

TEST_F(CacheTest, EnvironmentPicksTheDirectory) {
  const char *saved = std::getenv("MOEC_CACHE_DIR");
  std::string savedValue = saved ? saved : "";
  ::setenv("MOEC_CACHE_DIR", dir.c_str(), 1);
  EXPECT_EQ(KernelCache::defaultDirectory(), dir);
  ::unsetenv("MOEC_CACHE_DIR");
  const char *xdg = std::getenv("XDG_CACHE_HOME");
  std::string xdgValue = xdg ? xdg : "";
  ::setenv("XDG_CACHE_HOME", "/x/y", 1);
  EXPECT_EQ(KernelCache::defaultDirectory(), "/x/y/moec");
  if (xdg)
    ::setenv("XDG_CACHE_HOME", xdgValue.c_str(), 1);
  else
    ::unsetenv("XDG_CACHE_HOME");
  if (saved)
    ::setenv("MOEC_CACHE_DIR", savedValue.c_str(), 1);
}

} // namespace
