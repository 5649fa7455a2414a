

// expected-error @below {{expected string}}
// expected-error @below {{failed to parse Moec_TargetAttr parameter 'chip' which is to be a `::llvm::StringRef`}}
module attributes {moec.target = #moec.target<gfx942>} {}

