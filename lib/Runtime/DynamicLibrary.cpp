//===- DynamicLibrary.cpp - dlopen/dlsym for the driver tables ------------===//
#include "DynamicLibrary.h"
#include "StrCat.h"

#include <cstdlib>
#include <dlfcn.h>

namespace moec::rt::detail {

Expected<void *> openLibrary(const std::string &what,
                             const std::vector<std::string> &candidates) {
  std::string reasons;
  for (const std::string &name : candidates) {
    dlerror(); // clear a stale message
    if (void *handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL))
      return handle;
    const char *why = dlerror();
    reasons += strCat(reasons.empty() ? "" : "; ", why ? why : name.c_str());
  }
  return Status::error(strCat("cannot load ", what, ": ", reasons));
}

std::vector<std::string> libraryCandidates(const char *envVar,
                                           std::vector<std::string> defaults) {
  const char *path = std::getenv(envVar);
  if (path && *path)
    return {path};
  return defaults;
}

void *findSymbol(void *library, std::initializer_list<const char *> names,
                 std::vector<std::string> &missing) {
  for (const char *name : names)
    if (void *sym = dlsym(library, name))
      return sym;
  std::string entry;
  for (const char *name : names)
    entry += entry.empty()
                 ? std::string(name)
                 : strCat(entry.find('(') == std::string::npos ? " (or " : ", ",
                          name);
  if (names.size() > 1)
    entry += ")";
  missing.push_back(entry);
  return nullptr;
}

std::string joinMissing(const std::vector<std::string> &missing) {
  std::string out;
  for (const std::string &m : missing)
    out += (out.empty() ? "" : ", ") + m;
  return out;
}

void closeLibrary(void *library) {
  if (library)
    dlclose(library);
}

} // namespace moec::rt::detail
