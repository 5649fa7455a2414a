//===- Log.h - MOEC_LOG messages of the JIT runtime -------------*- C++ -*-===//
//
// MOEC_LOG=info|debug makes the JIT say what it decided and why (config
// source, specialization, cache level); warnings always print. Lines go to
// stderr as "moec: <level>: <message>".
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_JIT_LOG_H
#define MOEC_JIT_LOG_H

#include <string>

namespace moec::jit {

enum class LogLevel { Warning = 0, Info = 1, Debug = 2 };

/// The level $MOEC_LOG sets (read once): warning (unset), info, debug.
LogLevel logLevel();
inline bool logEnabled(LogLevel level) { return level <= logLevel(); }

void logWarning(const std::string &message);
void logInfo(const std::string &message);
void logDebug(const std::string &message);

} // namespace moec::jit

#endif // MOEC_JIT_LOG_H
