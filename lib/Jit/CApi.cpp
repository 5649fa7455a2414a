//===- CApi.cpp - the C API of the moec JIT (include/moec-c/moec.h) -------===//

#include "moec-c/moec.h"
#include "CApiInternal.h"
#include "moec/Jit/Jit.h"
#include "moec/Support/Version.h"

#include <fmt/format.h>

#include <cstring>
#include <exception>
#include <memory>
#include <string>

using namespace moec::jit;

struct moec_gemm_plan {
  moec_jit *jit;
  Tensor a, b, c, bias;
  bool hasBias;
  bool emptyA, emptyB, emptyC, emptyBias;
  GemmOptions options; // options.bias points at this->bias when hasBias
};
struct moec_module {
  std::shared_ptr<JitModule> module;
};

// The helpers every C entry point uses (CApiInternal.h: CApiMoe.cpp too).
namespace moec::capi {

thread_local std::string lastError;

moec_status fail(moec_status status, std::string message) {
  lastError = std::move(message);
  return status;
}
moec_status nullArg(const char *fn, const char *arg) {
  return fail(MOEC_ERROR_INVALID_ARGUMENT,
              fmt::format("{}: {} is NULL", fn, arg));
}
moec_status fromStatus(const moec::rt::Status &s) {
  if (s.ok())
    return MOEC_OK;
  return fail(MOEC_ERROR_FAILED, s.message());
}

/// Converts and checks a C tensor.
moec_status toTensor(const char *fn, const char *what, const moec_tensor *in,
                     Tensor &out) {
  if (!in)
    return nullArg(fn, what);
  if (in->dtype < MOEC_F16 || in->dtype > MOEC_F8E8M0FNU)
    return fail(MOEC_ERROR_INVALID_ARGUMENT,
                fmt::format("{}: {} has dtype {}, not a moec_dtype", fn, what,
                            in->dtype));
  if (in->rank < 0 || in->rank > MOEC_MAX_RANK)
    return fail(MOEC_ERROR_INVALID_ARGUMENT,
                fmt::format("{}: {} has rank {}, expected 0..{}", fn, what,
                            in->rank, MOEC_MAX_RANK));
  int64_t elems = 1;
  for (int d = 0; d < in->rank; ++d) {
    if (in->sizes[d] < 0)
      return fail(MOEC_ERROR_INVALID_ARGUMENT,
                  fmt::format("{}: {} has size {} in dimension {}", fn, what,
                              in->sizes[d], d));
    if (in->sizes[d] && elems > INT64_MAX / in->sizes[d])
      return fail(MOEC_ERROR_INVALID_ARGUMENT,
                  fmt::format("{}: {}'s element count overflows", fn, what));
    elems *= in->sizes[d];
  }
  if (!in->data && elems)
    return fail(MOEC_ERROR_INVALID_ARGUMENT,
                fmt::format("{}: {}.data is NULL", fn, what));
  out.data = in->data;
  out.dtype = static_cast<DType>(in->dtype);
  out.rank = in->rank;
  for (int d = 0; d < in->rank; ++d) {
    out.sizes[d] = in->sizes[d];
    out.strides[d] = in->strides[d];
  }
  return MOEC_OK;
}

void copyString(char *dst, size_t size, const std::string &src) {
  size_t n = std::min(size - 1, src.size());
  std::memcpy(dst, src.data(), n);
  dst[n] = '\0';
}

} // namespace moec::capi
using namespace moec::capi;

extern "C" {

const char *moec_version(void) { return moec::kVersion; }
const char *moec_last_error(void) { return lastError.c_str(); }

moec_status moec_jit_create(const char *device, const char *cache_dir,
                            moec_jit **out) {
  if (!out)
    return nullArg("moec_jit_create", "out");
  *out = nullptr;
  if (!device)
    return nullArg("moec_jit_create", "device");
  MOEC_C_GUARD_BEGIN
  JitOptions options;
  if (cache_dir)
    options.cache.directory = cache_dir;
  auto jit = Jit::create(device, std::move(options));
  if (!jit.ok())
    return fail(MOEC_ERROR_DEVICE, jit.message());
  *out = new moec_jit{std::move(*jit)};
  return MOEC_OK;
  MOEC_C_GUARD_END("moec_jit_create")
}

void moec_jit_destroy(moec_jit *jit) { delete jit; }

moec_status moec_jit_arch(const moec_jit *jit, char *buf, size_t size) {
  if (!jit)
    return nullArg("moec_jit_arch", "jit");
  if (!buf)
    return nullArg("moec_jit_arch", "buf");
  const std::string &arch = jit->jit->arch();
  if (size < arch.size() + 1)
    return fail(MOEC_ERROR_INVALID_ARGUMENT,
                fmt::format("moec_jit_arch: size {} is too small for \"{}\"",
                            size, arch));
  copyString(buf, size, arch);
  return MOEC_OK;
}

moec_status moec_jit_variant_count(const moec_jit *jit, size_t *out) {
  if (!jit)
    return nullArg("moec_jit_variant_count", "jit");
  if (!out)
    return nullArg("moec_jit_variant_count", "out");
  *out = jit->jit->variantCount();
  return MOEC_OK;
}

moec_status moec_gemm(moec_jit *jit, const moec_tensor *a, const moec_tensor *b,
                      const moec_tensor *c, const moec_gemm_options *options,
                      void *stream) {
  const char *fn = "moec_gemm";
  if (!jit)
    return nullArg(fn, "jit");
  Tensor ta, tb, tc, tbias;
  if (moec_status s = toTensor(fn, "a", a, ta); s != MOEC_OK)
    return s;
  if (moec_status s = toTensor(fn, "b", b, tb); s != MOEC_OK)
    return s;
  if (moec_status s = toTensor(fn, "c", c, tc); s != MOEC_OK)
    return s;
  MOEC_C_GUARD_BEGIN
  GemmOptions opt;
  if (options) {
    opt.transposeA = options->transpose_a != 0;
    opt.transposeB = options->transpose_b != 0;
    if (options->bias) {
      if (moec_status s = toTensor(fn, "options->bias", options->bias, tbias);
          s != MOEC_OK)
        return s;
      opt.bias = &tbias;
    }
    if (options->activation < MOEC_ACT_NONE ||
        options->activation > MOEC_ACT_GELU_TANH)
      return fail(MOEC_ERROR_INVALID_ARGUMENT,
                  fmt::format("{}: options->activation {} is not a "
                              "moec_activation",
                              fn, options->activation));
    opt.activation = static_cast<Activation>(options->activation);
    if (options->config)
      opt.config = options->config;
  }
  return fromStatus(jit->jit->gemm(ta, tb, tc, opt, stream));
  MOEC_C_GUARD_END(fn)
}

namespace {
bool isEmpty(const moec_tensor &t) {
  for (int d = 0; d < t.rank; ++d)
    if (t.sizes[d] == 0)
      return true;
  return false;
}
/// toTensor on a copy whose data is a placeholder: a plan checks shapes only.
moec_status planTensor(const char *fn, const char *what, const moec_tensor *in,
                       Tensor &out, bool &empty) {
  if (!in)
    return nullArg(fn, what);
  moec_tensor copy = *in;
  static char placeholder;
  copy.data = &placeholder;
  if (moec_status s = toTensor(fn, what, &copy, out); s != MOEC_OK)
    return s;
  out.data = nullptr;
  empty = isEmpty(copy);
  return MOEC_OK;
}
} // namespace

moec_status moec_gemm_plan_create(moec_jit *jit, const moec_tensor *a,
                                  const moec_tensor *b, const moec_tensor *c,
                                  const moec_gemm_options *options,
                                  moec_gemm_plan **out) {
  const char *fn = "moec_gemm_plan_create";
  if (!out)
    return nullArg(fn, "out");
  *out = nullptr;
  if (!jit)
    return nullArg(fn, "jit");
  MOEC_C_GUARD_BEGIN
  auto plan = std::make_unique<moec_gemm_plan>();
  plan->jit = jit;
  plan->hasBias = false;
  plan->emptyBias = false;
  if (moec_status s = planTensor(fn, "a", a, plan->a, plan->emptyA); s != MOEC_OK)
    return s;
  if (moec_status s = planTensor(fn, "b", b, plan->b, plan->emptyB); s != MOEC_OK)
    return s;
  if (moec_status s = planTensor(fn, "c", c, plan->c, plan->emptyC); s != MOEC_OK)
    return s;
  if (options) {
    plan->options.transposeA = options->transpose_a != 0;
    plan->options.transposeB = options->transpose_b != 0;
    if (options->bias) {
      if (moec_status s = planTensor(fn, "options->bias", options->bias,
                                     plan->bias, plan->emptyBias);
          s != MOEC_OK)
        return s;
      plan->hasBias = true;
    }
    if (options->activation < MOEC_ACT_NONE ||
        options->activation > MOEC_ACT_GELU_TANH)
      return fail(MOEC_ERROR_INVALID_ARGUMENT,
                  fmt::format("{}: options->activation {} is not a "
                              "moec_activation",
                              fn, options->activation));
    plan->options.activation = static_cast<Activation>(options->activation);
    if (options->config)
      plan->options.config = options->config;
  }
  *out = plan.release();
  return MOEC_OK;
  MOEC_C_GUARD_END(fn)
}

void moec_gemm_plan_destroy(moec_gemm_plan *plan) { delete plan; }

moec_status moec_gemm_plan_run(const moec_gemm_plan *plan, void *a, void *b,
                               void *c, void *bias, void *stream) {
  const char *fn = "moec_gemm_plan_run";
  if (!plan)
    return nullArg(fn, "plan");
  if (!a && !plan->emptyA)
    return nullArg(fn, "a");
  if (!b && !plan->emptyB)
    return nullArg(fn, "b");
  if (!c && !plan->emptyC)
    return nullArg(fn, "c");
  if (plan->hasBias && !bias && !plan->emptyBias)
    return nullArg(fn, "bias");
  if (!plan->hasBias && bias)
    return fail(MOEC_ERROR_INVALID_ARGUMENT,
                fmt::format("{}: bias is given but the plan has none", fn));
  MOEC_C_GUARD_BEGIN
  Tensor ta = plan->a, tb = plan->b, tc = plan->c, tbias = plan->bias;
  ta.data = a;
  tb.data = b;
  tc.data = c;
  tbias.data = bias;
  if (!plan->hasBias)
    return fromStatus(plan->jit->jit->gemm(ta, tb, tc, plan->options, stream));
  GemmOptions opt = plan->options;
  opt.bias = &tbias;
  return fromStatus(plan->jit->jit->gemm(ta, tb, tc, opt, stream));
  MOEC_C_GUARD_END(fn)
}

moec_status moec_module_load_file(moec_jit *jit, const char *path,
                                  moec_module **out) {
  const char *fn = "moec_module_load_file";
  if (!out)
    return nullArg(fn, "out");
  *out = nullptr;
  if (!jit)
    return nullArg(fn, "jit");
  if (!path)
    return nullArg(fn, "path");
  MOEC_C_GUARD_BEGIN
  auto m = jit->jit->loadModuleFile(path);
  if (!m.ok())
    return fail(MOEC_ERROR_FAILED, m.message());
  *out = new moec_module{*m};
  return MOEC_OK;
  MOEC_C_GUARD_END(fn)
}

moec_status moec_module_load_string(moec_jit *jit, const char *text,
                                    size_t size, moec_module **out) {
  const char *fn = "moec_module_load_string";
  if (!out)
    return nullArg(fn, "out");
  *out = nullptr;
  if (!jit)
    return nullArg(fn, "jit");
  if (!text)
    return nullArg(fn, "text");
  MOEC_C_GUARD_BEGIN
  auto m = jit->jit->loadModuleString(std::string(text, size));
  if (!m.ok())
    return fail(MOEC_ERROR_FAILED, m.message());
  *out = new moec_module{*m};
  return MOEC_OK;
  MOEC_C_GUARD_END(fn)
}

void moec_module_destroy(moec_module *module) { delete module; }

moec_status moec_launch(moec_jit *jit, moec_module *module, const char *entry,
                        const moec_tensor *tensors, size_t count,
                        void *stream) {
  const char *fn = "moec_launch";
  if (!jit)
    return nullArg(fn, "jit");
  if (!module)
    return nullArg(fn, "module");
  if (!entry)
    return nullArg(fn, "entry");
  if (count && !tensors)
    return nullArg(fn, "tensors");
  if (count > 64)
    return fail(MOEC_ERROR_INVALID_ARGUMENT,
                fmt::format("{}: count {} is more than 64 tensors", fn, count));
  Tensor ts[64];
  for (size_t i = 0; i < count; ++i) {
    std::string what = fmt::format("tensors[{}]", i);
    if (moec_status s = toTensor(fn, what.c_str(), &tensors[i], ts[i]);
        s != MOEC_OK)
      return s;
  }
  MOEC_C_GUARD_BEGIN
  return fromStatus(jit->jit->launch(*module->module, entry, ts, count, stream));
  MOEC_C_GUARD_END(fn)
}

moec_status moec_last_variant(moec_variant_info *out, size_t size) {
  if (!out)
    return nullArg("moec_last_variant", "out");
  if (size < sizeof(moec_variant_info))
    return fail(MOEC_ERROR_INVALID_ARGUMENT,
                fmt::format("moec_last_variant: size {} is smaller than "
                            "sizeof(moec_variant_info) = {}",
                            size, sizeof(moec_variant_info)));
  const VariantInfo &v = Jit::lastVariant();
  std::memset(out, 0, sizeof(*out));
  copyString(out->kernel, sizeof(out->kernel), v.kernel);
  copyString(out->config, sizeof(out->config), v.config);
  copyString(out->key, sizeof(out->key), v.keyHex);
  out->config_source = static_cast<int32_t>(v.configSource);
  out->cache_source = v.cacheSource == moec::jit::CacheSource::Memory ? MOEC_CACHE_MEMORY
                      : v.cacheSource == moec::jit::CacheSource::Disk ? MOEC_CACHE_DISK
                                                                       : MOEC_CACHE_COMPILED;
  out->aligned = v.aligned;
  out->compile_ms = v.compileMs;
  return MOEC_OK;
}

} // extern "C"
