# SPDX-License-Identifier: MIT
"""Correct, but leaks a descriptor and a never-ending non-daemon thread on every map."""

import os
import threading
import time

from tests.mutants import Faithful


def _forever():
    while True:
        time.sleep(1)


def factory(*args, **kwargs):
    os.open(os.devnull, os.O_RDONLY)
    threading.Thread(target=_forever, daemon=False).start()
    return Faithful(*args, **kwargs)
