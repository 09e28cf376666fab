# SPDX-License-Identifier: MIT
"""A broken worker: it starts and says hello, then answers every request with `null`.

Imported inside the worker process (impls/worker.py runs as __main__), it replaces the
server's request handler, as a worker with a broken protocol layer would behave."""

import sys

from tests.mutants import Faithful

_worker = sys.modules.get("__main__")
if _worker is not None and hasattr(_worker, "Server"):
    _worker.Server.handle = lambda self, msg: None


def factory(*args, **kwargs):
    return Faithful(*args, **kwargs)
