//===- TuningTarget.cpp - fuzz target: the tuning DB and shape-log readers ===//
#include "FuzzTargets.h"

#include "moec/Tuning/ModelConfig.h"
#include "moec/Tuning/ShapeLog.h"
#include "moec/Tuning/TuningDB.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

using namespace moec::tuning;

int moec::fuzz::tuning(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  // A vLLM/SGLang config file; what is read is printed back.
  if (auto file = parseConfigFile(text, "fuzz.json"))
    (void)printConfigFile(*file);
  else
    llvm::consumeError(file.takeError());
  // The same bytes as a model's config.json and as a file name.
  if (auto shape = deriveMoeShape(text, "config.json", 2, 1); !shape)
    llvm::consumeError(shape.takeError());
  (void)parseConfigFileName(text.take_front(256));
  // Every line as a shape-log record.
  llvm::SmallVector<llvm::StringRef> lines;
  text.split(lines, '\n');
  for (llvm::StringRef line : lines)
    if (auto record = parseShapeRecord(line, "fuzz:1"); !record)
      llvm::consumeError(record.takeError());
  return 0;
}
