

// epilogue = lds converts the 256 x 256 bf16 tile through LDS:
// 256 x 256 x 2 = 131072 bytes.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_epilogue_gfx942(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op LDS use of 131072 bytes (block_m = 256, block_n = 256, block_k = 16, num_stages = 2, epilogue = lds) is over gfx942's limit of 65536 bytes}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 16, epilogue = lds>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

