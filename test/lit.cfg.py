# lit configuration for moec: FileCheck tests of the dialect, passes and CLI.
import os
import lit.formats

config.name = "moec"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".test"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "unit", "Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.moec_obj_root, "test")

# Our tools first, then FileCheck/not/count from LLVM 22.
config.environment["PATH"] = os.pathsep.join(
    [config.moec_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")])
config.substitutions.append(("%moec_src", config.moec_src_root))
config.substitutions.append(("%examples", os.path.join(config.moec_src_root, "examples")))
