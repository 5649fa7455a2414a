

// NVIDIA keeps num_stages buffers: 1 stage of 131072 bytes fits sm_90 ...
module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @lds_stages1_sm_90(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, block_k = 128, num_stages = 1>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

