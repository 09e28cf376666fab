# SPDX-License-Identifier: MIT
"""Correct, but writes FLOOD_MB MiB (default 64) of text to stderr when it is loaded."""

import os

from tests.mutants import Faithful

_chunk = b"stderr flood " * 5041 + b"\n"  # about 64 KiB
for _ in range(int(os.environ.get("FLOOD_MB", "64")) * 16):
    os.write(2, _chunk)


def factory(*args, **kwargs):
    return Faithful(*args, **kwargs)
