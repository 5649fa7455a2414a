//===- LibFuzzerMain.cpp - libFuzzer entry for one target -----------------===//
// Built once per target with -DMOEC_FUZZ_TARGET="<name>" (see CMakeLists).
#include "FuzzTargets.h"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static moec::fuzz::Target target = [] {
    moec::fuzz::Target t = moec::fuzz::lookup(MOEC_FUZZ_TARGET);
    if (!t) {
      std::fprintf(stderr, "no fuzz target %s\n", MOEC_FUZZ_TARGET);
      std::abort();
    }
    return t;
  }();
  return target(data, size);
}
