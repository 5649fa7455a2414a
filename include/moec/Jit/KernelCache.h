//===- KernelCache.h - compiled kernels in memory and on disk ---*- C++ -*-===//
//
// The JIT's cache of compiled kernel variants. A variant is named by a
// 128-bit key (KernelCache::hashKey of a text that spells out everything that
// changes the code: see moec/Jit/CacheKey.h) and holds an opaque payload (the
// JIT stores a code object plus its launch metadata there).
//
// Two levels: a map in memory, and one file per entry in a directory:
//   $MOEC_CACHE_DIR, else $XDG_CACHE_HOME/moec, else ~/.cache/moec.
// Entry files are `<32 hex digits of the key>.moeck` and start with a header:
//
//   offset size
//        0    8  magic "MOECKC\r\n"
//        8    4  format version (kFormatVersion), little endian
//       12    4  length D of the description
//       16   16  the key
//       32    8  payload length P
//       40    8  xxh3-64 of description and payload
//       48    D  description (UTF-8, for `moec cache list`)
//     48+D    P  payload
//
// Writers publish atomically: a temporary file in the same directory, fsync,
// rename over the entry. Readers therefore see a whole entry or none. An entry
// that is truncated, fails its checksum, carries another magic or format
// version, or holds another key is reported once (per file and process),
// removed, recompiled by the caller and replaced; its payload is never
// returned. Many threads asking for the same missing key run the compile
// function once; the others wait for its result.
//
// A directory that cannot be created or written makes the cache memory-only,
// with one warning. The directory is kept under a size cap
// ($MOEC_CACHE_MAX_MB, default 1024): after each write, the least recently
// used entries (file modification time, refreshed on every disk hit) are
// removed until the rest fits; an entry larger than the cap stays in memory
// only.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_JIT_KERNELCACHE_H
#define MOEC_JIT_KERNELCACHE_H

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace moec::jit {

/// A 128-bit cache key.
struct CacheKey {
  std::array<uint8_t, 16> bytes{};
  /// 32 lowercase hex digits.
  std::string hex() const;
  /// The inverse of hex(); nullopt for anything else.
  static std::optional<CacheKey> fromHex(const std::string &hex);
  bool operator<(const CacheKey &o) const { return bytes < o.bytes; }
  bool operator==(const CacheKey &o) const { return bytes == o.bytes; }
  bool operator!=(const CacheKey &o) const { return bytes != o.bytes; }
};

/// Where a payload came from.
enum class CacheSource { Memory, Disk, Compiled };
const char *toString(CacheSource source);

struct CacheOptions {
  /// The directory; empty: from the environment (see above).
  std::string directory;
  /// Keep nothing on disk.
  bool memoryOnly = false;
  /// Size cap of the directory in bytes; 0: from $MOEC_CACHE_MAX_MB
  /// (default 1024 MiB).
  uint64_t maxBytes = 0;
  /// Receives warnings (one line each, no trailing newline); default:
  /// stderr as "moec: warning: ...".
  std::function<void(const std::string &)> warn;
};

/// Counters of one KernelCache since it was made.
struct CacheStats {
  uint64_t memoryHits = 0, diskHits = 0, compiles = 0;
  uint64_t corruptEntries = 0; ///< entries found bad and replaced
  uint64_t evictions = 0;      ///< files removed for the size cap
  uint64_t writeFailures = 0;  ///< entries that could not be published
};

/// One entry file, as `moec cache list` shows it.
struct CacheEntryInfo {
  std::string path;
  std::string keyHex; ///< from the header; empty when unreadable
  std::string description;
  uint64_t fileBytes = 0;
  int64_t mtimeSeconds = 0; ///< last use (Unix time)
  int64_t mtimeNs = 0;      ///< the same in nanoseconds (LRU order)
  /// Empty when the entry is whole, else why it is not.
  std::string problem;
};

class KernelCache {
public:
  static constexpr uint32_t kFormatVersion = 1;
  static constexpr size_t kHeaderBytes = 48;
  static constexpr const char *kEntrySuffix = ".moeck";

  explicit KernelCache(CacheOptions options = {});
  ~KernelCache();
  KernelCache(const KernelCache &) = delete;
  KernelCache &operator=(const KernelCache &) = delete;

  /// xxh3-128 (LLVM Support) of `text`.
  static CacheKey hashKey(const std::string &text);
  /// The directory the environment names ($MOEC_CACHE_DIR, ...).
  static std::string defaultDirectory();
  /// $MOEC_CACHE_MAX_MB in bytes, or 1 GiB.
  static uint64_t defaultMaxBytes();

  /// The payload of `key`, from memory, else from disk (then kept in
  /// memory), else nullptr. A bad disk entry is reported and removed.
  std::shared_ptr<const std::string> lookup(const CacheKey &key,
                                            CacheSource *source = nullptr);

  /// The payload of `key`; when neither level has it, `compile` makes it
  /// (once, however many threads ask at once), and it is stored in both
  /// levels. `compile` returns false and sets its error on failure; the
  /// failure is returned to every waiter and nothing is cached.
  using CompileFn = std::function<bool(std::string &payload, std::string &error)>;
  struct Result {
    std::shared_ptr<const std::string> payload; ///< null on failure
    CacheSource source = CacheSource::Compiled;
    std::string error;
  };
  Result getOrCompile(const CacheKey &key, const std::string &description,
                      const CompileFn &compile);

  /// Stores `payload` under `key` in memory and (unless memory-only) on disk.
  void store(const CacheKey &key, const std::string &description,
             std::shared_ptr<const std::string> payload);

  /// Whether entries go to disk (false: memory-only, by option or because
  /// the directory was unusable).
  bool onDisk() const { return onDisk_; }
  const std::string &directory() const { return directory_; }
  uint64_t maxBytes() const { return maxBytes_; }
  CacheStats stats() const;
  /// Forgets the memory level (the disk stays).
  void clearMemory();

  /// The entry files of `directory`, oldest use first.
  static std::vector<CacheEntryInfo> listDirectory(const std::string &directory);
  /// Removes every entry file and leftover temporary of `directory`;
  /// returns how many files were removed, or -1 with `error` set.
  static int64_t clearDirectory(const std::string &directory,
                                std::string &error);
  /// The path of `key`'s entry in this cache's directory.
  std::string entryPath(const CacheKey &key) const;

private:
  std::shared_ptr<const std::string> readDisk(const CacheKey &key);
  void writeDisk(const CacheKey &key, const std::string &description,
                 const std::string &payload);
  void enforceCap(const std::string &keep);
  void warnOnce(const std::string &what, const std::string &message);

  CacheOptions options_;
  std::string directory_;
  uint64_t maxBytes_ = 0;
  bool onDisk_ = false;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::map<CacheKey, std::shared_ptr<const std::string>> memory_;
  struct Pending; // one compile in flight, shared by its waiters
  std::map<CacheKey, std::shared_ptr<Pending>> inFlight_;
  std::set<std::string> warned_;
  CacheStats stats_;
};

} // namespace moec::jit

#endif // MOEC_JIT_KERNELCACHE_H
