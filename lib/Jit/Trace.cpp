//===- Trace.cpp - MOEC_TRACE: Chrome/Perfetto trace events ---------------===//

#include "moec/Jit/Trace.h"
#include "moec/Jit/Log.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <mutex>
#include <sys/syscall.h>
#include <unistd.h>

using namespace moec::jit;

namespace {

struct Tracer {
  std::mutex mutex;
  std::FILE *file = nullptr;
  bool first = true;
  std::chrono::steady_clock::time_point epoch = std::chrono::steady_clock::now();
  // NVTX / roctx, when they can be opened.
  int (*rangePush)(const char *) = nullptr;
  int (*rangePop)() = nullptr;

  Tracer() {
    const char *path = std::getenv("MOEC_TRACE");
    if (!path || !*path)
      return;
    file = std::fopen(path, "w");
    if (!file) {
      logWarning(fmt::format("MOEC_TRACE={}: cannot write it; no trace", path));
      return;
    }
    std::fputs("[\n", file);
    for (auto [lib, push, pop] :
         {std::tuple{"libnvToolsExt.so.1", "nvtxRangePushA", "nvtxRangePop"},
          {"libnvToolsExt.so", "nvtxRangePushA", "nvtxRangePop"},
          {"libroctx64.so", "roctxRangePushA", "roctxRangePop"}}) {
      if (void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL)) {
        rangePush = reinterpret_cast<int (*)(const char *)>(dlsym(h, push));
        rangePop = reinterpret_cast<int (*)()>(dlsym(h, pop));
        if (rangePush && rangePop) {
          logDebug(fmt::format("MOEC_TRACE: ranges also go to {}", lib));
          break;
        }
        rangePush = nullptr;
        rangePop = nullptr;
      }
    }
  }
  ~Tracer() {
    if (file) {
      std::fputs("\n]\n", file);
      std::fclose(file);
    }
  }
};

Tracer &tracer() {
  static Tracer t;
  return t;
}

std::string escape(const std::string &s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\', out += c;
    else if (static_cast<unsigned char>(c) < 0x20)
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
    else
      out += c;
  }
  return out;
}

void write(const char *ph, const char *category, const std::string &name,
           double ts, double dur, const trace::Args &args) {
  Tracer &t = tracer();
  std::string a;
  for (const auto &[k, v] : args)
    a += fmt::format("{}\"{}\": \"{}\"", a.empty() ? "" : ", ", escape(k),
                     escape(v));
  std::string line = fmt::format(
      "{{\"name\": \"{}\", \"cat\": \"{}\", \"ph\": \"{}\", \"ts\": {:.3f}, "
      "{}\"pid\": {}, \"tid\": {}, \"args\": {{{}}}}}",
      escape(name), category, ph, ts,
      dur >= 0 ? fmt::format("\"dur\": {:.3f}, ", dur) : std::string(),
      static_cast<long>(getpid()), static_cast<long>(syscall(SYS_gettid)), a);
  std::lock_guard<std::mutex> lock(t.mutex);
  std::fputs(t.first ? "" : ",\n", t.file);
  t.first = false;
  std::fputs(line.c_str(), t.file);
  std::fflush(t.file);
}

} // namespace

bool trace::enabled() {
  static const bool on = tracer().file != nullptr;
  return on;
}

double trace::nowUs() {
  return std::chrono::duration<double, std::micro>(
             std::chrono::steady_clock::now() - tracer().epoch)
      .count();
}

void trace::complete(const char *category, const std::string &name,
                     double startUs, double durUs, const Args &args) {
  if (enabled())
    write("X", category, name, startUs, durUs, args);
}

void trace::instant(const char *category, const std::string &name,
                    const Args &args) {
  if (enabled())
    write("i", category, name, nowUs(), -1, args);
}

trace::Span::Span(const char *category, std::string name, Args args)
    : on_(enabled()), category_(category) {
  if (!on_)
    return;
  name_ = std::move(name);
  args_ = std::move(args);
  start_ = nowUs();
  if (tracer().rangePush)
    tracer().rangePush(name_.c_str());
}

trace::Span::~Span() {
  if (!on_)
    return;
  if (tracer().rangePop)
    tracer().rangePop();
  write("X", category_, name_, start_, nowUs() - start_, args_);
}
