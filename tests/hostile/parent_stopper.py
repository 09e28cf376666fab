# SPDX-License-Identifier: MIT
"""Correct, but its first map stops its parent process (the harness that started the worker)
with SIGSTOP, which would wait for its answer forever."""

import os
import signal

from tests.mutants import Faithful

_done = []


def factory(*args, **kwargs):
    if not _done:
        _done.append(True)
        try:
            os.kill(os.getppid(), signal.SIGSTOP)
        except OSError:
            pass
    return Faithful(*args, **kwargs)
