

// An f32 output doubles the epilogue: 256 x 256 x 4 = 262144 bytes, over
// gfx950 too.
module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @lds_epilogue_f32_gfx950(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xf32>) {
    // expected-error @below {{'moec.gemm' op LDS use of 262144 bytes (block_m = 256, block_n = 256, block_k = 16, num_stages = 2, epilogue = lds) is over gfx950's limit of 163840 bytes}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 16, epilogue = lds>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xf32>
    return
  }
}

