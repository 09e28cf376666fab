# SPDX-License-Identifier: MIT
"""Dies of a real segmentation fault whenever find() is called."""

import ctypes

from tests.mutants import Faithful


class Segfaulting(Faithful):
    __slots__ = ()

    def find(self, *args):
        ctypes.string_at(0)  # reads address 0: SIGSEGV


def factory(*args, **kwargs):
    return Segfaulting(*args, **kwargs)
