

// 16 waves of 64 lanes are exactly the limit.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lanes_at_limit_gfx942(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 128, block_n = 128, num_warps = 16>} : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    return
  }
}

