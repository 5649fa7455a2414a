//===- KernelCache.cpp - compiled kernels in memory and on disk -----------===//

#include "moec/Jit/KernelCache.h"
#include "moec/Jit/Log.h"
#include "moec/Jit/Trace.h"

#include "llvm/Support/xxhash.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fcntl.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace moec::jit;
namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'M', 'O', 'E', 'C', 'K', 'C', '\r', '\n'};

void putLE(std::string &out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
uint64_t getLE(const char *p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

uint64_t checksum(const char *desc, size_t descLen, const char *payload,
                  size_t payloadLen) {
  // One xxh3 over description + payload without copying them together:
  // hash each and mix.
  uint64_t a = llvm::xxh3_64bits(
      llvm::ArrayRef(reinterpret_cast<const uint8_t *>(desc), descLen));
  uint64_t b = llvm::xxh3_64bits(
      llvm::ArrayRef(reinterpret_cast<const uint8_t *>(payload), payloadLen));
  return a ^ (b * 0x9E3779B97F4A7C15ull + 0x7F4A7C159E3779B9ull);
}

std::string errnoText() { return std::strerror(errno); }

bool readWholeFile(const std::string &path, std::string &out,
                   std::string &error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = errnoText();
    return false;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    error = errnoText();
    ::close(fd);
    return false;
  }
  out.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  ::close(fd);
  return true;
}

/// Parses an entry file's bytes. Returns the problem, empty when whole.
std::string parseEntry(const std::string &bytes, const CacheKey *expect,
                       CacheKey *keyOut, std::string *descOut,
                       size_t *payloadOffset, size_t *payloadLen) {
  if (bytes.size() < KernelCache::kHeaderBytes)
    return fmt::format("truncated: {} bytes, shorter than the {}-byte header",
                       bytes.size(), KernelCache::kHeaderBytes);
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0)
    return "not a moec cache entry (bad magic)";
  uint32_t version = static_cast<uint32_t>(getLE(bytes.data() + 8, 4));
  if (version != KernelCache::kFormatVersion)
    return fmt::format("format version {} (this moec reads {})", version,
                       KernelCache::kFormatVersion);
  uint64_t descLen = getLE(bytes.data() + 12, 4);
  CacheKey key;
  std::memcpy(key.bytes.data(), bytes.data() + 16, 16);
  if (keyOut)
    *keyOut = key;
  uint64_t payLen = getLE(bytes.data() + 32, 8);
  uint64_t sum = getLE(bytes.data() + 40, 8);
  uint64_t want = KernelCache::kHeaderBytes + descLen + payLen;
  if (payLen > bytes.size() || descLen > bytes.size() || want != bytes.size())
    return fmt::format("truncated or padded: {} bytes, the header says {}",
                       bytes.size(),
                       payLen > bytes.size() ? std::string("more")
                                             : std::to_string(want));
  if (expect && key != *expect)
    return fmt::format("holds key {}, not {}", key.hex(), expect->hex());
  const char *desc = bytes.data() + KernelCache::kHeaderBytes;
  if (checksum(desc, descLen, desc + descLen, payLen) != sum)
    return "checksum mismatch (corrupt payload)";
  if (descOut)
    descOut->assign(desc, descLen);
  if (payloadOffset)
    *payloadOffset = KernelCache::kHeaderBytes + descLen;
  if (payloadLen)
    *payloadLen = payLen;
  return {};
}

bool isTempName(const std::string &name) {
  return name.find(".moeck.tmp.") != std::string::npos;
}
bool isEntryName(const std::string &name) {
  return name.size() == 32 + std::strlen(KernelCache::kEntrySuffix) &&
         name.compare(32, std::string::npos, KernelCache::kEntrySuffix) == 0;
}

} // namespace

//===----------------------------------------------------------------------===//
// CacheKey
//===----------------------------------------------------------------------===//

std::string CacheKey::hex() const {
  static const char *digits = "0123456789abcdef";
  std::string s;
  for (uint8_t b : bytes) {
    s.push_back(digits[b >> 4]);
    s.push_back(digits[b & 15]);
  }
  return s;
}

std::optional<CacheKey> CacheKey::fromHex(const std::string &hex) {
  if (hex.size() != 32)
    return std::nullopt;
  CacheKey key;
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < 16; ++i) {
    int hi = val(hex[2 * i]), lo = val(hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    key.bytes[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return key;
}

const char *moec::jit::toString(CacheSource source) {
  switch (source) {
  case CacheSource::Memory:
    return "memory";
  case CacheSource::Disk:
    return "disk";
  case CacheSource::Compiled:
    return "compiled";
  }
  return "?";
}

//===----------------------------------------------------------------------===//
// KernelCache
//===----------------------------------------------------------------------===//

struct KernelCache::Pending {
  bool done = false;
  Result result;
};

CacheKey KernelCache::hashKey(const std::string &text) {
  llvm::XXH128_hash_t h = llvm::xxh3_128bits(
      llvm::ArrayRef(reinterpret_cast<const uint8_t *>(text.data()),
                     text.size()));
  CacheKey key;
  for (int i = 0; i < 8; ++i) {
    key.bytes[i] = static_cast<uint8_t>(h.high64 >> (56 - 8 * i));
    key.bytes[8 + i] = static_cast<uint8_t>(h.low64 >> (56 - 8 * i));
  }
  return key;
}

std::string KernelCache::defaultDirectory() {
  if (const char *d = std::getenv("MOEC_CACHE_DIR"); d && *d)
    return d;
  if (const char *x = std::getenv("XDG_CACHE_HOME"); x && *x)
    return std::string(x) + "/moec";
  if (const char *h = std::getenv("HOME"); h && *h)
    return std::string(h) + "/.cache/moec";
  return {};
}

uint64_t KernelCache::defaultMaxBytes() {
  if (const char *m = std::getenv("MOEC_CACHE_MAX_MB"); m && *m) {
    char *end = nullptr;
    double mb = std::strtod(m, &end);
    if (end && *end == '\0' && mb >= 0)
      return static_cast<uint64_t>(mb * 1024 * 1024);
    logWarning(fmt::format("MOEC_CACHE_MAX_MB='{}' is not a number of MiB; "
                           "using 1024",
                           m));
  }
  return uint64_t(1024) << 20;
}

KernelCache::KernelCache(CacheOptions options) : options_(std::move(options)) {
  maxBytes_ = options_.maxBytes ? options_.maxBytes : defaultMaxBytes();
  if (options_.memoryOnly)
    return;
  directory_ = options_.directory.empty() ? defaultDirectory()
                                          : options_.directory;
  if (directory_.empty()) {
    warnOnce("dir", "no cache directory (MOEC_CACHE_DIR, XDG_CACHE_HOME and "
                    "HOME are unset); the kernel cache is memory-only");
    return;
  }
  std::error_code ec;
  fs::create_directories(directory_, ec);
  if (ec) {
    warnOnce("dir", fmt::format("cannot create the cache directory {}: {}; "
                                "the kernel cache is memory-only",
                                directory_, ec.message()));
    return;
  }
  // Probe: can this process publish entries there?
  std::string probe = directory_ + "/.probe.moeck.tmp.XXXXXX";
  int fd = ::mkstemp(probe.data());
  if (fd < 0) {
    warnOnce("dir", fmt::format("cannot write to the cache directory {}: {}; "
                                "the kernel cache is memory-only",
                                directory_, errnoText()));
    return;
  }
  ::close(fd);
  ::unlink(probe.c_str());
  onDisk_ = true;
  logDebug(fmt::format("kernel cache at {} (cap {} MiB)", directory_,
                       maxBytes_ >> 20));
}

KernelCache::~KernelCache() = default;

void KernelCache::warnOnce(const std::string &what,
                           const std::string &message) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!warned_.insert(what).second)
      return;
  }
  if (options_.warn)
    options_.warn(message);
  else
    logWarning(message);
}

std::string KernelCache::entryPath(const CacheKey &key) const {
  return directory_ + "/" + key.hex() + kEntrySuffix;
}

CacheStats KernelCache::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void KernelCache::clearMemory() {
  std::lock_guard<std::mutex> lock(mutex_);
  memory_.clear();
}

std::shared_ptr<const std::string> KernelCache::readDisk(const CacheKey &key) {
  if (!onDisk_)
    return nullptr;
  std::string path = entryPath(key);
  std::string bytes, error;
  if (!readWholeFile(path, bytes, error))
    return nullptr; // missing: a plain miss
  size_t off = 0, len = 0;
  std::string problem = parseEntry(bytes, &key, nullptr, nullptr, &off, &len);
  if (!problem.empty()) {
    warnOnce("bad:" + path,
             fmt::format("cache entry {} is unusable ({}); it is removed and "
                         "the kernel recompiled",
                         path, problem));
    ::unlink(path.c_str());
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.corruptEntries;
    return nullptr;
  }
  // Least recently used = oldest modification time: a hit refreshes it.
  ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
  return std::make_shared<const std::string>(bytes.substr(off, len));
}

std::shared_ptr<const std::string> KernelCache::lookup(const CacheKey &key,
                                                       CacheSource *source) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = memory_.find(key);
    if (it != memory_.end()) {
      ++stats_.memoryHits;
      if (source)
        *source = CacheSource::Memory;
      return it->second;
    }
  }
  auto payload = readDisk(key);
  if (!payload)
    return nullptr;
  std::lock_guard<std::mutex> lock(mutex_);
  ++stats_.diskHits;
  auto [it, inserted] = memory_.emplace(key, payload);
  if (source)
    *source = CacheSource::Disk;
  return it->second;
}

KernelCache::Result KernelCache::getOrCompile(const CacheKey &key,
                                              const std::string &description,
                                              const CompileFn &compile) {
  Result result;
  std::shared_ptr<Pending> pending;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    auto it = memory_.find(key);
    if (it != memory_.end()) {
      ++stats_.memoryHits;
      result.payload = it->second;
      result.source = CacheSource::Memory;
      trace::instant("cache", "cache lookup",
                     {{"key", key.hex()}, {"result", "memory hit"}});
      return result;
    }
    auto fl = inFlight_.find(key);
    if (fl != inFlight_.end()) {
      // Another thread reads or compiles it: wait for its result.
      std::shared_ptr<Pending> other = fl->second;
      cv_.wait(lock, [&] { return other->done; });
      result = other->result;
      if (result.payload) {
        ++stats_.memoryHits;
        result.source = CacheSource::Memory;
      }
      return result;
    }
    pending = std::make_shared<Pending>();
    inFlight_.emplace(key, pending);
  }

  // This thread owns the key: disk, else compile.
  trace::Span span("cache", "cache lookup",
                   trace::enabled() ? trace::Args{{"key", key.hex()},
                                                  {"what", description}}
                                    : trace::Args{});
  if (auto payload = readDisk(key)) {
    span.arg("result", "disk hit");
    result.payload = std::move(payload);
    result.source = CacheSource::Disk;
  } else {
    span.arg("result", "miss");
    std::string bytes, error;
    bool ok = compile(bytes, error);
    result.source = CacheSource::Compiled;
    if (ok) {
      result.payload = std::make_shared<const std::string>(std::move(bytes));
      if (onDisk_)
        writeDisk(key, description, *result.payload);
    } else {
      result.error = error.empty() ? "compilation failed" : error;
    }
  }

  std::lock_guard<std::mutex> lock(mutex_);
  if (result.payload) {
    memory_[key] = result.payload;
    if (result.source == CacheSource::Disk)
      ++stats_.diskHits;
    else
      ++stats_.compiles;
  }
  pending->result = result;
  pending->done = true;
  inFlight_.erase(key);
  cv_.notify_all();
  return result;
}

void KernelCache::store(const CacheKey &key, const std::string &description,
                        std::shared_ptr<const std::string> payload) {
  if (onDisk_)
    writeDisk(key, description, *payload);
  std::lock_guard<std::mutex> lock(mutex_);
  memory_[key] = std::move(payload);
}

void KernelCache::writeDisk(const CacheKey &key,
                            const std::string &description,
                            const std::string &payload) {
  std::string path = entryPath(key);
  uint64_t total = kHeaderBytes + description.size() + payload.size();
  if (total > maxBytes_) {
    warnOnce("cap", fmt::format("a {}-byte cache entry exceeds the cache size "
                                "cap of {} bytes (MOEC_CACHE_MAX_MB); such "
                                "entries stay in memory only",
                                total, maxBytes_));
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.writeFailures;
    return;
  }
  std::string header(kMagic, sizeof(kMagic));
  putLE(header, kFormatVersion, 4);
  putLE(header, description.size(), 4);
  header.append(reinterpret_cast<const char *>(key.bytes.data()), 16);
  putLE(header, payload.size(), 8);
  putLE(header, checksum(description.data(), description.size(),
                         payload.data(), payload.size()),
        8);

  // Temporary in the same directory (rename is atomic only within one file
  // system), unique per process and thread.
  static std::atomic<uint64_t> counter{0};
  std::string tmp = fmt::format(
      "{}.tmp.{}.{}", path, static_cast<long>(::getpid()),
      counter.fetch_add(1) ^
          std::hash<std::thread::id>()(std::this_thread::get_id()));
  auto fail = [&](const std::string &what) {
    warnOnce("write", fmt::format("cannot write the cache entry {}: {}: {}; "
                                  "the kernel stays in memory only",
                                  path, what, errnoText()));
    ::unlink(tmp.c_str());
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.writeFailures;
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return fail("open");
  auto writeAll = [&](const char *p, size_t n) {
    while (n) {
      ssize_t w = ::write(fd, p, n);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return false;
      p += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  };
  bool ok = writeAll(header.data(), header.size()) &&
            writeAll(description.data(), description.size()) &&
            writeAll(payload.data(), payload.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok)
    return fail("write");
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return fail("rename");
  enforceCap(path);
}

void KernelCache::enforceCap(const std::string &keep) {
  std::vector<CacheEntryInfo> entries = listDirectory(directory_);
  uint64_t total = 0;
  for (const CacheEntryInfo &e : entries)
    total += e.fileBytes;
  // listDirectory sorts oldest first.
  for (const CacheEntryInfo &e : entries) {
    if (total <= maxBytes_)
      break;
    if (e.path == keep)
      continue;
    if (::unlink(e.path.c_str()) == 0) {
      total -= e.fileBytes;
      logDebug(fmt::format("cache: evicted {} ({} bytes) for the {}-byte cap",
                           e.path, e.fileBytes, maxBytes_));
      std::lock_guard<std::mutex> lock(mutex_);
      ++stats_.evictions;
    }
  }
}

std::vector<CacheEntryInfo>
KernelCache::listDirectory(const std::string &directory) {
  std::vector<CacheEntryInfo> out;
  std::error_code ec;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!isEntryName(name))
      continue;
    CacheEntryInfo info;
    info.path = it->path().string();
    struct stat st;
    if (::stat(info.path.c_str(), &st) != 0)
      continue; // removed meanwhile
    info.fileBytes = static_cast<uint64_t>(st.st_size);
    info.mtimeSeconds = st.st_mtim.tv_sec;
    // Only the header and description are needed; entries are small enough
    // to read whole, and the checksum tells whether they are intact.
    std::string bytes, error;
    if (!readWholeFile(info.path, bytes, error)) {
      info.problem = error;
    } else {
      CacheKey key;
      info.problem =
          parseEntry(bytes, nullptr, &key, &info.description, nullptr, nullptr);
      if (bytes.size() >= kHeaderBytes)
        info.keyHex = key.hex();
      if (info.problem.empty() && name.compare(0, 32, info.keyHex) != 0)
        info.problem = fmt::format("holds key {}, not its file name's",
                                   info.keyHex);
    }
    info.mtimeNs = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 +
                   st.st_mtim.tv_nsec;
    out.push_back(std::move(info));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const CacheEntryInfo &a, const CacheEntryInfo &b) {
                     return a.mtimeNs < b.mtimeNs;
                   });
  return out;
}

int64_t KernelCache::clearDirectory(const std::string &directory,
                                    std::string &error) {
  std::error_code ec;
  if (!fs::exists(directory, ec))
    return 0;
  int64_t removed = 0;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!isEntryName(name) && !isTempName(name))
      continue;
    if (::unlink(it->path().c_str()) == 0)
      ++removed;
    else if (errno != ENOENT) {
      error = fmt::format("cannot remove {}: {}", it->path().string(),
                          errnoText());
      return -1;
    }
  }
  if (ec) {
    error = fmt::format("cannot read {}: {}", directory, ec.message());
    return -1;
  }
  return removed;
}
