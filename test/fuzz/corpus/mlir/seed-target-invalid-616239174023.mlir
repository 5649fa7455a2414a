

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

