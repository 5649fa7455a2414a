

// The epilogue reuses the K loop's buffers: max(49152, 32768), not the sum
// (81920). K loop: (128 + 64) x 128 bf16; epilogue: 128 x 64 f32.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_epilogue_reuses_loop_buffers(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xf32>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 128, block_n = 64, block_k = 128, epilogue = lds>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xf32>
    return
  }
}

