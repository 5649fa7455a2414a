// What the NVIDIA lowering refuses, and says so.
//
// sm_90's mma.sync takes the OCP fp8 types (nvidia-fp8.mlir), not fnuz:
// RUN: not moec compile %s --arch sm_90 --emit ptx 2>&1 | FileCheck %s --check-prefix=FP8
// FP8: error: 'moec.gemm' op A element type 'f8E4M3FNUZ' is not supported on sm_90, which takes the OCP fp8 types (f8E4M3FN, f8E5M2)
// and sm_80 has no fp8 at all:
// RUN: sed 's/f8E4M3FNUZ/f8E4M3FN/g' %s | not moec compile - --arch sm_80 --emit ptx 2>&1 | FileCheck %s --check-prefix=SM80
// SM80: error: 'moec.gemm' op A element type 'f8E4M3FN' is not supported on sm_80: it has no fp8 matrix instructions
//
// PTX is for NVIDIA targets only:
// RUN: not moec compile %S/nvidia-gemm.mlir --arch gfx942 --emit ptx 2>&1 | FileCheck %s --check-prefix=AMD
// AMD: moec compile: error: --emit ptx does not apply to --arch gfx942 (AMD targets emit asm, obj or hsaco)
//
// The AMD-only knobs are accepted and ignored on NVIDIA; --verbose says so:
// RUN: moec compile %S/nvidia-gemm.mlir --arch sm_90 --emit ptx --verbose --waves-per-eu 2 -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOTE
// NOTE: moec compile: note: waves_per_eu, matrix_instr_nonkdim and kpack are AMD-only and ignored on sm_90

func.func @fp8(%a: memref<?x4096xf8E4M3FNUZ>, %b: memref<1024x4096xf8E4M3FNUZ>,
               %c: memref<?x1024xbf16>) {
  moec.gemm %a, %b -> %c {
    transpose_b,
    config = #moec.config<block_m = 64, block_n = 64, block_k = 64,
                          num_warps = 4, num_stages = 2>
  } : memref<?x4096xf8E4M3FNUZ>, memref<1024x4096xf8E4M3FNUZ> -> memref<?x1024xbf16>
  return
}
