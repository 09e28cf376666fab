# SPDX-License-Identifier: MIT
"""Correct, but its first map stops its parent process (the harness that started the worker)
with SIGSTOP, which would wait for its answer forever."""

import signal

from tests.hostile.parent_killer import signalling

factory = signalling(signal.SIGSTOP)
