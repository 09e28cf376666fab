# SPDX-License-Identifier: MIT
"""Mutants of find, rfind, madvise."""


from tests.mutants.base import (
    Faithful,
    _plain,
    mutant,
)


@mutant
class FindDefaultStartZero(Faithful):
    """find(sub) searches from 0, not from the current position (find.default-start)."""

    __slots__ = ()

    def find(self, *args):
        if len(args) == 1:
            args = (args[0], 0)
        return super().find(*args)


@mutant
class FindNegativeStartAsZero(Faithful):
    """find(sub, start) with a negative start searches from 0 instead of len+start
    (find.slice-args)."""

    __slots__ = ()

    def find(self, sub, *rest):
        if rest and _plain(rest[0]) and rest[0] < 0:
            rest = (0,) + rest[1:]
        return super().find(sub, *rest)


@mutant
class RfindEmptyReturnsStart(Faithful):
    """rfind(b'') returns the clamped start, like find(b''), not the end (find.empty)."""

    __slots__ = ()

    def rfind(self, sub, *rest):
        if isinstance(sub, bytes) and not sub:
            return super().find(sub, *rest)
        return super().rfind(sub, *rest)


@mutant
class MadviseStartUnchecked(Faithful):
    """madvise() with a start out of bounds returns None instead of raising ValueError
    (madvise.start)."""

    __slots__ = ()

    def madvise(self, *args):
        try:
            return super().madvise(*args)
        except ValueError as exc:
            if str(exc) == "madvise start out of bounds":
                return None
            raise
