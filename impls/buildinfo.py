# SPDX-License-Identifier: MIT
"""What the reference's extension is built from: the package version and a digest of its C
sources. native/build_refmmap.py bakes "<version>+<digest>" into the .so and impls/reference.py
checks it at import, so both must compute it here, the same way. Stdlib only."""

import hashlib
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NATIVE = os.path.join(ROOT, "native")
PYPROJECT = os.path.join(ROOT, "pyproject.toml")
SOURCES = ("refmmap.h", "refmmap.c")


def package_version(pyproject=PYPROJECT):
    """The version in pyproject.toml (OSError if there is no such file)."""
    with open(pyproject, encoding="utf-8") as f:
        match = re.search(r'^version\s*=\s*"([^"]+)"', f.read(), re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no version = \"...\" line in {pyproject}; add one under [project]")
    return match.group(1)


def source_digest(folder=NATIVE):
    """A digest of the C sources in `folder`: a .so built from other sources fails the check."""
    digest = hashlib.sha256()
    for name in SOURCES:
        with open(os.path.join(folder, name), "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()[:16]
