

// LDS tiles are unpadded (rows swizzled, GemmKernelBuilder.cpp), so
// 2 x 256 x 64 bf16 = 65536 bytes per stage; 3 stages keep 2 buffers.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_stages3_gfx942(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op LDS use of 131072 bytes (block_m = 256, block_n = 256, block_k = 64, num_stages = 3, epilogue = direct) is over gfx942's limit of 65536 bytes}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 64, num_stages = 3>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

