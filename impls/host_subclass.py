# SPDX-License-Identifier: MIT
"""A bare Python subclass of the running interpreter's own mmap.mmap: what every subclass does
(python/cpython#70546: iterating one gives ints), so that a subclass's finding it shares is
labelled the host's (conformance/known.py)."""

import mmap as _mmap


class mmap(_mmap.mmap):  # noqa: N801 - the stdlib's name
    __slots__ = ()
