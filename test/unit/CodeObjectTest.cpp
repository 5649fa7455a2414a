//===- CodeObjectTest.cpp - lib/Target: emission, linking, reading back ---===//
//
// Builds code objects in-process (no ld.lld, no files kept), reads them back,
// and checks that damaged input gives errors, never crashes: truncated at
// every offset, and with bytes flipped at random (a fixed seed).
//
//===----------------------------------------------------------------------===//

#include "moec/Target/CodeObject.h"
#include "moec/Target/Backend.h"
#include "moec/Target/TargetInfo.h"

#include "llvm/AsmParser/Parser.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/SourceMgr.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <thread>

using namespace moec;

namespace {

/// Two kernels: an MFMA with 4 KiB of LDS under waves-per-eu 2, and one with
/// 48 KiB of LDS and a required workgroup of 256 lanes.
constexpr const char *kKernels = R"(
@tile = internal addrspace(3) global [1024 x float] poison, align 16
@big = internal addrspace(3) global [12288 x float] poison, align 16

define amdgpu_kernel void @mfma_lds(ptr addrspace(1) %a, ptr addrspace(1) %c) #0 {
  %tid = call i32 @llvm.amdgcn.workitem.id.x()
  %pa = getelementptr <4 x half>, ptr addrspace(1) %a, i32 %tid
  %va = load <4 x half>, ptr addrspace(1) %pa, align 8
  %acc = call <4 x float> @llvm.amdgcn.mfma.f32.16x16x16f16(<4 x half> %va, <4 x half> %va, <4 x float> zeroinitializer, i32 0, i32 0, i32 0)
  %ps = getelementptr <4 x float>, ptr addrspace(3) @tile, i32 %tid
  store <4 x float> %acc, ptr addrspace(3) %ps, align 16
  call void @llvm.amdgcn.s.barrier()
  %other = xor i32 %tid, 1
  %pl = getelementptr <4 x float>, ptr addrspace(3) @tile, i32 %other
  %v = load <4 x float>, ptr addrspace(3) %pl, align 16
  %pc = getelementptr <4 x float>, ptr addrspace(1) %c, i32 %tid
  store <4 x float> %v, ptr addrspace(1) %pc, align 16
  ret void
}

define amdgpu_kernel void @big_lds(ptr addrspace(1) %out) #1 !reqd_work_group_size !0 {
  %tid = call i32 @llvm.amdgcn.workitem.id.x()
  %f = uitofp i32 %tid to float
  %ps = getelementptr float, ptr addrspace(3) @big, i32 %tid
  store float %f, ptr addrspace(3) %ps, align 4
  call void @llvm.amdgcn.s.barrier()
  %rev = sub i32 12287, %tid
  %pl = getelementptr float, ptr addrspace(3) @big, i32 %rev
  %v = load float, ptr addrspace(3) %pl, align 4
  %po = getelementptr float, ptr addrspace(1) %out, i32 %tid
  store float %v, ptr addrspace(1) %po, align 4
  ret void
}

declare i32 @llvm.amdgcn.workitem.id.x()
declare void @llvm.amdgcn.s.barrier()
declare <4 x float> @llvm.amdgcn.mfma.f32.16x16x16f16(<4 x half>, <4 x half>, <4 x float>, i32, i32, i32)

attributes #0 = { "amdgpu-waves-per-eu"="2,2" "amdgpu-flat-work-group-size"="256,256" }
attributes #1 = { "amdgpu-flat-work-group-size"="256,256" }
!0 = !{i32 256, i32 1, i32 1}
)";

std::unique_ptr<llvm::Module> parseKernels(llvm::LLVMContext &context) {
  llvm::SMDiagnostic diag;
  std::unique_ptr<llvm::Module> module =
      llvm::parseAssemblyString(kKernels, diag, context);
  if (!module)
    ADD_FAILURE() << diag.getMessage().str();
  return module;
}

llvm::Expected<CodeObjectBinary> build(llvm::StringRef chip, LinkVia via) {
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> module = parseKernels(context);
  return emitCodeObject(*module, chip, EmitOptions(), via);
}

/// A gfx942 code object, built once (in-process lld) for the reading tests.
const std::vector<char> &gfx942CodeObject() {
  static const std::vector<char> bytes = [] {
    llvm::Expected<CodeObjectBinary> binary = build("gfx942", LinkVia::Lld);
    if (!binary) {
      ADD_FAILURE() << llvm::toString(binary.takeError());
      return std::vector<char>();
    }
    return std::move(binary->bytes);
  }();
  return bytes;
}

const KernelInfo *findKernel(const CodeObjectInfo &info, llvm::StringRef name) {
  for (const KernelInfo &k : info.kernels)
    if (k.name == name)
      return &k;
  return nullptr;
}

TEST(CodeObject, ReadsBackWhatTheBackendWrote) {
  const std::vector<char> &bytes = gfx942CodeObject();
  ASSERT_FALSE(bytes.empty());
  llvm::Expected<CodeObjectInfo> info = readCodeObject(bytes, "gfx942.hsaco");
  ASSERT_TRUE(bool(info)) << llvm::toString(info.takeError());
  EXPECT_EQ(info->chip, "gfx942");
  EXPECT_EQ(info->targetId, "amdgcn-amd-amdhsa--gfx942");
  EXPECT_EQ(info->codeObjectVersion, 5u);
  ASSERT_EQ(info->kernels.size(), 2u);

  const KernelInfo *mfma = findKernel(*info, "mfma_lds");
  ASSERT_NE(mfma, nullptr);
  EXPECT_EQ(mfma->symbol, "mfma_lds.kd");
  EXPECT_EQ(mfma->maxFlatWorkgroupSize, 256);
  EXPECT_FALSE(mfma->reqdWorkgroupSize);
  EXPECT_EQ(mfma->ldsBytes, 4096);
  EXPECT_EQ(mfma->scratchBytes, 0);
  EXPECT_EQ(mfma->wavefrontSize, 64);
  EXPECT_GT(mfma->vgprCount, 0);
  ASSERT_TRUE(mfma->descriptor);
  EXPECT_EQ(mfma->descriptor->groupSegmentFixedSize, 4096u);
  // waves-per-eu 2: LLVM pads the allocation so that no third wave fits.
  EXPECT_GT(mfma->descriptor->vgprsAllocated, 512 / 3);
  ASSERT_TRUE(mfma->occupancy);
  EXPECT_EQ(mfma->occupancy->wavesPerSimd, 2);
  EXPECT_EQ(mfma->occupancy->limitedBy, OccupancyLimit::WavesPerEU);

  const KernelInfo *big = findKernel(*info, "big_lds");
  ASSERT_NE(big, nullptr);
  ASSERT_TRUE(big->reqdWorkgroupSize);
  EXPECT_EQ((*big->reqdWorkgroupSize)[0], 256);
  EXPECT_EQ(big->workgroupSize(), 256);
  EXPECT_EQ(big->ldsBytes, 48 * 1024);
  ASSERT_TRUE(big->occupancy);
  EXPECT_EQ(big->occupancy->wavesPerSimd, 1);
  EXPECT_EQ(big->occupancy->limitedBy, OccupancyLimit::LDS);
}

TEST(CodeObject, TruncatedAtEveryOffsetGivesAnErrorNamingTheFile) {
  const std::vector<char> &bytes = gfx942CodeObject();
  ASSERT_FALSE(bytes.empty());
  for (size_t size = 0; size < bytes.size(); ++size) {
    llvm::Expected<CodeObjectInfo> info =
        readCodeObject(llvm::ArrayRef<char>(bytes.data(), size), "cut.hsaco");
    // The section headers sit at the end: any cut loses some of them.
    ASSERT_FALSE(bool(info)) << "cut at " << size << " was accepted";
    std::string message = llvm::toString(info.takeError());
    ASSERT_EQ(message.rfind("cut.hsaco: ", 0), 0u) << message;
  }
}

TEST(CodeObject, FlippedBytesNeverCrash) {
  const std::vector<char> &bytes = gfx942CodeObject();
  ASSERT_FALSE(bytes.empty());
  // Aim half the damage at the metadata note (msgpack) and the kernel
  // descriptors, where the parsing is moec's own, half anywhere.
  llvm::StringRef whole(bytes.data(), bytes.size());
  size_t note = whole.find("amdhsa.kernels");
  ASSERT_NE(note, llvm::StringRef::npos);
  // MOEC_FUZZ_ROUNDS=N fuzzes longer (and MOEC_FUZZ_SEED another seed).
  const char *roundsEnv = std::getenv("MOEC_FUZZ_ROUNDS");
  const char *seedEnv = std::getenv("MOEC_FUZZ_SEED");
  int rounds = roundsEnv ? std::atoi(roundsEnv) : 4000;
  std::mt19937 rng(seedEnv ? std::atoi(seedEnv) : 20261122);
  int errors = 0, accepted = 0;
  for (int round = 0; round < rounds; ++round) {
    std::vector<char> damaged = bytes;
    int flips = 1 + rng() % 8;
    for (int i = 0; i < flips; ++i) {
      size_t at = round % 2
                      ? rng() % damaged.size()
                      : std::min(damaged.size() - 1, note - 64 + rng() % 2048);
      damaged[at] = static_cast<char>(rng());
    }
    llvm::Expected<CodeObjectInfo> info =
        readCodeObject(damaged, "damaged.hsaco");
    if (info) {
      ++accepted;
      for (const KernelInfo &k : info->kernels)
        EXPECT_FALSE(k.name.empty());
    } else {
      ++errors;
      std::string message = llvm::toString(info.takeError());
      ASSERT_EQ(message.rfind("damaged.hsaco: ", 0), 0u) << message;
    }
  }
  // Both outcomes occur: damage in padding or code is harmless.
  EXPECT_GT(errors, 0);
  EXPECT_GT(accepted, 0);
}

TEST(CodeObject, RefusesWhatIsNotACodeObject) {
  auto error = [](llvm::StringRef bytes) {
    llvm::Expected<CodeObjectInfo> info =
        readCodeObject(llvm::ArrayRef<char>(bytes.data(), bytes.size()), "x");
    return info ? std::string("accepted") : llvm::toString(info.takeError());
  };
  EXPECT_EQ(error(""), "x: empty file, not a code object");
  EXPECT_EQ(error("#!/bin/sh"), "x: not an ELF file (no \\x7fELF magic)");
  EXPECT_EQ(error("\x7f"
                  "ELF\x02\x01"),
            "x: truncated: 6 bytes, fewer than an ELF header (64)");
  EXPECT_NE(error("__CLANG_OFFLOAD_BUNDLE__").find("clang offload bundle"),
            std::string::npos);
}

/// The code object with the value right after the msgpack key `key`
/// replaced by the one-byte encoding `value` (positive or negative fixint).
std::vector<char> withMetadataByte(llvm::StringRef key, uint8_t value) {
  std::vector<char> bytes = gfx942CodeObject();
  llvm::StringRef all(bytes.data(), bytes.size());
  size_t at = all.find(key);
  EXPECT_NE(at, llvm::StringRef::npos) << key.str();
  if (at == llvm::StringRef::npos)
    return bytes;
  bytes[at + key.size()] = static_cast<char>(value);
  return bytes;
}

// Untrusted metadata: a count no chip has is a malformed field, reported
// with the kernel and the key. It used to be taken as is and overflow in the
// cross-check and the occupancy arithmetic (UBSan: signed overflow), and
// `moec inspect` printed e.g. `vgpr -9223372036854775808` as if real.
TEST(CodeObject, OutOfRangeMetadataIsAnError) {
  for (const char *key : {".vgpr_count", ".sgpr_count", ".agpr_count",
                          ".group_segment_fixed_size",
                          ".private_segment_fixed_size"}) {
    std::vector<char> bytes = withMetadataByte(key, 0xff); // fixint -1
    llvm::Expected<CodeObjectInfo> info = readCodeObject(bytes, "bad.hsaco");
    ASSERT_FALSE(bool(info)) << key << " = -1 was accepted";
    std::string message = llvm::toString(info.takeError());
    EXPECT_NE(message.find(std::string(key) + " = -1 is out of range (0 to "),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("malformed metadata"), std::string::npos)
        << message;
  }
}

//===----------------------------------------------------------------------===//
// Occupancy
//===----------------------------------------------------------------------===//

// The occupancy helpers take sizes that come from untrusted files: extreme
// values give an answer in range, without overflow.
TEST(Occupancy, ExtremeInputsStayInRange) {
  for (const char *chip : {"gfx90a", "gfx942", "gfx950"}) {
    const TargetInfo &t = *lookupTarget(chip);
    EXPECT_EQ(t.occupancyForVgprs(INT64_MAX), 0) << chip;
    EXPECT_EQ(t.occupancyForVgprs(INT64_MAX - 3), 0) << chip;
    int64_t lds = t.occupancyForLds(1, INT64_MAX);
    EXPECT_GE(lds, 1) << chip;
    EXPECT_LE(lds, t.maxWavesPerEU) << chip;
    EXPECT_EQ(t.occupancyForLds(INT64_MAX, 256), 0) << chip;
    EXPECT_EQ(t.occupancyForSgprs(INT64_MAX), 7) << chip;
  }
  KernelInfo k;
  k.reqdWorkgroupSize = std::array<int64_t, 3>{INT64_MAX, INT64_MAX, 2};
  EXPECT_EQ(k.workgroupSize(), INT64_MAX);
  k.reqdWorkgroupSize = std::array<int64_t, 3>{64, 4, 2};
  EXPECT_EQ(k.workgroupSize(), 512);
}

KernelInfo kernel(int64_t vgprs, int64_t sgprs, int64_t lds,
                  int64_t workgroup) {
  KernelInfo k;
  k.name = "k";
  k.vgprCount = vgprs;
  k.sgprCount = sgprs;
  k.ldsBytes = lds;
  k.maxFlatWorkgroupSize = workgroup;
  k.wavefrontSize = 64;
  return k;
}

TEST(Occupancy, VgprsOfTheUnifiedFile) {
  const TargetInfo &gfx942 = *lookupTarget("gfx942");
  auto waves = [&](int64_t vgprs) {
    return computeOccupancy(gfx942, kernel(vgprs, 16, 0, 256)).wavesPerSimd;
  };
  EXPECT_EQ(waves(1), 8);
  EXPECT_EQ(waves(64), 8);
  EXPECT_EQ(waves(65), 7); // 72 after the granule of 8
  EXPECT_EQ(waves(128), 4);
  EXPECT_EQ(waves(129), 3);
  EXPECT_EQ(waves(192), 2); // e.g. 128 VGPRs + 64 AGPRs
  EXPECT_EQ(waves(256), 2);
  EXPECT_EQ(waves(257), 1);
  EXPECT_EQ(waves(512), 1);
}

TEST(Occupancy, LdsSharedByTheWorkgroupsOfACU) {
  const TargetInfo &gfx942 = *lookupTarget("gfx942");
  const TargetInfo &gfx950 = *lookupTarget("gfx950");
  auto byLds = [](const TargetInfo &t, int64_t lds, int64_t workgroup) {
    return computeOccupancy(t, kernel(8, 16, lds, workgroup)).byLds;
  };
  EXPECT_EQ(byLds(gfx942, 0, 256), 8);
  EXPECT_EQ(byLds(gfx942, 64 * 1024, 256), 1); // 1 workgroup of 4 waves
  EXPECT_EQ(byLds(gfx942, 32 * 1024, 256), 2); // 2 x 4 waves over 4 SIMDs
  EXPECT_EQ(byLds(gfx942, 8 * 1024, 64), 2);   // 8 one-wave workgroups
  EXPECT_EQ(byLds(gfx942, 16 * 1024, 64), 1);
  EXPECT_EQ(byLds(gfx942, 4 * 1024, 1024), 8);     // 16 x 16 waves, capped
  EXPECT_EQ(byLds(gfx942, 64 * 1024 + 1, 256), 0); // does not fit at all
  EXPECT_EQ(byLds(gfx950, 48 * 1024, 256), 3);     // 160 KiB per CU
  EXPECT_EQ(byLds(gfx950, 64 * 1024 + 1, 256), 2);
}

TEST(Occupancy, SgprsAndTheLimitNamed) {
  const TargetInfo &gfx90a = *lookupTarget("gfx90a");
  EXPECT_EQ(computeOccupancy(gfx90a, kernel(8, 80, 0, 64)).bySgprs, 8);
  EXPECT_EQ(computeOccupancy(gfx90a, kernel(8, 102, 0, 64)).bySgprs, 7);

  Occupancy none = computeOccupancy(gfx90a, kernel(32, 24, 1024, 256));
  EXPECT_EQ(none.wavesPerSimd, 8);
  EXPECT_EQ(none.limitedBy, OccupancyLimit::None);

  Occupancy lds = computeOccupancy(gfx90a, kernel(128, 24, 32 * 1024, 256));
  EXPECT_EQ(lds.wavesPerSimd, 2);
  EXPECT_EQ(lds.limitedBy, OccupancyLimit::LDS);

  // A tie names the VGPRs.
  Occupancy tie = computeOccupancy(gfx90a, kernel(192, 24, 32 * 1024, 256));
  EXPECT_EQ(tie.wavesPerSimd, 2);
  EXPECT_EQ(tie.limitedBy, OccupancyLimit::VGPR);

  Occupancy sgpr = computeOccupancy(gfx90a, kernel(8, 102, 0, 64));
  EXPECT_EQ(sgpr.wavesPerSimd, 7);
  EXPECT_EQ(sgpr.limitedBy, OccupancyLimit::SGPR);

  // The descriptor allocates more than the kernel uses: the compiler's cap.
  KernelInfo padded = kernel(12, 14, 4096, 256);
  padded.descriptor = KernelDescriptor();
  padded.descriptor->vgprsAllocated = 176;
  padded.descriptor->sgprsAllocated = 16;
  Occupancy cap = computeOccupancy(gfx90a, padded);
  EXPECT_EQ(cap.byVgprs, 8);
  EXPECT_EQ(cap.byAllocation, 2);
  EXPECT_EQ(cap.wavesPerSimd, 2);
  EXPECT_EQ(cap.limitedBy, OccupancyLimit::WavesPerEU);
}

//===----------------------------------------------------------------------===//
// Linking
//===----------------------------------------------------------------------===//

llvm::cl::opt<int> probe("moec-codeobject-test-probe", llvm::cl::init(1),
                         llvm::cl::Hidden);

TEST(Link, InProcessLldKeepsTheProgramsOptions) {
  // lld's driver resets every llvm::cl option of the process; the link must
  // leave the host program's parsed flags alone.
  const char *argv[] = {"moec-unittests", "--moec-codeobject-test-probe=42"};
  ASSERT_TRUE(llvm::cl::ParseCommandLineOptions(2, argv, "", &llvm::errs()));
  ASSERT_EQ(probe, 42);
  llvm::Expected<CodeObjectBinary> binary = build("gfx950", LinkVia::Lld);
  ASSERT_TRUE(bool(binary)) << llvm::toString(binary.takeError());
  EXPECT_EQ(binary->linkedBy, LinkVia::Lld);
  EXPECT_EQ(probe, 42);
  EXPECT_EQ(probe.getNumOccurrences(), 1);
}

TEST(Link, LldErrorsComeBackAsText) {
  std::vector<char> garbage(128, 'x');
  llvm::Expected<CodeObjectBinary> binary =
      linkCodeObject(garbage, "gfx942", LinkVia::Lld);
  ASSERT_FALSE(bool(binary));
  std::string message = llvm::toString(binary.takeError());
  EXPECT_NE(message.find("lld could not link a code object for gfx942"),
            std::string::npos)
      << message;
  // lld's own words follow.
  EXPECT_NE(message.find("gfx942.o"), std::string::npos) << message;
}

TEST(Link, ComgrAndLldAgree) {
  llvm::Expected<ComgrInfo> comgr = queryComgr();
  if (!comgr) {
    std::string why = llvm::toString(comgr.takeError());
    GTEST_SKIP() << why;
  }
  if (!comgr->knowsChip("gfx90a"))
    GTEST_SKIP() << comgr->describe() << " does not know gfx90a";
  llvm::Expected<CodeObjectBinary> viaComgr = build("gfx90a", LinkVia::Comgr);
  ASSERT_TRUE(bool(viaComgr)) << llvm::toString(viaComgr.takeError());
  llvm::Expected<CodeObjectBinary> viaLld = build("gfx90a", LinkVia::Lld);
  ASSERT_TRUE(bool(viaLld)) << llvm::toString(viaLld.takeError());
  llvm::Expected<CodeObjectInfo> a = readCodeObject(viaComgr->bytes, "comgr");
  llvm::Expected<CodeObjectInfo> b = readCodeObject(viaLld->bytes, "lld");
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  ASSERT_TRUE(bool(b)) << llvm::toString(b.takeError());
  ASSERT_EQ(a->kernels.size(), b->kernels.size());
  for (size_t i = 0; i < a->kernels.size(); ++i) {
    const KernelInfo &x = a->kernels[i], &y = b->kernels[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.vgprCount, y.vgprCount);
    EXPECT_EQ(x.ldsBytes, y.ldsBytes);
    ASSERT_TRUE(x.occupancy && y.occupancy);
    EXPECT_EQ(x.occupancy->wavesPerSimd, y.occupancy->wavesPerSimd);
  }
  // Auto takes comgr where it knows the chip, and says why.
  llvm::Expected<CodeObjectBinary> automatic = build("gfx90a", LinkVia::Auto);
  ASSERT_TRUE(bool(automatic)) << llvm::toString(automatic.takeError());
  EXPECT_EQ(automatic->linkedBy, LinkVia::Comgr);
  EXPECT_NE(automatic->reason.find("knows gfx90a"), std::string::npos);
}

TEST(Backend, ThreadsCompileAndLinkAtOnce) {
  // Each thread its own LLVMContext; TargetMachines are per thread, lld and
  // comgr serialize themselves.
  const char *chips[] = {"gfx90a", "gfx942", "gfx950", "gfx942"};
  std::vector<std::string> failures(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 2; ++round) {
        llvm::Expected<CodeObjectBinary> binary = build(chips[t], LinkVia::Lld);
        if (!binary) {
          failures[t] = llvm::toString(binary.takeError());
          return;
        }
        llvm::Expected<CodeObjectInfo> info =
            readCodeObject(binary->bytes, chips[t]);
        if (!info) {
          failures[t] = llvm::toString(info.takeError());
          return;
        }
        if (info->chip != chips[t] || info->kernels.size() != 2) {
          failures[t] = "wrong code object for " + std::string(chips[t]);
          return;
        }
      }
    });
  for (std::thread &thread : threads)
    thread.join();
  for (const std::string &failure : failures)
    EXPECT_EQ(failure, "");
}

TEST(Backend, EmitsPTX) {
  llvm::LLVMContext context;
  llvm::SMDiagnostic diag;
  std::unique_ptr<llvm::Module> module = llvm::parseAssemblyString(
      R"(define ptx_kernel void @k(ptr addrspace(1) %p) {
           store float 1.0, ptr addrspace(1) %p
           ret void
         })",
      diag, context);
  ASSERT_TRUE(module) << diag.getMessage().str();
  llvm::Expected<std::string> ptx = emitPTX(*module, "sm_90");
  ASSERT_TRUE(bool(ptx)) << llvm::toString(ptx.takeError());
  EXPECT_NE(ptx->find(".target sm_90"), std::string::npos);
  EXPECT_NE(ptx->find(".visible .entry k("), std::string::npos);
  EXPECT_EQ(module->getTargetTriple().str(), "nvptx64-nvidia-cuda");
}

} // namespace
