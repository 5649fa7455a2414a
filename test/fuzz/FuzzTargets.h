//===- FuzzTargets.h - what each moec fuzzer runs on one input --*- C++ -*-===//
//
// Each target takes arbitrary bytes and must return without crashing, with
// every problem reported as an error. The same functions run under libFuzzer
// (LibFuzzerMain.cpp, -DMOEC_FUZZ=ON with clang) and, in every build, over
// the committed corpora (ReplayMain.cpp: moec-fuzz-replay), so a crash once
// found stays a regression test.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TEST_FUZZ_FUZZTARGETS_H
#define MOEC_TEST_FUZZ_FUZZTARGETS_H

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace moec::fuzz {

/// Parse, verify and lower for `chip` (gfx942, sm_90, host ...) down to LLVM
/// IR: the path of `moec compile --emit llvm`.
int mlir(const uint8_t *data, size_t size, std::string_view chip);

/// `moec inspect`'s reader: readCodeObject and occupancy on any bytes.
int codeObject(const uint8_t *data, size_t size);

/// The tuning DB's readers: vLLM/SGLang config files, model config.json,
/// config file names, shape-log lines.
int tuning(const uint8_t *data, size_t size);

/// The target named `name` ("mlir-gfx942", "mlir-sm_90", "mlir-host",
/// "codeobject", "tuning"), or null.
using Target = int (*)(const uint8_t *, size_t);
Target lookup(std::string_view name);

} // namespace moec::fuzz

#endif // MOEC_TEST_FUZZ_FUZZTARGETS_H
