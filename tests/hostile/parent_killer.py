# SPDX-License-Identifier: MIT
"""Correct, but its first map kills its parent process (the harness that started the worker)
with SIGKILL."""

import os
import signal

from tests.mutants import Faithful

_done = []


def factory(*args, **kwargs):
    if not _done:
        _done.append(True)
        try:
            os.kill(os.getppid(), signal.SIGKILL)
        except OSError:
            pass
    return Faithful(*args, **kwargs)
