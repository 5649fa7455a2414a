#!/usr/bin/env python3
"""Fails when a target-independent moec source includes a target dialect.

    check-layering.py DIR_OR_FILE...

Every C/C++ file under the arguments is scanned for `#include` lines naming
a target dialect or conversion (ROCDL, AMDGPU, NVVM, NVGPU) or a moec
per-target header (moec/Conversion/...). The build runs it on the sources
and headers of MoecDialect and MoecTransforms (lib/CMakeLists.txt); any hit
is an error naming the file, the line and the header, and the exit status
is 1, which fails the build.
"""

import os
import re
import sys

FORBIDDEN = re.compile(
    r'^\s*#\s*include\s*[<"]('
    r'mlir/Dialect/LLVMIR/(ROCDL|NVVM)[^">]*'
    r'|mlir/Dialect/(AMDGPU|NVGPU)/[^">]*'
    r'|mlir/Conversion/[^">]*(ROCDL|NVVM|AMDGPU|NVGPU)[^">]*'
    r'|mlir/Target/LLVMIR/Dialect/(ROCDL|NVVM)[^">]*'
    r'|moec/Conversion/[^">]*'
    r')[">]')
SUFFIXES = (".cpp", ".h", ".inc", ".def", ".hpp", ".cc")


def files(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                for n in sorted(names):
                    if n.endswith(SUFFIXES):
                        yield os.path.join(root, n)
        else:
            yield p


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    errors = 0
    for path in files(argv[1:]):
        with open(path, encoding="utf-8", errors="replace") as f:
            for lineno, line in enumerate(f, 1):
                m = FORBIDDEN.match(line)
                if m:
                    print(f"{path}:{lineno}: error: target-independent code "
                          f"includes the target header '{m.group(1)}'; move "
                          f"the target-specific part to lib/Conversion/"
                          f"{{AMDGPU,NVVM,Host}}", file=sys.stderr)
                    errors += 1
    if errors:
        print(f"check-layering: {errors} forbidden include(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
