# SPDX-License-Identifier: MIT
"""Correct, but its first map kills its parent process (the harness that started the worker)
with SIGKILL."""

import os
import signal

from tests.mutants import Faithful


def signalling(signum):
    """A factory of correct maps whose first call sends `signum` to the worker's parent."""
    done = []

    def factory(*args, **kwargs):
        if not done:
            done.append(True)
            try:
                os.kill(os.getppid(), signum)
            except OSError:
                pass
        return Faithful(*args, **kwargs)

    return factory


factory = signalling(signal.SIGKILL)
