# SPDX-License-Identifier: MIT
"""Correct, but every read and write takes 20 ms."""

import time

from tests.mutants import Faithful


class Slow(Faithful):
    __slots__ = ()

    def read(self, *args):
        time.sleep(0.02)
        return Faithful.read(self, *args)

    def write(self, data):
        time.sleep(0.02)
        return Faithful.write(self, data)


def factory(*args, **kwargs):
    return Slow(*args, **kwargs)
