//===- main.cpp - a serving process that embeds the moec JIT --------------===//
//
// Runs the GEMM requests a server would see for one linear layer
// (y = x * W^T, bf16 in, f32 out, N = 256, K = 512) with a changing number of
// tokens M, on whatever device exists (CUDA, else HIP, else the host; or the
// one named by the first argument), and prints for each request what moec
// used: kernel, config and where it came from, the specialization, and
// whether the variant was compiled, read from the disk cache or already in
// memory. Run it twice: the second run compiles nothing.
//
//===----------------------------------------------------------------------===//

#include "moec/Jit/Jit.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

using namespace moec::jit;

int main(int argc, char **argv) {
  std::unique_ptr<Jit> jit;
  std::string tried;
  std::vector<std::string> devices = {"cuda:0", "hip:0", "host"};
  if (argc > 1)
    devices = {argv[1]};
  for (const std::string &d : devices) {
    auto j = Jit::create(d);
    if (j.ok()) {
      jit = std::move(*j);
      break;
    }
    tried += "  " + d + ": " + j.message() + "\n";
  }
  if (!jit) {
    std::fprintf(stderr, "host-app: no device:\n%s", tried.c_str());
    return 1;
  }
  std::printf("device: %s, target %s, cache %s\n", jit->device().label().c_str(),
              jit->arch().c_str(),
              jit->cache().onDisk() ? jit->cache().directory().c_str()
                                    : "(memory only)");

  const int64_t N = 256, K = 512, maxM = 300;
  auto toBF16 = [](float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return static_cast<uint16_t>((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
  };
  auto fromBF16 = [](uint16_t h) {
    uint32_t u = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  };
  std::vector<uint16_t> x(maxM * K), w(N * K);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = toBF16(std::sin(0.01f * i));
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = toBF16(std::cos(0.02f * i) * 0.1f);
  auto bx = jit->device().allocate(x.size() * 2);
  auto bw = jit->device().allocate(w.size() * 2);
  auto by = jit->device().allocate(maxM * N * 4);
  if (!bx.ok() || !bw.ok() || !by.ok()) {
    std::fprintf(stderr, "host-app: allocation failed\n");
    return 1;
  }
  if (!bx->copyFromHost(x).ok() || !bw->copyFromHost(w).ok())
    return 1;

  int compiled = 0;
  double worst = 0;
  for (int64_t M : {1, 7, 16, 33, 64, 100, 256, 300, 5, 128}) {
    GemmOptions opt;
    opt.transposeB = true;
    auto s = jit->gemm(Tensor::matrix(bx->data(), DType::BF16, M, K),
                       Tensor::matrix(bw->data(), DType::BF16, N, K),
                       Tensor::matrix(by->data(), DType::F32, M, N), opt,
                       /*stream=*/nullptr);
    if (!s.ok()) {
      std::fprintf(stderr, "host-app: M=%lld: %s\n", (long long)M,
                   s.message().c_str());
      return 1;
    }
    const VariantInfo &v = Jit::lastVariant();
    compiled += v.cacheSource == CacheSource::Compiled;
    std::printf("M=%-4lld %s  config %s (%s)  %s  %s\n", (long long)M,
                v.kernel.c_str(), v.config.c_str(), toString(v.configSource),
                v.aligned ? "aligned" : "generic", toString(v.cacheSource));
    // Check a few outputs of the last row against the host.
    std::vector<float> y(M * N);
    if (!by->copyToHost(y.data(), y.size() * 4).ok())
      return 1;
    for (int64_t j : {int64_t(0), N / 2, N - 1}) {
      double ref = 0;
      for (int64_t k = 0; k < K; ++k)
        ref += double(fromBF16(x[(M - 1) * K + k])) * fromBF16(w[j * K + k]);
      worst = std::max(worst, std::abs(ref - y[(M - 1) * N + j]));
    }
  }
  CacheStats st = jit->cache().stats();
  std::printf("variants: %zu; this run compiled %d, disk hits %llu, max abs "
              "error %.2e -> %s\n",
              jit->variantCount(), compiled, (unsigned long long)st.diskHits,
              worst, worst < 1e-2 ? "OK" : "WRONG");
  return worst < 1e-2 ? 0 : 1;
}
