

// The same 256 x 256 tile fits with 2 waves per SIMD (256 registers), and
// NVIDIA has no such check.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @accumulator_fits(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, num_warps = 4, waves_per_eu = 2>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, num_warps = 4>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

