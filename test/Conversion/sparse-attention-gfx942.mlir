// moec.sparse_attention on gfx942: every tunable shows in the ISA or the
// code object's metadata. The function is a small MLA decode (h_q 64,
// d_qk = d_v = 128, topk 256) so that every variant fits 64 KiB of LDS.
//
// LDS (SparseAttentionPlan, bf16): KV ring block_kv x 128 x 2 per buffer,
// Q block_h x 128 x 2, P block_h x block_kv x 2, scores (f32, block_h x
// block_kv x 4), indices 4 x block_kv per buffer, row statistics 3 x
// block_h x 4. P x V reads V in place from the KV ring (no transposed copy);
// the softmax's G lanes a row meet by shuffles (ds_bpermute), not in LDS.
// Default (16, 32, 2 stages, one buffer): 8192 + 4096 + 1024 + 2048 + 128 +
// 192 = 15680.
//
// MFMAs: S = Q KV^T goes over d_qk in a rolled loop of 64-column steps
// (SparseAttentionPlan::qkChunk), each (block_h / 16) (block_kv / 16) tiles
// x 64 / 16 K steps over min(num_warps, tiles) waves; O += P V is (block_h /
// 16) x 8 tiles x block_kv / 16 K steps over the waves. Default: 2 x 4 / 2 +
// 8 x 2 / 4 = 8 per wave.
//
// RUN: moec compile %s --arch gfx942 --emit asm | FileCheck %s --check-prefixes=COMMON,DEFAULT --implicit-check-not=v_mfma
//
// block_h: more Q rows, more MFMAs, more LDS (32: 4 + 8; 64: 8 + 16).
// RUN: moec compile %s --arch gfx942 --block-h 32 --emit asm | FileCheck %s --check-prefixes=COMMON,BH32 --implicit-check-not=v_mfma
// RUN: moec compile %s --arch gfx942 --block-h 64 --emit asm | FileCheck %s --check-prefixes=COMMON,BH64 --implicit-check-not=v_mfma
//
// block_kv: the gathered tile, the scores and the index row scale with it.
// RUN: moec compile %s --arch gfx942 --block-kv 16 --emit asm | FileCheck %s --check-prefixes=COMMON,BKV16 --implicit-check-not=v_mfma
// RUN: moec compile %s --arch gfx942 --block-kv 64 --emit asm | FileCheck %s --check-prefixes=COMMON,BKV64 --implicit-check-not=v_mfma
//
// num_warps: lanes in the metadata; one wave does all 24 MFMAs (and needs
// no barrier), eight split P V.
// RUN: moec compile %s --arch gfx942 --num-warps 1 --emit asm | FileCheck %s --check-prefixes=COMMON,W1 --implicit-check-not=v_mfma
// RUN: moec compile %s --arch gfx942 --num-warps 8 --emit asm | FileCheck %s --check-prefixes=COMMON,W8 --implicit-check-not=v_mfma
//
// num_stages: 3 keeps two KV buffers (and two index rows) in LDS; the store
// of the waiting block then rides on the score barrier, so a block has no
// barrier of its own (2 stages: store, barrier, compute, trailing barrier).
// RUN: moec compile %s --arch gfx942 --num-stages 1 --emit asm | FileCheck %s --check-prefixes=COMMON,S1
// RUN: moec compile %s --arch gfx942 --num-stages 3 --emit asm | FileCheck %s --check-prefixes=COMMON,S3
// RUN: moec compile %s --arch gfx942 --num-stages 1 --emit kernels | FileCheck %s --check-prefix=LOOP1
// RUN: moec compile %s --arch gfx942 --emit kernels | FileCheck %s --check-prefix=LOOP2
//
// matrix_instr_nonkdim: the 32x32 family (block_h 32).
// RUN: moec compile %s --arch gfx942 --block-h 32 --matrix-instr-nonkdim 32 --emit asm | FileCheck %s --check-prefixes=COMMON,NK32 --implicit-check-not=v_mfma_f32_16x16
//
// The score product's d_qk loop stays a loop (fully unrolled over d_qk 576
// the sm_90 kernel spilled at 255 registers).
// RUN: moec compile %s --arch gfx942 --emit llvm | FileCheck %s --check-prefix=ROLLED
//
// waves_per_eu: the function attribute the backend budgets registers by.
// RUN: moec compile %s --arch gfx942 --waves-per-eu 2 --emit llvm | FileCheck %s --check-prefix=WPE
// RUN: moec compile %s --arch gfx942 --emit llvm | FileCheck %s --check-prefix=NOWPE
//
// kpack: 2 reads the MFMA operands 16 bytes at a time: the 8-byte operand
// reads become 16-byte ones (the few ds_read_b64 left read the index row).
// RUN: moec compile %s --arch gfx942 --emit asm | FileCheck %s --check-prefix=KP1 --implicit-check-not=ds_read_b128
// RUN: moec compile %s --arch gfx942 --kpack 2 --emit asm | FileCheck %s --check-prefix=KP2 --implicit-check-not=ds_read_b128
//
// kv_splits with a workspace: a second kernel (the merge, no LDS, no MFMA)
// and a launch of it only when the workspace has more than one split.
// RUN: sed -e 's/lse(%%lse : memref<?x64xf32>)/lse(%%lse : memref<?x64xf32>) workspace(%%ws : memref<?x?x129xf32>)/' -e 's/%%lse: memref<?x64xf32>)/%%lse: memref<?x64xf32>, %%ws: memref<?x?x129xf32>)/' %s > %t.split.mlir
// RUN: moec compile %t.split.mlir --arch gfx942 --kv-splits 8 --emit asm | FileCheck %s --check-prefix=SPLIT
// RUN: moec compile %t.split.mlir --arch gfx942 --kv-splits 8 --emit mlir | moec-opt --moec-lower-to-kernels | FileCheck %s --check-prefix=SPLIT-LAUNCH

func.func @mla(%q: memref<?x64x128xbf16>, %kv: memref<?x64x128xbf16>, %idx: memref<?x256xi32>,
               %out: memref<?x64x128xbf16>, %lse: memref<?x64xf32>) {
  moec.sparse_attention %q, %kv, %idx -> %out lse(%lse : memref<?x64xf32>) {
    scale = 0.088 : f32, config = #moec.config<>
  } : memref<?x64x128xbf16>, memref<?x64x128xbf16>, memref<?x256xi32> -> memref<?x64x128xbf16>
  return
}

// COMMON: mla_sparse_attention:

// DEFAULT-COUNT-8: v_mfma_f32_16x16x16_bf16
// DEFAULT: .group_segment_fixed_size: 15680
// DEFAULT: .max_flat_workgroup_size: 256

// BH32-COUNT-12: v_mfma_f32_16x16x16_bf16
// BH32: .group_segment_fixed_size: 23040
// BH64-COUNT-24: v_mfma_f32_16x16x16_bf16
// BH64: .group_segment_fixed_size: 37760

// BKV16-COUNT-6: v_mfma_f32_16x16x16_bf16
// BKV16: .group_segment_fixed_size: 9984
// BKV64-COUNT-12: v_mfma_f32_16x16x16_bf16
// BKV64: .group_segment_fixed_size: 27072

// W1-NOT: s_barrier
// W1-COUNT-24: v_mfma_f32_16x16x16_bf16
// W1: .max_flat_workgroup_size: 64
// W8-COUNT-6: v_mfma_f32_16x16x16_bf16
// W8: .max_flat_workgroup_size: 512

// S1-COUNT-5: s_barrier
// S1-NOT: s_barrier
// S1: .group_segment_fixed_size: 15680
// S3-COUNT-3: s_barrier
// S3-NOT: s_barrier
// S3: .group_segment_fixed_size: 24000

// The KV loop (lowered to blocks) carries the output accumulators and, from
// 2 stages, the prefetched block: per lane two 16-byte vectors (32 rows x
// 128 bf16 over 256 lanes) and their two indices.
// LOOP1: llvm.br ^bb{{[0-9]+}}({{[^)]*}} : i64, vector<4xf32>, vector<4xf32>)
// LOOP2: llvm.br ^bb{{[0-9]+}}({{[^)]*}} : i64, vector<4xf32>, vector<4xf32>, vector<8xbf16>, vector<8xbf16>, i32, i32)

// NK32-COUNT-12: v_mfma_f32_32x32x8_bf16
// NK32: .group_segment_fixed_size: 23040

// ROLLED: br {{.*}}, !llvm.loop ![[LOOP:[0-9]+]]
// ROLLED: ![[LOOP]] = distinct !{![[LOOP]], ![[DISABLE:[0-9]+]]}
// ROLLED: ![[DISABLE]] = !{!"llvm.loop.unroll.disable"}

// WPE: attributes #{{[0-9]+}} = { {{.*}}"amdgpu-waves-per-eu"="2"
// NOWPE-NOT: amdgpu-waves-per-eu

// SPLIT: mla_sparse_attention:
// SPLIT: .group_segment_fixed_size: 15680
// SPLIT: .name: mla_sparse_attention
// SPLIT: .group_segment_fixed_size: 0
// SPLIT: .name: mla_sparse_attention_merge

// SPLIT-LAUNCH: %[[S:.*]] = memref.dim %arg5, %c0
// SPLIT-LAUNCH: gpu.launch_func @moec_kernels::@mla_sparse_attention blocks in
// SPLIT-LAUNCH: %[[MANY:.*]] = arith.cmpi ugt, %{{.*}}, %c1
// SPLIT-LAUNCH: scf.if %[[MANY]] {
// SPLIT-LAUNCH: gpu.launch_func @moec_kernels::@mla_sparse_attention_merge blocks in

// KP1-COUNT-2: ds_read_b128
// KP2-COUNT-7: ds_read_b128
