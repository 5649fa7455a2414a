//===- Comgr.h - linking code objects with comgr (internal) -----*- C++ -*-===//
#ifndef MOEC_LIB_TARGET_COMGR_H
#define MOEC_LIB_TARGET_COMGR_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <vector>

namespace moec::detail {

/// Links a relocatable AMDGPU object for `chip` into a code object with
/// comgr's LINK_RELOCATABLE_TO_EXECUTABLE. Fails, saying why, when no comgr
/// can be loaded, when it does not know the chip, or with comgr's log when
/// the link fails.
llvm::Expected<std::vector<char>> linkWithComgr(llvm::ArrayRef<char> object,
                                                llvm::StringRef chip);

} // namespace moec::detail

#endif // MOEC_LIB_TARGET_COMGR_H
