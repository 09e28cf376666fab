# SPDX-License-Identifier: MIT
"""Named implementations beyond the running interpreter: other Pythons on this machine."""

from __future__ import annotations

import os

from impls.adapters import UsageError, WorkerAdapter


def resolve(spec, *, timeout=10.0):
    if spec.startswith("python:"):
        path = spec.partition(":")[2]
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise UsageError(f"--impl {spec!r}: {path} is not an executable file")
        return WorkerAdapter(spec, os.path.basename(path), path, "mmap:mmap", timeout=timeout)
    raise UsageError(f"unknown --impl {spec!r}: use reference, stdlib, python:/path/to/python "
                     "or package.module:factory")
