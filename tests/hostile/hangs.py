# SPDX-License-Identifier: MIT
"""Never returns from size()."""

import time

from tests.mutants import Faithful


class Hanging(Faithful):
    __slots__ = ()

    def size(self):
        while True:
            time.sleep(1)


def factory(*args, **kwargs):
    return Hanging(*args, **kwargs)
