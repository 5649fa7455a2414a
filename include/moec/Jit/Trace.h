//===- Trace.h - MOEC_TRACE: Chrome/Perfetto trace events -------*- C++ -*-===//
//
// MOEC_TRACE=trace.json makes the JIT write Chrome trace events (the JSON
// array format; open in chrome://tracing or ui.perfetto.dev): compile with
// its phases (outline, lower, codegen), cache lookups (hit in memory / on
// disk, or miss), the specialization chosen, and launches, with op, shapes,
// config and target as args. When libnvToolsExt (CUDA) or libroctx64 (ROCm)
// can be opened, the same spans are pushed as NVTX/roctx ranges so that
// Nsight Systems / rocprof show them. Off (one branch per event) when unset.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_JIT_TRACE_H
#define MOEC_JIT_TRACE_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace moec::jit::trace {

/// Whether MOEC_TRACE is set (read once).
bool enabled();
/// Microseconds on the trace clock.
double nowUs();
using Args = std::vector<std::pair<std::string, std::string>>;
/// A complete event [startUs, startUs + durUs).
void complete(const char *category, const std::string &name, double startUs,
              double durUs, const Args &args = {});
/// An instant event.
void instant(const char *category, const std::string &name,
             const Args &args = {});

/// A span: an event from construction to destruction, and an NVTX/roctx
/// range around it.
class Span {
public:
  Span(const char *category, std::string name, Args args = {});
  ~Span();
  void arg(std::string key, std::string value) {
    if (on_)
      args_.emplace_back(std::move(key), std::move(value));
  }

private:
  bool on_;
  const char *category_;
  std::string name_;
  Args args_;
  double start_ = 0;
};

} // namespace moec::jit::trace

#endif // MOEC_JIT_TRACE_H
