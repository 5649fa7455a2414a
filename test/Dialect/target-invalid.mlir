// RUN: moec-opt %s -split-input-file -verify-diagnostics

// Rules of lib/Dialect/TargetChecks.cpp: they apply only inside a module with
// a `moec.target`. Each failing case is paired with a split that has no
// expected-error and shows where the same config (or its neighbour) passes,
// so that a rule firing too eagerly fails the test as well.
//
// Numbers used below:
//   LDS: gfx90a/gfx942 65536, gfx950 163840, sm_80 166912, sm_90 232448.
//   AMD stages: num_stages <= 2 (and the legacy 0) use one LDS buffer, n > 2
//   use n - 1; NVIDIA uses num_stages buffers (0 means 2).
//   VGPR budget per lane: 512, or 512 / waves_per_eu rounded down to 8.

//===----------------------------------------------------------------------===//
// Workgroup size: num_warps x wave size <= 1024 lanes
//===----------------------------------------------------------------------===//

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lanes_over_limit_gfx942(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
    // expected-error @below {{'moec.gemm' op num_warps = 32 gives 2048 lanes per workgroup, over gfx942's limit of 1024}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 128, block_n = 128, num_warps = 32>} : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx90a">} {
  func.func @lanes_over_limit_gfx90a(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    // expected-error @below {{'moec.sparse_attention' op num_warps = 32 gives 2048 lanes per workgroup, over gfx90a's limit of 1024}}
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 128, block_kv = 64, num_warps = 32>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

// -----

// 16 waves of 64 lanes are exactly the limit.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lanes_at_limit_gfx942(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 128, block_n = 128, num_warps = 16>} : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    return
  }
}

// -----

// 32 warps of 32 lanes fit an NVIDIA block.
module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @lanes_ok_sm_90(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 128, block_n = 128, num_warps = 32>} : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    return
  }
}

//===----------------------------------------------------------------------===//
// fp8 flavour per target (checked before the matrix instruction is chosen)
//===----------------------------------------------------------------------===//

// -----

// gfx90a has no fp8 matrix instructions at all; this is what stops fp8 there
// before the (then empty) MFMA lookup. The lookup's own "no matrix
// instruction" message cannot be reached from IR with today's table; the
// unit test TargetChecksTest.NoMatrixInstruction covers it.
module attributes {moec.target = #moec.target<"gfx90a">} {
  func.func @fp8_on_gfx90a(%a: memref<?x4096xf8E4M3FNUZ>, %b: memref<4096x4096xf8E4M3FNUZ>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op A element type 'f8E4M3FNUZ' is not supported on gfx90a: it has no fp8 matrix instructions}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 64, matrix_instr_nonkdim = 32>} : memref<?x4096xf8E4M3FNUZ>, memref<4096x4096xf8E4M3FNUZ> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx90a">} {
  func.func @fp8_ocp_on_gfx90a(%a: memref<?x4096xf8E5M2>, %w: memref<8x1024x4096xf8E5M2>, %c: memref<?x2x1024xbf16>,
                               %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<f32>, %bs: memref<8xf32>) {
    // expected-error @below {{'moec.moe_gemm' op A element type 'f8E5M2' is not supported on gfx90a: it has no fp8 matrix instructions}}
    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<f32>) b_scale(%bs : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<block_k = 64>} : memref<?x4096xf8E5M2>, memref<8x1024x4096xf8E5M2> -> memref<?x2x1024xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"sm_80">} {
  func.func @fp8_on_sm_80(%a: memref<?x4096xf8E4M3FN>, %b: memref<4096x4096xf8E4M3FN>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op A element type 'f8E4M3FN' is not supported on sm_80: it has no fp8 matrix instructions}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 64>} : memref<?x4096xf8E4M3FN>, memref<4096x4096xf8E4M3FN> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @ocp_on_gfx942(%a: memref<?x4096xf8E4M3FN>, %b: memref<4096x4096xf8E4M3FN>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op A element type 'f8E4M3FN' is not supported on gfx942, which takes the fnuz fp8 types (f8E4M3FNUZ, f8E5M2FNUZ)}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 64>} : memref<?x4096xf8E4M3FN>, memref<4096x4096xf8E4M3FN> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @ocp_e5m2_on_gfx942(%a: memref<?x4096xf8E5M2>, %w: memref<8x1024x4096xf8E5M2>, %c: memref<?x2x1024xbf16>,
                                %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<f32>, %bs: memref<8xf32>) {
    // expected-error @below {{'moec.moe_gemm' op A element type 'f8E5M2' is not supported on gfx942, which takes the fnuz fp8 types (f8E4M3FNUZ, f8E5M2FNUZ)}}
    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<f32>) b_scale(%bs : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<block_k = 64>} : memref<?x4096xf8E5M2>, memref<8x1024x4096xf8E5M2> -> memref<?x2x1024xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @fnuz_on_gfx950(%a: memref<?x4096xf8E4M3FNUZ>, %b: memref<4096x4096xf8E4M3FNUZ>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op A element type 'f8E4M3FNUZ' is not supported on gfx950, which takes the OCP fp8 types (f8E4M3FN, f8E5M2)}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 64>} : memref<?x4096xf8E4M3FNUZ>, memref<4096x4096xf8E4M3FNUZ> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @fnuz_e5m2_on_gfx950(%a: memref<?x4096xf8E5M2FNUZ>, %w: memref<8x1024x4096xf8E5M2FNUZ>, %c: memref<?x2x1024xbf16>,
                                 %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<f32>, %bs: memref<8xf32>) {
    // expected-error @below {{'moec.moe_gemm' op A element type 'f8E5M2FNUZ' is not supported on gfx950, which takes the OCP fp8 types (f8E4M3FN, f8E5M2)}}
    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<f32>) b_scale(%bs : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<block_k = 64>} : memref<?x4096xf8E5M2FNUZ>, memref<8x1024x4096xf8E5M2FNUZ> -> memref<?x2x1024xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @fnuz_on_sm_90(%a: memref<?x4096xf8E4M3FNUZ>, %b: memref<4096x4096xf8E4M3FNUZ>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op A element type 'f8E4M3FNUZ' is not supported on sm_90, which takes the OCP fp8 types (f8E4M3FN, f8E5M2)}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 64>} : memref<?x4096xf8E4M3FNUZ>, memref<4096x4096xf8E4M3FNUZ> -> memref<?x4096xbf16>
    return
  }
}

// -----

// Each flavour where it belongs: fnuz on gfx942, OCP on gfx950 and sm_90,
// both on host.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @fnuz_on_gfx942(%a: memref<?x4096xf8E4M3FNUZ>, %b: memref<4096x4096xf8E4M3FNUZ>, %c: memref<?x4096xbf16>,
                            %a5: memref<?x4096xf8E5M2FNUZ>, %w5: memref<8x1024x4096xf8E5M2FNUZ>, %c5: memref<?x2x1024xbf16>,
                            %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<f32>, %bs: memref<8xf32>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 64>} : memref<?x4096xf8E4M3FNUZ>, memref<4096x4096xf8E4M3FNUZ> -> memref<?x4096xbf16>
    moec.moe_gemm %a5, %w5 -> %c5 routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<f32>) b_scale(%bs : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<block_k = 64>} : memref<?x4096xf8E5M2FNUZ>, memref<8x1024x4096xf8E5M2FNUZ> -> memref<?x2x1024xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @ocp_on_gfx950(%a: memref<?x4096xf8E4M3FN>, %b: memref<4096x4096xf8E4M3FN>, %c: memref<?x4096xbf16>,
                           %a5: memref<?x4096xf8E5M2>, %w5: memref<8x1024x4096xf8E5M2>, %c5: memref<?x2x1024xbf16>,
                           %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<f32>, %bs: memref<8xf32>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 64>} : memref<?x4096xf8E4M3FN>, memref<4096x4096xf8E4M3FN> -> memref<?x4096xbf16>
    moec.moe_gemm %a5, %w5 -> %c5 routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<f32>) b_scale(%bs : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<block_k = 64>} : memref<?x4096xf8E5M2>, memref<8x1024x4096xf8E5M2> -> memref<?x2x1024xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @ocp_on_sm_90(%a: memref<?x4096xf8E5M2>, %b: memref<4096x4096xf8E5M2>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 64>} : memref<?x4096xf8E5M2>, memref<4096x4096xf8E5M2> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"host">} {
  func.func @any_fp8_on_host(%a: memref<?x4096xf8E4M3FNUZ>, %b: memref<4096x4096xf8E4M3FNUZ>, %c: memref<?x4096xbf16>,
                             %a2: memref<?x4096xf8E4M3FN>, %b2: memref<4096x4096xf8E4M3FN>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 64>} : memref<?x4096xf8E4M3FNUZ>, memref<4096x4096xf8E4M3FNUZ> -> memref<?x4096xbf16>
    moec.gemm %a2, %b2 -> %c {config = #moec.config<block_k = 64>} : memref<?x4096xf8E4M3FN>, memref<4096x4096xf8E4M3FN> -> memref<?x4096xbf16>
    return
  }
}

//===----------------------------------------------------------------------===//
// kpack
//===----------------------------------------------------------------------===//

// -----

module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @kpack2_on_gfx950(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op kpack = 2 is not supported on gfx950 (its MFMA operands are already K-packed); use kpack = 1}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 64, kpack = 2>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @kpack2_on_gfx950_moe(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                                  %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
    // expected-error @below {{'moec.moe_gemm' op kpack = 2 is not supported on gfx950 (its MFMA operands are already K-packed); use kpack = 1}}
    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<block_k = 64, kpack = 2>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @kpack2_on_gfx950_attention(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    // expected-error @below {{'moec.sparse_attention' op kpack = 2 is not supported on gfx950 (its MFMA operands are already K-packed); use kpack = 1}}
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 32, kpack = 2>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

// -----

// The same kpack = 2 is fine on gfx942 and gfx90a, and ignored on NVIDIA
// (even with a block_k that kpack = 2 would not divide on AMD).
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @kpack2_on_gfx942(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 64, kpack = 2>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx90a">} {
  func.func @kpack2_on_gfx90a(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 64, kpack = 2>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @kpack2_ignored_on_sm_90(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 16, kpack = 2>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

//===----------------------------------------------------------------------===//
// Tile M/N divisible by the matrix instruction
//===----------------------------------------------------------------------===//

// -----

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @block_m_vs_mfma32(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op block_m = 16 is not a multiple of the 32x32 MFMA tile (v_mfma_f32_32x32x8_bf16) on gfx942}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 16, block_n = 128, matrix_instr_nonkdim = 32>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx90a">} {
  func.func @block_n_vs_mfma32(%a: memref<?x4096xf16>, %b: memref<4096x4096xf16>, %c: memref<?x4096xf16>) {
    // expected-error @below {{'moec.gemm' op block_n = 16 is not a multiple of the 32x32 MFMA tile (v_mfma_f32_32x32x8f16) on gfx90a}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 128, block_n = 16, matrix_instr_nonkdim = 32>} : memref<?x4096xf16>, memref<4096x4096xf16> -> memref<?x4096xf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @block_m_vs_mfma32_moe(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                                   %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
    // expected-error @below {{'moec.moe_gemm' op block_m = 16 is not a multiple of the 32x32 MFMA tile (v_mfma_f32_32x32x8_bf16) on gfx950}}
    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<block_m = 16, block_n = 128, matrix_instr_nonkdim = 32>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @block_h_vs_mfma32(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    // expected-error @below {{'moec.sparse_attention' op block_h = 16 is not a multiple of the 32x32 MFMA tile (v_mfma_f32_32x32x8_bf16) on gfx942}}
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 16, block_kv = 64, matrix_instr_nonkdim = 32>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @block_kv_vs_mfma32(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    // expected-error @below {{'moec.sparse_attention' op block_kv = 16 is not a multiple of the 32x32 MFMA tile (v_mfma_f32_32x32x8_bf16) on gfx942}}
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 64, block_kv = 16, matrix_instr_nonkdim = 32>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

// -----

// block_m = 16 is fine with the 16x16 family, and with mma.sync's 16x8.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @block_m16_with_mfma16(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 16, block_n = 128, matrix_instr_nonkdim = 16>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"sm_80">} {
  func.func @block_m16_on_sm_80(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 16, block_n = 128, matrix_instr_nonkdim = 32>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

//===----------------------------------------------------------------------===//
// Tile K divisible by the instruction's K x kpack
//===----------------------------------------------------------------------===//

// -----

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @fp8_block_k_gfx942(%a: memref<?x4096xf8E4M3FNUZ>, %b: memref<4096x4096xf8E4M3FNUZ>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op block_k = 16 is not a multiple of the MFMA K (32) x kpack (1) = 32 of v_mfma_f32_16x16x32_fp8_fp8 on gfx942}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 16>} : memref<?x4096xf8E4M3FNUZ>, memref<4096x4096xf8E4M3FNUZ> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @bf16_kpack2_block_k_gfx942(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op block_k = 16 is not a multiple of the MFMA K (16) x kpack (2) = 32 of v_mfma_f32_16x16x16_bf16 on gfx942}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 16, kpack = 2>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @fp8_block_k_gfx942_moe(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xf8E4M3FNUZ>, %c: memref<?x2x1024xbf16>,
                                    %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<f32>, %bs: memref<8xf32>) {
    // expected-error @below {{'moec.moe_gemm' op block_k = 16 is not a multiple of the MFMA K (16) x kpack (2) = 32 of v_mfma_f32_32x32x16_fp8_fp8 on gfx942}}
    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<f32>) b_scale(%bs : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<block_k = 16, matrix_instr_nonkdim = 32, kpack = 2>} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FNUZ> -> memref<?x2x1024xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @fp8_block_k_gfx950(%a: memref<?x4096xf8E4M3FN>, %b: memref<4096x4096xf8E4M3FN>, %c: memref<?x4096xbf16>) {
    // gfx950 also has 16x16x128 f8f6f4; the check uses the smallest K.
    // expected-error @below {{'moec.gemm' op block_k = 16 is not a multiple of the MFMA K (32) x kpack (1) = 32 of v_mfma_f32_16x16x32_fp8_fp8 on gfx950}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 16>} : memref<?x4096xf8E4M3FN>, memref<4096x4096xf8E4M3FN> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @fp8_block_k_sm_90(%a: memref<?x4096xf8E4M3FN>, %b: memref<4096x4096xf8E4M3FN>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op block_k = 16 is not a multiple of the mma.sync K (32) x kpack (1) = 32 of mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 on sm_90}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 16>} : memref<?x4096xf8E4M3FN>, memref<4096x4096xf8E4M3FN> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @d_qk_vs_mfma_k(%q: memref<?x16x72xbf16>, %kv: memref<?x64x72xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x16x64xbf16>) {
    // For attention the K of Q x K^T is d_qk.
    // expected-error @below {{'moec.sparse_attention' op d_qk = 72 is not a multiple of the MFMA K (16) x kpack (1) = 16 of v_mfma_f32_16x16x16_bf16 on gfx942}}
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.1 : f32, config = #moec.config<block_h = 16, block_kv = 64>} : memref<?x16x72xbf16>, memref<?x64x72xbf16>, memref<?x2048xi32> -> memref<?x16x64xbf16>
    return
  }
}

// -----

// The neighbours that pass: fp8 with block_k 32, 16-bit with kpack 1 and
// block_k 16, 16-bit with nonkdim 32 (K = 8) and kpack 2.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @block_k_ok(%a: memref<?x4096xf8E4M3FNUZ>, %b: memref<4096x4096xf8E4M3FNUZ>, %c: memref<?x4096xbf16>,
                        %a16: memref<?x4096xbf16>, %b16: memref<4096x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 32>} : memref<?x4096xf8E4M3FNUZ>, memref<4096x4096xf8E4M3FNUZ> -> memref<?x4096xbf16>
    moec.gemm %a16, %b16 -> %c {config = #moec.config<block_k = 16, kpack = 1>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    moec.gemm %a16, %b16 -> %c {config = #moec.config<block_k = 16, kpack = 2, matrix_instr_nonkdim = 32>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

//===----------------------------------------------------------------------===//
// Waves cover the tile
//===----------------------------------------------------------------------===//

// -----

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @waves_do_not_cover(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op num_warps = 4 waves do not evenly cover the 16x16 tile (1 16x16 MFMA tiles) on gfx942}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 16, block_n = 16>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @waves_do_not_cover_mfma32(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                                       %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
    // expected-error @below {{'moec.moe_gemm' op num_warps = 8 waves do not evenly cover the 64x64 tile (4 32x32 MFMA tiles) on gfx942}}
    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<num_warps = 8, matrix_instr_nonkdim = 32>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @warps_do_not_cover_sm_90(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op num_warps = 4 waves do not evenly cover the 16x16 tile (2 16x8 mma.sync tiles) on sm_90}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 16, block_n = 16>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

// The default attention tile (block_h 16 x block_kv 32) is two 16x16 MFMA
// tiles of Q K^T, fewer than the default 4 waves: attention lets waves sit
// out a product (two waves compute S, all four P V, every wave gathers), so
// the default verifies. The coverage rule still holds for GEMMs (above).
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @attention_default_config_gfx942(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @waves_cover(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>,
                         %q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 16, block_n = 16, num_warps = 1>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 32, block_n = 32, num_warps = 4>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<num_warps = 2>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

//===----------------------------------------------------------------------===//
// waves_per_eu and the accumulator's register budget (AMD only)
//===----------------------------------------------------------------------===//

// -----

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @waves_per_eu_over_limit(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op waves_per_eu = 9 is over gfx942's limit of 8 waves per SIMD}}
    moec.gemm %a, %b -> %c {config = #moec.config<waves_per_eu = 9>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx90a">} {
  func.func @waves_per_eu_over_limit_attention(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    // expected-error @below {{'moec.sparse_attention' op waves_per_eu = 16 is over gfx90a's limit of 8 waves per SIMD}}
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 32, waves_per_eu = 16>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

// -----

// 8 is the limit itself; NVIDIA and host ignore the hint.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @waves_per_eu_at_limit(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<waves_per_eu = 8>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @waves_per_eu_ignored_on_sm_90(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<waves_per_eu = 16>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @accumulator_over_budget(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // 256 x 256 f32 over 4 waves of 64 lanes = 256 registers; 4 waves per SIMD leave 128.
    // expected-error @below {{'moec.gemm' op the f32 accumulator of 65536 elements needs 256 registers per lane over num_warps = 4 waves, more than the 128 available on gfx942 with waves_per_eu = 4}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, num_warps = 4, waves_per_eu = 4>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @accumulator_over_budget_no_hint(%a: memref<?x4096xbf16>, %w: memref<8x4096x4096xbf16>, %c: memref<?x2x4096xbf16>,
                                             %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
    // One wave holding 256 x 256 f32 needs 1024 registers; a wave has at most 512.
    // expected-error-re @below {{'moec.moe_gemm' op the f32 accumulator of 65536 elements needs 1024 registers per lane over num_warps = 1 waves, more than the 512 available on gfx950{{$}}}}
    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<block_m = 256, block_n = 256, num_warps = 1>} : memref<?x4096xbf16>, memref<8x4096x4096xbf16> -> memref<?x2x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @accumulator_over_budget_attention(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    // The attention accumulators are O, block_h x d_v (128 x 512), and S,
    // block_h x block_kv (128 x 32), live together.
    // expected-error @below {{'moec.sparse_attention' op the f32 accumulator of 69632 elements needs 272 registers per lane over num_warps = 4 waves, more than the 128 available on gfx942 with waves_per_eu = 4}}
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 128, num_warps = 4, waves_per_eu = 4>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

// -----

// The same 256 x 256 tile fits with 2 waves per SIMD (256 registers), and
// NVIDIA has no such check.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @accumulator_fits(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, num_warps = 4, waves_per_eu = 2>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, num_warps = 4>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @accumulator_unchecked_on_sm_90(%a: memref<?x4096xbf16>, %w: memref<8x4096x4096xbf16>, %c: memref<?x2x4096xbf16>,
                                            %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<block_m = 256, block_n = 256, num_warps = 1>} : memref<?x4096xbf16>, memref<8x4096x4096xbf16> -> memref<?x2x4096xbf16>
    return
  }
}

//===----------------------------------------------------------------------===//
// LDS: staged tiles x buffers, or the lds epilogue, within the chip's limit
//===----------------------------------------------------------------------===//

// -----

// LDS tiles are unpadded (rows swizzled, GemmKernelBuilder.cpp), so
// 2 x 256 x 64 bf16 = 65536 bytes per stage; 3 stages keep 2 buffers.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_stages3_gfx942(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op LDS use of 131072 bytes (block_m = 256, block_n = 256, block_k = 64, num_stages = 3, epilogue = direct) is over gfx942's limit of 65536 bytes}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 64, num_stages = 3>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx90a">} {
  func.func @lds_stages3_gfx90a(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op LDS use of 131072 bytes (block_m = 256, block_n = 256, block_k = 64, num_stages = 3, epilogue = direct) is over gfx90a's limit of 65536 bytes}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 64, num_stages = 3>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

// The same 3-stage config fits gfx950's 160 KiB.
module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @lds_stages3_gfx950(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 64, num_stages = 3>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

// 4 stages keep 3 buffers: over gfx950's limit too.
module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @lds_stages4_gfx950(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op LDS use of 196608 bytes (block_m = 256, block_n = 256, block_k = 64, num_stages = 4, epilogue = direct) is over gfx950's limit of 163840 bytes}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 64, num_stages = 4>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

// On AMD, stages 1, 2 and the legacy 0 all use one buffer:
// (256 + 128) x 64 bf16 = 49152 bytes fit; two buffers would not.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_one_buffer_gfx942(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 128, block_k = 64, num_stages = 1>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 128, block_k = 64, num_stages = 2>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 128, block_k = 64, num_stages = 0>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

// 256 x 256 x 64 in one buffer is exactly gfx942's 65536 bytes: it fits (the
// 16-byte row padding the tiles had before pushed it to 73728).
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_exactly_full_gfx942(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 64, num_stages = 1>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

// Even one stage can be too big: 2 x 256 x 128 bf16 = 131072 bytes.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_one_stage_too_big_gfx942(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op LDS use of 131072 bytes (block_m = 256, block_n = 256, block_k = 128, num_stages = 1, epilogue = direct) is over gfx942's limit of 65536 bytes}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 128, num_stages = 1>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

// NVIDIA stages through registers as AMD does (num_stages - 1 buffers past
// two stages, one up to two); with async_copy = true it keeps a ring of
// num_stages buffers filled by cp.async. 1 stage of 131072 bytes fits sm_90 ...
module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @lds_stages1_sm_90(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 128, num_stages = 1>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

// ... so do 2 stages through registers (one buffer, as the lowering
// allocates), but not 2 async stages (two buffers).
module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @lds_stages2_sm_90(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 128, num_stages = 2>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    // expected-error @below {{'moec.gemm' op LDS use of 262144 bytes (block_m = 256, block_n = 256, block_k = 128, num_stages = 2, epilogue = direct, async_copy) is over sm_90's limit of 232448 bytes}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 128, num_stages = 2, async_copy = true>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @lds_stages2_gfx950(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 128, num_stages = 2>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

// ... and the legacy num_stages = 0 is 2 there as well.
module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @lds_stages0_sm_90(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op LDS use of 262144 bytes (block_m = 256, block_n = 256, block_k = 128, num_stages = 0, epilogue = direct, async_copy) is over sm_90's limit of 232448 bytes}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 128, num_stages = 0, async_copy = true>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

// 65536 bytes per stage: 3 async stages fit sm_90 (196608) but not sm_80
// (166912); through registers 3 stages are two buffers (131072) and fit both.
module attributes {moec.target = #moec.target<"sm_80">} {
  func.func @lds_stages3_sm_80(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 64, num_stages = 3>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    // expected-error @below {{'moec.gemm' op LDS use of 196608 bytes (block_m = 256, block_n = 256, block_k = 64, num_stages = 3, epilogue = direct, async_copy) is over sm_80's limit of 166912 bytes}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 64, num_stages = 3, async_copy = true>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @lds_stages3_sm_90(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 64, num_stages = 3, async_copy = true>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @lds_stages4_sm_90(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // Issue 8: 4 stages through registers are 3 buffers, 196608 bytes: they
    // fit (this test once refused them at 262144, the async count).
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 64, num_stages = 4>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    // expected-error @below {{'moec.gemm' op LDS use of 262144 bytes (block_m = 256, block_n = 256, block_k = 64, num_stages = 4, epilogue = direct, async_copy) is over sm_90's limit of 232448 bytes}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 64, num_stages = 4, async_copy = true>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

// epilogue = lds converts the 256 x 256 bf16 tile through LDS:
// 256 x 256 x 2 = 131072 bytes.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_epilogue_gfx942(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op LDS use of 131072 bytes (block_m = 256, block_n = 256, block_k = 16, num_stages = 2, epilogue = lds) is over gfx942's limit of 65536 bytes}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 16, epilogue = lds>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

// The same tile with a direct epilogue (16384 bytes of K-loop buffers) fits
// gfx942, and the lds epilogue fits gfx950.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_epilogue_direct_gfx942(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 16, epilogue = direct>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @lds_epilogue_gfx950(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 16, epilogue = lds>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

// An f32 output doubles the epilogue: 256 x 256 x 4 = 262144 bytes, over
// gfx950 too.
module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @lds_epilogue_f32_gfx950(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xf32>) {
    // expected-error @below {{'moec.gemm' op LDS use of 262144 bytes (block_m = 256, block_n = 256, block_k = 16, num_stages = 2, epilogue = lds) is over gfx950's limit of 163840 bytes}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 16, epilogue = lds>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xf32>
    return
  }
}

// -----

// The epilogue reuses the K loop's buffers: max(49152, 32768), not the sum
// (81920). K loop: (128 + 64) x 128 bf16; epilogue: 128 x 64 f32.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_epilogue_reuses_loop_buffers(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xf32>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 128, block_n = 64, block_k = 128, epilogue = lds>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xf32>
    return
  }
}

// -----

// moe_gemm's LDS: the A and B tiles plus the block's row map (block_m x
// 12 bytes: A row, C row, routing weight). int8_w8a16 dequantizes W to A's
// type on its way to LDS: 256 x 128 bf16 + 256 x 128 bf16 + 3072 = 134144
// bytes.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_moe_int8(%a: memref<?x4096xbf16>, %w: memref<8x4096x4096xi8>, %c: memref<?x2x4096xbf16>,
                          %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %bs: memref<8x4096xf32>) {
    // expected-error @below {{'moec.moe_gemm' op LDS use of 134144 bytes (block_m = 256, block_n = 256, block_k = 128, num_stages = 2, epilogue = direct) is over gfx942's limit of 65536 bytes}}
    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs : memref<8x4096xf32>) {top_k = 2 : i64, config = #moec.config<block_m = 256, block_n = 256, block_k = 128>} : memref<?x4096xbf16>, memref<8x4096x4096xi8> -> memref<?x2x4096xbf16>
    return
  }
}

// -----

// fp8_w8a8 with block_k 64: 256 x 64 + 256 x 64 one-byte elements + 3072 =
// 35840, which fits; int8_w8a16 with block_k 32 (16384 + 16384 + 3072)
// fits as well.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_moe_fits(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x4096x4096xf8E4M3FNUZ>, %c: memref<?x2x4096xbf16>,
                          %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<f32>, %bs: memref<8xf32>,
                          %a16: memref<?x4096xbf16>, %w8: memref<8x4096x4096xi8>, %bs8: memref<8x4096xf32>) {
    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<f32>) b_scale(%bs : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<block_m = 256, block_n = 256, block_k = 64>} : memref<?x4096xf8E4M3FNUZ>, memref<8x4096x4096xf8E4M3FNUZ> -> memref<?x2x4096xbf16>
    moec.moe_gemm %a16, %w8 -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs8 : memref<8x4096xf32>) {top_k = 2 : i64, config = #moec.config<block_m = 256, block_n = 256, block_k = 32>} : memref<?x4096xbf16>, memref<8x4096x4096xi8> -> memref<?x2x4096xbf16>
    return
  }
}

// -----

// The bf16 256 x 256 x 128 tile is 131072 + 3072 bytes.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_moe_bf16(%a: memref<?x4096xbf16>, %w: memref<8x4096x4096xbf16>, %c: memref<?x2x4096xbf16>,
                          %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
    // expected-error @below {{'moec.moe_gemm' op LDS use of 134144 bytes (block_m = 256, block_n = 256, block_k = 128, num_stages = 2, epilogue = direct) is over gfx942's limit of 65536 bytes}}
    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<block_m = 256, block_n = 256, block_k = 128>} : memref<?x4096xbf16>, memref<8x4096x4096xbf16> -> memref<?x2x4096xbf16>
    return
  }
}

// -----

// Sparse MLA with d_qk = 576 (SparseAttentionPlan): a 32-row KV tile is
// 32 x 576 bf16 = 36864 bytes per buffer; then Q (block_h x 576 bf16 =
// 36864 at block_h 32), P (block_h x block_kv bf16 = 2048), the f32 scores
// sharing LDS with a 128-column V^T chunk (max(4096, 8192)), the indices
// (4 bytes per row per buffer) and the row statistics (3 x block_h f32).
// 3 stages keep 2 KV buffers: 73728 + 36864 + 2048 + 8192 + 256 + 384 =
// 121472 bytes.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_attention_stages3_gfx942(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    // expected-error @below {{'moec.sparse_attention' op LDS use of 117376 bytes (block_h = 32, block_kv = 32, d_qk = 576, num_stages = 3, epilogue = direct) is over gfx942's limit of 65536 bytes}}
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 32, block_kv = 32, num_stages = 3>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_attention_block_kv64_gfx942(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    // expected-error @below {{'moec.sparse_attention' op LDS use of 123520 bytes (block_h = 32, block_kv = 64, d_qk = 576, num_stages = 1, epilogue = direct) is over gfx942's limit of 65536 bytes}}
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 32, block_kv = 64, num_stages = 1>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

// -----

// Both fit gfx950; 2 stages (one buffer) at block_h = 16 fit gfx942
// (36864 + 18432 + 1024 + 8192 + 128 + 192 = 64832 bytes), block_h = 32
// does not (Q alone doubles).
module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @lds_attention_gfx950(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 32, block_kv = 32, num_stages = 3>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 32, block_kv = 64, num_stages = 1>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_attention_stages2_gfx942(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 16, block_kv = 32, num_stages = 2>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    // expected-error @below {{'moec.sparse_attention' op LDS use of 80384 bytes (block_h = 32, block_kv = 32, d_qk = 576, num_stages = 2, epilogue = direct) is over gfx942's limit of 65536 bytes}}
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 32, block_kv = 32, num_stages = 2>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

// -----

// The attention kernel stores from the accumulator layout whatever the
// epilogue knob says: lds adds nothing. block_h = 64 is over gfx942's LDS
// either way (Q alone is 73728 bytes) and fits gfx950.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_attention_epilogue_gfx942(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    // expected-error @below {{'moec.sparse_attention' op LDS use of 123776 bytes (block_h = 64, block_kv = 32, d_qk = 576, num_stages = 2, epilogue = lds) is over gfx942's limit of 65536 bytes}}
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 64, block_kv = 32, epilogue = lds>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @lds_attention_epilogue_direct_gfx950(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 64, block_kv = 32, epilogue = direct>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

// -----

// NVIDIA with async copies (a ring of num_stages buffers): 2 x 73728 + Q
// 36864 + P 4096 + V^T 16384 + indices 512 + statistics 384 = 205312 fits
// sm_90; a third stage does not.
module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @lds_attention_stages3_sm_90(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 32, block_kv = 64, num_stages = 2, async_copy = true>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    // expected-error @below {{'moec.sparse_attention' op LDS use of 271488 bytes (block_h = 32, block_kv = 64, d_qk = 576, num_stages = 3, epilogue = direct, async_copy) is over sm_90's limit of 232448 bytes}}
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 32, block_kv = 64, num_stages = 3, async_copy = true>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

//===----------------------------------------------------------------------===//
// Host, moe_align, and where the target comes from
//===----------------------------------------------------------------------===//

// -----

// The host target has no matrix shape, register or LDS limit; its
// workgroups are num_warps x 64 lanes (fibers), at most 1024 of them.
module attributes {moec.target = #moec.target<"host">} {
  func.func @host_takes_any_tile(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xf32>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 256, num_warps = 16, num_stages = 8, waves_per_eu = 16, matrix_instr_nonkdim = 32, kpack = 2, epilogue = lds>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xf32>
    // expected-error @below {{'moec.gemm' op num_warps = 32 gives 2048 lanes per workgroup, over host's limit of 1024}}
    moec.gemm %a, %b -> %c {config = #moec.config<num_warps = 32>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xf32>
    return
  }
}

// -----

// moe_align is no matrix kernel: the matrix parameters do not matter to it
// (its limits are the workgroup size and its LDS, below).
module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @moe_align_on_target(%ids: memref<?x2xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>) {
    moec.moe_align %ids -> %sorted, %experts, %npad {num_experts = 8 : i64, config = #moec.config<block_m = 16, matrix_instr_nonkdim = 32, kpack = 2>} : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    return
  }
}

// -----

// moe_align's LDS (MoeAlignPlan): 4 counters per expert plus at least one
// run; 3072 experts take all of the 48 KiB it may use as static shared
// memory, 2048 fit.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @moe_align_too_many_experts(%ids: memref<?x2xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>) {
    // expected-error @below {{'moec.moe_align' op num_experts = 3072 needs 61568 bytes of LDS for the expert counters (49152 bytes) and one run of 32 copies, more than the 49152 bytes moe_align may use on gfx942}}
    moec.moe_align %ids -> %sorted, %experts, %npad {num_experts = 3072 : i64, config = #moec.config<>} : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @moe_align_2048_experts(%ids: memref<?x2xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>) {
    moec.moe_align %ids -> %sorted, %experts, %npad {num_experts = 2048 : i64, config = #moec.config<>} : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    return
  }
}

// -----

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @moe_align_workgroup_too_large(%ids: memref<?x2xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>) {
    // expected-error @below {{'moec.moe_align' op num_warps gives 2048 lanes per workgroup, more than the 1024 of gfx942}}
    moec.moe_align %ids -> %sorted, %experts, %npad {num_experts = 8 : i64, config = #moec.config<num_warps = 32>} : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    return
  }
}

// -----

// Without a moec.target nothing of the above is checked.
module {
  func.func @no_target(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 16, block_n = 16, num_warps = 32, matrix_instr_nonkdim = 32, kpack = 2, num_stages = 8, block_k = 256>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// -----

// The nearest enclosing moec.target wins: gfx942 inside gfx950.
module attributes {moec.target = #moec.target<"gfx950">} {
  module attributes {moec.target = #moec.target<"gfx942">} {
    func.func @nearest_target_wins(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
      // expected-error @below {{'moec.gemm' op LDS use of 131072 bytes (block_m = 256, block_n = 256, block_k = 64, num_stages = 3, epilogue = direct) is over gfx942's limit of 65536 bytes}}
      moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 64, num_stages = 3>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
      return
    }
  }
}

// -----

// An inner module without a target inherits the outer one.
module attributes {moec.target = #moec.target<"gfx950">} {
  module {
    func.func @outer_target_applies(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
      // expected-error @below {{'moec.gemm' op kpack = 2 is not supported on gfx950}}
      moec.gemm %a, %b -> %c {config = #moec.config<kpack = 2>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
      return
    }
  }
}
