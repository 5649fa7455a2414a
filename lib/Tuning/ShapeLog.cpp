//===- ShapeLog.cpp - the shapes a live application asked for -------------===//

#include "moec/Tuning/ShapeLog.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <cstdlib>

using namespace moec::tuning;
namespace json = llvm::json;
using llvm::StringRef;

namespace {
llvm::Error errorf(const std::string &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}
std::string quote(StringRef s) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << json::Value(s.str());
  return out;
}
} // namespace

std::optional<int64_t> ShapeRecord::dim(StringRef name) const {
  for (const auto &[k, v] : shape)
    if (k == name)
      return v;
  return std::nullopt;
}

std::string ShapeRecord::attr(StringRef name) const {
  for (const auto &[k, v] : attrs)
    if (k == name)
      return v;
  return "";
}

std::string ShapeRecord::toJson() const {
  std::string s = "{\"op\": " + quote(op) + ", \"shape\": {";
  for (size_t i = 0; i < shape.size(); ++i)
    s += fmt::format("{}{}: {}", i ? ", " : "", quote(shape[i].first),
                     shape[i].second);
  s += "}, \"dtypes\": [";
  for (size_t i = 0; i < dtypes.size(); ++i)
    s += (i ? ", " : "") + quote(dtypes[i]);
  s += "]";
  if (!attrs.empty()) {
    s += ", \"attrs\": {";
    for (size_t i = 0; i < attrs.size(); ++i)
      s += fmt::format("{}{}: {}", i ? ", " : "", quote(attrs[i].first),
                       quote(attrs[i].second));
    s += "}";
  }
  return s + ", \"target\": " + quote(target) + ", \"device\": " +
         quote(device) + "}";
}

llvm::Expected<ShapeRecord> moec::tuning::parseShapeRecord(StringRef line,
                                                           StringRef where) {
  auto bad = [&](const std::string &what) {
    return errorf(fmt::format("{}: {}", where.str(), what));
  };
  auto parsed = json::parse(line);
  if (!parsed)
    return bad("not JSON: " + llvm::toString(parsed.takeError()));
  const json::Object *o = parsed->getAsObject();
  if (!o)
    return bad("expected a JSON object");
  ShapeRecord r;
  auto str = [&](StringRef key, std::string &out) -> llvm::Error {
    auto v = o->getString(key);
    if (!v)
      return bad(fmt::format("\"{}\" is missing or not a string", key.str()));
    out = v->str();
    return llvm::Error::success();
  };
  if (auto e = str("op", r.op))
    return e;
  if (auto e = str("target", r.target))
    return e;
  if (auto e = str("device", r.device))
    return e;
  const json::Object *shape = o->getObject("shape");
  if (!shape)
    return bad("\"shape\" is missing or not an object");
  // Keep the order of the line (json::Object does not): scan the keys.
  StringRef rest = line.substr(line.find("\"shape\""));
  rest = rest.substr(rest.find('{') + 1);
  rest = rest.take_until([](char c) { return c == '}'; });
  llvm::SmallVector<StringRef> parts;
  rest.split(parts, ',', -1, false);
  for (StringRef p : parts) {
    StringRef k = p.split(':').first.trim();
    auto key = json::parse(k);
    if (!key || !key->getAsString())
      return bad("a \"shape\" key is not a string");
    std::string name = key->getAsString()->str();
    auto value = shape->getInteger(name);
    if (!value)
      return bad(fmt::format("shape \"{}\" is not an integer", name));
    r.shape.emplace_back(name, *value);
  }
  if (r.shape.size() != shape->size())
    return bad("\"shape\" has keys this reader cannot order");
  if (const json::Array *dt = o->getArray("dtypes")) {
    for (const json::Value &v : *dt) {
      if (!v.getAsString())
        return bad("\"dtypes\" holds a non-string");
      r.dtypes.push_back(v.getAsString()->str());
    }
  } else {
    return bad("\"dtypes\" is missing or not an array");
  }
  if (const json::Object *attrs = o->getObject("attrs")) {
    std::vector<std::string> keys;
    for (const auto &kv : *attrs)
      keys.push_back(kv.first.str());
    llvm::sort(keys);
    for (const std::string &k : keys) {
      auto v = attrs->getString(k);
      if (!v)
        return bad(fmt::format("attrs \"{}\" is not a string", k));
      r.attrs.emplace_back(k, v->str());
    }
  }
  return r;
}

llvm::Expected<std::vector<ShapeRecord>>
moec::tuning::readShapeLog(StringRef path) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buf)
    return errorf(fmt::format("{}: cannot read: {}", path.str(),
                              buf.getError().message()));
  StringRef text = (*buf)->getBuffer();
  std::vector<ShapeRecord> out;
  std::unordered_set<std::string> seen;
  int lineNo = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    ++lineNo;
    if (nl == StringRef::npos)
      break; // unterminated last line: a writer died mid-line
    StringRef line = text.take_front(nl).trim();
    text = text.drop_front(nl + 1);
    if (line.empty())
      continue;
    auto r = parseShapeRecord(line, fmt::format("{}:{}", path.str(), lineNo));
    if (!r)
      return r.takeError();
    if (seen.insert(r->toJson()).second)
      out.push_back(std::move(*r));
  }
  return out;
}

ShapeLog *ShapeLog::global() {
  static ShapeLog *log = []() -> ShapeLog * {
    const char *env = std::getenv("MOEC_SHAPE_LOG");
    if (!env || !*env)
      return nullptr;
    auto opened = open(env);
    if (!opened) {
      llvm::errs() << "moec: MOEC_SHAPE_LOG: "
                   << llvm::toString(opened.takeError())
                   << "; shapes are not logged\n";
      return nullptr;
    }
    return opened->release();
  }();
  return log;
}

llvm::Expected<std::unique_ptr<ShapeLog>> ShapeLog::open(StringRef path) {
  std::unique_ptr<ShapeLog> log(new ShapeLog());
  if (auto e = log->file_.open(path))
    return e;
  return log;
}

size_t ShapeLog::absorb(StringRef text) {
  size_t done = 0;
  while (done < text.size()) {
    size_t nl = text.find('\n', done);
    if (nl == StringRef::npos)
      break;
    StringRef line = text.slice(done, nl).trim();
    done = nl + 1;
    if (line.empty())
      continue;
    // Canonicalize what others wrote, so a differently spaced line of the
    // same record still counts.
    if (auto r = parseShapeRecord(line, file_.path()))
      seen_.insert(r->toJson());
    else
      llvm::consumeError(r.takeError());
  }
  return done;
}

llvm::Expected<bool> ShapeLog::record(const ShapeRecord &record) {
  std::string line = record.toJson();
  std::lock_guard<std::mutex> guard(mutex_);
  if (seen_.count(line))
    return false;
  if (auto e = file_.lock())
    return e;
  uint64_t offset = readOffset_;
  auto fresh = file_.readFrom(offset);
  if (!fresh) {
    file_.unlock();
    return fresh.takeError();
  }
  // Only complete lines move the offset: a partial one is read again.
  readOffset_ += absorb(*fresh);
  bool wrote = false;
  if (!seen_.count(line)) {
    std::string withNewline = line + "\n";
    if (readOffset_ != offset) {
      // The file ends in a partial line (a writer died mid-line): start on a
      // fresh line so this record stays readable.
      withNewline = "\n" + withNewline;
      readOffset_ = offset;
    }
    if (auto e = file_.append(withNewline)) {
      file_.unlock();
      return e;
    }
    readOffset_ += withNewline.size();
    seen_.insert(line);
    wrote = true;
  }
  file_.unlock();
  return wrote;
}
