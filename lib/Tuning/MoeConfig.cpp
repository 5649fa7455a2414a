//===- MoeConfig.cpp - the heuristic config of a routed MoE GEMM ---------===//

#include "moec/Tuning/MoeConfig.h"

#include <algorithm>
#include <cmath>

namespace moec::tuning {

int moeGemmRowClass(int64_t tokens, int64_t topK, int64_t experts) {
  if (tokens <= 0 || topK <= 0)
    return 0;
  double mean = static_cast<double>(tokens) * static_cast<double>(topK) /
                static_cast<double>(std::max<int64_t>(experts, 1));
  if (mean > 128)
    return 4;
  double rows = mean + 2 * std::sqrt(mean);
  int cls = 0;
  for (double blockM = 16; blockM < rows && cls < 3; blockM *= 2)
    ++cls;
  return cls;
}

std::string heuristicMoeGemmFields(llvm::StringRef chip, int rowClass) {
  rowClass = std::clamp(rowClass, 0, 4);
  if (chip == "host")
    return "block_m = 16, block_n = 32, block_k = 32";
  if (chip.starts_with("sm_")) {
    // H100 (benchmarks/NOTES.md, 2026-11-27 night): Mixtral TP1 at 64
    // tokens reads w13 at 100% and w2 at 93% of copy bandwidth with row 1
    // against 68% / 82% with block_m 16; row 0 and 3 are moec tune's
    // winners at 1 and 256 tokens; row 4 the best large-M tile of the
    // fused-MoE table.
    static const char *const rows[] = {
        "block_m = 16, block_n = 128, block_k = 128, group_m = 1, "
        "num_warps = 4, num_stages = 4, async_copy = true",
        "block_m = 32, block_n = 64, block_k = 128, group_m = 1, "
        "num_warps = 4, num_stages = 4, async_copy = true",
        "block_m = 64, block_n = 128, block_k = 128, group_m = 1, "
        "num_warps = 8, num_stages = 3, async_copy = true",
        "block_m = 128, block_n = 256, block_k = 64, group_m = 1, "
        "num_warps = 8, num_stages = 4, async_copy = true",
        "block_m = 128, block_n = 128, block_k = 64, group_m = 8, "
        "num_warps = 8, num_stages = 3, async_copy = true"};
    // 192 KiB of ring for row 3's four stages fit sm_90's 227 KiB of shared
    // memory, not sm_80's 163 KiB: three stages there.
    if (rowClass == 3 && chip != "sm_90")
      return "block_m = 128, block_n = 256, block_k = 64, group_m = 1, "
             "num_warps = 8, num_stages = 3, async_copy = true";
    return rows[rowClass];
  }
  // AMD (not measured on hardware here): two stages (the register
  // prefetch), block_n and group_m growing with the rows; the compute-bound
  // row keeps 128 x 64 (the gated epilogue's f32 tile of 128 x 128 alone
  // would fill gfx942's 64 KiB of LDS).
  static const char *const rows[] = {
      "block_m = 16, block_n = 64, block_k = 64, group_m = 1, num_warps = 4, "
      "num_stages = 2",
      "block_m = 32, block_n = 64, block_k = 64, group_m = 8, num_warps = 4, "
      "num_stages = 2",
      "block_m = 64, block_n = 128, block_k = 64, group_m = 8, num_warps = 4, "
      "num_stages = 2",
      "block_m = 128, block_n = 64, block_k = 64, group_m = 8, num_warps = 4, "
      "num_stages = 2",
      "block_m = 128, block_n = 64, block_k = 64, group_m = 8, num_warps = 4, "
      "num_stages = 2"};
  return rows[rowClass];
}

} // namespace moec::tuning
