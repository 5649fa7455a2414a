

// A moec.target that is not a #moec.target would silently turn the target
// checks off.
// expected-error @below {{'moec.target' must be a #moec.target<"chip">, not "gfx942"}}
module attributes {moec.target = "gfx942"} {}

