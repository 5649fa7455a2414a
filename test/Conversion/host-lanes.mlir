// The host runs the GPU lane program (docs/architecture.md, "The host
// target"): num_warps x 64 lanes per workgroup, the LDS ring of num_stages,
// the lds epilogue, kpack-wide LDS reads. Each tuning parameter that shapes
// the GPU kernel shapes the host kernel too.
//
// The lane level of the host (the gpu.func moec-kernels-to-host turns into
// the CPU lane function), 64x64x32 bf16 tile:
// RUN: moec compile %s --arch host --emit mlir | moec-opt --moec-lower-to-kernels --canonicalize --cse | FileCheck %s --check-prefixes=LANES,S2,NW4
// RUN: moec compile %s --arch host --emit mlir | moec-opt --moec-lower-to-kernels --canonicalize --cse | FileCheck %s --check-prefixes=KP1
// RUN: moec compile %s --arch host --emit mlir --num-stages 1 | moec-opt --moec-lower-to-kernels --canonicalize --cse | FileCheck %s --check-prefixes=LANES,S1
// RUN: moec compile %s --arch host --emit mlir --num-stages 3 | moec-opt --moec-lower-to-kernels --canonicalize --cse | FileCheck %s --check-prefixes=LANES,S3
// RUN: moec compile %s --arch host --emit mlir --num-stages 4 | moec-opt --moec-lower-to-kernels --canonicalize --cse | FileCheck %s --check-prefixes=LANES,S4
// RUN: moec compile %s --arch host --emit mlir --epilogue lds | moec-opt --moec-lower-to-kernels --canonicalize --cse | FileCheck %s --check-prefixes=LANES,EPI
// RUN: moec compile %s --arch host --emit mlir --kpack 2 | moec-opt --moec-lower-to-kernels --canonicalize --cse | FileCheck %s --check-prefixes=KP2
// RUN: moec compile %s --arch host --emit mlir --num-warps 1 | moec-opt --moec-lower-to-kernels --canonicalize --cse | FileCheck %s --check-prefixes=LANES,NW1
// RUN: moec compile %s --arch host --emit mlir --num-warps 16 | moec-opt --moec-lower-to-kernels --canonicalize --cse | FileCheck %s --check-prefixes=LANES,NW16
// RUN: moec compile %s --arch host --emit mlir --block-m 32 --block-n 128 --block-k 64 | moec-opt --moec-lower-to-kernels --canonicalize --cse | FileCheck %s --check-prefixes=LANES,TILE
//
// The CPU code: every value of those parameters gives a different host
// kernel (LLVM IR); waves_per_eu and matrix_instr_nonkdim (AMD-only: an
// occupancy hint, the MFMA family) give the same one.
// RUN: moec compile %s --arch host --emit llvm -o %t.base.ll
// RUN: FileCheck %s --check-prefix=LLVM < %t.base.ll
// RUN: moec compile %s --arch host --emit llvm --num-stages 1 -o %t.s1.ll && not cmp -s %t.base.ll %t.s1.ll
// RUN: moec compile %s --arch host --emit llvm --num-stages 3 -o %t.s3.ll && not cmp -s %t.base.ll %t.s3.ll
// RUN: moec compile %s --arch host --emit llvm --num-stages 4 -o %t.s4.ll && not cmp -s %t.s3.ll %t.s4.ll
// RUN: moec compile %s --arch host --emit llvm --epilogue lds -o %t.lds.ll && not cmp -s %t.base.ll %t.lds.ll
// RUN: moec compile %s --arch host --emit llvm --kpack 2 -o %t.kp2.ll && not cmp -s %t.base.ll %t.kp2.ll
// RUN: moec compile %s --arch host --emit llvm --num-warps 1 -o %t.nw1.ll && not cmp -s %t.base.ll %t.nw1.ll
// RUN: moec compile %s --arch host --emit llvm --num-warps 16 -o %t.nw16.ll && not cmp -s %t.base.ll %t.nw16.ll
// RUN: moec compile %s --arch host --emit llvm --block-m 32 -o %t.bm.ll && not cmp -s %t.base.ll %t.bm.ll
// RUN: moec compile %s --arch host --emit llvm --block-n 32 -o %t.bn.ll && not cmp -s %t.base.ll %t.bn.ll
// RUN: moec compile %s --arch host --emit llvm --block-k 64 -o %t.bk.ll && not cmp -s %t.base.ll %t.bk.ll
// RUN: moec compile %s --arch host --emit llvm --group-m 1 -o %t.gm.ll && not cmp -s %t.base.ll %t.gm.ll
// RUN: moec compile %s --arch host --emit llvm --waves-per-eu 4 -o %t.wpe.ll && cmp %t.base.ll %t.wpe.ll
// RUN: moec compile %s --arch host --emit llvm --matrix-instr-nonkdim 32 -o %t.nk.ll && cmp %t.base.ll %t.nk.ll
//
// Every kernel family: the MoE layer's four kernels run 4 waves of 64 lanes;
// so does sparse attention (no one-lane fallback any more), whose softmax
// lanes of a row combine by xor shuffles and whose KV gathers go through
// registers and the barriers of the GPU pipeline.
// RUN: moec compile %moec_src/examples/moe/mixtral_8x7b_tp1.mlir --arch host --emit mlir | moec-opt --moec-lower-to-kernels | FileCheck %s --check-prefix=MOE
// RUN: moec compile %moec_src/examples/deepseek_sparse_mla.mlir --arch host --emit mlir | moec-opt --moec-lower-to-kernels | FileCheck %s --check-prefix=ATTN

func.func @g(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 64, block_n = 64, block_k = 32, num_warps = 4>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}

// LANES: gpu.func @g_gemm(
// NW4-SAME: known_block_size = array<i32: 256, 1, 1>
// NW1-SAME: known_block_size = array<i32: 64, 1, 1>
// NW16-SAME: known_block_size = array<i32: 1024, 1, 1>
// One LDS buffer of (64 + 64) x 32 x 2 bytes up to two stages, s - 1 beyond.
// S1-SAME: moec.lds_bytes = 8192
// S2-SAME: moec.lds_bytes = 8192
// S3-SAME: moec.lds_bytes = 16384
// S4-SAME: moec.lds_bytes = 24576
// TILE-SAME: moec.lds_bytes = 20480
// LANES: gpu.thread_id x
// Each lane's sub-tile of the accumulator: 64 x 64 over 256 lanes is 4 x 4,
// over 64 lanes 8 x 8, over 1024 lanes 2 x 2.
// NW4: memref.alloca() : memref<4x4xf32>
// NW1: memref.alloca() : memref<8x8xf32>
// NW16: memref.alloca() : memref<2x2xf32>
// TILE: memref.alloca() : memref<4x4xf32>
//
// num_stages = 1: nothing rides in the loop's iter_args; store, barrier,
// multiply, barrier.
// S1: scf.for %{{.*}} = %c0 to %{{.*}} step %c1 {
// S1: vector.store {{.*}}#gpu.address_space<workgroup>>, vector<8xbf16>
// S1: gpu.barrier
// S1: vector.load {{.*}}#gpu.address_space<workgroup>>, vector<4xbf16>
// S1: gpu.barrier
// S1-NEXT: }
// num_stages = 2: tile 0 is loaded before the loop (16-byte vectors with
// validity bits), the next tile rides in registers (A and B vectors).
// S2: scf.if
// S2: vector.load {{.*}} : memref<?xbf16, strided<[1], offset: ?>, #gpu.address_space<global>>, vector<8xbf16>
// S2: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (vector<8xbf16>, vector<8xbf16>)
// S2: gpu.barrier
// S2: gpu.barrier
// S2-NEXT: scf.yield
// num_stages = 3, 4: a ring of 2, 3 buffers indexed by the K step, one
// barrier per iteration.
// S3: scf.for %[[KT:.*]] = {{.*}} iter_args({{.*}}) -> (vector<8xbf16>, vector<8xbf16>)
// S3-NEXT: gpu.barrier
// S3: arith.remui %[[KT]], %c2
// S3-NOT: gpu.barrier
// S3: scf.yield
// S4: scf.for %[[KT:.*]] = {{.*}} iter_args({{.*}}) -> (vector<8xbf16>, vector<8xbf16>)
// S4-NEXT: gpu.barrier
// S4: arith.remui %[[KT]], %c3
// S4-NOT: gpu.barrier
// S4: scf.yield
// kpack: K elements per LDS read (8 bytes x kpack).
// KP1: scf.for {{.*}} = %c0 to %c32 step %c4 iter_args
// KP1: vector.load {{.*}}#gpu.address_space<workgroup>>, vector<4xbf16>
// KP2: scf.for {{.*}} = %c0 to %c32 step %c8 iter_args
// KP2: vector.load {{.*}}#gpu.address_space<workgroup>>, vector<8xbf16>
// KP2: vector.reduction <add>, %{{.*}}, %{{.*}} : vector<8xf32> into f32
// The lds epilogue: barrier, the finished tile to LDS, barrier, 16-byte
// row vectors from LDS to C.
// EPI: scf.for {{.*}} -> (vector<8xbf16>, vector<8xbf16>)
// EPI: scf.yield
// EPI: gpu.barrier
// EPI: memref.store {{.*}} : memref<64x64xbf16, #gpu.address_space<workgroup>>
// EPI: gpu.barrier
// EPI: vector.load {{.*}} : memref<64x64xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
// EPI: vector.store {{.*}}#gpu.address_space<global>>, vector<8xbf16>
// LANES: gpu.return

// The lane function calls the runtime's lane functions.
// LLVM-DAG: declare i64 @moec_host_thread_id()
// LLVM-DAG: declare void @moec_host_barrier(i64)
// LLVM-DAG: declare ptr @moec_host_lds(i64)
// LLVM: define void @g_gemm(
// LLVM: call i64 @moec_host_thread_id()
// LLVM: call ptr @moec_host_lds(i64 8192)
// LLVM: call void @moec_host_barrier(i64 0)
// LLVM: call void @moec_host_barrier(i64 1)

// MOE: gpu.func @mixtral_8x7b_moe_layer_tp1_moe_align({{.*}}known_block_size = array<i32: 256, 1, 1>
// MOE: gpu.func @mixtral_8x7b_moe_layer_tp1_moe_gemm({{.*}}known_block_size = array<i32: 256, 1, 1>
// MOE: gpu.func @mixtral_8x7b_moe_layer_tp1_act_and_mul({{.*}}known_block_size = array<i32: 256, 1, 1>
// MOE: gpu.func @mixtral_8x7b_moe_layer_tp1_moe_gemm_1({{.*}}known_block_size = array<i32: 256, 1, 1>
// ATTN: gpu.func @sparse_mla_decode_sparse_attention({{.*}}known_block_size = array<i32: 256, 1, 1>
// ATTN: gpu.thread_id x
// ATTN: gpu.barrier
// ATTN: gpu.shuffle xor
