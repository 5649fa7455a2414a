// moec.gemm on NVIDIA tensor cores: the mma.sync core (ldmatrix fragments,
// m16n8k16, f32 accumulate) in the kernel IR, the NVVM it lowers to, and the
// PTX of sm_90 and sm_80.
//
// 64x64x32, 4 warps: a 2 x 2 grid of warps, each 32 x 32 = 2 x 4 mma tiles;
// per K tile 32 / 16 = 2 K steps of (2 A + 2 B) ldmatrix.x4 and 2 x 4 mma:
// 8 ldmatrix and 16 mma per kernel. LDS: (64 + 64) rows x 32 x 2 bytes.
//
// RUN: moec-opt %s --moec-lower-to-kernels | FileCheck %s --check-prefix=IR
// RUN: moec compile %s --emit kernels | FileCheck %s --check-prefix=NVVM
// RUN: moec compile %s --emit ptx | FileCheck %s --check-prefixes=PTX,PTX90
// RUN: moec compile %s --arch sm_80 --emit ptx | FileCheck %s --check-prefixes=PTX,PTX80
//
// Other tiles: 128x128x32 with 4 warps gives each warp 64 x 64 = 4 x 8 mma
// tiles, 4 x 8 x 2 = 64 mma per K tile; 8 warps halve that.
// RUN: moec compile %s --emit ptx --block-m 128 --block-n 128 --block-k 32 | FileCheck %s --check-prefix=BIG
// RUN: moec compile %s --emit ptx --block-m 128 --block-n 128 --block-k 32 --num-warps 8 | FileCheck %s --check-prefix=BIG8
// A warp tile one mma wide in N: B comes from ldmatrix.x2.
// RUN: moec compile %s --emit ptx --block-m 32 --block-n 16 --block-k 16 | FileCheck %s --check-prefix=X2
//
// num_stages shapes the K loop (the same skeleton as on AMD):
//   1: no prefetch, one LDS buffer, barriers before and after the multiply
//   2: the next tile waits in registers (loop-carried), one LDS buffer
//   3: a ring of 2 LDS buffers, one barrier per iteration
// RUN: moec compile %s --emit mlir --num-stages 1 | moec-opt --moec-lower-to-kernels --canonicalize | FileCheck %s --check-prefix=S1
// RUN: moec compile %s --emit mlir --num-stages 2 | moec-opt --moec-lower-to-kernels --canonicalize | FileCheck %s --check-prefix=S2
// RUN: moec compile %s --emit mlir --num-stages 3 | moec-opt --moec-lower-to-kernels --canonicalize | FileCheck %s --check-prefix=S3
// RUN: moec compile %s --emit ptx --num-stages 1 | FileCheck %s --check-prefix=PTXS1
// RUN: moec compile %s --emit ptx --num-stages 3 | FileCheck %s --check-prefix=PTXS3

module attributes {moec.target = #moec.target<"sm_90">} {
  // The weight kept as a linear layer keeps it: N x K, K-contiguous like LDS.
  func.func @bf16_nt(%a: memref<?x4096xbf16>, %b: memref<1024x4096xbf16>,
                     %c: memref<?x1024xbf16>) {
    moec.gemm %a, %b -> %c {
      transpose_b,
      config = #moec.config<block_m = 64, block_n = 64, block_k = 32,
                            group_m = 8, num_warps = 4, num_stages = 2>
    } : memref<?x4096xbf16>, memref<1024x4096xbf16> -> memref<?x1024xbf16>
    return
  }
  // B as K x N: transposed into K-contiguous LDS by the skeleton.
  func.func @f16_nn(%a: memref<?x4096xf16>, %b: memref<4096x1024xf16>,
                    %c: memref<?x1024xf32>) {
    moec.gemm %a, %b -> %c {
      config = #moec.config<block_m = 64, block_n = 64, block_k = 32,
                            group_m = 8, num_warps = 4, num_stages = 2>
    } : memref<?x4096xf16>, memref<4096x1024xf16> -> memref<?x1024xf32>
    return
  }
}

// IR-LABEL: gpu.func @bf16_nt_gemm
// IR-SAME: workgroup(%{{.*}} : memref<8192xi8, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// IR-SAME: known_block_size = array<i32: 128, 1, 1>
// IR-SAME: moec.lds_bytes = 8192
// IR: scf.for
// IR-COUNT-2: nvgpu.ldmatrix %{{.*}} {numTiles = 4 : i32, transpose = false} : memref<1x64x32xbf16, #gpu.address_space<workgroup>> -> vector<4x2xbf16>
// IR-COUNT-2: nvgpu.ldmatrix %{{.*}} {numTiles = 4 : i32, transpose = false} : memref<1x64x32xbf16, #gpu.address_space<workgroup>> -> vector<4x2xbf16>
// IR: vector.extract_strided_slice %{{.*}} {offsets = [0, 0], sizes = [2, 2], strides = [1, 1]} : vector<4x2xbf16> to vector<2x2xbf16>
// IR: vector.extract_strided_slice %{{.*}} {offsets = [2, 0], sizes = [2, 2], strides = [1, 1]} : vector<4x2xbf16> to vector<2x2xbf16>
// IR-COUNT-8: nvgpu.mma.sync(%{{.*}}, %{{.*}}, %{{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
// IR-COUNT-8: nvgpu.mma.sync
// IR-NOT: nvgpu.mma.sync
// IR: gpu.return
// IR-LABEL: gpu.func @f16_nn_gemm
// IR-COUNT-16: nvgpu.mma.sync(%{{.*}}, %{{.*}}, %{{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// IR-NOT: nvgpu.mma.sync
// IR: gpu.return

// NVVM-LABEL: llvm.func @bf16_nt_gemm
// NVVM-SAME: nvvm.kernel
// NVVM-COUNT-4: nvvm.ldmatrix {{.*}}num = 4 : i32
// NVVM-COUNT-8: nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// NVVM-COUNT-4: nvvm.ldmatrix
// NVVM-COUNT-8: nvvm.mma.sync {{.*}}multiplicandAPtxType = #nvvm.mma_type<bf16>
// NVVM-NOT: nvvm.mma.sync
// NVVM-LABEL: llvm.func @f16_nn_gemm
// NVVM-COUNT-4: nvvm.ldmatrix
// NVVM-COUNT-8: nvvm.mma.sync {{.*}}shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (vector<2xf16>, vector<2xf16>, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// NVVM-COUNT-4: nvvm.ldmatrix
// NVVM-COUNT-8: nvvm.mma.sync {{.*}} : (vector<2xf16>, vector<2xf16>, f32)
// NVVM-NOT: nvvm.mma.sync

// PTX: .version 8.0
// PTX90: .target sm_90
// PTX80: .target sm_80
// PTX-LABEL: .entry bf16_nt_gemm(
// PTX: .maxntid 128, 1, 1
// PTX: .shared .align 16 .b8 __wg_bf16_nt_gemm_0[8192];
// PTX-COUNT-4: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-COUNT-8: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX-COUNT-4: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-COUNT-8: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX-NOT: mma.sync
// PTX: bar.sync 0;
// PTX: st.global.b16
// PTX-LABEL: .entry f16_nn_gemm(
// PTX: .maxntid 128, 1, 1
// PTX: .shared .align 16 .b8 __wg_f16_nn_gemm_0[8192];
// PTX-COUNT-16: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX-NOT: mma.sync
// PTX: bar.sync 0;
// PTX: st.global.b32

// BIG-LABEL: .entry bf16_nt_gemm(
// BIG: .maxntid 128, 1, 1
// BIG: .shared .align 16 .b8 __wg_bf16_nt_gemm_0[16384];
// BIG-COUNT-64: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// BIG-NOT: mma.sync
// BIG-LABEL: .entry f16_nn_gemm(
// BIG-COUNT-64: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// BIG-NOT: mma.sync

// BIG8-LABEL: .entry bf16_nt_gemm(
// BIG8: .maxntid 256, 1, 1
// BIG8: .shared .align 16 .b8 __wg_bf16_nt_gemm_0[16384];
// BIG8-COUNT-32: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// BIG8-NOT: mma.sync
// BIG8-LABEL: .entry f16_nn_gemm(

// X2-LABEL: .entry bf16_nt_gemm(
// X2: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// X2: ldmatrix.sync.aligned.m8n8.x2.shared.b16
// X2: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// X2-NOT: mma.sync
// X2-LABEL: .entry f16_nn_gemm(

// S1-LABEL: gpu.func @bf16_nt_gemm
// S1-SAME: memref<8192xi8
// S1: scf.for %{{.*}} iter_args({{[^)]*}}) -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
// S1: vector.store
// S1: gpu.barrier
// S1: nvgpu.mma.sync
// S1: gpu.barrier
// S1-NEXT: scf.yield

// S2-LABEL: gpu.func @bf16_nt_gemm
// S2-SAME: memref<8192xi8
// S2: scf.for %{{.*}} -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<8xbf16>, vector<8xbf16>, vector<8xbf16>, vector<8xbf16>) {
// S2: vector.store %{{.*}} : memref<1x64x32xbf16
// S2: gpu.barrier
// S2: scf.if
// S2: nvgpu.mma.sync
// S2: gpu.barrier
// S2: scf.yield

// S3-LABEL: gpu.func @bf16_nt_gemm
// S3-SAME: memref<16384xi8
// S3: vector.store %{{.*}} : memref<2x64x32xbf16
// S3: scf.for %{{.*}} -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<8xbf16>, vector<8xbf16>, vector<8xbf16>, vector<8xbf16>) {
// S3-NEXT: gpu.barrier
// S3: vector.store %{{.*}} : memref<2x64x32xbf16
// S3: nvgpu.ldmatrix {{.*}} : memref<2x64x32xbf16
// S3: nvgpu.mma.sync
// S3-NOT: gpu.barrier
// S3: scf.yield

// PTXS1-LABEL: .entry bf16_nt_gemm(
// PTXS1: .shared .align 16 .b8 __wg_bf16_nt_gemm_0[8192];
// PTXS1-COUNT-2: bar.sync 0;
// PTXS1-NOT: bar.sync
// PTXS1-LABEL: .entry f16_nn_gemm(

// PTXS3-LABEL: .entry bf16_nt_gemm(
// PTXS3: .shared .align 16 .b8 __wg_bf16_nt_gemm_0[16384];
// PTXS3: bar.sync 0;
// PTXS3-NOT: bar.sync
// PTXS3-LABEL: .entry f16_nn_gemm(
