

// NVIDIA: 3 x 73728 + 4096 = 225280 fits sm_90; a fourth stage does not.
module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @lds_attention_stages4_sm_90(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 32, block_kv = 64, num_stages = 3>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    // expected-error @below {{'moec.sparse_attention' op LDS use of 299008 bytes (block_h = 32, block_kv = 64, d_qk = 576, num_stages = 4, epilogue = direct) is over sm_90's limit of 232448 bytes}}
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 32, block_kv = 64, num_stages = 4>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

//===----------------------------------------------------------------------===//
// Host, moe_align, and where the target comes from
//===----------------------------------------------------------------------===//

