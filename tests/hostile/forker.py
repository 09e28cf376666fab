# SPDX-License-Identifier: MIT
"""Correct, but its first map starts a daemon (double fork, its own session) that sleeps 600 s
and a child that spins forever in the worker's own process group."""

import os
import time

from tests.mutants import Faithful

_started = []


def _daemon():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(600)
        os._exit(0)


def _spinner():
    if os.fork() == 0:
        while True:
            pass


def factory(*args, **kwargs):
    if not _started:
        _started.append(True)
        _daemon()
        _spinner()
    return Faithful(*args, **kwargs)
