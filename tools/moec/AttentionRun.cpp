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
// rows (at most 2^20 rows).
//
//===----------------------------------------------------------------------===//

#include "AttentionConfig.h"
#include "AttentionData.h"
#include "Emulate.h"
#include "Run.h"
#include "RunSupport.h"

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
                                   const RunOptions &opts,
                                   SparseWindowIndicesOp window) {
  auto qT = cast<MemRefType>(op.getQ().getType());
  auto kvT = cast<MemRefType>(op.getKvCache().getType());
  auto idxT = cast<MemRefType>(op.getIndices().getType());
  auto oT = cast<MemRefType>(op.getOut().getType());
  auto qKind = kindOf(qT.getElementType()), oKind = kindOf(oT.getElementType());
  if (!qKind || !oKind)
    return fail("the run harness takes f16/bf16 q and kv_cache and "
                "f16/bf16/f32 out");
  // kv_format fp8_ds_mla: 656-byte rows (OpPlans.h), generated as a
  // serving stack would hand them over.
  const bool kvFp8 = op.getKvFormat() == KvCacheFormat::fp8_ds_mla;
  const char *kvName = kvFp8 ? "fp8_ds_mla"
                       : qT.getElementType().isBF16() ? "bf16"
                                                      : "f16";
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
      std::max<int64_t>(2 * s.topk, s.tokens * s.topk), int64_t(1) << 20);
  int64_t blocksDefault = std::max<int64_t>(1, (wantRows + *page - 1) / *page);
  int64_t blocks = kvT.getDimSize(0);
  if (ShapedType::isDynamic(blocks)) {
    auto it = opts.sizes.find("blocks");
    blocks = it != opts.sizes.end() ? it->second : blocksDefault;
  }
  s.kvRows = blocks * *page;
  if (s.tokens < 0 || s.topk < 1 || s.hQ < 1 || s.kvRows < 1)
    return fail("tokens must be >= 0 and topk, h_q, blocks >= 1");
  const int64_t kvRowBytes = kvFp8 ? kFp8DsMlaRowBytes : s.dQK * 2;
  if (s.kvRows * kvRowBytes > (int64_t(1) << 31) &&
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
  const TargetInfo &targetInfo = *lookupTarget(targetAttr.getChip());
  // The device first: its name picks the tuning database's file when the
  // config comes from the per-shape choice.
  rt::DeviceKind kind = targetInfo.isHost() || opts.emulate
                            ? rt::DeviceKind::Host
                        : targetInfo.isNVPTX() ? rt::DeviceKind::Cuda
                                               : rt::DeviceKind::Hip;
  auto device = rt::Device::open(kind, opts.deviceIndex);
  if (!device.ok())
    return fail(device.message());
  std::shared_ptr<rt::Device> dev = *device;
  if (failed(chooseAttentionConfigs(opts.configPerShape, opts.sizes,
                                    opts.emulate ? "" : dev->name(),
                                    opts.verbose, opts.bench ? "bench" : "run")))
    return 1;
  // bench's JSON names the config used (the chosen one, too).
  std::string configLabel;
  {
    llvm::raw_string_ostream os(configLabel);
    Attribute(op.getConfig()).print(os);
  }
  const SparseAttentionPlan plan =
      getSparseAttentionPlan(op, *lookupTarget(targetAttr.getChip()));

  // Lowering erases the ops: read them before.
  const bool hasLse = static_cast<bool>(op.getLse());
  int64_t windowPage = 0, windowTableBlocks = ShapedType::kDynamic;
  ActAndMulPlan windowPlan;
  if (window) {
    windowPage = static_cast<int64_t>(window.getPageSize());
    windowTableBlocks =
        cast<MemRefType>(window.getBlockTable().getType()).getDimSize(1);
    windowPlan = getSparseWindowIndicesPlan(window, targetInfo);
  }
  const bool hasWs = static_cast<bool>(op.getWorkspace());
  // Split-KV: as many splits as the plan asks for this batch on the usual
  // part of the target (--sizes splits=N overrides it).
  int64_t splits = 1;
  if (hasWs) {
    auto it = opts.sizes.find("splits");
    splits = it != opts.sizes.end()
                 ? it->second
                 : plan.kvSplitsFor(s.tokens, s.hQ, s.topk,
                                    SparseAttentionPlan::typicalComputeUnits(
                                        *lookupTarget(targetAttr.getChip())));
    if (splits < 1 || splits > plan.kernel.config.kv_splits)
      return fail(fmt::format("splits = {} must be between 1 and kv_splits = {}",
                              splits, plan.kernel.config.kv_splits));
  }
  if (opts.emulate && opts.bench)
    return fail("--emulate checks numerics; it cannot time a kernel");
  FailureOr<CompiledModule> compiled = compileModule(
      module, opts.emulate ? CompileStop::LaneLevel : CompileStop::Loadable);
  if (failed(compiled))
    return 1;
  // The window kernel (when the function fills the indices with it), the
  // attention kernel, the merge kernel (with a workspace), in op order.
  const size_t first = window ? 1 : 0;
  if (compiled->kernels.size() != first + (hasWs ? 2u : 1u))
    return fail("expected the attention kernel (and with a workspace its "
                "merge kernel, with sparse_window_indices its kernel first) "
                "after lowering");
  const OutlinedKernel &kinfo = compiled->kernels[first];
  const OutlinedKernel *mergeInfo =
      hasWs ? &compiled->kernels.back() : nullptr;
  const OutlinedKernel *windowInfo =
      window ? &compiled->kernels.front() : nullptr;
  std::optional<rt::Expected<rt::Kernel>> kernel, mergeKernel, windowKernel;
  if (!opts.emulate) {
    auto loaded = loadCompiled(*dev, *compiled);
    if (!loaded.ok())
      return fail(loaded.message());
    kernel = (*loaded)->getKernel(kinfo.name);
    if (!kernel->ok())
      return fail(kernel->message());
    if (mergeInfo) {
      mergeKernel = (*loaded)->getKernel(mergeInfo->name);
      if (!mergeKernel->ok())
        return fail(mergeKernel->message());
    }
    if (windowInfo) {
      windowKernel = (*loaded)->getKernel(windowInfo->name);
      if (!windowKernel->ok())
        return fail(windowKernel->message());
    }
  }

  // Inputs.
  uint64_t seed = opts.seed ? *opts.seed : std::random_device{}();
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uni(-1.0, 1.0);
  // A bench's cache is up to 2^20 rows (1.2 GB at d_qk 576): elements are
  // drawn from a pool of 65536 random encoded values by a splitmix64 hash of
  // the index, fast enough for that.
  Encoded pool(*qKind, size_t(1) << 16);
  for (size_t i = 0; i < (size_t(1) << 16); ++i)
    pool.set(i, uni(rng));
  uint64_t salt = rng();
  auto fill = [&](Encoded &e) {
    size_t n = e.bytes.size() / e.eltBytes;
    for (size_t i = 0; i < n; ++i) {
      uint64_t z = (i + salt) * 0x9E3779B97F4A7C15ull;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      std::memcpy(&e.bytes[i * e.eltBytes],
                  &pool.bytes[((z ^ (z >> 31)) & 0xffff) * e.eltBytes],
                  e.eltBytes);
    }
    salt = rng();
  };
  Encoded q(*qKind, size_t(s.tokens * s.hQ * s.dQK));
  Encoded kv(*qKind, kvFp8 ? 0 : size_t(s.kvRows * s.dQK));
  fill(q);
  fill(kv);
  // fp8_ds_mla rows: every e4m3fn code but the NaNs (S.1111.111) drawn
  // uniformly (all exponents), each group's f32 scale
  // 2^u / 448 with u uniform in [-1, 1) (so that neighbouring groups differ),
  // the rope bf16 from the pool; hashed like `fill` for big caches.
  std::vector<uint8_t> kvBytes;
  std::vector<double> scalePool(256);
  if (kvFp8) {
    for (double &v : scalePool)
      v = static_cast<float>(std::exp2(uni(rng)) / 448.0);
    Encoded rope(emu::EK::BF16, 1);
    kvBytes.resize(size_t(s.kvRows * kFp8DsMlaRowBytes));
    auto hash = [](uint64_t z) {
      z *= 0x9E3779B97F4A7C15ull;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      return z ^ (z >> 31);
    };
    for (int64_t r = 0; r < s.kvRows; ++r) {
      uint8_t *row = &kvBytes[size_t(r * kFp8DsMlaRowBytes)];
      // One row in 4 holds only subnormal codes (S.0000.MMM) under scales
      // 2^9 larger, so that its values weigh as much as the others' and a
      // wrong subnormal decode shows in the result.
      bool tiny = hash(uint64_t(r) + salt + 3) % 4 == 0;
      for (int64_t c = 0; c < kFp8DsMlaLatent; c += 8) {
        uint64_t z = hash(uint64_t(r * kFp8DsMlaLatent + c) + salt);
        for (int k = 0; k < 8; ++k) {
          uint8_t code = uint8_t(z >> (8 * k));
          if (tiny)
            code &= 0x87;
          row[c + k] = (code & 0x7f) == 0x7f ? code ^ 1 : code;
        }
      }
      for (int64_t g = 0; g < kFp8DsMlaLatent / kFp8DsMlaScaleGroup; ++g) {
        float sc = static_cast<float>(
            scalePool[hash(uint64_t(r * 4 + g) + salt + 1) & 0xff] *
            (tiny ? 512.0 : 1.0));
        std::memcpy(row + kFp8DsMlaScaleOffset + 4 * g, &sc, 4);
      }
      for (int64_t c = 0; c < kFp8DsMlaRope; ++c)
        std::memcpy(row + kFp8DsMlaRopeOffset + 2 * c,
                    &pool.bytes[(hash(uint64_t(r * kFp8DsMlaRope + c) + salt +
                                      2) &
                                 0xffff) *
                                pool.eltBytes],
                    2);
    }
    if (*qKind != emu::EK::BF16)
      return fail("kv_format fp8_ds_mla takes a bf16 q");
    salt = rng();
  }
  std::vector<int32_t> indices =
      attn::makeIndices(*pattern, s.tokens, s.topk, s.kvRows, *page, rng);
  // The window short-circuit: the window kernel fills the rows of short
  // windows; `indices` (a random top-k, the caller's) stays in the longer
  // ones. The reference reads what the kernel must have written.
  attn::WindowInputs win;
  std::vector<int32_t> indicesBefore;
  if (window) {
    if (*page != windowPage)
      return fail(fmt::format("sparse_window_indices has page_size {}, the "
                              "KV cache pages of {} rows",
                              windowPage, *page));
    win = attn::makeWindowInputs(s.tokens, s.topk, blocks, *page, rng);
    if (!ShapedType::isDynamic(windowTableBlocks)) {
      win.maxBlocks = windowTableBlocks;
      win.blockTable.resize(size_t(s.tokens * win.maxBlocks));
      for (int32_t &b : win.blockTable)
        b = static_cast<int32_t>(rng() % blocks);
    }
    indicesBefore = indices;
    indices = attn::windowReference(win, s.topk, *page, indicesBefore);
  }

  auto upload = [&](const void *data, size_t bytes) {
    return uploadBytes(*dev, data, bytes);
  };
  auto qBuf = upload(q.bytes.data(), q.bytes.size());
  auto kvBuf = kvFp8 ? upload(kvBytes.data(), kvBytes.size())
                     : upload(kv.bytes.data(), kv.bytes.size());
  auto idxBuf = window ? upload(indicesBefore.data(), indicesBefore.size() * 4)
                      : upload(indices.data(), indices.size() * 4);
  auto lensBuf = upload(win.seqLens.data(), win.seqLens.size() * 4);
  auto tableBuf = upload(win.blockTable.data(), win.blockTable.size() * 4);
  if (!qBuf.ok() || !kvBuf.ok() || !idxBuf.ok() || !lensBuf.ok() ||
      !tableBuf.ok())
    return fail("cannot allocate or fill the inputs on " + dev->label());
  Encoded out(*oKind, size_t(s.tokens * s.hQ * s.dV));
  std::vector<float> lse(size_t(s.tokens * s.hQ));
  auto outBuf = dev->allocate(std::max<size_t>(out.bytes.size(), 16));
  auto lseBuf = dev->allocate(std::max<size_t>(lse.size() * 4, 16));
  size_t wsElems = size_t(splits * s.tokens * s.hQ * (s.dV + 1));
  auto wsBuf = dev->allocate(std::max<size_t>(hasWs ? wsElems * 4 : 0, 16));
  if (!wsBuf.ok())
    return fail("cannot allocate the workspace on " + dev->label());
  if (!outBuf.ok() || !lseBuf.ok())
    return fail("cannot allocate the outputs on " + dev->label());
  // Poison: all-ones bytes are NaN in f16, bf16 and f32.
  if (!outBuf->fill(0xFF).ok() || !lseBuf->fill(0xFF).ok())
    return fail("cannot poison the outputs");

  rt::KernelArgs args;
  args.addMemRef(qBuf->data(), {s.tokens, s.hQ, s.dQK});
  args.addMemRef(kvBuf->data(), {blocks, *page, kvFp8 ? kFp8DsMlaRowBytes : s.dQK});
  args.addMemRef(idxBuf->data(), {s.tokens, s.topk});
  args.addMemRef(outBuf->data(), {s.tokens, s.hQ, s.dV});
  if (hasLse)
    args.addMemRef(lseBuf->data(), {s.tokens, s.hQ});
  if (hasWs)
    args.addMemRef(wsBuf->data(), {splits, s.tokens * s.hQ, s.dV + 1});
  // The window kernel's arguments: its operands in ODS order.
  rt::KernelArgs windowArgs;
  windowArgs.addMemRef(lensBuf->data(), {s.tokens});
  windowArgs.addMemRef(tableBuf->data(), {s.tokens, win.maxBlocks});
  windowArgs.addMemRef(idxBuf->data(), {s.tokens, s.topk});
  rt::Dim3 windowGrid{window ? windowPlan.gridSize(s.tokens * s.topk) : 1};
  rt::Dim3 windowBlock{window ? windowPlan.lanes : 1};
  rt::Dim3 grid{std::max<int64_t>(plan.gridSize(s.tokens, s.hQ, splits), 1)};
  rt::Dim3 mergeGrid{std::max<int64_t>(plan.mergeGridSize(s.tokens, s.hQ), 1)};
  rt::Dim3 block{plan.kernel.lanes};
  size_t shared = plan.kernel.dynamicLds ? plan.kernel.ldsBytes : 0;
  bool empty = s.tokens == 0;
  // The window kernel, the attention kernel, then the merge when there is
  // more than one split.
  auto launch = [&]() -> rt::Status {
    if (window)
      if (rt::Status st =
              (*windowKernel)->launch(windowGrid, windowBlock, 0, windowArgs);
          !st.ok())
        return st;
    if (rt::Status st = (*kernel)->launch(grid, block, shared, args); !st.ok())
      return st;
    if (splits > 1)
      return (*mergeKernel)->launch(mergeGrid, block, 0, args);
    return rt::Status();
  };
  if (!empty) {
    if (opts.emulate) {
      std::vector<const rt::Buffer *> bufs = {&*qBuf,   &*kvBuf,   &*idxBuf,
                                              &*outBuf, &*lseBuf,  &*wsBuf,
                                              &*lensBuf, &*tableBuf};
      std::string summary, error;
      if (window)
        error = tool::emulateLaunch(module, windowInfo->name,
                                    {windowGrid.x, 1, 1}, {windowBlock.x, 1, 1},
                                    windowArgs, bufs, summary);
      if (error.empty())
        error = tool::emulateLaunch(module, kinfo.name, {grid.x, 1, 1},
                                    {block.x, 1, 1}, args, bufs, summary);
      if (error.empty() && splits > 1)
        error = tool::emulateLaunch(module, mergeInfo->name,
                                    {mergeGrid.x, 1, 1}, {block.x, 1, 1}, args,
                                    bufs, summary);
      if (!error.empty())
        return fail(error);
      if (opts.verbose)
        llvm::errs() << "moec run: " << summary << "\n";
    } else if (rt::Status st = launch(); !st.ok()) {
      return fail(st.message());
    }
    if (rt::Status st = dev->synchronize(); !st.ok())
      return fail(st.message());
  }
  if (!out.bytes.empty() && !outBuf->copyToHost(out.bytes.data(), out.bytes.size()).ok())
    return fail("cannot read out back");
  if (hasLse && !lse.empty() && !lseBuf->copyToHost(lse.data(), lse.size() * 4).ok())
    return fail("cannot read lse back");
  // The window kernel's indices, exactly.
  int64_t indexMismatches = 0;
  if (window && !indices.empty()) {
    std::vector<int32_t> got(indices.size());
    if (!idxBuf->copyToHost(got.data(), got.size() * 4).ok())
      return fail("cannot read indices back");
    for (size_t i = 0; i < got.size(); ++i)
      if (got[i] != indices[i] && ++indexMismatches <= 4)
        llvm::errs() << fmt::format(
            "moec run: indices[{}, {}] (window {}) is {}, expected {}\n",
            i / s.topk, i % s.topk, win.seqLens[i / s.topk], got[i],
            indices[i]);
  }

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
  // The fp8 reference reads the cache as the op defines it: K = bf16(code x
  // scale) for the latent part (the product in f32, then rounded to bf16,
  // as the kernel does on its way into LDS), the rope as is; from there on
  // float64.
  auto kvAt = [&](int64_t r, int64_t c) -> double {
    if (!kvFp8)
      return kv.get(size_t(r * s.dQK + c));
    const uint8_t *row = &kvBytes[size_t(r * kFp8DsMlaRowBytes)];
    if (c >= kFp8DsMlaLatent) {
      uint16_t bits;
      std::memcpy(&bits, row + kFp8DsMlaRopeOffset + 2 * (c - kFp8DsMlaLatent),
                  2);
      return emu::decode(emu::EK::BF16, bits);
    }
    float sc;
    std::memcpy(&sc, row + kFp8DsMlaScaleOffset + 4 * (c / kFp8DsMlaScaleGroup),
                4);
    float exact = static_cast<float>(emu::decode(emu::EK::F8E4M3FN, row[c]) *
                                     double(sc));
    return emu::decode(emu::EK::BF16, emu::encode(emu::EK::BF16, exact));
  };
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
              maxLseErr <= lseTol && indexMismatches == 0;
  llvm::outs() << fmt::format(
      "{} on {} ({}): tokens={} h_q={} d_qk={} d_v={} topk={} page={} kv={} "
      "kv_rows={} splits={} indices={} seed={} checked_tokens={} "
      "max_abs_err={:.3e} "
      "max_rel_err={:.3e} (tolerance {:.1e}) max_lse_err={:.3e} (tolerance "
      "{:.0e}) masked_rows={} wrong_masked={} unwritten_or_nan={} -> {}\n",
      kinfo.name, opts.emulate ? std::string("the AMD emulator") : dev->label(),
      compiled->target->chip.str(), s.tokens, s.hQ, s.dQK, s.dV, s.topk,
      *page, kvName, s.kvRows, splits,
      window ? fmt::format("window-kernel ({} wrong)", indexMismatches)
             : std::string(attn::indexPatternName(*pattern)),
      seed, toks.size(), maxAbsErr,
      relErr, outTol, maxLseErr, lseTol, emptyRows, emptyRowsWrong, nonFinite,
      pass ? "PASS" : "FAIL");
  if (!pass)
    return 1;
  if (!opts.bench || empty)
    return 0;

  auto timed = medianLaunchMs(*dev, opts.warmup, opts.repeat,
                              [&](int) { return launch(); });
  if (!timed.ok())
    return fail(timed.message());
  double median = *timed;
  int64_t valid = 0;
  for (int32_t i : indices)
    valid += i >= 0 && i < s.kvRows;
  double bytes = double(valid) * kvRowBytes + q.bytes.size() +
                 out.bytes.size() + (hasLse ? lse.size() * 4.0 : 0.0);
  llvm::outs() << fmt::format(
      "bench {}: median {:.4f} ms over {} runs ({} warm-up) {:.1f} GB/s "
      "(gathered KV + q + out)\n",
      kinfo.name, median, opts.repeat, opts.warmup, bytes / median / 1e6);
  if (!opts.jsonOut.empty())
    if (std::string err = appendLine(
            opts.jsonOut,
            fmt::format(
                "{{\"kernel\": \"{}\", \"target\": \"{}\", \"op\": "
                "\"sparse_attention\", \"tokens\": {}, \"h_q\": {}, \"d_qk\": {}, "
                "\"d_v\": {}, \"kv\": \"{}\", \"topk\": {}, \"page\": {}, "
                "\"splits\": {}, \"ms\": "
                "{:.6f}, \"gbps\": {:.2f}, \"config\": \"{}\"}}",
                kinfo.name, compiled->target->chip.str(), s.tokens, s.hQ, s.dQK,
                s.dV, kvName, s.topk, *page, splits,
                median, bytes / median / 1e6,
                configLabel));
        !err.empty())
      return fail(err);
  return 0;
}

int moec::tool::runSparseWindow(ModuleOp module, SparseWindowIndicesOp op,
                                const RunOptions &opts) {
  auto lensT = cast<MemRefType>(op.getSeqLens().getType());
  auto btT = cast<MemRefType>(op.getBlockTable().getType());
  auto idxT = cast<MemRefType>(op.getIndices().getType());
  auto tokens = resolveDim(idxT.getDimSize(0), "tokens", opts);
  auto topk = resolveDim(idxT.getDimSize(1), "topk", opts);
  if (failed(tokens) || failed(topk))
    return 1;
  if (!ShapedType::isDynamic(lensT.getDimSize(0)) &&
      lensT.getDimSize(0) != *tokens)
    return fail(fmt::format("seq_lens has {} entries, indices {} rows",
                            lensT.getDimSize(0), *tokens));
  if (*tokens < 0 || *topk < 1)
    return fail("tokens must be >= 0 and topk >= 1");
  const int64_t page = static_cast<int64_t>(op.getPageSize());
  auto targetAttr =
      module->getAttrOfType<TargetAttr>(MoecDialect::kTargetAttrName);
  if (!targetAttr)
    return fail("the module has no moec.target");
  const TargetInfo &target = *lookupTarget(targetAttr.getChip());
  const ActAndMulPlan plan = getSparseWindowIndicesPlan(op, target);
  if (opts.emulate && opts.bench)
    return fail("--emulate checks numerics; it cannot time a kernel");
  rt::DeviceKind kind = target.isHost() || opts.emulate ? rt::DeviceKind::Host
                        : target.isNVPTX()              ? rt::DeviceKind::Cuda
                                                        : rt::DeviceKind::Hip;
  auto device = rt::Device::open(kind, opts.deviceIndex);
  if (!device.ok())
    return fail(device.message());
  std::shared_ptr<rt::Device> dev = *device;
  FailureOr<CompiledModule> compiled = compileModule(
      module, opts.emulate ? CompileStop::LaneLevel : CompileStop::Loadable);
  if (failed(compiled))
    return 1;
  if (compiled->kernels.size() != 1)
    return fail("expected one kernel (sparse_window_indices) after lowering");
  const OutlinedKernel &kinfo = compiled->kernels.front();
  std::optional<rt::Expected<rt::Kernel>> kernel;
  if (!opts.emulate) {
    auto loaded = loadCompiled(*dev, *compiled);
    if (!loaded.ok())
      return fail(loaded.message());
    kernel = (*loaded)->getKernel(kinfo.name);
    if (!kernel->ok())
      return fail(kernel->message());
  }

  // Windows of every kind through a random block table over a cache of
  // --sizes blocks=N pages (default: room for every window).
  uint64_t seed = opts.seed ? *opts.seed : std::random_device{}();
  std::mt19937_64 rng(seed);
  int64_t pages = *tokens * ((2 * *topk + page - 1) / page) + 1;
  if (auto it = opts.sizes.find("blocks"); it != opts.sizes.end())
    pages = std::max<int64_t>(it->second, 1);
  attn::WindowInputs in =
      attn::makeWindowInputs(*tokens, *topk, pages, page, rng);
  if (!ShapedType::isDynamic(btT.getDimSize(1))) {
    in.maxBlocks = btT.getDimSize(1);
    in.blockTable.resize(size_t(*tokens * in.maxBlocks));
    for (int32_t &b : in.blockTable)
      b = static_cast<int32_t>(rng() % pages);
  }
  // Rows the kernel must not touch keep this.
  constexpr int32_t kUntouched = 0x5eed;
  std::vector<int32_t> before(size_t(*tokens * *topk), kUntouched);
  std::vector<int32_t> want = attn::windowReference(in, *topk, page, before);
  auto lensBuf = uploadBytes(*dev, in.seqLens.data(), in.seqLens.size() * 4);
  auto tableBuf =
      uploadBytes(*dev, in.blockTable.data(), in.blockTable.size() * 4);
  auto idxBuf = uploadBytes(*dev, before.data(), before.size() * 4);
  if (!lensBuf.ok() || !tableBuf.ok() || !idxBuf.ok())
    return fail("cannot allocate or fill the inputs on " + dev->label());
  rt::KernelArgs args;
  args.addMemRef(lensBuf->data(), {*tokens});
  args.addMemRef(tableBuf->data(), {*tokens, in.maxBlocks});
  args.addMemRef(idxBuf->data(), {*tokens, *topk});
  rt::Dim3 grid{plan.gridSize(*tokens * *topk)}, block{plan.lanes};
  auto launch = [&]() { return (*kernel)->launch(grid, block, 0, args); };
  if (*tokens > 0) {
    if (opts.emulate) {
      std::string summary;
      std::string error = tool::emulateLaunch(
          module, kinfo.name, {grid.x, 1, 1}, {block.x, 1, 1}, args,
          {&*lensBuf, &*tableBuf, &*idxBuf}, summary);
      if (!error.empty())
        return fail(error);
      if (opts.verbose)
        llvm::errs() << "moec run: " << summary << "\n";
    } else if (rt::Status st = launch(); !st.ok()) {
      return fail(st.message());
    }
    if (rt::Status st = dev->synchronize(); !st.ok())
      return fail(st.message());
  }
  std::vector<int32_t> got(before.size());
  if (!got.empty() && !idxBuf->copyToHost(got.data(), got.size() * 4).ok())
    return fail("cannot read indices back");
  int64_t wrong = 0, shortRows = 0, longRows = 0, emptyRows = 0;
  for (int64_t t = 0; t < *tokens; ++t) {
    int64_t len = in.seqLens[size_t(t)];
    shortRows += len > 0 && len <= *topk;
    longRows += len > *topk;
    emptyRows += len <= 0;
  }
  for (size_t i = 0; i < got.size(); ++i)
    if (got[i] != want[i] && ++wrong <= 4)
      llvm::errs() << fmt::format(
          "moec run: indices[{}, {}] (window {}) is {}, expected {}\n",
          i / *topk, i % *topk, in.seqLens[i / *topk], got[i], want[i]);
  bool pass = wrong == 0;
  llvm::outs() << fmt::format(
      "{} on {} ({}): tokens={} topk={} page={} max_blocks={} seed={} "
      "windows: {} short (identity), {} longer than topk (left for the "
      "caller's top-k), {} empty or negative; wrong_indices={} -> {}\n",
      kinfo.name, opts.emulate ? std::string("the AMD emulator") : dev->label(),
      compiled->target->chip.str(), *tokens, *topk, page, in.maxBlocks, seed,
      shortRows, longRows, emptyRows, wrong, pass ? "PASS" : "FAIL");
  if (!pass)
    return 1;
  if (!opts.bench || *tokens == 0)
    return 0;
  auto timed = medianLaunchMs(*dev, opts.warmup, opts.repeat,
                              [&](int) { return launch(); });
  if (!timed.ok())
    return fail(timed.message());
  double bytes = double(*tokens) * *topk * 4 + in.seqLens.size() * 4.0 +
                 in.blockTable.size() * 4.0;
  llvm::outs() << fmt::format(
      "bench {}: median {:.4f} ms over {} runs ({} warm-up) {:.1f} GB/s "
      "(indices written + seq_lens + block table)\n",
      kinfo.name, *timed, opts.repeat, opts.warmup, bytes / *timed / 1e6);
  if (!opts.jsonOut.empty())
    if (std::string err = appendLine(
            opts.jsonOut,
            fmt::format("{{\"kernel\": \"{}\", \"target\": \"{}\", \"op\": "
                        "\"sparse_window_indices\", \"tokens\": {}, \"topk\": "
                        "{}, \"page\": {}, \"ms\": {:.6f}, \"gbps\": {:.2f}}}",
                        kinfo.name, compiled->target->chip.str(), *tokens,
                        *topk, page, *timed, bytes / *timed / 1e6));
        !err.empty())
      return fail(err);
  return 0;
}

int moec::tool::runAttentionFunction(ModuleOp module, const RunOptions &opts) {
  SmallVector<SparseAttentionOp> attns;
  SmallVector<SparseWindowIndicesOp> windows;
  int others = 0;
  module.walk([&](Operation *o) {
    if (auto a = dyn_cast<SparseAttentionOp>(o))
      attns.push_back(a);
    else if (auto w = dyn_cast<SparseWindowIndicesOp>(o))
      windows.push_back(w);
    else if (isa<MoecDialect>(o->getDialect()))
      ++others;
  });
  if (others || attns.size() > 1 || windows.size() > 1)
    return fail("a sparse MLA function to run holds one sparse_attention, "
                "one sparse_window_indices, or a sparse_window_indices "
                "writing the indices a sparse_attention then reads");
  if (attns.empty())
    return runSparseWindow(module, windows.front(), opts);
  if (windows.empty())
    return runSparseAttention(module, attns.front(), opts);
  SparseWindowIndicesOp w = windows.front();
  SparseAttentionOp a = attns.front();
  if (w.getIndices() != a.getIndices() || w->getBlock() != a->getBlock() ||
      !w->isBeforeInBlock(a))
    return fail("sparse_window_indices must write the indices the "
                "sparse_attention after it reads");
  return runSparseAttention(module, a, opts, w);
}
