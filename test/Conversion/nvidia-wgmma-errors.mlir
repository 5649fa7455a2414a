// What wgmma = true refuses (KernelPlan::verifyWgmma), naming the parameter.
//
// The 128x128x64 bf16 GEMM of nvidia-wgmma.mlir is accepted:
// RUN: moec compile %s --emit ptx --wgmma -o /dev/null
// Only sm_90 has wgmma:
// RUN: not moec compile %s --emit ptx --wgmma --arch sm_80 2>&1 | FileCheck %s --check-prefix=SM80
// SM80: error: 'moec.gemm' op wgmma = true needs sm_90 (warpgroup wgmma.mma_async), not sm_80
// RUN: not moec compile %s --emit mlir --wgmma --arch gfx942 2>&1 | FileCheck %s --check-prefix=AMD
// AMD: error: 'moec.gemm' op wgmma = true needs sm_90 (warpgroup wgmma.mma_async), not gfx942
// A warpgroup is 4 warps:
// RUN: not moec compile %s --emit ptx --wgmma --num-warps 2 2>&1 | FileCheck %s --check-prefix=WARPS
// WARPS: error: 'moec.gemm' op wgmma = true needs num_warps a multiple of 4 (a warpgroup is 4 warps), not 2
// Each warpgroup takes whole 64-row instructions:
// RUN: not moec compile %s --emit ptx --wgmma --block-m 64 --num-warps 8 2>&1 | FileCheck %s --check-prefix=ROWS
// ROWS: error: 'moec.gemm' op wgmma = true: block_m = 64 is not a multiple of 64 rows x 2 warpgroups (num_warps = 8) = 128
// RUN: not moec compile %s --emit ptx --wgmma --block-m 32 2>&1 | FileCheck %s --check-prefix=ROWS32
// ROWS32: error: 'moec.gemm' op wgmma = true: block_m = 32 is not a multiple of 64 rows x 1 warpgroups (num_warps = 4) = 64
// The descriptors assume the 128-byte swizzle: 128-byte LDS rows.
// RUN: not moec compile %s --emit ptx --wgmma --block-k 32 2>&1 | FileCheck %s --check-prefix=BK
// BK: error: 'moec.gemm' op wgmma = true: block_k = 32 gives LDS rows of 64 bytes; the 128-byte swizzle needs 128 (block_k = 64)
// 16-bit inputs only (fp8 is not done):
// RUN: sed -e 's/4096xbf16/4096xf8E4M3FN/g' %s | not moec compile - --emit ptx --wgmma --block-k 128 2>&1 | FileCheck %s --check-prefix=FP8
// FP8: error: 'moec.gemm' op wgmma = true takes bf16 or f16 inputs, not 'f8E4M3FN'
// The host refuses it too rather than ignoring it:
// RUN: not moec compile %s --emit mlir --wgmma --arch host 2>&1 | FileCheck %s --check-prefix=HOST
// HOST: error: 'moec.gemm' op wgmma = true needs sm_90 (warpgroup wgmma.mma_async), not host

module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @bf16_nt(%a: memref<?x4096xbf16>, %b: memref<1024x4096xbf16>,
                     %c: memref<?x1024xbf16>) {
    moec.gemm %a, %b -> %c {
      transpose_b,
      config = #moec.config<block_m = 128, block_n = 128, block_k = 64,
                            num_warps = 4, num_stages = 3>
    } : memref<?x4096xbf16>, memref<1024x4096xbf16> -> memref<?x1024xbf16>
    return
  }
}
