# SPDX-License-Identifier: MIT
"""Correct, but its first map writes a file into the folder the suite was started from (the
user's current folder), which it was never given."""

import os

from tests.mutants import Faithful

_done = []


def factory(*args, **kwargs):
    if not _done:
        _done.append(True)
        try:
            with open(os.path.join(os.environ["MMAPCONF_PATH"], "outsider-was-here"), "w") as f:
                f.write("x")
        except OSError:  # a read-only folder (the sandbox): nothing done
            pass
    return Faithful(*args, **kwargs)
