# SPDX-License-Identifier: MIT
"""cffi builder for the C reference (`impls._refmmap`): `python native/build_refmmap.py` builds it
in place for development; `pip install .` builds it through setup.py's cffi_modules."""

import os
import re
import shlex
import sys

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Flags for the sanitizer build (nox -s sanitize sets REFMMAP_SANITIZE=1).
SANITIZE_FLAGS = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-g", "-O1"]


HEADER = os.path.join(HERE, "refmmap.h")

# The version and source digest come from the same module the reference checks them with.
sys.path.insert(0, ROOT)
from impls.buildinfo import package_version, source_digest  # noqa: E402


def build_version():
    """What the .so carries: the package version plus the digest of the sources."""
    return f"{package_version()}+{source_digest()}"


def extra_compile_args(environ=os.environ):
    """Compiler flags: REFMMAP_CFLAGS (shell-split) plus the sanitizer flags if REFMMAP_SANITIZE=1."""
    flags = ["-std=c99", "-Wall", "-Wextra"]
    if environ.get("REFMMAP_SANITIZE", "") not in ("", "0"):
        flags += SANITIZE_FLAGS
    return flags + shlex.split(environ.get("REFMMAP_CFLAGS", ""))


def extra_link_args(environ=os.environ):
    """Linker flags: the sanitizer runtime when REFMMAP_SANITIZE=1, plus REFMMAP_LDFLAGS
    (shell-split; `--coverage` for gcov's runtime)."""
    flags = []
    if environ.get("REFMMAP_SANITIZE", "") not in ("", "0"):
        flags += ["-fsanitize=address,undefined"]
    return flags + shlex.split(environ.get("REFMMAP_LDFLAGS", ""))


def cdef_source(header=HEADER):
    """The header is the cdef; cffi only needs the comments dropped."""
    with open(header, encoding="utf-8") as f:
        return re.sub(r"/\*.*?\*/", "", f.read(), flags=re.DOTALL)


def native_paths(absolute):
    """(sources, include_dirs): relative for setuptools, absolute when compiling elsewhere."""
    base = ROOT if absolute else ""
    return [os.path.join(base, "native", "refmmap.c")], [os.path.join(base, "native")]


def build_dir(environ=os.environ):
    """Where a script build puts its generated C, objects and the .so (under impls/): the
    absolute REFMMAP_BUILD_DIR, else the checkout itself."""
    return os.path.abspath(environ.get("REFMMAP_BUILD_DIR") or ROOT)


def script_paths(environ=os.environ):
    """native_paths() for a script build: absolute only when it builds in another directory.
    distutils names each object after its source path below the build dir, so an absolute
    source built in the checkout left <checkout>/<its absolute path>.o behind."""
    return native_paths(absolute=build_dir(environ) != ROOT)


SOURCES, INCLUDE_DIRS = script_paths() if __name__ == "__main__" else native_paths(absolute=False)

ffibuilder = FFI()
ffibuilder.cdef(cdef_source())
ffibuilder.set_source(
    "impls._refmmap",
    '#include "refmmap.h"',
    sources=SOURCES,
    include_dirs=INCLUDE_DIRS,
    define_macros=[("REFMMAP_VERSION", f'"{build_version()}"')],
    extra_compile_args=extra_compile_args(),
    extra_link_args=extra_link_args(),
)

if __name__ == "__main__":
    # Relative source paths resolve against the repository root; the .so lands in impls/.
    os.chdir(ROOT)
    ffibuilder.compile(tmpdir=build_dir(), verbose=True)
