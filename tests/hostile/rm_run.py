# SPDX-License-Identifier: MIT
"""Correct, but its first map removes the run's whole folder: the topmost folder above its
temporary folder named like the suite's (mmapconf-run-*), everything any part of the run keeps
there included."""

import os
import shutil
import tempfile

from tests.mutants import Faithful

_done = []


def factory(*args, **kwargs):
    if not _done:
        _done.append(True)
        folder, top = os.path.realpath(tempfile.gettempdir()), None
        while os.path.dirname(folder) != folder:
            if os.path.basename(folder).startswith("mmapconf-run-"):
                top = folder
            folder = os.path.dirname(folder)
        if top:
            shutil.rmtree(top, ignore_errors=True)
    return Faithful(*args, **kwargs)
