//===- CacheTarget.cpp - fuzz target: the kernel cache's entry reader -----===//
//
// The first byte picks a mode:
//  even: the rest is an entry file for a fixed key. A fresh cache's lookup
//        either rejects it or returns exactly the payload its header frames
//        (magic, version, key and lengths checked here independently).
//  odd:  the rest is [split u16][position u32][damage u8][bytes]: bytes are
//        split into description and payload and published by one cache, the
//        file is then damaged (a flipped bit, a truncation, an appended byte,
//        or nothing), and a second cache must load the stored payload when
//        the file is untouched and nothing when it is not.
// Any violation aborts: a corrupt payload was loaded.
//
//===----------------------------------------------------------------------===//
#include "FuzzTargets.h"

#include "moec/Jit/KernelCache.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <unistd.h>

using namespace moec::jit;

namespace {

/// Removes the temporary cache directory when the process ends.
std::string *dirToRemove;
void removeDir() {
  std::string error;
  (void)moec::jit::KernelCache::clearDirectory(*dirToRemove, error);
  ::rmdir(dirToRemove->c_str());
}

const std::string &cacheDir() {
  static const std::string dir = [] {
    const char *tmp = std::getenv("TMPDIR");
    std::string t = std::string(tmp && *tmp ? tmp : "/tmp") +
                    "/moec-fuzz-cache-XXXXXX";
    if (!::mkdtemp(t.data())) {
      std::perror("moec-fuzz cache: mkdtemp");
      std::abort();
    }
    dirToRemove = new std::string(t);
    std::atexit(removeDir);
    return t;
  }();
  return dir;
}

CacheOptions options() {
  CacheOptions o;
  o.directory = cacheDir();
  o.maxBytes = 4 << 20;
  o.warn = [](const std::string &) {};
  return o;
}

void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
uint64_t le(const std::string &b, size_t off, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i)
    v = (v << 8) | static_cast<uint8_t>(b[off + i]);
  return v;
}

[[noreturn]] void loadedCorrupt(const char *why) {
  std::fprintf(stderr, "moec-fuzz cache: a corrupt entry was loaded: %s\n",
               why);
  std::abort();
}

void rawEntry(const CacheKey &key, const std::string &path,
              const std::string &bytes) {
  writeFile(path, bytes);
  (void)KernelCache::listDirectory(cacheDir()); // `moec cache list`
  KernelCache cache(options());
  CacheSource source;
  auto payload = cache.lookup(key, &source);
  if (!payload)
    return;
  // Accepted: the header must frame exactly what was returned.
  if (bytes.size() < KernelCache::kHeaderBytes ||
      bytes.compare(0, 8, "MOECKC\r\n") != 0)
    loadedCorrupt("bad magic or short header");
  if (le(bytes, 8, 4) != KernelCache::kFormatVersion)
    loadedCorrupt("foreign version");
  if (std::memcmp(bytes.data() + 16, key.bytes.data(), 16) != 0)
    loadedCorrupt("another key");
  uint64_t d = le(bytes, 12, 4), p = le(bytes, 32, 8);
  if (d > bytes.size() || p > bytes.size() ||
      KernelCache::kHeaderBytes + d + p != bytes.size())
    loadedCorrupt("lengths do not add up");
  if (*payload != bytes.substr(KernelCache::kHeaderBytes + d, p))
    loadedCorrupt("payload differs from the file's");
  if (source != CacheSource::Disk)
    loadedCorrupt("not from disk");
}

void damagedEntry(const CacheKey &key, const std::string &path,
                  const std::string &in) {
  if (in.size() < 7)
    return;
  size_t split = le(in, 0, 2), pos = le(in, 2, 4);
  uint8_t damage = static_cast<uint8_t>(in[6]);
  std::string rest = in.substr(7);
  split = rest.empty() ? 0 : split % (rest.size() + 1);
  std::string description = rest.substr(0, split);
  std::string payload = rest.substr(split);
  {
    KernelCache writer(options());
    writer.store(key, description, std::make_shared<const std::string>(payload));
  }
  std::string file = readFile(path);
  if (file.size() != KernelCache::kHeaderBytes + description.size() +
                         payload.size())
    loadedCorrupt("the published entry has the wrong size");
  std::string damaged = file;
  switch (damage % 4) {
  case 0:
    break;
  case 1:
    damaged[pos % damaged.size()] ^= static_cast<char>(1u << (damage >> 5));
    break;
  case 2:
    damaged.resize(pos % damaged.size());
    break;
  case 3:
    damaged.push_back(static_cast<char>(damage));
    break;
  }
  writeFile(path, damaged);
  KernelCache reader(options());
  auto got = reader.lookup(key);
  if (damaged == file) {
    if (!got || *got != payload)
      loadedCorrupt("a whole entry was not loaded back");
  } else if (got) {
    loadedCorrupt("a damaged entry was loaded");
  }
}

} // namespace

int moec::fuzz::cacheEntry(const uint8_t *data, size_t size) {
  static const CacheKey key = KernelCache::hashKey("moec-fuzz fixed key");
  static const std::string path = cacheDir() + "/" + key.hex() + ".moeck";
  if (size == 0)
    return 0;
  std::string rest(reinterpret_cast<const char *>(data) + 1, size - 1);
  if (data[0] % 2 == 0)
    rawEntry(key, path, rest);
  else
    damagedEntry(key, path, rest);
  std::string error;
  (void)KernelCache::clearDirectory(cacheDir(), error);
  return 0;
}
