

// expected-error @below {{unknown target ''; known targets: gfx90a, gfx942, gfx950, sm_80, sm_90, host}}
module attributes {moec.target = #moec.target<"">} {}

