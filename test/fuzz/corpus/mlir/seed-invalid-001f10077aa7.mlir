

// expected-error @below {{unknown target 'gfx1100'; known targets: gfx90a, gfx942, gfx950, sm_80, sm_90, host}}
module attributes {moec.target = #moec.target<"gfx1100">} {}

