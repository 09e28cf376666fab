# SPDX-License-Identifier: MIT
"""Correct in every respect but one: tell() returns the position as a float (3.0, not 3)."""

from tests.mutants import Faithful


class FloatTell(Faithful):
    __slots__ = ()

    def tell(self):
        return float(Faithful.tell(self))


def factory(*args, **kwargs):
    return FloatTell(*args, **kwargs)
