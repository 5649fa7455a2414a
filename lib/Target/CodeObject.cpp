//===- CodeObject.cpp - reading AMDGPU code objects back ------------------===//
//
// Sources: LLVM's AMDGPUUsage ("Code Object V4/V5 Metadata", "Kernel
// Descriptor"), llvm/Support/AMDHSAKernelDescriptor.h, and the occupancy
// rules of AMDGPUSubtarget (getOccupancyWithNumSGPRs,
// getOccupancyWithWorkGroupSizes).
//
// Every offset and size read from the file is checked against the buffer
// before use: this reads code objects from anywhere, truncated or not.
//
//===----------------------------------------------------------------------===//

#include "moec/Target/CodeObject.h"
#include "moec/Support/FileIO.h"
#include "moec/Target/TargetInfo.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/Twine.h"
#include "llvm/BinaryFormat/ELF.h"
#include "llvm/BinaryFormat/MsgPackDocument.h"
#include "llvm/BinaryFormat/MsgPackReader.h"
#include "llvm/Object/ELFObjectFile.h"
#include "llvm/Support/AMDHSAKernelDescriptor.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"

#include <fmt/format.h>

#include <algorithm>

using namespace moec;
using llvm::Expected;
namespace amdhsa = llvm::amdhsa;
namespace msgpack = llvm::msgpack;
using ELFT = llvm::object::ELF64LE;

namespace {

constexpr size_t kDescriptorSize = sizeof(amdhsa::kernel_descriptor_t);

/// Chips whose VGPRs and AGPRs share one file of 512 registers per lane.
bool hasUnifiedVgprFile(llvm::StringRef chip) {
  return chip == "gfx90a" || chip == "gfx940" || chip == "gfx941" ||
         chip == "gfx942" || chip == "gfx950";
}

/// The processor named by the e_flags machine field, for the chips moec
/// knows (code object v3 has no amdhsa.target to say it).
llvm::StringRef chipFromFlags(unsigned flags) {
  switch (flags & llvm::ELF::EF_AMDGPU_MACH) {
  case llvm::ELF::EF_AMDGPU_MACH_AMDGCN_GFX90A:
    return "gfx90a";
  case llvm::ELF::EF_AMDGPU_MACH_AMDGCN_GFX942:
    return "gfx942";
  case llvm::ELF::EF_AMDGPU_MACH_AMDGCN_GFX950:
    return "gfx950";
  default:
    return {};
  }
}

/// Checks that `blob` is one complete msgpack object whose map keys are all
/// scalars, before llvm::msgpack::Document reads it: Document::readFromBlob
/// orders map keys with a comparison that is unreachable() for map and array
/// keys, and a damaged note crashed it there (found by the fuzz test).
bool checkMsgPack(llvm::StringRef blob, std::string &why) {
  msgpack::Reader reader(blob);
  struct Level {
    uint64_t remaining; // elements, or key-value pairs of a map
    bool isMap;
    bool atKey;
  };
  llvm::SmallVector<Level, 8> stack;
  do {
    msgpack::Object object;
    Expected<bool> read = reader.read(object);
    if (!read) {
      why = llvm::toString(read.takeError());
      return false;
    }
    if (!*read) {
      why = "it ends in the middle of an object";
      return false;
    }
    bool container = object.Kind == msgpack::Type::Map ||
                     object.Kind == msgpack::Type::Array;
    if (!stack.empty()) {
      Level &parent = stack.back();
      if (parent.isMap && parent.atKey) {
        if (container) {
          why = "a map key is itself a map or list";
          return false;
        }
        parent.atKey = false;
      } else {
        parent.atKey = true;
        --parent.remaining;
      }
    }
    if (container) {
      if (stack.size() == 64) {
        why = "it nests deeper than 64 levels";
        return false;
      }
      stack.push_back({object.Length, object.Kind == msgpack::Type::Map, true});
    }
    while (!stack.empty() && stack.back().remaining == 0 && stack.back().atKey)
      stack.pop_back();
  } while (!stack.empty());
  return true;
}

/// Bounds of the metadata fields: far above any real kernel, low enough that
/// products and sums of them cannot overflow 64 bits.
constexpr int64_t kMaxRegisters = 1 << 16;
constexpr int64_t kMaxWorkgroupLanes = 1 << 16;
constexpr int64_t kMaxBytes = int64_t(1) << 40;

/// Reads one kernel's fields from its metadata map, reporting a field of the
/// wrong type with the kernel and key.
class KernelReader {
public:
  KernelReader(msgpack::MapDocNode &map, std::string &error)
      : map(map), error(error) {}

  /// An integer field within [0, max]. The metadata is untrusted: a value
  /// outside what any AMDGPU chip has (a negative VGPR count, a 2^63-lane
  /// workgroup) is a malformed field, reported as such rather than printed
  /// as if real or used in arithmetic that would overflow.
  bool integer(llvm::StringRef key, int64_t &out, int64_t max) {
    auto it = map.find(key);
    if (it == map.end())
      return true;
    msgpack::DocNode node = it->second;
    bool isInt = false;
    int64_t value = 0;
    bool tooBig = false;
    if (node.getKind() == msgpack::Type::UInt) {
      isInt = true;
      tooBig = node.getUInt() > static_cast<uint64_t>(max);
      if (!tooBig)
        value = static_cast<int64_t>(node.getUInt());
    } else if (node.getKind() == msgpack::Type::Int) {
      isInt = true;
      value = node.getInt();
      tooBig = value > max;
    }
    if (!isInt) {
      error = fmt::format("{} is not an integer", key.str());
      return false;
    }
    if (tooBig || value < 0) {
      error = fmt::format(
          "{} = {} is out of range (0 to {}): malformed metadata", key.str(),
          node.getKind() == msgpack::Type::UInt ? std::to_string(node.getUInt())
                                                : std::to_string(node.getInt()),
          max);
      return false;
    }
    out = value;
    return true;
  }

  bool string(llvm::StringRef key, std::string &out) {
    auto it = map.find(key);
    if (it == map.end())
      return true;
    if (!it->second.isString()) {
      error = fmt::format("{} is not a string", key.str());
      return false;
    }
    out = it->second.getString().str();
    return true;
  }

  bool boolean(llvm::StringRef key, bool &out) {
    auto it = map.find(key);
    if (it == map.end())
      return true;
    if (it->second.getKind() != msgpack::Type::Boolean) {
      error = fmt::format("{} is not a boolean", key.str());
      return false;
    }
    out = it->second.getBool();
    return true;
  }

  bool triple(llvm::StringRef key, std::optional<std::array<int64_t, 3>> &out) {
    auto it = map.find(key);
    if (it == map.end())
      return true;
    if (!it->second.isArray() || it->second.getArray().size() != 3) {
      error = fmt::format("{} is not a list of 3 integers", key.str());
      return false;
    }
    std::array<int64_t, 3> values{};
    msgpack::ArrayDocNode &array = it->second.getArray();
    for (size_t i = 0; i < 3; ++i) {
      msgpack::DocNode node = array[i];
      if (node.getKind() != msgpack::Type::UInt) {
        error = fmt::format("{} is not a list of 3 integers", key.str());
        return false;
      }
      if (node.getUInt() > kMaxWorkgroupLanes) {
        error = fmt::format("{}[{}] = {} is out of range (0 to {}): malformed "
                            "metadata",
                            key.str(), i, node.getUInt(), kMaxWorkgroupLanes);
        return false;
      }
      values[i] = static_cast<int64_t>(node.getUInt());
    }
    out = values;
    return true;
  }

private:
  msgpack::MapDocNode &map;
  std::string &error;
};

/// Where each `*.kd` symbol's 64 bytes lie in the file.
using DescriptorOffsets = llvm::StringMap<uint64_t>;

llvm::Error collectDescriptors(const llvm::object::ELFFile<ELFT> &elf,
                               llvm::ArrayRef<ELFT::Shdr> sections,
                               DescriptorOffsets &offsets) {
  bool relocatable = elf.getHeader().e_type == llvm::ELF::ET_REL;
  uint64_t fileSize = elf.getBufSize();
  for (const ELFT::Shdr &symtab : sections) {
    if (symtab.sh_type != llvm::ELF::SHT_SYMTAB &&
        symtab.sh_type != llvm::ELF::SHT_DYNSYM)
      continue;
    Expected<ELFT::SymRange> symbols = elf.symbols(&symtab);
    if (!symbols)
      return symbols.takeError();
    Expected<llvm::StringRef> strtab =
        elf.getStringTableForSymtab(symtab, sections);
    if (!strtab)
      return strtab.takeError();
    for (const ELFT::Sym &sym : *symbols) {
      if (sym.getType() != llvm::ELF::STT_OBJECT)
        continue;
      Expected<llvm::StringRef> name = sym.getName(*strtab);
      if (!name)
        return name.takeError();
      if (!name->ends_with(".kd") || offsets.count(*name))
        continue;
      if (sym.st_size != kDescriptorSize)
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            fmt::format("kernel descriptor {} is {} bytes, not {}", name->str(),
                        uint64_t(sym.st_size), kDescriptorSize));
      Expected<const ELFT::Shdr *> section = elf.getSection(sym.st_shndx);
      if (!section)
        return section.takeError();
      const ELFT::Shdr &sec = **section;
      uint64_t start = relocatable ? 0 : uint64_t(sec.sh_addr);
      uint64_t value = sym.st_value;
      if (sec.sh_type == llvm::ELF::SHT_NOBITS || value < start ||
          value - start > sec.sh_size ||
          sec.sh_size - (value - start) < kDescriptorSize ||
          sec.sh_offset > fileSize || fileSize - sec.sh_offset < sec.sh_size)
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            fmt::format("kernel descriptor {} (at 0x{:x}) lies outside its "
                        "section's contents in the file",
                        name->str(), value));
      offsets[*name] = sec.sh_offset + (value - start);
    }
  }
  return llvm::Error::success();
}

/// Decodes the descriptor at `offset`; `chip` picks the register granules.
KernelDescriptor decodeDescriptor(llvm::StringRef bytes, uint64_t offset,
                                  const TargetInfo *target) {
  using namespace llvm::support;
  const char *p = bytes.data() + offset;
  auto u32 = [&](uint32_t at) { return endian::read32le(p + at); };
  KernelDescriptor kd;
  kd.groupSegmentFixedSize = u32(amdhsa::GROUP_SEGMENT_FIXED_SIZE_OFFSET);
  kd.privateSegmentFixedSize = u32(amdhsa::PRIVATE_SEGMENT_FIXED_SIZE_OFFSET);
  kd.kernargSize = u32(amdhsa::KERNARG_SIZE_OFFSET);
  kd.computePgmRsrc1 = u32(amdhsa::COMPUTE_PGM_RSRC1_OFFSET);
  kd.computePgmRsrc2 = u32(amdhsa::COMPUTE_PGM_RSRC2_OFFSET);
  kd.computePgmRsrc3 = u32(amdhsa::COMPUTE_PGM_RSRC3_OFFSET);
  kd.kernelCodeProperties =
      endian::read16le(p + amdhsa::KERNEL_CODE_PROPERTIES_OFFSET);
  kd.granulatedVgprs =
      AMDHSA_BITS_GET(kd.computePgmRsrc1,
                      amdhsa::COMPUTE_PGM_RSRC1_GRANULATED_WORKITEM_VGPR_COUNT);
  kd.granulatedSgprs = AMDHSA_BITS_GET(
      kd.computePgmRsrc1,
      amdhsa::COMPUTE_PGM_RSRC1_GRANULATED_WAVEFRONT_SGPR_COUNT);
  if (target && target->isAMDGPU()) {
    // gfx9 encodes VGPRs in blocks of the allocation granule (8 for wave64
    // on gfx90a and later) and SGPRs in blocks of 8.
    kd.vgprsAllocated = (kd.granulatedVgprs + 1) * target->vgprAllocGranule;
    kd.sgprsAllocated = (kd.granulatedSgprs + 1) * 8;
    if (hasUnifiedVgprFile(target->chip))
      kd.accumOffset =
          (AMDHSA_BITS_GET(kd.computePgmRsrc3,
                           amdhsa::COMPUTE_PGM_RSRC3_GFX90A_ACCUM_OFFSET) +
           1) *
          4;
  }
  return kd;
}

/// Remarks where the descriptor and the metadata disagree, or where the
/// descriptor allocates more than the kernel uses.
void crossCheck(KernelInfo &kernel, const TargetInfo *target) {
  if (!kernel.descriptor)
    return;
  const KernelDescriptor &kd = *kernel.descriptor;
  if (kd.groupSegmentFixedSize != kernel.ldsBytes)
    kernel.notes.push_back(
        fmt::format("LDS: the descriptor says {} bytes, the metadata {}",
                    kd.groupSegmentFixedSize, kernel.ldsBytes));
  if (kd.privateSegmentFixedSize != kernel.scratchBytes)
    kernel.notes.push_back(
        fmt::format("scratch: the descriptor says {} bytes, the metadata {}",
                    kd.privateSegmentFixedSize, kernel.scratchBytes));
  if (!target || kd.vgprsAllocated == 0)
    return;
  int64_t granule = target->vgprAllocGranule;
  int64_t used = llvm::alignTo(std::max<int64_t>(kernel.vgprCount, 1), granule);
  if (kd.vgprsAllocated > used)
    kernel.notes.push_back(fmt::format(
        "the descriptor allocates {} VGPRs for {} used: the compiler padded "
        "the allocation to hold occupancy at its waves-per-eu maximum",
        kd.vgprsAllocated, kernel.vgprCount));
  else if (kd.vgprsAllocated < used)
    kernel.notes.push_back(fmt::format(
        "the descriptor allocates {} VGPRs but the metadata reports {} used",
        kd.vgprsAllocated, kernel.vgprCount));
  int64_t metadataArch = kernel.vgprCount - kernel.agprCount;
  if (kd.accumOffset && kernel.agprCount > 0 && kd.accumOffset != metadataArch)
    kernel.notes.push_back(fmt::format(
        "AGPRs start at {} in the descriptor, after {} VGPRs in the metadata",
        kd.accumOffset, metadataArch));
}

} // namespace

llvm::StringRef moec::occupancyLimitName(OccupancyLimit limit) {
  switch (limit) {
  case OccupancyLimit::None:
    return "none";
  case OccupancyLimit::VGPR:
    return "vgpr";
  case OccupancyLimit::SGPR:
    return "sgpr";
  case OccupancyLimit::LDS:
    return "lds";
  case OccupancyLimit::WavesPerEU:
    return "waves-per-eu";
  }
  return "?";
}

int64_t KernelInfo::archVgprs() const {
  if (agprCount > 0 && descriptor && descriptor->accumOffset > 0)
    return std::min(descriptor->accumOffset, vgprCount);
  return vgprCount;
}

int64_t KernelInfo::workgroupSize() const {
  if (reqdWorkgroupSize) {
    // The reader bounds each entry; a caller-built KernelInfo may not, so
    // saturate rather than overflow.
    int64_t lanes = 1;
    for (int64_t d : *reqdWorkgroupSize)
      if (d < 0 || __builtin_mul_overflow(lanes, d, &lanes))
        return INT64_MAX;
    return lanes;
  }
  return maxFlatWorkgroupSize;
}

Occupancy moec::computeOccupancy(const TargetInfo &target,
                                 const KernelInfo &kernel) {
  Occupancy occ;
  occ.maxWaves = target.maxWavesPerEU;
  int64_t workgroup = kernel.workgroupSize() > 0 ? kernel.workgroupSize()
                                                 : target.maxWorkgroupSize;
  // On unified-file chips .vgpr_count already counts the AGPRs.
  occ.byVgprs =
      target.occupancyForVgprs(std::max<int64_t>(kernel.vgprCount, 1));
  occ.bySgprs = target.occupancyForSgprs(kernel.sgprCount);
  occ.byLds = target.occupancyForLds(kernel.ldsBytes, workgroup);
  occ.byAllocation = occ.maxWaves;
  if (kernel.descriptor && kernel.descriptor->vgprsAllocated > 0)
    occ.byAllocation =
        std::min(target.occupancyForVgprs(kernel.descriptor->vgprsAllocated),
                 target.occupancyForSgprs(kernel.descriptor->sgprsAllocated));
  occ.wavesPerSimd = std::min(
      {occ.maxWaves, occ.byVgprs, occ.bySgprs, occ.byLds, occ.byAllocation});
  if (occ.wavesPerSimd < occ.maxWaves) {
    if (occ.byVgprs == occ.wavesPerSimd)
      occ.limitedBy = OccupancyLimit::VGPR;
    else if (occ.byLds == occ.wavesPerSimd)
      occ.limitedBy = OccupancyLimit::LDS;
    else if (occ.bySgprs == occ.wavesPerSimd)
      occ.limitedBy = OccupancyLimit::SGPR;
    else
      occ.limitedBy = OccupancyLimit::WavesPerEU;
  }
  return occ;
}

Expected<CodeObjectInfo> moec::readCodeObject(llvm::ArrayRef<char> bytes,
                                              llvm::StringRef name) {
  auto fail = [&](const llvm::Twine &message) -> llvm::Error {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   (name + ": " + message).str());
  };
  auto failWith = [&](const llvm::Twine &context,
                      llvm::Error err) -> llvm::Error {
    return fail(context + ": " + llvm::toString(std::move(err)));
  };
  llvm::StringRef data(bytes.data(), bytes.size());

  if (data.starts_with("__CLANG_OFFLOAD_BUNDLE__"))
    return fail("a clang offload bundle, not a code object; take the code "
                "objects out with `clang-offload-bundler --unbundle "
                "--type=o --targets=hipv4-amdgcn-amd-amdhsa--gfx942 ...`");
  if (data.starts_with("CCOB"))
    return fail("a compressed clang offload bundle, not a code object; "
                "unbundle it with clang-offload-bundler first");
  if (!data.starts_with("\x7f"
                        "ELF"))
    return fail(data.empty() ? "empty file, not a code object"
                             : "not an ELF file (no \\x7fELF magic)");
  if (data.size() < sizeof(ELFT::Ehdr))
    return fail(fmt::format("truncated: {} bytes, fewer than an ELF header "
                            "({})",
                            data.size(), sizeof(ELFT::Ehdr)));
  if (static_cast<uint8_t>(data[llvm::ELF::EI_CLASS]) !=
          llvm::ELF::ELFCLASS64 ||
      static_cast<uint8_t>(data[llvm::ELF::EI_DATA]) != llvm::ELF::ELFDATA2LSB)
    return fail("not a little-endian ELF64 file, as AMDGPU code objects are");

  Expected<llvm::object::ELF64LEObjectFile> object =
      llvm::object::ELF64LEObjectFile::create(
          llvm::MemoryBufferRef(data, name));
  if (!object)
    return failWith("invalid or truncated ELF", object.takeError());
  const llvm::object::ELFFile<ELFT> &elf = object->getELFFile();
  const ELFT::Ehdr &header = elf.getHeader();
  if (header.e_machine != llvm::ELF::EM_AMDGPU)
    return fail(fmt::format("not an AMDGPU object (e_machine {})",
                            uint16_t(header.e_machine)));
  if (header.e_ident[llvm::ELF::EI_OSABI] != llvm::ELF::ELFOSABI_AMDGPU_HSA)
    return fail(fmt::format("OS ABI {} is not AMDGPU HSA ({}): not an HSA "
                            "code object",
                            unsigned(header.e_ident[llvm::ELF::EI_OSABI]),
                            unsigned(llvm::ELF::ELFOSABI_AMDGPU_HSA)));
  unsigned abiVersion = header.e_ident[llvm::ELF::EI_ABIVERSION];
  if (abiVersion < llvm::ELF::ELFABIVERSION_AMDGPU_HSA_V3)
    return fail("code object v2 (or older), whose metadata moec does not "
                "read; v3 to v6 are supported");

  CodeObjectInfo info;
  info.codeObjectVersion = abiVersion + 2; // HSA_V3 = 1, ... HSA_V6 = 4

  Expected<ELFT::ShdrRange> sections = elf.sections();
  if (!sections)
    return failWith("invalid section headers", sections.takeError());

  // The metadata note: in a section of type SHT_NOTE, or, where section
  // headers were stripped, a PT_NOTE segment.
  std::optional<llvm::StringRef> blob;
  auto scanNote = [&](const auto &note, size_t align) {
    if (!blob && note.getName() == "AMDGPU" &&
        note.getType() == llvm::ELF::NT_AMDGPU_METADATA)
      blob = note.getDescAsStringRef(align);
  };
  for (const ELFT::Shdr &sec : *sections) {
    if (sec.sh_type != llvm::ELF::SHT_NOTE)
      continue;
    llvm::Error err = llvm::Error::success();
    for (const ELFT::Note &note : elf.notes(sec, err))
      scanNote(note, std::max<size_t>(sec.sh_addralign, 4));
    if (err)
      return failWith("invalid note section", std::move(err));
  }
  if (!blob && sections->empty()) {
    Expected<ELFT::PhdrRange> segments = elf.program_headers();
    if (!segments)
      return failWith("invalid program headers", segments.takeError());
    for (const ELFT::Phdr &seg : *segments) {
      if (seg.p_type != llvm::ELF::PT_NOTE)
        continue;
      llvm::Error err = llvm::Error::success();
      for (const ELFT::Note &note : elf.notes(seg, err))
        scanNote(note, std::max<size_t>(seg.p_align, 4));
      if (err)
        return failWith("invalid note segment", std::move(err));
    }
  }
  if (!blob)
    return fail("no AMDGPU metadata note (owner AMDGPU, type "
                "NT_AMDGPU_METADATA = 32)");

  std::string why;
  if (!checkMsgPack(*blob, why))
    return fail("the AMDGPU metadata note is not valid msgpack: " + why);
  msgpack::Document doc;
  if (!doc.readFromBlob(*blob, /*Multi=*/false))
    return fail("the AMDGPU metadata note is not valid msgpack");
  if (!doc.getRoot().isMap())
    return fail("the AMDGPU metadata is not a msgpack map");
  msgpack::MapDocNode &root = doc.getRoot().getMap();

  if (auto it = root.find("amdhsa.target"); it != root.end()) {
    if (!it->second.isString())
      return fail("amdhsa.target is not a string");
    info.targetId = it->second.getString().str();
    llvm::StringRef id = info.targetId;
    size_t dashes = id.find("--");
    if (dashes != llvm::StringRef::npos)
      info.chip = id.drop_front(dashes + 2)
                      .take_until([](char c) { return c == ':'; })
                      .str();
  }
  if (info.chip.empty())
    info.chip = chipFromFlags(header.e_flags).str();
  const TargetInfo *target = lookupTarget(info.chip);
  if (target && !target->isAMDGPU())
    target = nullptr;

  DescriptorOffsets descriptors;
  if (llvm::Error err = collectDescriptors(elf, *sections, descriptors))
    return failWith("invalid symbol table", std::move(err));

  auto kernelsIt = root.find("amdhsa.kernels");
  if (kernelsIt == root.end())
    return info; // an object without kernels
  if (!kernelsIt->second.isArray())
    return fail("amdhsa.kernels is not a list");
  msgpack::ArrayDocNode &kernels = kernelsIt->second.getArray();
  for (size_t i = 0; i < kernels.size(); ++i) {
    msgpack::DocNode &node = kernels[i];
    if (!node.isMap())
      return fail(fmt::format("amdhsa.kernels[{}] is not a map", i));
    KernelInfo kernel;
    std::string error;
    KernelReader reader(node.getMap(), error);
    bool ok =
        reader.string(".name", kernel.name) &&
        reader.string(".symbol", kernel.symbol) &&
        reader.integer(".max_flat_workgroup_size",
                       kernel.maxFlatWorkgroupSize, kMaxWorkgroupLanes) &&
        reader.triple(".reqd_workgroup_size", kernel.reqdWorkgroupSize) &&
        reader.integer(".vgpr_count", kernel.vgprCount, kMaxRegisters) &&
        reader.integer(".agpr_count", kernel.agprCount, kMaxRegisters) &&
        reader.integer(".sgpr_count", kernel.sgprCount, kMaxRegisters) &&
        reader.integer(".vgpr_spill_count", kernel.vgprSpillCount,
                       kMaxBytes) &&
        reader.integer(".sgpr_spill_count", kernel.sgprSpillCount,
                       kMaxBytes) &&
        reader.integer(".group_segment_fixed_size", kernel.ldsBytes,
                       kMaxBytes) &&
        reader.integer(".private_segment_fixed_size", kernel.scratchBytes,
                       kMaxBytes) &&
        reader.integer(".wavefront_size", kernel.wavefrontSize,
                       kMaxWorkgroupLanes) &&
        reader.integer(".kernarg_segment_size", kernel.kernargSegmentSize,
                       kMaxBytes) &&
        reader.boolean(".uses_dynamic_stack", kernel.usesDynamicStack);
    std::string which = kernel.name.empty()
                            ? fmt::format("amdhsa.kernels[{}]", i)
                            : fmt::format("kernel {}", kernel.name);
    if (!ok)
      return fail(fmt::format("{}: {}", which, error));
    if (kernel.name.empty())
      return fail(fmt::format("{} has no .name", which));
    if (kernel.symbol.empty())
      kernel.symbol = kernel.name + ".kd";

    auto offset = descriptors.find(kernel.symbol);
    if (offset != descriptors.end())
      kernel.descriptor = decodeDescriptor(data, offset->second, target);
    else
      kernel.notes.push_back(fmt::format(
          "no kernel descriptor symbol {} in the symbol table", kernel.symbol));
    crossCheck(kernel, target);
    if (target)
      kernel.occupancy = computeOccupancy(*target, kernel);
    info.kernels.push_back(std::move(kernel));
  }
  return info;
}

Expected<CodeObjectInfo> moec::readCodeObjectFile(llvm::StringRef path) {
  // Bounded and never mapped: /dev/zero or a huge file is refused.
  std::string bytes;
  if (std::string err = support::readInputFile(path.str(), bytes);
      !err.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   err);
  return readCodeObject(llvm::ArrayRef<char>(bytes.data(), bytes.size()), path);
}
