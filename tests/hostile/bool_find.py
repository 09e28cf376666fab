# SPDX-License-Identifier: MIT
"""find()/rfind() answer True for a hit at offset 1 and False for one at 0: values that `==`
the right ints (True == 1, False == 0) but are not ints."""

from tests.mutants import Faithful


class Sloppy(Faithful):
    __slots__ = ()

    def find(self, *args):
        found = Faithful.find(self, *args)
        return bool(found) if found in (0, 1) else found

    def rfind(self, *args):
        found = Faithful.rfind(self, *args)
        return bool(found) if found in (0, 1) else found


def factory(*args, **kwargs):
    return Sloppy(*args, **kwargs)
