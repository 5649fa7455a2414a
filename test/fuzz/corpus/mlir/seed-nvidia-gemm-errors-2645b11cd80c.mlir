// What the NVIDIA lowering refuses, and says so.
//
// fp8 has no mma.sync lowering yet (sm_90 takes the OCP types in the dialect):
// RUN: not moec compile %s --arch sm_90 --emit ptx 2>&1 | FileCheck %s --check-prefix=FP8
// FP8: error: fp8 GEMM on sm_90 is not supported yet: the mma.sync lowering takes f16 and bf16 inputs
//
// PTX is for NVIDIA targets only:
// RUN: not moec compile %S/nvidia-gemm.mlir --arch gfx942 --emit ptx 2>&1 | FileCheck %s --check-prefix=AMD
// AMD: moec compile: error: --emit ptx does not apply to --arch gfx942 (AMD targets emit asm, obj or hsaco)
//
// The AMD-only knobs are accepted and ignored on NVIDIA; --verbose says so:
// RUN: moec compile %S/nvidia-gemm.mlir --arch sm_90 --emit ptx --verbose --waves-per-eu 2 -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOTE
// NOTE: moec compile: note: waves_per_eu, matrix_instr_nonkdim and kpack are AMD-only and ignored on sm_90

func.func @fp8(%a: memref<?x4096xf8E4M3FN>, %b: memref<1024x4096xf8E4M3FN>,
               %c: memref<?x1024xbf16>) {
  moec.gemm %a, %b -> %c {
    transpose_b,
    config = #moec.config<block_m = 64, block_n = 64, block_k = 64,
                          num_warps = 4, num_stages = 2>
  } : memref<?x4096xf8E4M3FN>, memref<1024x4096xf8E4M3FN> -> memref<?x1024xbf16>
  return
}
