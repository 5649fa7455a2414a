

// The same 3-stage config fits gfx950's 160 KiB.
module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @lds_stages3_gfx950(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 64, num_stages = 3>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

