//===- Log.cpp - MOEC_LOG messages of the JIT runtime ---------------------===//

#include "moec/Jit/Log.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

using namespace moec::jit;

LogLevel moec::jit::logLevel() {
  static const LogLevel level = [] {
    const char *v = std::getenv("MOEC_LOG");
    if (!v)
      return LogLevel::Warning;
    if (!std::strcmp(v, "debug"))
      return LogLevel::Debug;
    if (!std::strcmp(v, "info"))
      return LogLevel::Info;
    if (*v && std::strcmp(v, "warning") && std::strcmp(v, "warn"))
      std::fprintf(stderr,
                   "moec: warning: MOEC_LOG='%s' is not info, debug or "
                   "warning; using warning\n",
                   v);
    return LogLevel::Warning;
  }();
  return level;
}

static void emit(const char *tag, const std::string &message) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  std::fprintf(stderr, "moec: %s: %s\n", tag, message.c_str());
}

void moec::jit::logWarning(const std::string &message) {
  emit("warning", message);
}
void moec::jit::logInfo(const std::string &message) {
  if (logEnabled(LogLevel::Info))
    emit("info", message);
}
void moec::jit::logDebug(const std::string &message) {
  if (logEnabled(LogLevel::Debug))
    emit("debug", message);
}
