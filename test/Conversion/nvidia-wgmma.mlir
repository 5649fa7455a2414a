// wgmma = true (#moec.config, --wgmma) on sm_90: the tile product by the
// warpgroup wgmma.mma_async (WgmmaCore.cpp), both operands read from the
// 128B-swizzled K-major LDS tiles by 64-bit matrix descriptors.
//
// 128x128x64 bf16, 4 warps = 1 warpgroup: 2 x m64n128k16 per K step, 64 / 16
// = 4 K steps per K tile: one inline-PTX statement per K tile with the proxy
// fence, wgmma.fence, 8 mma_async, commit and wait 0. The accumulators are
// two vector<64xf32> (128 rows x 128 columns / 128 lanes).
// Descriptor constant bits: LBO 1 << 16, SBO (1024 >> 4) << 32, 128B swizzle
// 1 << 62 = 0x4000004000010000 = 4611686293305360384; the start address is
// (addr & 0x3FFFF) >> 4 and K steps add 32 bytes; warpgroup rows 64 x 128 B
// = 8192 bytes apart.
//
// RUN: moec-opt %s --moec-lower-to-kernels | FileCheck %s --check-prefix=IR
// RUN: moec compile %s --emit ptx | FileCheck %s --check-prefix=PTX
// The flag sets the field:
// RUN: sed -e 's/, wgmma = true//' %s | moec compile - --emit ptx --wgmma | FileCheck %s --check-prefix=PTX
// Without it: mma.sync, sm_90, 16-byte aligned LDS.
// RUN: sed -e 's/, wgmma = true//' %s | moec compile - --emit ptx | FileCheck %s --check-prefix=OFF
// 8 warps = 2 warpgroups over block_m 128: one m64n128k16 each per K step;
// f16 names its type; async copies stage the tiles.
// RUN: moec compile %s --emit ptx --num-warps 8 | FileCheck %s --check-prefix=WG2
// RUN: sed -e 's/bf16/f16/g' %s | moec compile - --emit ptx | FileCheck %s --check-prefix=F16
// RUN: moec compile %s --emit ptx --async-copy --num-stages 4 | FileCheck %s --check-prefix=ASYNC
// Both epilogues and every pipeline depth build (and assemble: see ptxas in
// benchmarks/wgmma_h100.sh on the device):
// RUN: moec compile %s --emit ptx --epilogue lds --num-stages 1 | FileCheck %s --check-prefix=STATIC
// RUN: moec compile %s --emit ptx --epilogue lds --num-stages 2 --block-n 256 --num-warps 8 | FileCheck %s --check-prefix=N256

module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @bf16_nt(%a: memref<?x4096xbf16>, %b: memref<1024x4096xbf16>,
                     %c: memref<?x1024xbf16>) {
    moec.gemm %a, %b -> %c {
      transpose_b,
      config = #moec.config<block_m = 128, block_n = 128, block_k = 64,
                            num_warps = 4, num_stages = 3, wgmma = true>
    } : memref<?x4096xbf16>, memref<1024x4096xbf16> -> memref<?x1024xbf16>
    return
  }
}

// IR-LABEL: gpu.func @bf16_nt_gemm
// IR: memref.extract_aligned_pointer_as_index
// IR: memref.extract_aligned_pointer_as_index
// IR: arith.constant 4611686293305360384 : i64
// IR: llvm.inline_asm has_side_effects {{.*}}fence.proxy.async.shared::cta;{{.*}}wgmma.fence.sync.aligned;{{.*}}wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {$0, $1,{{.*}}$63}, $256, $264, p, 1, 1, 0, 0;{{.*}}wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {$64, $65,{{.*}}$127}, $257, $264, p, 1, 1, 0, 0;{{.*}}$263, $267, p, 1, 1, 0, 0;{{.*}}wgmma.commit_group.sync.aligned;{{.*}}wgmma.wait_group.sync.aligned 0;
// IR-SAME: "=f,=f,
// IR-SAME: ,126,127,l,l,l,l,l,l,l,l,l,l,l,l,r,~{memory}"
// IR-NOT: nvgpu.mma.sync
// IR-NOT: nvgpu.ldmatrix
// IR: vector.from_elements {{.*}} : vector<64xf32>

// num_stages 3: 2 x (16 + 16) KiB of rings, dynamic shared memory, aligned
// to 1024 for the swizzle.
// PTX: .target sm_90a
// PTX: .extern .shared .align 1024 .b8 __dynamic_shmem
// PTX-LABEL: .entry bf16_nt_gemm(
// PTX: or.b64 {{.*}}, 4611686293305360384;
// PTX: fence.proxy.async.shared::cta;
// PTX-NEXT: wgmma.fence.sync.aligned;
// PTX-COUNT-8: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{{.*}}}, %rd{{[0-9]+}}, %rd{{[0-9]+}}, p, 1, 1, 0, 0;
// PTX-NEXT: wgmma.commit_group.sync.aligned;
// PTX-NEXT: wgmma.wait_group.sync.aligned 0;
// PTX-NOT: mma.sync
// PTX-NOT: ldmatrix

// OFF: .target sm_90{{$}}
// OFF: .extern .shared .align 16 .b8 __dynamic_shmem
// OFF-NOT: wgmma
// OFF-NOT: fence.proxy.async
// OFF: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// OFF-NOT: wgmma

// One buffer (32 KiB, static shared memory), also 1024-aligned.
// STATIC: .target sm_90a
// STATIC: .shared .align 1024 .b8 __wg_bf16_nt_gemm_0[32768];
// STATIC: fence.proxy.async.shared::cta;
// STATIC-COUNT-8: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// STATIC-NEXT: wgmma.commit_group.sync.aligned;

// WG2: .target sm_90a
// WG2: wgmma.fence.sync.aligned;
// WG2-COUNT-4: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// WG2-NEXT: wgmma.commit_group.sync.aligned;

// F16: .target sm_90a
// F16-COUNT-8: wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16
// F16-NEXT: wgmma.commit_group.sync.aligned;

// The loop is rotated in the emitted code; the wait for the next tile's copies and
// the barrier follow the product.
// ASYNC: .target sm_90a
// ASYNC: cp.async.cg.shared.global
// ASYNC: fence.proxy.async.shared::cta;
// ASYNC-COUNT-8: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// ASYNC: wgmma.wait_group.sync.aligned 0;
// ASYNC: cp.async.wait_group 2;
// ASYNC-NEXT: bar.sync 0;

// N256: .target sm_90a
// N256-COUNT-4: wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16
// N256-NEXT: wgmma.commit_group.sync.aligned;
