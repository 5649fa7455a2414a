# lit configuration for moec: FileCheck tests of the dialect, passes and CLI.
import os
import sys
import lit.formats

config.name = "moec"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".test"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "unit", "Inputs", "fuzz"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.moec_obj_root, "test")

# Our tools first, then FileCheck/not/count from LLVM 22.
config.environment["PATH"] = os.pathsep.join(
    [config.moec_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")])
# The JIT kernel cache of the tools (moec tune): under the build tree, never
# the user's ~/.cache; a test that counts compiles names its own.
config.environment["MOEC_CACHE_DIR"] = os.path.join(
    config.moec_obj_root, "test", "moec-cache")
config.substitutions.append(("%moec_src", config.moec_src_root))
config.substitutions.append(("%examples", os.path.join(config.moec_src_root, "examples")))
# The Python running lit, for test drivers such as test/e2e/gemm_sweep.py.
config.substitutions.append(("%python", sys.executable))

# Which chips the comgr found at run time links (lib/Target): "comgr" when one
# loads, "comgr-gfx90a" etc. for each ISA it knows (Debian's 2.4 stops at
# gfx90a; ROCm 6's knows gfx942 and gfx950).
import subprocess
try:
    _comgr = subprocess.run(
        [os.path.join(config.moec_tools_dir, "moec-translate"), "--print-comgr"],
        capture_output=True, text=True, timeout=60)
    if _comgr.returncode == 0:
        config.available_features.add("comgr")
        for _isa in _comgr.stdout.splitlines()[1:]:
            config.available_features.add(
                "comgr-" + _isa.split("--")[-1].split(":")[0])
except (OSError, subprocess.TimeoutExpired):
    pass

# Sanitized builds (MOEC_SANITIZE): ASan reserves terabytes of address space,
# so tests that set `ulimit -v` are unsupported there.
_sanitize = getattr(config, "moec_sanitize", "")
if "address" in _sanitize:
    config.available_features.add("asan")
if "thread" in _sanitize:
    config.available_features.add("tsan")
for _var in ["ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"]:
    if _var in os.environ:
        config.environment[_var] = os.environ[_var]
