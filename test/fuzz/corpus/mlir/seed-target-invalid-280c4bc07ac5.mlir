

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

