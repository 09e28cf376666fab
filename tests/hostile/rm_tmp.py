# SPDX-License-Identifier: MIT
"""Removes its temporary folder, then dies, on every find(); a restarted worker must get a fresh
temporary folder, not inherit the removed one (it refuses to load if it did)."""

import os
import shutil
import tempfile

from tests.mutants import Faithful

if not os.path.isdir(os.environ.get("TMPDIR", tempfile.gettempdir())):
    raise ImportError("TMPDIR inherited from a removed folder")


class Remover(Faithful):
    __slots__ = ()

    def find(self, *args):
        shutil.rmtree(os.environ["TMPDIR"], ignore_errors=True)
        os._exit(1)


def factory(*args, **kwargs):
    return Remover(*args, **kwargs)
