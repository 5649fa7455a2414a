

module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @fp8_block_k_sm_90(%a: memref<?x4096xf8E4M3FN>, %b: memref<4096x4096xf8E4M3FN>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op block_k = 16 is not a multiple of the mma.sync K (32) x kpack (1) = 32 of mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 on sm_90}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 16>} : memref<?x4096xf8E4M3FN>, memref<4096x4096xf8E4M3FN> -> memref<?x4096xbf16>
    return
  }
}

