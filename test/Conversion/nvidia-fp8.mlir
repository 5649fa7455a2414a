// fp8_w8a8 on sm_90: OCP e4m3 / e5m2 through
// mma.sync.aligned.m16n8k32.row.col.f32.<a>.<b>.f32 (inline asm, since MLIR 22's
// nvgpu/nvvm mma.sync have no dense fp8 form), fragments read by ldmatrix.x4
// from i8 views of the fp8 LDS tiles (the same bytes: nvgpu.ldmatrix cannot
// return fp8 vectors in MLIR 22), each 4-byte row a register, and the
// module's PTX raised to ISA 8.4, which the fp8 mma needs; 16-bit kernels
// keep PTX 8.0.
//
// The lane level: four A and two B registers per mma, the accumulators tied.
// RUN: moec compile %s --arch sm_90 --emit mlir | moec-opt --moec-lower-to-kernels | FileCheck %s --check-prefix=LANE
// LANE-LABEL: gpu.func @e4m3_gemm
// LANE: %[[A8:.*]] = memref.view %{{.*}} : memref<{{[0-9]+}}xi8, #gpu.address_space<workgroup>> to memref<1x64x64xi8, #gpu.address_space<workgroup>>
// LANE: nvgpu.ldmatrix %[[A8]][{{.*}}] {numTiles = 4 : i32, transpose = false} : memref<1x64x64xi8, #gpu.address_space<workgroup>> -> vector<4x4xi8>
// LANE-NOT: vector.load {{.*}} : memref<{{.*}}xf8E4M3FN, #gpu.address_space<workgroup>>
// LANE: vector.bitcast {{.*}} : vector<4xi8> to vector<1xi32>
// LANE: llvm.inline_asm "mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 {$0, $1, $2, $3}, {$4, $5, $6, $7}, {$8, $9}, {$10, $11, $12, $13};", "=f,=f,=f,=f,r,r,r,r,r,r,0,1,2,3"
// LANE-NOT: nvgpu.mma.sync
// LANE-LABEL: gpu.func @e5m2_gemm
// LANE: llvm.inline_asm "mma.sync.aligned.m16n8k32.row.col.f32.e5m2.e4m3.f32
//
// In PTX, with a 64x64 tile, 4 warps (2 x 2, each 32 x 32: 2 x 4 mma tiles) and
// block_k 64 (2 K steps): per K step 4 ldmatrix.x4 (2 for A, 2 for B's
// pairs of n8 tiles) and 8 mma, no 32-bit LDS loads; the per-channel scale
// in the epilogue.
// RUN: moec compile %s --arch sm_90 --emit ptx | FileCheck %s --check-prefix=PTX
// PTX: .version 8.4
// PTX: .target sm_90
// PTX-LABEL: .entry e4m3_gemm
// PTX-COUNT-4: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-COUNT-8: mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32
// PTX-COUNT-4: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-COUNT-8: mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32
// PTX-NOT: mma.sync
// PTX-NOT: ld.shared.u32
// PTX: ld.global
// PTX-LABEL: .entry e5m2_gemm
// PTX: mma.sync.aligned.m16n8k32.row.col.f32.e5m2.e4m3.f32
//
// block_k must cover the instruction's K = 32:
// RUN: not moec compile %s --arch sm_90 --emit ptx --block-k 16 -o /dev/null 2>&1 | FileCheck %s --check-prefix=BK
// BK: error: {{.*}}block_k

module {
  func.func @e4m3(%a: memref<?x4096xf8E4M3FN>, %b: memref<1024x4096xf8E4M3FN>,
                  %c: memref<?x1024xbf16>, %sa: memref<f32>, %sb: memref<1024xf32>) {
    moec.gemm %a, %b -> %c scale_a(%sa : memref<f32>) scale_b(%sb : memref<1024xf32>) {
      transpose_b,
      config = #moec.config<block_m = 64, block_n = 64, block_k = 64,
                            num_warps = 4, num_stages = 2>
    } : memref<?x4096xf8E4M3FN>, memref<1024x4096xf8E4M3FN> -> memref<?x1024xbf16>
    return
  }
  func.func @e5m2(%a: memref<?x4096xf8E5M2>, %b: memref<1024x4096xf8E4M3FN>,
                  %c: memref<?x1024xbf16>, %sa: memref<f32>, %sb: memref<1024xf32>) {
    moec.gemm %a, %b -> %c scale_a(%sa : memref<f32>) scale_b(%sb : memref<1024xf32>) {
      transpose_b,
      config = #moec.config<block_m = 64, block_n = 64, block_k = 64,
                            num_warps = 4, num_stages = 2>
    } : memref<?x4096xf8E5M2>, memref<1024x4096xf8E4M3FN> -> memref<?x1024xbf16>
    return
  }
}
