

func.func @unknown_moec_attr() attributes {
  // expected-error @below {{unknown attribute `tuning` in dialect `moec`}}
  x = #moec.tuning<1>
} {
  return
}

