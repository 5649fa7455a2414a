//===- Comgr.cpp - libamd_comgr, opened with dlopen -----------------------===//
//
// moec never links comgr: a build machine without ROCm still builds moec, and
// the comgr found at run time decides what it can link. Debian 12's comgr is
// 2.4 (ROCm 5.2.3, LLVM 15 inside): it knows ISAs up to gfx90a and gfx1036,
// not gfx942/gfx950; ROCm 6's comgr knows those.
//
//===----------------------------------------------------------------------===//

#include "Comgr.h"

#include "moec/Target/Backend.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"

#include <amd_comgr.h>
#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <memory>
#include <mutex>

using namespace moec;
using llvm::Expected;

namespace {

constexpr llvm::StringLiteral kIsaPrefix = "amdgcn-amd-amdhsa--";

llvm::Error makeError(std::string message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Every comgr function moec calls, resolved with dlsym.
struct ComgrApi {
#define MOEC_COMGR_SYMBOL(name) decltype(&::name) name = nullptr;
#include "ComgrSymbols.def"
};

struct LoadedComgr {
  void *handle = nullptr;
  ComgrApi api;
  ComgrInfo info;
};

/// Opens `library` and resolves the table; on failure says why and closes it.
std::unique_ptr<LoadedComgr> tryLoad(const std::string &library,
                                     std::string &why) {
  void *handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *error = dlerror();
    why = error ? error : "dlopen failed";
    return nullptr;
  }
  auto loaded = std::make_unique<LoadedComgr>();
  loaded->handle = handle;
  std::vector<std::string> missing;
#define MOEC_COMGR_SYMBOL(name)                                                \
  loaded->api.name =                                                           \
      reinterpret_cast<decltype(&::name)>(dlsym(handle, #name));               \
  if (!loaded->api.name)                                                       \
    missing.push_back(#name);
#include "ComgrSymbols.def"
  if (!missing.empty()) {
    why = fmt::format("{} lacks {}", library, llvm::join(missing, ", "));
    dlclose(handle);
    return nullptr;
  }

  ComgrApi &api = loaded->api;
  ComgrInfo &info = loaded->info;
  info.library = library;
  size_t major = 0, minor = 0;
  api.amd_comgr_get_version(&major, &minor);
  info.major = static_cast<unsigned>(major);
  info.minor = static_cast<unsigned>(minor);
  size_t count = 0;
  if (api.amd_comgr_get_isa_count(&count) != AMD_COMGR_STATUS_SUCCESS) {
    why = fmt::format("{}: amd_comgr_get_isa_count failed", library);
    dlclose(handle);
    return nullptr;
  }
  for (size_t i = 0; i < count; ++i) {
    const char *name = nullptr;
    if (api.amd_comgr_get_isa_name(i, &name) == AMD_COMGR_STATUS_SUCCESS &&
        name)
      info.isas.push_back(name);
  }
  return loaded;
}

/// The process's comgr, loaded on first use; nullptr with `error` set when
/// none can be used. Never unloaded: comgr keeps LLVM state alive.
const LoadedComgr *getComgr(std::string &error) {
  static std::once_flag once;
  static std::unique_ptr<LoadedComgr> loaded;
  static std::string loadError;
  std::call_once(once, [] {
    std::vector<std::string> candidates;
    if (const char *path = std::getenv("MOEC_COMGR_LIBRARY"); path && *path)
      candidates.push_back(path);
    else
      candidates = {"libamd_comgr.so.2", "libamd_comgr.so.3"};
    std::vector<std::string> reasons;
    for (const std::string &library : candidates) {
      std::string why;
      loaded = tryLoad(library, why);
      if (loaded)
        return;
      reasons.push_back(why);
    }
    loadError =
        fmt::format("no usable comgr library ({})", llvm::join(reasons, "; "));
  });
  error = loadError;
  return loaded.get();
}

/// The processor part of a comgr ISA name: "gfx90a" for
/// "amdgcn-amd-amdhsa--gfx90a:xnack+".
llvm::StringRef isaChip(llvm::StringRef isa) {
  if (!isa.consume_front(kIsaPrefix))
    return {};
  return isa.take_until([](char c) { return c == ':'; });
}

/// comgr's log from an action's result set, if it wrote one.
std::string actionLog(const ComgrApi &api, amd_comgr_data_set_t results) {
  size_t count = 0;
  if (api.amd_comgr_action_data_count(results, AMD_COMGR_DATA_KIND_LOG,
                                      &count) != AMD_COMGR_STATUS_SUCCESS ||
      count == 0)
    return {};
  amd_comgr_data_t log;
  if (api.amd_comgr_action_data_get_data(results, AMD_COMGR_DATA_KIND_LOG, 0,
                                         &log) != AMD_COMGR_STATUS_SUCCESS)
    return {};
  llvm::scope_exit release([&] { api.amd_comgr_release_data(log); });
  size_t size = 0;
  if (api.amd_comgr_get_data(log, &size, nullptr) != AMD_COMGR_STATUS_SUCCESS)
    return {};
  std::string text(size, '\0');
  if (api.amd_comgr_get_data(log, &size, text.data()) !=
      AMD_COMGR_STATUS_SUCCESS)
    return {};
  text.resize(size);
  return llvm::StringRef(text).trim().str();
}

} // namespace

bool ComgrInfo::knowsChip(llvm::StringRef chip) const {
  return llvm::any_of(
      isas, [&](const std::string &isa) { return isaChip(isa) == chip; });
}

std::string ComgrInfo::describe() const {
  return fmt::format("comgr {}.{} ({})", major, minor, library);
}

Expected<ComgrInfo> moec::queryComgr() {
  std::string error;
  const LoadedComgr *comgr = getComgr(error);
  if (!comgr)
    return makeError(error);
  return comgr->info;
}

Expected<std::vector<char>>
moec::detail::linkWithComgr(llvm::ArrayRef<char> object, llvm::StringRef chip) {
  std::string error;
  const LoadedComgr *comgr = getComgr(error);
  if (!comgr)
    return makeError(fmt::format("cannot link with comgr: {}", error));
  const ComgrApi &api = comgr->api;
  const ComgrInfo &info = comgr->info;
  if (!info.knowsChip(chip)) {
    std::vector<std::string> chips;
    for (const std::string &isa : info.isas)
      if (llvm::StringRef c = isaChip(isa); c.starts_with("gfx9"))
        chips.push_back(c.str());
    return makeError(fmt::format(
        "{} does not know {} (its gfx9 ISAs: {}); link with lld instead, or "
        "set MOEC_COMGR_LIBRARY to a ROCm 6 comgr",
        info.describe(), chip.str(), llvm::join(chips, ", ")));
  }

  // comgr runs LLVM inside; one link at a time keeps its global state safe.
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);

  auto check = [&](amd_comgr_status_t status,
                   llvm::StringRef call) -> llvm::Error {
    if (status == AMD_COMGR_STATUS_SUCCESS)
      return llvm::Error::success();
    const char *text = "unknown status";
    api.amd_comgr_status_string(status, &text);
    return makeError(
        fmt::format("{}: {} failed: {}", info.describe(), call.str(), text));
  };

  amd_comgr_data_t input;
  if (llvm::Error err = check(
          api.amd_comgr_create_data(AMD_COMGR_DATA_KIND_RELOCATABLE, &input),
          "amd_comgr_create_data"))
    return err;
  llvm::scope_exit releaseInput([&] { api.amd_comgr_release_data(input); });
  if (llvm::Error err =
          check(api.amd_comgr_set_data(input, object.size(), object.data()),
                "amd_comgr_set_data"))
    return err;
  if (llvm::Error err = check(api.amd_comgr_set_data_name(input, "moec.o"),
                              "amd_comgr_set_data_name"))
    return err;

  amd_comgr_data_set_t inputs, results;
  if (llvm::Error err = check(api.amd_comgr_create_data_set(&inputs),
                              "amd_comgr_create_data_set"))
    return err;
  llvm::scope_exit destroyInputs(
      [&] { api.amd_comgr_destroy_data_set(inputs); });
  if (llvm::Error err = check(api.amd_comgr_data_set_add(inputs, input),
                              "amd_comgr_data_set_add"))
    return err;
  if (llvm::Error err = check(api.amd_comgr_create_data_set(&results),
                              "amd_comgr_create_data_set"))
    return err;
  llvm::scope_exit destroyResults(
      [&] { api.amd_comgr_destroy_data_set(results); });

  amd_comgr_action_info_t action;
  if (llvm::Error err = check(api.amd_comgr_create_action_info(&action),
                              "amd_comgr_create_action_info"))
    return err;
  llvm::scope_exit destroyAction(
      [&] { api.amd_comgr_destroy_action_info(action); });
  std::string isa = (kIsaPrefix + chip).str();
  if (llvm::Error err =
          check(api.amd_comgr_action_info_set_isa_name(action, isa.c_str()),
                "amd_comgr_action_info_set_isa_name(" + isa + ")"))
    return err;
  if (llvm::Error err =
          check(api.amd_comgr_action_info_set_logging(action, true),
                "amd_comgr_action_info_set_logging"))
    return err;

  amd_comgr_status_t status = api.amd_comgr_do_action(
      AMD_COMGR_ACTION_LINK_RELOCATABLE_TO_EXECUTABLE, action, inputs, results);
  if (status != AMD_COMGR_STATUS_SUCCESS) {
    std::string log = actionLog(api, results);
    llvm::Error err = check(status, "linking for " + isa);
    if (log.empty())
      return err;
    return makeError(llvm::toString(std::move(err)) + ": " + log);
  }

  size_t count = 0;
  if (llvm::Error err =
          check(api.amd_comgr_action_data_count(
                    results, AMD_COMGR_DATA_KIND_EXECUTABLE, &count),
                "amd_comgr_action_data_count"))
    return err;
  if (count != 1)
    return makeError(fmt::format("{}: linking for {} gave {} executables, "
                                 "expected 1",
                                 info.describe(), isa, count));
  amd_comgr_data_t executable;
  if (llvm::Error err =
          check(api.amd_comgr_action_data_get_data(
                    results, AMD_COMGR_DATA_KIND_EXECUTABLE, 0, &executable),
                "amd_comgr_action_data_get_data"))
    return err;
  llvm::scope_exit releaseExecutable(
      [&] { api.amd_comgr_release_data(executable); });
  size_t size = 0;
  if (llvm::Error err =
          check(api.amd_comgr_get_data(executable, &size, nullptr),
                "amd_comgr_get_data"))
    return err;
  std::vector<char> bytes(size);
  if (llvm::Error err =
          check(api.amd_comgr_get_data(executable, &size, bytes.data()),
                "amd_comgr_get_data"))
    return err;
  bytes.resize(size);
  return bytes;
}
