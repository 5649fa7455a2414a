//===- CApiTarget.cpp - fuzz target: the C API as a program calls it ------===//
//
// The input drives a sequence of C API calls (include/moec-c/moec.h) on the
// host device: JITs made for fuzzed device strings, null handles and out
// pointers, too-small buffers, tensors with fuzzed dtype, rank, sizes and
// strides (backed by a buffer as large as what they describe, so any access
// past it is the runtime's fault), GEMM options with fuzzed flags,
// activation and config text, modules from fuzzed text, launches of fuzzed
// entry names. Every call must return a status; none may crash.
//
//===----------------------------------------------------------------------===//
#include "FuzzTargets.h"

#include "moec-c/moec.h"
#include "moec/Jit/KernelCache.h"

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

class Reader {
public:
  Reader(const uint8_t *d, size_t n) : d(d), n(n) {}
  bool empty() const { return i >= n; }
  uint8_t byte() { return i < n ? d[i++] : 0; }
  bool chance(int oneIn) { return byte() % oneIn == 0; }
  std::string text(size_t max) {
    size_t len = (static_cast<size_t>(byte()) << 8 | byte()) % (max + 1);
    len = std::min(len, n - std::min(i, n));
    std::string s(reinterpret_cast<const char *>(d + i), len);
    i += len;
    return s;
  }
  int64_t dim() {
    uint8_t b = byte();
    static const int64_t special[] = {INT64_MAX, INT64_MIN, int64_t(1) << 62,
                                      -1, int64_t(1) << 31, 0};
    if (b >= 250)
      return special[b - 250];
    return b % 70 - 2;
  }
  int64_t stride() {
    uint8_t b = byte();
    if (b >= 250)
      return b == 255 ? INT64_MIN : (int64_t(1) << (b - 240)) * 1000003;
    return b % 9 - 4;
  }

private:
  const uint8_t *d;
  size_t n, i = 0;
};

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
                    "/moec-fuzz-capi-XXXXXX";
    if (!::mkdtemp(t.data())) {
      std::perror("moec-fuzz capi: mkdtemp");
      std::abort();
    }
    dirToRemove = new std::string(t);
    std::atexit(removeDir);
    ::setenv("MOEC_CACHE_MAX_MB", "64", 0);
    return t;
  }();
  return dir;
}

/// A tensor from the input with a buffer that covers every element its
/// sizes and strides (or row-major strides) reach; data is NULL when that
/// is too large (the API must reject it, or the tensor is empty).
struct FuzzTensor {
  moec_tensor t{};
  std::vector<uint8_t> storage;

  void make(Reader &r) {
    t.dtype = r.chance(8) ? static_cast<int8_t>(r.byte()) : r.byte() % 3;
    t.rank = r.chance(8) ? static_cast<int8_t>(r.byte()) : r.byte() % 3 + 1;
    int rank = std::max(0, std::min<int>(t.rank, MOEC_MAX_RANK));
    bool rowMajor = !r.chance(4);
    for (int k = 0; k < MOEC_MAX_RANK; ++k) {
      t.sizes[k] = r.dim();
      t.strides[k] = rowMajor ? 0 : r.stride();
    }
    const int64_t kElemBytes = 4, kMaxElems = 1 << 20;
    // Offsets reached, with the given strides and with row-major ones.
    __int128 lo = 0, hi = 0, rm = 1;
    bool empty = false, tooBig = false;
    for (int k = 0; k < rank; ++k) {
      __int128 s = t.sizes[k];
      if (s <= 0) {
        empty = true;
        continue;
      }
      if (s > kMaxElems) {
        tooBig = true;
        continue;
      }
      __int128 step = (s - 1) * t.strides[k];
      (step < 0 ? lo : hi) += step;
      rm *= s;
    }
    __int128 span = std::max<__int128>(hi - lo + 1, rm);
    if (empty) { // nothing to reach (a negative size is rejected)
      storage.assign(64, 0);
      t.data = storage.data();
    } else if (tooBig || span > kMaxElems) {
      t.data = nullptr;
    } else {
      storage.assign(static_cast<size_t>(span * kElemBytes), 0x3c);
      t.data = storage.data() + static_cast<size_t>(-lo * kElemBytes);
    }
  }
};

/// MOEC_FUZZ_TRACE=1: each call's status and error, to check what a seed
/// reaches.
void note(const char *call, moec_status status) {
  static const bool trace = std::getenv("MOEC_FUZZ_TRACE") != nullptr;
  if (trace)
    std::fprintf(stderr, "%s -> %d %s\n", call, static_cast<int>(status),
                 status == MOEC_OK ? "" : moec_last_error());
}

} // namespace

int moec::fuzz::capi(const uint8_t *data, size_t size) {
  const std::string &dir = cacheDir();
  Reader r(data, size);
  moec_jit *jit = nullptr;
  std::vector<moec_module *> modules;
  auto dropAll = [&] {
    for (moec_module *m : modules)
      moec_module_destroy(m);
    modules.clear();
    moec_jit_destroy(jit);
    jit = nullptr;
  };
  auto maybeJit = [&] { return r.chance(8) ? nullptr : jit; };
  for (int step = 0; step < 24 && !r.empty(); ++step) {
    switch (r.byte() % 9) {
    case 0: { // create
      static const char *devices[] = {"host", "host", "cuda:0", "hip:7", "",
                                      "host:1", "cuda:-1", nullptr};
      std::string fuzzed;
      const char *device = devices[r.byte() % 8];
      if (r.chance(6)) {
        fuzzed = r.text(24);
        device = fuzzed.c_str();
      }
      dropAll();
      moec_jit *made = nullptr;
      const char *cache = r.chance(8) ? nullptr : dir.c_str();
      moec_jit **out = r.chance(10) ? nullptr : &made;
      note("moec_jit_create", moec_jit_create(device, cache, out));
      jit = made;
      break;
    }
    case 1: { // arch
      char buf[64];
      size_t n = r.byte() % 48;
      moec_jit *j = maybeJit();
      note("moec_jit_arch", moec_jit_arch(j, r.chance(8) ? nullptr : buf, n));
      break;
    }
    case 2: { // variant count
      size_t count;
      moec_jit *j = maybeJit();
      note("moec_jit_variant_count", moec_jit_variant_count(j, r.chance(8) ? nullptr : &count));
      break;
    }
    case 3: { // gemm
      FuzzTensor a, b, c, bias;
      a.make(r);
      b.make(r);
      c.make(r);
      moec_gemm_options opts{};
      std::string config;
      bool withOptions = !r.chance(3);
      if (withOptions) {
        opts.transpose_a = r.chance(2) ? 0 : static_cast<int8_t>(r.byte());
        opts.transpose_b = r.chance(2) ? 0 : static_cast<int8_t>(r.byte());
        opts.activation = static_cast<int8_t>(r.byte()) % 7;
        if (r.chance(3)) {
          bias.make(r);
          opts.bias = &bias.t;
        }
        if (r.chance(2)) {
          config = r.text(128);
          opts.config = config.c_str();
        }
      }
      uint8_t nulls = r.byte();
      moec_jit *j = maybeJit();
      note("moec_gemm", moec_gemm(j, nulls & 1 ? nullptr : &a.t,
                      nulls & 2 ? nullptr : &b.t, nulls & 4 ? nullptr : &c.t,
                      withOptions ? &opts : nullptr, nullptr));
      break;
    }
    case 4: { // module from text
      std::string text = r.text(8192);
      moec_module *m = nullptr;
      size_t n = text.size();
      if (r.chance(4) && n)
        n = r.byte() % n; // a prefix: the size, not a NUL, ends the text
      moec_jit *j = maybeJit();
      const char *p = r.chance(10) ? nullptr : text.data();
      note("moec_module_load_string", moec_module_load_string(j, p, n, r.chance(10) ? nullptr : &m));
      if (m)
        modules.push_back(m);
      break;
    }
    case 5: { // module from a file that is not one
      static const char *paths[] = {"/nonexistent/x.mlir", "/", "/dev/null",
                                    "", nullptr};
      moec_module *m = nullptr;
      moec_jit *j = maybeJit();
      const char *path = paths[r.byte() % 5];
      note("moec_module_load_file", moec_module_load_file(j, path, r.chance(10) ? nullptr : &m));
      if (m)
        modules.push_back(m);
      break;
    }
    case 6: { // launch
      moec_module *m = modules.empty() || r.chance(8)
                           ? nullptr
                           : modules[r.byte() % modules.size()];
      std::string entry = r.text(32);
      size_t count = r.byte() % 5;
      std::vector<FuzzTensor> ts(count);
      std::vector<moec_tensor> cts;
      for (FuzzTensor &t : ts) {
        t.make(r);
        cts.push_back(t.t);
      }
      if (r.chance(16))
        count = r.chance(2) ? 65 : SIZE_MAX; // with no tensors behind it
      moec_jit *j = maybeJit();
      note("moec_launch", moec_launch(j, m, r.chance(10) ? nullptr : entry.c_str(),
                        count <= ts.size() ? cts.data() : nullptr, count,
                        nullptr));
      break;
    }
    case 7: { // last variant
      moec_variant_info info;
      static const size_t sizes[] = {0, sizeof(info) - 1, sizeof(info)};
      moec_variant_info *out = r.chance(8) ? nullptr : &info;
      note("moec_last_variant", moec_last_variant(out, sizes[r.byte() % 3]));
      break;
    }
    case 8: { // drop a module, read the error
      if (!modules.empty()) {
        size_t k = r.byte() % modules.size();
        moec_module_destroy(modules[k]);
        modules.erase(modules.begin() + static_cast<long>(k));
      }
      moec_module_destroy(nullptr);
      moec_jit_destroy(nullptr);
      (void)std::strlen(moec_last_error());
      (void)std::strlen(moec_version());
      break;
    }
    }
  }
  dropAll();
  return 0;
}
