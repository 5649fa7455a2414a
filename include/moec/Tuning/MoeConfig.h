//===- MoeConfig.h - the heuristic config of a routed MoE GEMM --*- C++ -*-===//
//
// The config a `moe_gemm` gets when neither the caller nor the tuning
// database names one (Jit::fusedMoe). Below the compute ridge a routed GEMM
// reads each active expert's weights once per block of block_m rows of that
// expert, so block_m must cover the rows an expert actually gets: with
// uniform routing an expert's row count is about binomial with mean
// r = tokens * top_k / experts, and a block_m of r alone reads about half
// of the experts' weights twice. The heuristic takes the smallest block_m of
// 16, 32, 64, 128 at least r + 2 sqrt(r) (about 98% of the experts in one
// block; a bigger block costs padded MMA work and CTAs: at 8 rows per
// expert block_m 32 measured 5% slower than 16); past r = 128 the GEMM is
// compute-bound and gets the large-tile row. benchmarks/NOTES.md
// ("2026-11-27 (night)") has the H100 sweep the NVIDIA rows come from.
//
// LLVM Support only, like the rest of lib/Tuning.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TUNING_MOECONFIG_H
#define MOEC_TUNING_MOECONFIG_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace moec::tuning {

/// The heuristic's row for a routed GEMM: 0-3 for block_m 16, 32, 64, 128
/// (memory-bound), 4 for the compute-bound large tile. `experts` counts the
/// experts the tokens are routed over (the global count with an expert
/// map); tokens <= 0 gives row 0.
int moeGemmRowClass(int64_t tokens, int64_t topK, int64_t experts);

/// The #moec.config fields of that row for a chip ("sm_90", "gfx942",
/// "host", ...): NVIDIA rows use cp.async K pipelines, AMD rows two stages
/// (its register prefetch), the host a small tile whatever the class.
std::string heuristicMoeGemmFields(llvm::StringRef chip, int rowClass);

} // namespace moec::tuning

#endif // MOEC_TUNING_MOECONFIG_H
