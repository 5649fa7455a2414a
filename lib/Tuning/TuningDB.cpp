//===- TuningDB.cpp - tuned configs in the vLLM/SGLang file format --------===//

#include "moec/Tuning/TuningDB.h"
#include "moec/Tuning/FileUtil.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

using namespace moec::tuning;
namespace json = llvm::json;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// TuningEntry
//===----------------------------------------------------------------------===//

const json::Value *TuningEntry::get(StringRef key) const {
  for (const auto &[k, v] : fields)
    if (k == key)
      return &v;
  return nullptr;
}

std::optional<int64_t> TuningEntry::getInt(StringRef key) const {
  if (const json::Value *v = get(key))
    return v->getAsInteger();
  return std::nullopt;
}

std::optional<double> TuningEntry::getNumber(StringRef key) const {
  if (const json::Value *v = get(key))
    return v->getAsNumber();
  return std::nullopt;
}

void TuningEntry::set(StringRef key, json::Value value) {
  for (auto &[k, v] : fields)
    if (k == key) {
      v = std::move(value);
      return;
    }
  fields.emplace_back(key.str(), std::move(value));
}

void TuningEntry::erase(StringRef key) {
  llvm::erase_if(fields, [&](const auto &f) { return f.first == key; });
}

void TuningEntry::canonicalize() {
  static const char *order[] = {"BLOCK_SIZE_M", "BLOCK_SIZE_N",
                                "BLOCK_SIZE_K", "GROUP_SIZE_M",
                                "num_warps",    "num_stages",
                                "SPLIT_K",      "waves_per_eu",
                                "matrix_instr_nonkdim", "kpack"};
  auto rank = [](StringRef k) {
    for (size_t i = 0; i < std::size(order); ++i)
      if (k == order[i])
        return i;
    return std::size(order);
  };
  std::stable_sort(fields.begin(), fields.end(),
                   [&](const auto &a, const auto &b) {
                     return rank(a.first) < rank(b.first);
                   });
}

bool TuningEntry::operator==(const TuningEntry &other) const {
  if (fields.size() != other.fields.size())
    return false;
  for (const auto &[k, v] : fields) {
    const json::Value *o = other.get(k);
    if (!o || !(*o == v))
      return false;
  }
  return true;
}

std::string TuningEntry::str() const {
  std::string s = "{";
  for (const auto &[k, v] : fields) {
    if (s.size() > 1)
      s += ", ";
    std::string val;
    llvm::raw_string_ostream os(val);
    os << v;
    s += fmt::format("\"{}\": {}", k, val);
  }
  return s + "}";
}

//===----------------------------------------------------------------------===//
// ConfigFile
//===----------------------------------------------------------------------===//

const TuningEntry *ConfigFile::nearest(int64_t m, int64_t *matchedKey) const {
  const std::pair<int64_t, TuningEntry> *best = nullptr;
  uint64_t bestDist = 0;
  for (const auto &e : entries) {
    uint64_t d = e.first > m ? uint64_t(e.first) - uint64_t(m)
                             : uint64_t(m) - uint64_t(e.first);
    // Strictly less: Python's min() keeps the first of equal keys.
    if (!best || d < bestDist) {
      best = &e;
      bestDist = d;
    }
  }
  if (!best)
    return nullptr;
  if (matchedKey)
    *matchedKey = best->first;
  return &best->second;
}

TuningEntry *ConfigFile::find(int64_t m) {
  for (auto &e : entries)
    if (e.first == m)
      return &e.second;
  return nullptr;
}

const TuningEntry *ConfigFile::find(int64_t m) const {
  return const_cast<ConfigFile *>(this)->find(m);
}

void ConfigFile::put(int64_t m, TuningEntry entry) {
  if (TuningEntry *e = find(m)) {
    *e = std::move(entry);
    return;
  }
  auto it = llvm::find_if(entries, [&](const auto &e) { return e.first > m; });
  entries.insert(it, {m, std::move(entry)});
}

//===----------------------------------------------------------------------===//
// Parsing, keeping the order of keys
//===----------------------------------------------------------------------===//

namespace {

/// The keys of the top-level object and of each object directly inside it,
/// in text order. llvm::json::Object does not keep the order, which decides
/// nearest-M ties and is kept on a round trip. Assumes valid JSON (the text
/// was parsed by llvm::json first).
void scanKeyOrder(StringRef text, std::vector<std::string> &top,
                  std::vector<std::vector<std::string>> &nested) {
  std::string stack; // '{' or '['
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '{' || c == '[') {
      stack.push_back(c);
      continue;
    }
    if (c == '}' || c == ']') {
      if (!stack.empty())
        stack.pop_back();
      continue;
    }
    if (c != '"')
      continue;
    size_t start = i;
    for (++i; i < text.size() && text[i] != '"'; ++i)
      if (text[i] == '\\')
        ++i;
    StringRef token = text.slice(start, i + 1);
    size_t j = i + 1;
    while (j < text.size() && llvm::isSpace(text[j]))
      ++j;
    if (j >= text.size() || text[j] != ':' || stack.empty() ||
        stack.back() != '{')
      continue;
    std::string key;
    if (auto v = json::parse(token))
      if (auto s = v->getAsString())
        key = s->str();
    if (stack.size() == 1) {
      top.push_back(key);
      nested.emplace_back();
    } else if (stack.size() == 2 && stack[1] == '{' && !nested.empty()) {
      nested.back().push_back(key);
    }
  }
}

llvm::Error errorf(const std::string &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

} // namespace

llvm::Expected<ConfigFile> moec::tuning::parseConfigFile(StringRef text,
                                                         StringRef name) {
  llvm::Expected<json::Value> parsed = json::parse(text);
  if (!parsed)
    return errorf(fmt::format("{}: not JSON: {}", name.str(),
                              llvm::toString(parsed.takeError())));
  const json::Object *obj = parsed->getAsObject();
  if (!obj)
    return errorf(fmt::format("{}: expected a JSON object mapping M to "
                              "configs",
                              name.str()));
  std::vector<std::string> top;
  std::vector<std::vector<std::string>> nested;
  scanKeyOrder(text, top, nested);
  ConfigFile file;
  for (size_t i = 0; i < top.size(); ++i) {
    const std::string &key = top[i];
    const json::Value *value = obj->get(key);
    if (!value)
      continue; // a duplicate key: JSON keeps the last, so do we
    int64_t m;
    if (StringRef(key).getAsInteger(10, m)) {
      if (llvm::none_of(file.meta,
                        [&](const auto &f) { return f.first == key; }))
        file.meta.emplace_back(key, *value);
      continue;
    }
    const json::Object *cfg = value->getAsObject();
    if (!cfg)
      return errorf(fmt::format("{}: the value of \"{}\" is not an object of "
                                "config parameters",
                                name.str(), key));
    if (m < 0)
      return errorf(fmt::format("{}: key \"{}\" is negative", name.str(), key));
    if (file.find(m))
      continue;
    TuningEntry entry;
    for (const std::string &k : nested[i])
      if (const json::Value *v = cfg->get(k))
        if (!entry.get(k))
          entry.fields.emplace_back(k, *v);
    // Anything the scanner missed (it should not) is kept too.
    std::vector<std::string> rest;
    for (const auto &kv : *cfg)
      if (!entry.get(kv.first.str()))
        rest.push_back(kv.first.str());
    llvm::sort(rest);
    for (const std::string &k : rest)
      entry.fields.emplace_back(k, *cfg->get(k));
    for (const auto &[k, v] : entry.fields)
      if (v.kind() == json::Value::Object || v.kind() == json::Value::Array)
        return errorf(fmt::format("{}: M={}: parameter \"{}\" is not a "
                                  "number, string or boolean",
                                  name.str(), m, k));
    file.entries.emplace_back(m, std::move(entry));
  }
  return file;
}

llvm::Expected<ConfigFile> moec::tuning::readConfigFile(StringRef path) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buf)
    return errorf(fmt::format("{}: cannot read: {}", path.str(),
                              buf.getError().message()));
  return parseConfigFile((*buf)->getBuffer(), path);
}

//===----------------------------------------------------------------------===//
// Printing as Python's json.dump(indent=4)
//===----------------------------------------------------------------------===//

namespace {

void printString(StringRef s, std::string &out) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    default:
      if (c < 0x20)
        out += fmt::format("\\u{:04x}", c);
      else
        out += static_cast<char>(c);
    }
  }
  out += '"';
}

/// Python's repr() of a float: shortest round trip, always with a '.' or an
/// exponent.
std::string pythonFloat(double d) {
  if (std::isnan(d))
    return "NaN";
  if (std::isinf(d))
    return d > 0 ? "Infinity" : "-Infinity";
  std::string s = fmt::format("{}", d);
  if (s.find_first_of(".e") == std::string::npos)
    s += ".0";
  return s;
}

void printValue(const json::Value &v, int indent, std::string &out) {
  std::string pad(indent + 4, ' '), closePad(indent, ' ');
  switch (v.kind()) {
  case json::Value::Null:
    out += "null";
    return;
  case json::Value::Boolean:
    out += *v.getAsBoolean() ? "true" : "false";
    return;
  case json::Value::Number:
    if (auto i = v.getAsInteger())
      out += std::to_string(*i);
    else if (auto u = v.getAsUINT64())
      out += std::to_string(*u);
    else
      out += pythonFloat(*v.getAsNumber());
    return;
  case json::Value::String:
    printString(*v.getAsString(), out);
    return;
  case json::Value::Array: {
    const json::Array &a = *v.getAsArray();
    if (a.empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    for (size_t i = 0; i < a.size(); ++i) {
      out += pad;
      printValue(a[i], indent + 4, out);
      out += i + 1 < a.size() ? ",\n" : "\n";
    }
    out += closePad + "]";
    return;
  }
  case json::Value::Object: {
    const json::Object &o = *v.getAsObject();
    if (o.empty()) {
      out += "{}";
      return;
    }
    std::vector<std::string> keys;
    for (const auto &kv : o)
      keys.push_back(kv.first.str());
    llvm::sort(keys);
    out += "{\n";
    for (size_t i = 0; i < keys.size(); ++i) {
      out += pad;
      printString(keys[i], out);
      out += ": ";
      printValue(*o.get(keys[i]), indent + 4, out);
      out += i + 1 < keys.size() ? ",\n" : "\n";
    }
    out += closePad + "}";
    return;
  }
  }
}

} // namespace

std::string moec::tuning::printConfigFile(const ConfigFile &file) {
  if (file.meta.empty() && file.entries.empty())
    return "{}\n";
  std::string out = "{\n";
  size_t total = file.meta.size() + file.entries.size(), n = 0;
  for (const auto &[k, v] : file.meta) {
    out += "    ";
    printString(k, out);
    out += ": ";
    printValue(v, 4, out);
    out += ++n < total ? ",\n" : "\n";
  }
  for (const auto &[m, entry] : file.entries) {
    TuningEntry e = entry;
    e.canonicalize();
    out += fmt::format("    \"{}\": ", m);
    if (e.fields.empty()) {
      out += "{}";
    } else {
      out += "{\n";
      for (size_t i = 0; i < e.fields.size(); ++i) {
        out += "        ";
        printString(e.fields[i].first, out);
        out += ": ";
        printValue(e.fields[i].second, 8, out);
        out += i + 1 < e.fields.size() ? ",\n" : "\n";
      }
      out += "    }";
    }
    out += ++n < total ? ",\n" : "\n";
  }
  return out + "}\n";
}

llvm::Error moec::tuning::writeConfigFile(StringRef path,
                                          const ConfigFile &file) {
  return writeFileAtomically(path, printConfigFile(file));
}

//===----------------------------------------------------------------------===//
// File names
//===----------------------------------------------------------------------===//

std::optional<int64_t> ConfigFileKey::dim(StringRef name) const {
  for (const auto &[k, v] : dims)
    if (k == name)
      return v;
  return std::nullopt;
}

bool ConfigFileKey::operator==(const ConfigFileKey &o) const {
  return op == o.op && dims == o.dims && deviceName == o.deviceName &&
         dtype == o.dtype && blockShape == o.blockShape &&
         layout == o.layout && perChannelQuant == o.perChannelQuant &&
         down == o.down;
}

std::string moec::tuning::fileDeviceName(StringRef driverName) {
  std::string s = driverName.trim().str();
  std::replace(s.begin(), s.end(), ' ', '_');
  return s;
}

std::string moec::tuning::vllmDeviceName(StringRef driverName) {
  std::string s = fileDeviceName(driverName);
  llvm::SmallVector<StringRef> parts;
  StringRef(s).split(parts, '_');
  if (llvm::is_contained(parts, "H200"))
    return "NVIDIA_H200";
  return s;
}

ConfigFileKey moec::tuning::moeFileKey(
    int64_t experts, int64_t n, StringRef device, StringRef dtype,
    std::optional<std::pair<int64_t, int64_t>> blockShape) {
  ConfigFileKey k;
  k.dims = {{"E", experts}, {"N", n}};
  k.deviceName = vllmDeviceName(device);
  k.dtype = dtype.str();
  k.blockShape = blockShape;
  return k;
}

ConfigFileKey moec::tuning::gemmFileKey(int64_t n, int64_t k, StringRef device,
                                        StringRef dtype, StringRef layout) {
  ConfigFileKey key;
  key.op = "gemm";
  key.dims = {{"N", n}, {"K", k}};
  key.deviceName = fileDeviceName(device);
  key.dtype = dtype.str();
  key.layout = layout.str();
  return key;
}

std::string moec::tuning::configFileName(const ConfigFileKey &key,
                                         FileStyle style) {
  std::string name;
  if (key.op != "moe")
    name = "op=" + key.op + ",";
  for (const auto &[k, v] : key.dims)
    name += fmt::format("{}={},", k, v);
  name += "device_name=" + key.deviceName;
  if (!key.dtype.empty())
    name += ",dtype=" + key.dtype;
  if (key.blockShape && key.blockShape->first && key.blockShape->second)
    name += style == FileStyle::Vllm
                ? fmt::format(",block_shape=[{},{}]", key.blockShape->first,
                              key.blockShape->second)
                : fmt::format(",block_shape=[{}, {}]", key.blockShape->first,
                              key.blockShape->second);
  if (key.perChannelQuant)
    name += ",per_channel_quant=True";
  if (!key.layout.empty())
    name += ",layout=" + key.layout;
  if (key.down)
    name += "_down";
  return name + ".json";
}

std::optional<ConfigFileKey>
moec::tuning::parseConfigFileName(StringRef fileName) {
  StringRef name = llvm::sys::path::filename(fileName);
  if (!name.consume_back(".json"))
    return std::nullopt;
  ConfigFileKey key;
  key.down = name.consume_back("_down");
  bool sawDevice = false;
  // Split on ',' outside brackets: the block shape is "[128, 128]".
  while (!name.empty()) {
    size_t end = 0;
    int depth = 0;
    for (; end < name.size(); ++end) {
      if (name[end] == '[')
        ++depth;
      else if (name[end] == ']')
        --depth;
      else if (name[end] == ',' && depth == 0)
        break;
    }
    StringRef part = name.take_front(end);
    name = name.drop_front(std::min(end + 1, name.size()));
    auto [k, v] = part.split('=');
    if (v.empty() && !part.contains('='))
      return std::nullopt;
    if (k == "op") {
      key.op = v.str();
    } else if (k == "device_name") {
      key.deviceName = v.str();
      sawDevice = true;
    } else if (k == "dtype") {
      key.dtype = v.str();
    } else if (k == "layout") {
      key.layout = v.str();
    } else if (k == "per_channel_quant") {
      if (v != "True")
        return std::nullopt;
      key.perChannelQuant = true;
    } else if (k == "block_shape") {
      StringRef inner = v;
      if (!inner.consume_front("[") || !inner.consume_back("]"))
        return std::nullopt;
      auto [a, b] = inner.split(',');
      int64_t bn, bk;
      if (a.trim().getAsInteger(10, bn) || b.trim().getAsInteger(10, bk))
        return std::nullopt;
      key.blockShape = {bn, bk};
    } else {
      int64_t value;
      if (sawDevice || v.getAsInteger(10, value))
        return std::nullopt;
      key.dims.emplace_back(k.str(), value);
    }
  }
  if (!sawDevice)
    return std::nullopt;
  return key;
}

//===----------------------------------------------------------------------===//
// TuningDB
//===----------------------------------------------------------------------===//

TuningDB::TuningDB(std::vector<std::string> dirs) : dirs_(std::move(dirs)) {}

TuningDB &TuningDB::global() {
  static TuningDB *db = [] {
    std::vector<std::string> dirs;
    if (const char *env = std::getenv("MOEC_TUNING_DB")) {
      llvm::SmallVector<StringRef> parts;
      StringRef(env).split(parts, ':', -1, /*KeepEmpty=*/false);
      for (StringRef p : parts)
        dirs.push_back(p.str());
    }
    return new TuningDB(std::move(dirs));
  }();
  return *db;
}

void TuningDB::setLogSink(std::function<void(StringRef)> sink) {
  std::lock_guard<std::mutex> lock(mutex_);
  sink_ = std::move(sink);
}

void TuningDB::log(const std::string &msg) {
  // Called with mutex_ held.
  if (sink_)
    sink_(msg);
  else
    llvm::errs() << msg << "\n";
}

std::shared_ptr<const ConfigFile> TuningDB::load(const std::string &path) {
  auto it = files_.find(path);
  if (it != files_.end())
    return it->second;
  std::shared_ptr<const ConfigFile> result;
  if (llvm::sys::fs::exists(path)) {
    auto file = readConfigFile(path);
    if (file)
      result = std::make_shared<const ConfigFile>(std::move(*file));
    else
      log(fmt::format("moec: tuning DB: skipping {}",
                      llvm::toString(file.takeError())));
  }
  files_[path] = result;
  return result;
}

void TuningDB::invalidate(const std::string &path) {
  std::lock_guard<std::mutex> lock(mutex_);
  files_.erase(path);
}

std::optional<LookupResult> TuningDB::lookup(const ConfigFileKey &key,
                                             int64_t m) {
  std::string names[] = {configFileName(key, FileStyle::Vllm),
                         configFileName(key, FileStyle::Sglang)};
  std::lock_guard<std::mutex> lock(mutex_);
  for (const std::string &dir : dirs_) {
    for (const std::string &name : names) {
      if (&name != &names[0] && name == names[0])
        continue;
      llvm::SmallString<256> path(dir);
      llvm::sys::path::append(path, name);
      std::shared_ptr<const ConfigFile> file = load(std::string(path));
      if (!file)
        continue;
      int64_t matched = 0;
      if (const TuningEntry *e = file->nearest(m, &matched))
        return LookupResult{*e, std::string(path), matched};
    }
  }
  return std::nullopt;
}

std::optional<LookupResult>
TuningDB::lookupOrReport(const ConfigFileKey &key, int64_t m,
                         StringRef fallback) {
  std::optional<LookupResult> r = lookup(key, m);
  if (r)
    return r;
  std::string name = configFileName(key);
  std::string id = fmt::format("{} M={}", name, m);
  std::lock_guard<std::mutex> lock(mutex_);
  if (reported_.insert(id).second)
    log(fmt::format("moec: no tuned config for M={} in {} (MOEC_TUNING_DB={}); "
                    "using {}",
                    m, name,
                    dirs_.empty() ? std::string("<unset>")
                                  : llvm::join(dirs_, ":"),
                    fallback.str()));
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Merge
//===----------------------------------------------------------------------===//

llvm::Expected<MergeReport>
moec::tuning::mergeDirectories(llvm::ArrayRef<std::string> inputs,
                               StringRef out) {
  // File name -> contents per input, in input order.
  std::map<std::string, std::vector<std::pair<std::string, ConfigFile>>> byName;
  for (const std::string &dir : inputs) {
    std::error_code ec;
    std::vector<std::string> names;
    for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
         it.increment(ec)) {
      StringRef fname = llvm::sys::path::filename(it->path());
      if (parseConfigFileName(fname))
        names.push_back(fname.str());
    }
    if (ec)
      return errorf(fmt::format("moec db merge: {}: {}", dir, ec.message()));
    llvm::sort(names);
    for (const std::string &fname : names) {
      llvm::SmallString<256> path(dir);
      llvm::sys::path::append(path, fname);
      auto file = readConfigFile(path);
      if (!file)
        return file.takeError();
      byName[fname].emplace_back(std::string(path), std::move(*file));
    }
  }
  if (std::error_code ec = llvm::sys::fs::create_directories(out))
    return errorf(fmt::format("moec db merge: cannot create {}: {}", out.str(),
                              ec.message()));
  MergeReport report;
  for (auto &[fname, sources] : byName) {
    ConfigFile merged;
    std::map<int64_t, std::pair<std::string, const TuningEntry *>> chosen;
    for (auto &[path, file] : sources) {
      for (const auto &[k, v] : file.meta)
        if (llvm::none_of(merged.meta,
                          [&](const auto &f) { return f.first == k; }))
          merged.meta.emplace_back(k, v);
      for (const auto &[m, entry] : file.entries) {
        auto it = chosen.find(m);
        if (it == chosen.end()) {
          chosen[m] = {path, &entry};
          continue;
        }
        const TuningEntry &prev = *it->second.second;
        TuningEntry a = prev, b = entry;
        a.erase("time_us");
        b.erase("time_us");
        std::optional<double> ta = prev.getNumber("time_us"),
                              tb = entry.getNumber("time_us");
        bool takeNew = ta && tb && *tb < *ta;
        if (!(a == b))
          report.conflicts.push_back(fmt::format(
              "{} M={}: {} has {}{}, {} has {}{}; kept {}", fname, m,
              it->second.first, a.str(),
              ta ? fmt::format(" ({} us)", *ta) : std::string(), path, b.str(),
              tb ? fmt::format(" ({} us)", *tb) : std::string(),
              takeNew ? path : it->second.first));
        if (takeNew)
          it->second = {path, &entry};
      }
    }
    for (auto &[m, src] : chosen)
      merged.entries.emplace_back(m, *src.second);
    llvm::SmallString<256> path(out);
    llvm::sys::path::append(path, fname);
    if (llvm::Error e = writeConfigFile(path, merged))
      return e;
    ++report.files;
    report.entries += merged.entries.size();
  }
  return report;
}
