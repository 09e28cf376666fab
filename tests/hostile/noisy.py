# SPDX-License-Identifier: MIT
"""Correct, but writes garbage (half JSON lines, binary) to stdout and stderr all the time."""

import os
import sys

from tests.mutants import Faithful

print('{"obs": "not from the worker"')
os.write(1, b"\x00\xff garbage\n")


class Noisy(Faithful):
    __slots__ = ()

    def read(self, *args):
        sys.stdout.write('{"hello": 1}\n')
        sys.stderr.write("Traceback (most recent call last): not really\n")
        os.write(2, b"\xfe\xfd")
        return Faithful.read(self, *args)


def factory(*args, **kwargs):
    sys.stdout.write("[factory called]\n")
    return Noisy(*args, **kwargs)
