//===- CacheKey.cpp - what names a compiled kernel variant ----------------===//

#include "moec/Jit/CacheKey.h"

#include "moec/Driver/Compiler.h"
#include "moec/Runtime/HostKernel.h"
#include "moec/Support/Version.h"

#include "mlir/IR/OperationSupport.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>

using namespace moec;

std::string moec::jit::serializeEmitOptions(const EmitOptions &opts) {
  std::string pipeline = opts.irPipeline;
  if (pipeline.empty())
    if (const char *env = std::getenv("MOEC_IR_PIPELINE"))
      pipeline = env;
  return fmt::format("optLevel={}\noptimizeIR={}\nirPipeline={}\n"
                     "codeObjectVersion={}\nfeatures={}\n",
                     opts.optLevel, opts.optimizeIR ? 1 : 0,
                     pipeline.empty() ? "<default>" : pipeline,
                     opts.codeObjectVersion, opts.features);
}

std::string moec::jit::cacheKeyText(mlir::ModuleOp module,
                                    const TargetInfo &target) {
  std::string ir;
  llvm::raw_string_ostream os(ir);
  // Locations and SSA names of the source do not change the code.
  module->print(os, mlir::OpPrintingFlags().enableDebugInfo(false));
  return fmt::format("moec {}\npayload jit-1 (host object)\ntarget {}\n{}"
                     "ir:\n{}",
                     kVersion, target.chip.str(),
                     serializeEmitOptions(emitOptionsFor(target)), ir);
}

//===----------------------------------------------------------------------===//
// The payload: launch metadata + code object
//===----------------------------------------------------------------------===//

static constexpr char kPayloadMagic[8] = {'M', 'O', 'E', 'C', 'J', 'I', 'T', '1'};

std::string moec::jit::serializePayload(const CompiledModule &m) {
  std::string out(kPayloadMagic, 8);
  auto put = [&](const void *p, size_t n) {
    out.append(static_cast<const char *>(p), n);
  };
  uint32_t count = static_cast<uint32_t>(m.kernels.size());
  put(&count, 4);
  for (const OutlinedKernel &k : m.kernels) {
    uint32_t len = static_cast<uint32_t>(k.name.size());
    put(&len, 4);
    put(k.name.data(), len);
    put(&k.workgroupSize, 8);
    put(&k.ldsBytes, 8);
    uint8_t dyn = k.dynamicLds;
    put(&dyn, 1);
  }
  uint64_t size = m.image.size();
  put(&size, 8);
  out += m.image;
  return out;
}

bool moec::jit::parsePayload(const std::string &bytes, Payload &out) {
  size_t pos = 0;
  auto get = [&](void *p, size_t n) {
    if (pos + n > bytes.size())
      return false;
    std::memcpy(p, bytes.data() + pos, n);
    pos += n;
    return true;
  };
  char magic[8];
  uint32_t count = 0;
  if (!get(magic, 8) || std::memcmp(magic, kPayloadMagic, 8) || !get(&count, 4))
    return false;
  for (uint32_t i = 0; i < count; ++i) {
    OutlinedKernel k;
    uint32_t len = 0;
    uint8_t dyn = 0;
    if (!get(&len, 4) || pos + len > bytes.size())
      return false;
    k.name.assign(bytes.data() + pos, len);
    pos += len;
    if (!get(&k.workgroupSize, 8) || !get(&k.ldsBytes, 8) || !get(&dyn, 1))
      return false;
    k.dynamicLds = dyn;
    out.kernels.push_back(std::move(k));
  }
  uint64_t size = 0;
  if (!get(&size, 8) || pos + size != bytes.size())
    return false;
  out.image = std::string_view(bytes.data() + pos, size);
  return true;
}

moec::jit::HostObjectLoader::HostObjectLoader() = default;
moec::jit::HostObjectLoader::~HostObjectLoader() = default;

rt::Expected<std::shared_ptr<rt::Module>>
moec::jit::HostObjectLoader::load(rt::Device &device, std::string_view object,
                                  const std::vector<OutlinedKernel> &kernels) {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  std::lock_guard<std::mutex> lock(mutex_);
  auto fail = [](llvm::Error e) {
    return rt::Status::error("host JIT: " + llvm::toString(std::move(e)));
  };
  if (!jit_) {
    auto made = llvm::orc::LLJITBuilder().create();
    if (!made)
      return fail(made.takeError());
    jit_ = std::move(*made);
  }
  // One dylib per variant: kernels of different variants share names.
  auto jd = jit_->createJITDylib(fmt::format("moec_variant_{}",
                                                dylibs_++));
  if (!jd)
    return fail(jd.takeError());
  auto gen = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      jit_->getDataLayout().getGlobalPrefix());
  if (!gen)
    return fail(gen.takeError());
  jd->addGenerator(std::move(*gen));
  // Multi-lane kernels call the runtime's lane functions (HostKernel.h).
  llvm::orc::SymbolMap runtime;
  size_t count = 0;
  const rt::HostRuntimeSymbol *symbols = rt::hostRuntimeSymbols(&count);
  for (size_t i = 0; i < count; ++i)
    runtime[jit_->mangleAndIntern(symbols[i].name)] = {
        llvm::orc::ExecutorAddr::fromPtr(symbols[i].address),
        llvm::JITSymbolFlags::Exported};
  if (auto e = jd->define(llvm::orc::absoluteSymbols(std::move(runtime))))
    return fail(std::move(e));
  if (auto e = jit_->addObjectFile(
          *jd, llvm::MemoryBuffer::getMemBufferCopy(
                   llvm::StringRef(object.data(), object.size()),
                   "moec-host-kernel.o")))
    return fail(std::move(e));
  rt::HostKernelTable table;
  for (const OutlinedKernel &k : kernels) {
    auto sym = jit_->lookup(*jd, "_mlir_" + k.name);
    if (!sym)
      return fail(sym.takeError());
    table[k.name] = sym->toPtr<rt::HostKernelFn>();
  }
  return device.loadHostModule(std::move(table));
}

