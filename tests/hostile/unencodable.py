# SPDX-License-Identifier: MIT
"""find() returns a list that holds itself, and flush() raises an exception whose __str__
raises: values a worker cannot encode, which are divergences, not crashes of the worker."""

from tests.mutants import Faithful


class Unprintable(ValueError):
    def __str__(self):
        raise RuntimeError("no message for you")


class Unencodable(Faithful):
    __slots__ = ()

    def find(self, *args):
        loop = []
        loop.append(loop)
        return loop

    def flush(self, *args):
        raise Unprintable()


def factory(*args, **kwargs):
    return Unencodable(*args, **kwargs)
