# Debian builds LLVM with LLVM_LINK_LLVM_DYLIB=ON: its static MLIR targets name the
# `LLVM` (libLLVM.so) and `MLIR` (libMLIR.so) dylibs in INTERFACE_LINK_LIBRARIES.
# Mixing those dylibs with static archives registers every cl::opt twice and aborts
# at start-up. We link everything statically instead: replace the dylib names by
# LLVM's static component libraries, listing only the components moec uses.
set(MOEC_LLVM_COMPONENTS
  Core Support Demangle TargetParser BinaryFormat Object MC MCParser
  IRReader AsmParser BitReader BitWriter Linker Passes Analysis TransformUtils
  ipo Instrumentation FrontendOpenMP FrontendOffloading FrontendHLSL
  Target CodeGen AsmPrinter SelectionDAG GlobalISel
  AMDGPUCodeGen AMDGPUAsmParser AMDGPUDesc AMDGPUInfo AMDGPUDisassembler
  NVPTXCodeGen NVPTXDesc NVPTXInfo
  X86CodeGen X86AsmParser X86Desc X86Info
  OrcJIT ExecutionEngine PerfJITEvents)
llvm_map_components_to_libnames(MOEC_LLVM_STATIC_LIBS ${MOEC_LLVM_COMPONENTS})

get_property(_moec_imported DIRECTORY ${CMAKE_SOURCE_DIR} PROPERTY IMPORTED_TARGETS)
foreach(_t IN LISTS _moec_imported)
  if(NOT _t MATCHES "^(MLIR|mlir_|LLVM|lld)")
    continue()
  endif()
  get_target_property(_libs ${_t} INTERFACE_LINK_LIBRARIES)
  if(NOT _libs)
    continue()
  endif()
  set(_new "")
  foreach(_l IN LISTS _libs)
    if(_l STREQUAL "LLVM" OR _l STREQUAL "$<LINK_ONLY:LLVM>")
      list(APPEND _new ${MOEC_LLVM_STATIC_LIBS})
    elseif(_l STREQUAL "MLIR" OR _l STREQUAL "$<LINK_ONLY:MLIR>")
      # The static MLIR archives the target needs are already listed next to it.
    elseif(_l MATCHES "libz3")
      # LLVMSupport names libz3 only for the (unused) constraint solver.
    else()
      list(APPEND _new "${_l}")
    endif()
  endforeach()
  set_target_properties(${_t} PROPERTIES INTERFACE_LINK_LIBRARIES "${_new}")
endforeach()
