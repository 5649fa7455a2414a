//===- AttentionRun.cpp - moec run / bench for moec.sparse_attention ------===//
//
// Compiles the file's one moec.sparse_attention, launches it with the
// grid, lanes and LDS of its SparseAttentionPlan on random q and kv_cache
// and index rows of the chosen pattern (AttentionData.h), and checks `out`
// and `lse` against the float64 dense-attention reference over the gathered
// rows. Outputs are poisoned with NaN first, so an element the kernel
// forgets fails the check. `bench` then times it and reports the effective
// bandwidth: gathered KV bytes + q + out over the median time.
//
// Sizes: tokens (q's first dimension), topk, page_size and blocks (the
// kv_cache's pages) come from the types or --sizes tokens=..,topk=..,
// blocks=..; blocks defaults to enough pages for max(2 topk, tokens x topk)
// rows (at most 2^22 rows).
//
//===----------------------------------------------------------------------===//

#include "AttentionData.h"
#include "Emulate.h"
#include "Run.h"

#include "moec/Dialect/OpPlans.h"
#include "moec/Driver/Compiler.h"
#include "moec/Emulator/Numeric.h"
#include "moec/Runtime/KernelArgs.h"
#include "moec/Runtime/Runtime.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace mlir;
using namespace moec;
using namespace moec::tool;

namespace {

int fail(const std::string &msg) {
  llvm::errs() << "moec run: error: " << msg << "\n";
  return 1;
}

std::optional<emu::EK> kindOf(Type t) {
  if (t.isBF16())
    return emu::EK::BF16;
  if (t.isF16())
    return emu::EK::F16;
  if (t.isF32())
    return emu::EK::F32;
  return std::nullopt;
}

/// A host array of encoded elements of one kind.
struct Encoded {
  emu::EK kind;
  size_t eltBytes;
  std::vector<uint8_t> bytes;
  Encoded(emu::EK kind, size_t n)
      : kind(kind), eltBytes(emu::bitsOf(kind) / 8), bytes(n * eltBytes) {}
  void set(size_t i, double v) {
    uint64_t bits = emu::encode(kind, v);
    std::memcpy(&bytes[i * eltBytes], &bits, eltBytes);
  }
  double get(size_t i) const {
    uint64_t bits = 0;
    std::memcpy(&bits, &bytes[i * eltBytes], eltBytes);
    return emu::decode(kind, bits);
  }
};

} // namespace

int moec::tool::runSparseAttention(ModuleOp module, SparseAttentionOp op,
                                   const RunOptions &opts) {
  auto qT = cast<MemRefType>(op.getQ().getType());
  auto kvT = cast<MemRefType>(op.getKvCache().getType());
  auto idxT = cast<MemRefType>(op.getIndices().getType());
  auto oT = cast<MemRefType>(op.getOut().getType());
  auto qKind = kindOf(qT.getElementType()), oKind = kindOf(oT.getElementType());
  if (!qKind || !oKind)
    return fail("the run harness takes f16/bf16 q and kv_cache and "
                "f16/bf16/f32 out");
  auto tokens = resolveDim(qT.getDimSize(0), "tokens", opts);
  auto topk = resolveDim(idxT.getDimSize(1), "topk", opts);
  auto page = resolveDim(kvT.getDimSize(1), "page_size", opts);
  if (failed(tokens) || failed(topk) || failed(page))
    return 1;
  if (*page < 1)
    return fail("page_size must be positive");
  attn::Shape s;
  s.tokens = *tokens;
  s.topk = *topk;
  s.hQ = qT.getDimSize(1);
  if (ShapedType::isDynamic(s.hQ)) {
    auto h = resolveDim(s.hQ, "h_q", opts);
    if (failed(h))
      return 1;
    s.hQ = *h;
  }
  s.dQK = qT.getDimSize(2);
  s.dV = oT.getDimSize(2);
  s.scale = op.getScale().convertToDouble();
  int64_t wantRows = std::min<int64_t>(
      std::max<int64_t>(2 * s.topk, s.tokens * s.topk), int64_t(1) << 22);
  int64_t blocksDefault = std::max<int64_t>(1, (wantRows + *page - 1) / *page);
  int64_t blocks = kvT.getDimSize(0);
  if (ShapedType::isDynamic(blocks)) {
    auto it = opts.sizes.find("blocks");
    blocks = it != opts.sizes.end() ? it->second : blocksDefault;
  }
  s.kvRows = blocks * *page;
  if (s.tokens < 0 || s.topk < 1 || s.hQ < 1 || s.kvRows < 1)
    return fail("tokens must be >= 0 and topk, h_q, blocks >= 1");
  if (s.kvRows * s.dQK * 2 > (int64_t(1) << 31) &&
      lookupTarget(module->getAttrOfType<TargetAttr>(
                             MoecDialect::kTargetAttrName)
                       .getChip())
          ->isAMDGPU())
    return fail("the AMD kernel addresses kv_cache with 32-bit buffer "
                "offsets: at most 2 GiB");
  auto pattern = attn::parseIndexPattern(opts.indexPattern);
  if (!pattern)
    return fail(fmt::format("--index-pattern {}: expected random, "
                            "duplicates, invalid or window",
                            opts.indexPattern));

  auto targetAttr =
      module->getAttrOfType<TargetAttr>(MoecDialect::kTargetAttrName);
  if (!targetAttr)
    return fail("the module has no moec.target");
  const SparseAttentionPlan plan =
      getSparseAttentionPlan(op, *lookupTarget(targetAttr.getChip()));

  // Lowering erases the op: read it before.
  const bool hasLse = static_cast<bool>(op.getLse());
  if (opts.emulate && opts.bench)
    return fail("--emulate checks numerics; it cannot time a kernel");
  FailureOr<CompiledModule> compiled = compileModule(
      module, opts.emulate ? CompileStop::LaneLevel : CompileStop::Loadable);
  if (failed(compiled))
    return 1;
  if (compiled->kernels.size() != 1)
    return fail("expected one kernel after lowering");
  const OutlinedKernel &kinfo = compiled->kernels.front();
  rt::DeviceKind kind = compiled->target->isHost() || opts.emulate
                            ? rt::DeviceKind::Host
                        : compiled->target->isNVPTX() ? rt::DeviceKind::Cuda
                                                      : rt::DeviceKind::Hip;
  auto device = rt::Device::open(kind, opts.deviceIndex);
  if (!device.ok())
    return fail(device.message());
  std::shared_ptr<rt::Device> dev = *device;
  std::optional<rt::Expected<rt::Kernel>> kernel;
  if (!opts.emulate) {
    auto loaded = compiled->target->isHost()
                      ? dev->loadHostModule(compiled->hostKernels)
                      : dev->loadModule(compiled->image);
    if (!loaded.ok())
      return fail(loaded.message());
    kernel = (*loaded)->getKernel(kinfo.name);
    if (!kernel->ok())
      return fail(kernel->message());
  }

  // Inputs.
  uint64_t seed = opts.seed ? *opts.seed : std::random_device{}();
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uni(-1.0, 1.0);
  Encoded q(*qKind, size_t(s.tokens * s.hQ * s.dQK));
  Encoded kv(*qKind, size_t(s.kvRows * s.dQK));
  for (size_t i = 0; i < q.bytes.size() / q.eltBytes; ++i)
    q.set(i, uni(rng));
  for (size_t i = 0; i < kv.bytes.size() / kv.eltBytes; ++i)
    kv.set(i, uni(rng));
  std::vector<int32_t> indices =
      attn::makeIndices(*pattern, s.tokens, s.topk, s.kvRows, *page, rng);

  auto upload = [&](const void *data, size_t bytes) -> rt::Expected<rt::Buffer> {
    auto buf = dev->allocate(std::max<size_t>(bytes, 16));
    if (!buf.ok())
      return buf.status();
    if (bytes)
      if (rt::Status st = buf->copyFromHost(data, bytes); !st.ok())
        return st;
    return buf;
  };
  auto qBuf = upload(q.bytes.data(), q.bytes.size());
  auto kvBuf = upload(kv.bytes.data(), kv.bytes.size());
  auto idxBuf = upload(indices.data(), indices.size() * 4);
  if (!qBuf.ok() || !kvBuf.ok() || !idxBuf.ok())
    return fail("cannot allocate or fill the inputs on " + dev->label());
  Encoded out(*oKind, size_t(s.tokens * s.hQ * s.dV));
  std::vector<float> lse(size_t(s.tokens * s.hQ));
  auto outBuf = dev->allocate(std::max<size_t>(out.bytes.size(), 16));
  auto lseBuf = dev->allocate(std::max<size_t>(lse.size() * 4, 16));
  if (!outBuf.ok() || !lseBuf.ok())
    return fail("cannot allocate the outputs on " + dev->label());
  // Poison: all-ones bytes are NaN in f16, bf16 and f32.
  if (!outBuf->fill(0xFF).ok() || !lseBuf->fill(0xFF).ok())
    return fail("cannot poison the outputs");

  rt::KernelArgs args;
  args.addMemRef(qBuf->data(), {s.tokens, s.hQ, s.dQK});
  args.addMemRef(kvBuf->data(), {blocks, *page, s.dQK});
  args.addMemRef(idxBuf->data(), {s.tokens, s.topk});
  args.addMemRef(outBuf->data(), {s.tokens, s.hQ, s.dV});
  if (hasLse)
    args.addMemRef(lseBuf->data(), {s.tokens, s.hQ});
  rt::Dim3 grid{std::max<int64_t>(plan.gridSize(s.tokens, s.hQ), 1)};
  rt::Dim3 block{plan.kernel.lanes};
  size_t shared = plan.kernel.dynamicLds ? plan.kernel.ldsBytes : 0;
  bool empty = s.tokens == 0;
  if (!empty) {
    if (opts.emulate) {
      std::string summary;
      std::string error = tool::emulateLaunch(
          module, kinfo.name, {grid.x, 1, 1}, {block.x, 1, 1}, args,
          {&*qBuf, &*kvBuf, &*idxBuf, &*outBuf, &*lseBuf}, summary);
      if (!error.empty())
        return fail(error);
      if (opts.verbose)
        llvm::errs() << "moec run: " << summary << "\n";
    } else if (rt::Status st = (*kernel)->launch(grid, block, shared, args);
               !st.ok()) {
      return fail(st.message());
    }
    if (rt::Status st = dev->synchronize(); !st.ok())
      return fail(st.message());
  }
  if (!out.bytes.empty() && !outBuf->copyToHost(out.bytes.data(), out.bytes.size()).ok())
    return fail("cannot read out back");
  if (hasLse && !lse.empty() && !lseBuf->copyToHost(lse.data(), lse.size() * 4).ok())
    return fail("cannot read lse back");

  // Reference: every token of small problems, a sample of large ones.
  std::vector<int64_t> toks;
  double work = double(s.tokens) * s.hQ * s.topk * (s.dQK + s.dV);
  if (work <= 4e8) {
    for (int64_t t = 0; t < s.tokens; ++t)
      toks.push_back(t);
  } else {
    std::uniform_int_distribution<int64_t> pick(0, s.tokens - 1);
    toks = {0, s.tokens - 1};
    int64_t want = std::max<int64_t>(
        2, static_cast<int64_t>(4e8 / (double(s.hQ) * s.topk * (s.dQK + s.dV))));
    while (static_cast<int64_t>(toks.size()) < want)
      toks.push_back(pick(rng));
  }
  auto qAt = [&](int64_t t, int64_t h, int64_t c) {
    return q.get(size_t((t * s.hQ + h) * s.dQK + c));
  };
  auto kvAt = [&](int64_t r, int64_t c) { return kv.get(size_t(r * s.dQK + c)); };
  double maxAbsErr = 0, maxRef = 0, maxLseErr = 0;
  int64_t nonFinite = 0, emptyRowsWrong = 0, emptyRows = 0;
  std::vector<double> ref(size_t(s.dV));
  for (int64_t t : toks)
    for (int64_t h = 0; h < s.hQ; ++h) {
      double refLse;
      attn::referenceRow(s, qAt, kvAt, indices.data() + t * s.topk, t, h,
                         ref.data(), refLse);
      bool none = std::isinf(refLse);
      emptyRows += none;
      for (int64_t c = 0; c < s.dV; ++c) {
        double got = out.get(size_t((t * s.hQ + h) * s.dV + c));
        if (!std::isfinite(got)) {
          ++nonFinite;
          continue;
        }
        if (none && got != 0.0)
          ++emptyRowsWrong;
        maxAbsErr = std::max(maxAbsErr, std::abs(got - ref[c]));
        maxRef = std::max(maxRef, std::abs(ref[c]));
      }
      if (hasLse) {
        double got = lse[size_t(t * s.hQ + h)];
        if (none) {
          if (!(std::isinf(got) && got < 0))
            ++emptyRowsWrong;
        } else if (!std::isfinite(got)) {
          ++nonFinite;
        } else {
          maxLseErr = std::max(maxLseErr, std::abs(got - refLse));
        }
      }
    }
  // P goes through the KV element type before P x V (as in FlashMLA and the
  // Triton kernels): up to half an ulp of each weight, plus the output's own
  // rounding. Scale: the largest reference value.
  double outTol = oKind == emu::EK::F32 ? 1.0 / 256 : 1.0 / 64;
  double relErr = maxRef > 0 ? maxAbsErr / maxRef : maxAbsErr;
  double lseTol = 1e-4;
  bool pass = nonFinite == 0 && emptyRowsWrong == 0 && relErr <= outTol &&
              maxLseErr <= lseTol;
  llvm::outs() << fmt::format(
      "{} on {} ({}): tokens={} h_q={} d_qk={} d_v={} topk={} page={} "
      "kv_rows={} indices={} seed={} checked_tokens={} max_abs_err={:.3e} "
      "max_rel_err={:.3e} (tolerance {:.1e}) max_lse_err={:.3e} (tolerance "
      "{:.0e}) masked_rows={} wrong_masked={} unwritten_or_nan={} -> {}\n",
      kinfo.name, opts.emulate ? std::string("the AMD emulator") : dev->label(),
      compiled->target->chip.str(), s.tokens, s.hQ, s.dQK, s.dV, s.topk, *page,
      s.kvRows, attn::indexPatternName(*pattern), seed, toks.size(), maxAbsErr,
      relErr, outTol, maxLseErr, lseTol, emptyRows, emptyRowsWrong, nonFinite,
      pass ? "PASS" : "FAIL");
  if (!pass)
    return 1;
  if (!opts.bench || empty)
    return 0;

  for (int i = 0; i < opts.warmup; ++i)
    if (rt::Status st = (*kernel)->launch(grid, block, shared, args); !st.ok())
      return fail(st.message());
  std::vector<float> times;
  for (int i = 0; i < opts.repeat; ++i) {
    auto timer = rt::Timer::create(*dev);
    if (!timer.ok())
      return fail(timer.message());
    (void)timer->start();
    if (rt::Status st = (*kernel)->launch(grid, block, shared, args); !st.ok())
      return fail(st.message());
    (void)timer->stop();
    auto ms = timer->elapsedMs();
    if (!ms.ok())
      return fail(ms.message());
    times.push_back(*ms);
  }
  std::sort(times.begin(), times.end());
  double median = times[times.size() / 2];
  int64_t valid = 0;
  for (int32_t i : indices)
    valid += i >= 0 && i < s.kvRows;
  double bytes = double(valid) * s.dQK * kv.eltBytes + q.bytes.size() +
                 out.bytes.size() + (hasLse ? lse.size() * 4.0 : 0.0);
  llvm::outs() << fmt::format(
      "bench {}: median {:.4f} ms over {} runs ({} warm-up) {:.1f} GB/s "
      "(gathered KV + q + out)\n",
      kinfo.name, median, times.size(), opts.warmup, bytes / median / 1e6);
  if (!opts.jsonOut.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream os(opts.jsonOut, ec, llvm::sys::fs::OF_Append);
    if (ec)
      return fail(fmt::format("cannot write {}: {}", opts.jsonOut, ec.message()));
    os << fmt::format(
        "{{\"kernel\": \"{}\", \"target\": \"{}\", \"op\": \"sparse_attention\", "
        "\"tokens\": {}, \"h_q\": {}, \"d_qk\": {}, \"d_v\": {}, \"topk\": {}, "
        "\"page\": {}, \"ms\": {:.6f}, \"gbps\": {:.2f}, \"config\": \"{}\"}}\n",
        kinfo.name, compiled->target->chip.str(), s.tokens, s.hQ, s.dQK, s.dV,
        s.topk, *page, median, bytes / median / 1e6, opts.configLabel);
  }
  return 0;
}
