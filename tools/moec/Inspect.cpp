//===- Inspect.cpp - moec inspect: resources of code objects --------------===//
//
//   moec inspect FILE.hsaco... [--json]
//
// Prints, per kernel, the workgroup size, registers, LDS, scratch, spills,
// wave size and occupancy with what limits it, as read from the code
// object's metadata and kernel descriptors. Works on any AMDGPU code object
// (v3 to v6), not only moec's.
//
//===----------------------------------------------------------------------===//

#include "moec/Target/CodeObject.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <string>
#include <vector>

using namespace moec;

int runInspect(llvm::ArrayRef<std::string> args);

namespace {

constexpr const char *kUsage =
    "usage: moec inspect FILE.hsaco... [--json]\n"
    "  Prints each kernel's workgroup size, VGPRs (architectural), AGPRs,\n"
    "  SGPRs, static LDS and scratch bytes, spills, wave size and occupancy\n"
    "  (waves per SIMD) with what limits it. The registers are what the\n"
    "  metadata reports used; occupancy follows what the kernel descriptor\n"
    "  allocates. Dynamic LDS, set at launch, is not counted.\n"
    "  --json   one JSON array, one object per file\n";

std::string workgroupText(const KernelInfo &k) {
  if (k.reqdWorkgroupSize)
    return fmt::format("{}x{}x{}", (*k.reqdWorkgroupSize)[0],
                       (*k.reqdWorkgroupSize)[1], (*k.reqdWorkgroupSize)[2]);
  return fmt::format("<={}", k.maxFlatWorkgroupSize);
}

void printTable(const std::string &file, const CodeObjectInfo &info,
                llvm::raw_ostream &os) {
  os << fmt::format("{}: {} ({}), code object v{}, {} kernel{}\n", file,
                    info.chip.empty() ? "unknown chip" : info.chip,
                    info.targetId.empty() ? "no amdhsa.target" : info.targetId,
                    info.codeObjectVersion, info.kernels.size(),
                    info.kernels.size() == 1 ? "" : "s");
  if (info.kernels.empty())
    return;
  std::vector<std::vector<std::string>> rows = {
      {"kernel", "workgroup", "vgpr", "agpr", "sgpr", "lds", "scratch",
       "spill(v/s)", "wave", "waves/simd", "limit"}};
  for (const KernelInfo &k : info.kernels) {
    std::string occupancy = "-", limit = "-";
    if (k.occupancy) {
      occupancy = fmt::format("{}/{}", k.occupancy->wavesPerSimd,
                              k.occupancy->maxWaves);
      limit = occupancyLimitName(k.occupancy->limitedBy).str();
    }
    rows.push_back({k.name, workgroupText(k), std::to_string(k.archVgprs()),
                    std::to_string(k.agprCount), std::to_string(k.sgprCount),
                    std::to_string(k.ldsBytes), std::to_string(k.scratchBytes),
                    fmt::format("{}/{}", k.vgprSpillCount, k.sgprSpillCount),
                    std::to_string(k.wavefrontSize), occupancy, limit});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto &row : rows)
    for (size_t c = 0; c < row.size(); ++c)
      width[c] = std::max(width[c], row[c].size());
  for (size_t r = 0; r < rows.size(); ++r) {
    std::string line = "  ";
    for (size_t c = 0; c < rows[r].size(); ++c) {
      // Names left-aligned, numbers right-aligned.
      line += c == 0 ? fmt::format("{:<{}}", rows[r][c], width[c])
                     : fmt::format("  {:>{}}", rows[r][c], width[c]);
    }
    os << llvm::StringRef(line).rtrim() << "\n";
    if (r == 0)
      continue;
    for (const std::string &note : info.kernels[r - 1].notes)
      os << "    note: " << note << "\n";
  }
}

llvm::json::Value kernelJson(const KernelInfo &k) {
  llvm::json::Object o{
      {"name", k.name},
      {"symbol", k.symbol},
      {"max_flat_workgroup_size", k.maxFlatWorkgroupSize},
      {"reqd_workgroup_size",
       k.reqdWorkgroupSize
           ? llvm::json::Value(llvm::json::Array{(*k.reqdWorkgroupSize)[0],
                                                 (*k.reqdWorkgroupSize)[1],
                                                 (*k.reqdWorkgroupSize)[2]})
           : llvm::json::Value(nullptr)},
      {"vgpr_count", k.vgprCount},
      {"arch_vgpr_count", k.archVgprs()},
      {"agpr_count", k.agprCount},
      {"sgpr_count", k.sgprCount},
      {"vgpr_spill_count", k.vgprSpillCount},
      {"sgpr_spill_count", k.sgprSpillCount},
      {"lds_bytes", k.ldsBytes},
      {"scratch_bytes", k.scratchBytes},
      {"wavefront_size", k.wavefrontSize},
      {"kernarg_segment_size", k.kernargSegmentSize},
      {"uses_dynamic_stack", k.usesDynamicStack},
  };
  if (k.descriptor) {
    const KernelDescriptor &d = *k.descriptor;
    o["descriptor"] = llvm::json::Object{
        {"vgprs_allocated", d.vgprsAllocated},
        {"sgprs_allocated", d.sgprsAllocated},
        {"accum_offset", d.accumOffset},
        {"granulated_vgpr_count", d.granulatedVgprs},
        {"granulated_sgpr_count", d.granulatedSgprs},
        {"group_segment_fixed_size", d.groupSegmentFixedSize},
        {"private_segment_fixed_size", d.privateSegmentFixedSize},
        {"kernarg_size", d.kernargSize},
        {"compute_pgm_rsrc1", d.computePgmRsrc1},
        {"compute_pgm_rsrc2", d.computePgmRsrc2},
        {"compute_pgm_rsrc3", d.computePgmRsrc3},
    };
  } else {
    o["descriptor"] = nullptr;
  }
  if (k.occupancy) {
    const Occupancy &occ = *k.occupancy;
    o["occupancy"] = llvm::json::Object{
        {"waves_per_simd", occ.wavesPerSimd},
        {"max_waves_per_simd", occ.maxWaves},
        {"by_vgpr", occ.byVgprs},
        {"by_sgpr", occ.bySgprs},
        {"by_lds", occ.byLds},
        {"by_allocation", occ.byAllocation},
        {"limited_by", occupancyLimitName(occ.limitedBy)},
    };
  } else {
    o["occupancy"] = nullptr;
  }
  llvm::json::Array notes;
  for (const std::string &note : k.notes)
    notes.push_back(note);
  o["notes"] = std::move(notes);
  return o;
}

llvm::json::Value fileJson(const std::string &file,
                           const CodeObjectInfo &info) {
  llvm::json::Array kernels;
  for (const KernelInfo &k : info.kernels)
    kernels.push_back(kernelJson(k));
  return llvm::json::Object{
      {"file", file},
      {"target", info.targetId},
      {"chip", info.chip},
      {"code_object_version", info.codeObjectVersion},
      {"kernels", std::move(kernels)},
  };
}

} // namespace

int runInspect(llvm::ArrayRef<std::string> args) {
  bool json = false;
  std::vector<std::string> files;
  for (const std::string &arg : args) {
    if (arg == "--json" || arg == "-json") {
      json = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      llvm::errs() << fmt::format("moec inspect: error: unknown option '{}'\n",
                                  arg)
                   << kUsage;
      return 1;
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) {
    llvm::errs() << "moec inspect: error: no code object given\n" << kUsage;
    return 1;
  }

  int status = 0;
  llvm::json::Array results;
  for (const std::string &file : files) {
    llvm::Expected<CodeObjectInfo> info = readCodeObjectFile(file);
    if (!info) {
      llvm::errs() << "moec inspect: error: "
                   << llvm::toString(info.takeError()) << "\n";
      status = 1;
      continue;
    }
    if (json)
      results.push_back(fileJson(file, *info));
    else
      printTable(file, *info, llvm::outs());
  }
  if (json)
    llvm::outs() << llvm::formatv("{0:2}",
                                  llvm::json::Value(std::move(results)))
                 << "\n";
  return status;
}
