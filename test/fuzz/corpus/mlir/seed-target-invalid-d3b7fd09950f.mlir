

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

