# SPDX-License-Identifier: MIT
"""Correct with its own maps, but its first map writes `null` lines into every pipe or socket it
can open through /proc: those of the other workers running (their reply channels), and those of
its parent (the harness: its result channel, the stderr pipes of its workers)."""

import os

from tests.mutants import Faithful

_done = []


def _pipes(pid):
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return []
    found = []
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith(("pipe:", "socket:")):
                found.append(f"/proc/{pid}/fd/{fd}")
        except OSError:
            pass
    return found


def _workers():
    me = os.getpid()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if b"MMAPCONF_WORKER=" in f.read() and int(pid) != me:
                    yield pid
        except OSError:
            pass


def scribble():
    for path in [p for pid in [*_workers(), os.getppid()] for p in _pipes(pid)]:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            os.write(fd, b"null\n")
        except OSError:
            pass
        finally:
            os.close(fd)


def factory(*args, **kwargs):
    if not _done:
        _done.append(True)
        scribble()
    return Faithful(*args, **kwargs)
