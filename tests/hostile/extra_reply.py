# SPDX-License-Identifier: MIT
"""Correct, but its worker writes each reply to find() twice: one extra, well-formed reply line
(with the right id) that would shift every later reply by one in an unframed protocol."""

import os
import sys

from tests.mutants import Faithful

_worker = sys.modules.get("__main__")
if _worker is not None and hasattr(_worker, "answer"):
    _answer = _worker.answer
    _out = int(sys.argv[3])  # worker.py SPEC IN_FD OUT_FD

    def answer(server, line):
        reply = _answer(server, line)
        if reply is not None and '"find"' in line:
            os.write(_out, (reply + "\n").encode())
        return reply

    _worker.answer = answer


def factory(*args, **kwargs):
    return Faithful(*args, **kwargs)
