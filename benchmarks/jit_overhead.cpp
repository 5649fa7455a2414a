//===- jit_overhead.cpp - what the JIT costs per request ------------------===//
//
//   moec-jit-bench [--device cuda:0] [--cache DIR] [--calls BURST] [--json FILE]
//   moec-jit-bench --disk-hit --cache DIR ...      (run by the first, see below)
//
// 1. Cold compile per variant: a fresh cache directory, the first request of
//    each variant (bf16 linear layers, aligned and generic, with and without
//    bias/activation) times compile + load.
// 2. In-memory hit: host time per Jit::gemm call on a cached variant of a
//    tiny problem (16x128x128, a kernel of a few us), against a bare driver
//    launch of the same code object (cuLaunchKernel on a cuModuleLoadData'd
//    image with the same parameters, CUDA only) in the same run. Timed in
//    bursts of 256 launches (below the launch queue depth) with a device
//    synchronize between bursts outside the timed region, median over
//    bursts: launches never wait for a queue slot, so the figure is the
//    host's cost per call, not the kernel's duration.
// 3. Disk hit: the same program started again as a new process on the warm
//    cache directory (--disk-hit): Jit::create + first request per variant.
//
// Prints a table and writes JSON lines to --json. On the host device the
// bare-driver column is absent.
//
//===----------------------------------------------------------------------===//

#include "moec-c/moec.h"
#include "moec/Jit/Jit.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace moec::jit;
using Clock = std::chrono::steady_clock;

namespace {

double usSince(Clock::time_point t) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t).count();
}

struct Request {
  const char *name;
  int64_t m, n, k;
  bool bias;
  Activation act;
};

// Variants: aligned linear layers of three M classes, a generic one (K odd),
// one with bias + silu.
const Request kRequests[] = {
    {"decode_m16", 16, 4096, 4096, false, Activation::None},
    {"m64", 64, 4096, 4096, false, Activation::None},
    {"prefill_m512", 512, 4096, 4096, false, Activation::None},
    {"generic_k4095", 16, 4096, 4095, false, Activation::None},
    {"bias_silu_m16", 16, 4096, 4096, true, Activation::Silu},
};

struct Buffers {
  moec::rt::Buffer a, w, c, bias;
};

// The CUDA driver, for the bare launch.
using CUresult = int;
struct Cuda {
  void *lib = nullptr;
  CUresult (*moduleLoadData)(void **, const void *) = nullptr;
  CUresult (*moduleGetFunction)(void **, void *, const char *) = nullptr;
  CUresult (*launchKernel)(void *, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, unsigned, void *, void **,
                           void **) = nullptr;
  CUresult (*ctxSynchronize)() = nullptr;
  bool open() {
    lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
      return false;
    moduleLoadData = reinterpret_cast<decltype(moduleLoadData)>(
        dlsym(lib, "cuModuleLoadData"));
    moduleGetFunction = reinterpret_cast<decltype(moduleGetFunction)>(
        dlsym(lib, "cuModuleGetFunction"));
    launchKernel = reinterpret_cast<decltype(launchKernel)>(
        dlsym(lib, "cuLaunchKernel"));
    ctxSynchronize = reinterpret_cast<decltype(ctxSynchronize)>(
        dlsym(lib, "cuCtxSynchronize"));
    return moduleLoadData && moduleGetFunction && launchKernel &&
           ctxSynchronize;
  }
};

int usage() {
  std::fprintf(stderr, "usage: moec-jit-bench [--device D] [--cache DIR] "
                       "[--calls N] [--json FILE] [--disk-hit]\n");
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  std::string device, cacheDir, jsonPath;
  int calls = 256;
  bool diskHit = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--device")
      device = next();
    else if (a == "--cache")
      cacheDir = next();
    else if (a == "--calls")
      calls = std::atoi(next().c_str());
    else if (a == "--json")
      jsonPath = next();
    else if (a == "--disk-hit")
      diskHit = true;
    else
      return usage();
  }
  bool ownCache = cacheDir.empty();
  if (ownCache) {
    char tmpl[] = "/tmp/moec-jit-bench-XXXXXX";
    if (!mkdtemp(tmpl))
      return 1;
    cacheDir = tmpl;
  }
  std::FILE *json = jsonPath.empty() ? nullptr : std::fopen(jsonPath.c_str(), "a");

  auto t0 = Clock::now();
  JitOptions opts;
  opts.cache.directory = cacheDir;
  std::unique_ptr<Jit> jit;
  for (const std::string &d :
       device.empty() ? std::vector<std::string>{"cuda:0", "hip:0", "host"}
                      : std::vector<std::string>{device}) {
    auto j = Jit::create(d, opts);
    if (j.ok()) {
      jit = std::move(*j);
      device = d;
      break;
    }
    if (!device.empty() || d == "host") {
      std::fprintf(stderr, "moec-jit-bench: %s\n", j.message().c_str());
      return 1;
    }
  }
  double createUs = usSince(t0);
  bool host = jit->arch() == "host";
  std::printf("%s: %s on %s, cache %s (Jit::create %.0f us)\n",
              diskHit ? "disk-hit run (new process)" : "cold run",
              jit->arch().c_str(), jit->device().label().c_str(),
              cacheDir.c_str(), createUs);

  // Inputs (contents do not matter for timing: zeros).
  auto alloc = [&](size_t bytes) {
    auto b = jit->device().allocate(bytes);
    if (!b.ok()) {
      std::fprintf(stderr, "%s\n", b.message().c_str());
      std::exit(1);
    }
    (void)b->fill(0);
    return std::move(*b);
  };
  int64_t maxM = 512, maxN = 4096, maxK = 4096;
  if (host)
    maxM = 64; // the host runs these as scalar loops: keep it short
  Buffers buf{alloc(maxM * maxK * 2), alloc(maxN * maxK * 2),
              alloc(maxM * maxN * 2), alloc(maxN * 2)};

  // The host runs these as scalar loops: smaller N and K there.
  std::vector<Request> requests(std::begin(kRequests), std::end(kRequests));
  if (host)
    for (Request &r : requests) {
      r.n = 256;
      r.k = r.k % 2 ? 255 : 256;
    }

  auto request = [&](const Request &r, int64_t m) {
    GemmOptions o;
    o.transposeB = true;
    Tensor bias = Tensor::vector(buf.bias.data(), DType::BF16, r.n);
    if (r.bias)
      o.bias = &bias;
    o.activation = r.act;
    return jit->gemm(Tensor::matrix(buf.a.data(), DType::BF16, m, r.k),
                     Tensor::matrix(buf.w.data(), DType::BF16, r.n, r.k),
                     Tensor::matrix(buf.c.data(), DType::BF16, m, r.n), o,
                     nullptr);
  };

  // 1 / 3: first request per variant.
  std::printf("\n%-16s %-10s %12s  %s\n", "variant", "source", "first (ms)",
              "config");
  for (const Request &r : requests) {
    int64_t m = std::min(r.m, maxM);
    auto t = Clock::now();
    moec::rt::Status s = request(r, m);
    double ms = usSince(t) / 1000;
    if (!s.ok()) {
      std::fprintf(stderr, "%s: %s\n", r.name, s.message().c_str());
      return 1;
    }
    const VariantInfo &v = Jit::lastVariant();
    std::printf("%-16s %-10s %12.2f  %s%s\n", r.name, toString(v.cacheSource),
                ms, v.config.c_str(), v.aligned ? " (aligned)" : "");
    if (json)
      std::fprintf(json,
                   "{\"bench\": \"first_request\", \"run\": \"%s\", "
                   "\"variant\": \"%s\", \"source\": \"%s\", \"ms\": %.3f, "
                   "\"arch\": \"%s\"}\n",
                   diskHit ? "disk" : "cold", r.name, toString(v.cacheSource),
                   ms, jit->arch().c_str());
  }
  (void)jit->device().synchronize();

  if (!diskHit) {
    // 2: in-memory hits, per call, against the bare driver. A tiny problem
    // (a kernel of a few us) timed in bursts shorter than the launch queue,
    // synchronized between bursts outside the timed region: every launch
    // then returns as soon as it is queued, so the time is the host's cost.
    // (A long loop of a ~24 us kernel fills the queue; cuLaunchKernel then
    // blocks until the GPU frees a slot and both loops measure the GPU.)
    const Request r = {"tiny_m16_n128_k128", 16, 128, 128, false,
                       Activation::None};
    int64_t m = r.m;
    int burst = host ? 8 : std::max(1, std::min(calls, 1024));
    int bursts = host ? 5 : 200;
    auto timeLoop = [&](auto &&fn) {
      std::vector<double> perCall;
      for (int rep = 0; rep < bursts; ++rep) {
        (void)jit->device().synchronize();
        auto t = Clock::now();
        for (int i = 0; i < burst; ++i)
          fn();
        perCall.push_back(usSince(t) / burst);
      }
      (void)jit->device().synchronize();
      std::sort(perCall.begin(), perCall.end());
      return perCall[perCall.size() / 2];
    };
    int n = burst;
    (void)request(r, m);
    double jitUs = timeLoop([&] { (void)request(r, m); });
    std::printf("\nin-memory hit: Jit::gemm %.3f us per call (host time, "
                "median of %d bursts x %d calls, %s)\n",
                jitUs, bursts, n, r.name);
    // The C API's prepared plan (what Python's hot path calls), on its own
    // JIT of the same device and cache directory (a disk hit on first use).
    double planUs = -1;
    {
      moec_jit *cj = nullptr;
      moec_gemm_plan *plan = nullptr;
      moec_tensor ta{}, tw{}, tc{};
      ta.dtype = tw.dtype = tc.dtype = MOEC_BF16;
      ta.rank = tw.rank = tc.rank = 2;
      ta.sizes[0] = m, ta.sizes[1] = r.k;
      tw.sizes[0] = r.n, tw.sizes[1] = r.k;
      tc.sizes[0] = m, tc.sizes[1] = r.n;
      moec_gemm_options co{};
      co.transpose_b = 1;
      if (moec_jit_create(device.c_str(), cacheDir.c_str(), &cj) == MOEC_OK &&
          moec_gemm_plan_create(cj, &ta, &tw, &tc, &co, &plan) == MOEC_OK &&
          moec_gemm_plan_run(plan, buf.a.data(), buf.w.data(), buf.c.data(),
                             nullptr, nullptr) == MOEC_OK) {
        planUs = timeLoop([&] {
          (void)moec_gemm_plan_run(plan, buf.a.data(), buf.w.data(),
                                   buf.c.data(), nullptr, nullptr);
        });
        std::printf("C API moec_gemm_plan_run: %.3f us per call\n", planUs);
      } else {
        std::printf("C API plan: %s\n", moec_last_error());
      }
      moec_gemm_plan_destroy(plan);
      moec_jit_destroy(cj);
    }
    double bareUs = -1;
    Cuda cu;
    if (jit->arch().rfind("sm_", 0) == 0 && cu.open()) {
      auto image = jit->variantImage(Jit::lastVariant().keyHex);
      void *mod = nullptr, *fn = nullptr;
      if (image.ok() && cu.moduleLoadData(&mod, image->first.c_str()) == 0 &&
          cu.moduleGetFunction(&fn, mod, image->second.c_str()) == 0) {
        // The same arguments the JIT passes: three rank-2 memrefs.
        moec::rt::KernelArgs args;
        int64_t sa[2] = {m, r.k}, sw[2] = {r.n, r.k}, sc[2] = {m, r.n};
        args.addMemRef(buf.a.data(), sa, nullptr, 2);
        args.addMemRef(buf.w.data(), sw, nullptr, 2);
        args.addMemRef(buf.c.data(), sc, nullptr, 2);
        void **params = args.kernelParams();
        // Grid and block as the JIT launched them.
        std::string cfg = Jit::lastVariant().config;
        auto field = [&](const char *name, int64_t dflt) {
          size_t p = cfg.find(name);
          return p == std::string::npos
                     ? dflt
                     : std::atoll(cfg.c_str() + p + std::strlen(name) + 3);
        };
        int64_t bm = field("block_m", 64), bn = field("block_n", 64),
                warps = field("num_warps", 4);
        unsigned grid = static_cast<unsigned>(((m + bm - 1) / bm) *
                                              ((r.n + bn - 1) / bn));
        bareUs = timeLoop([&] {
          cu.launchKernel(fn, grid, 1, 1, unsigned(warps * 32), 1, 1, 0,
                          nullptr, params, nullptr);
        });
        std::printf("bare cuLaunchKernel of the same kernel: %.3f us per "
                    "call; JIT overhead above it: %.3f us (goal < 1 us)\n",
                    bareUs, jitUs - bareUs);
      } else {
        std::printf("bare launch: could not load the variant's image\n");
      }
    }
    if (json)
      std::fprintf(json,
                   "{\"bench\": \"launch_overhead\", \"api\": \"c++\", "
                   "\"jit_us\": %.4f, \"capi_plan_us\": %.4f, "
                   "\"bare_driver_us\": %.4f, "
                   "\"overhead_us\": %.4f, \"burst\": %d, \"bursts\": %d, "
                   "\"variant\": \"%s\", \"arch\": \"%s\"}\n",
                   jitUs, planUs, bareUs, bareUs >= 0 ? jitUs - bareUs : -1.0, n,
                   bursts, r.name,
                   jit->arch().c_str());

    // 3: the same requests from a new process on the warm cache.
    if (json)
      std::fflush(json);
    char self[4096] = {0};
    if (readlink("/proc/self/exe", self, sizeof(self) - 1) <= 0)
      return 1;
    std::string cmd = std::string(self) + " --disk-hit --device " + device + " --cache " +
                      cacheDir + (jsonPath.empty() ? "" : " --json " + jsonPath);
    std::fflush(stdout);
    int rc = std::system(cmd.c_str());
    if (rc != 0)
      std::fprintf(stderr, "moec-jit-bench: the disk-hit run failed (%d)\n",
                   rc);
  }
  if (json)
    std::fclose(json);
  if (ownCache && !diskHit) {
    std::string error;
    KernelCache::clearDirectory(cacheDir, error);
    rmdir(cacheDir.c_str());
  }
  return 0;
}
