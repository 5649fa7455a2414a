// An fp8 linear layer with per-tensor A and per-channel B scales; the
// element type is substituted by the RUN lines (sed) of fp8-host.test.
module {
  func.func @g(%a: memref<?x96xFP8>, %b: memref<80x96xFP8>, %c: memref<?x80xbf16>,
               %sa: memref<f32>, %sb: memref<80xf32>) {
    moec.gemm %a, %b -> %c scale_a(%sa : memref<f32>) scale_b(%sb : memref<80xf32>)
      {transpose_b, config = #moec.config<block_m = 16, block_n = 32, block_k = 32>}
      : memref<?x96xFP8>, memref<80x96xFP8> -> memref<?x80xbf16>
    return
  }
}
