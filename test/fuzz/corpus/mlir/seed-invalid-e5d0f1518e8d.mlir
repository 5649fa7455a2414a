

// expected-error @below {{unknown moec attribute 'moec.targets'; known: 'moec.target'}}
module attributes {moec.targets = #moec.target<"gfx942">} {}

//===----------------------------------------------------------------------===//
// moec.gemm
//===----------------------------------------------------------------------===//

