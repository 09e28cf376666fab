# SPDX-License-Identifier: MIT
"""Its first map forks a child that keeps every descriptor of the worker (the reply pipe too)
open for 600 s; find() then dies of a real segmentation fault. The crash is the worker's, told
by its end, not a silence while the child holds the pipe."""

import ctypes
import os
import time

from tests.mutants import Faithful

_started = []


class Segfaulting(Faithful):
    __slots__ = ()

    def find(self, *args):
        ctypes.string_at(0)  # reads address 0: SIGSEGV


def factory(*args, **kwargs):
    if not _started:
        _started.append(True)
        if os.fork() == 0:
            time.sleep(600)
            os._exit(0)
    return Segfaulting(*args, **kwargs)
