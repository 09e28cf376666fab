# SPDX-License-Identifier: MIT
"""Never returns from size() or read()."""

import time

from tests.mutants import Faithful


class Hanging(Faithful):
    __slots__ = ()

    def size(self):
        while True:
            time.sleep(1)

    def read(self, *args):
        while True:
            time.sleep(1)


def factory(*args, **kwargs):
    return Hanging(*args, **kwargs)
