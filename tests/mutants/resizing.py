# SPDX-License-Identifier: MIT
"""Mutants of resize, move, flush."""


from tests.mutants.base import (
    Faithful,
    _plain,
    mutant,
)


@mutant
class ResizePastPosMovesPos(Faithful):
    """Shrinking below the position pulls the position back to the new end (resize.past-pos)."""

    __slots__ = ()

    def resize(self, newsize):
        super().resize(newsize)
        if _plain(newsize) and self.tell() > newsize:
            self.seek(newsize)


@mutant
class ResizeNegativeOverflow(Faithful):
    """resize(-1) raises OverflowError, not ValueError (resize.negative)."""

    __slots__ = ()

    def resize(self, newsize):
        try:
            return super().resize(newsize)
        except ValueError as exc:
            if str(exc) == "new size out of range":
                raise OverflowError(str(exc)) from None
            raise


@mutant
class MoveBoundsClamp(Faithful):
    """move() past the end moves what fits instead of raising ValueError (move.bounds)."""

    __slots__ = ()

    def move(self, dest, src, count):
        if _plain(dest, src, count) and min(dest, src, count) >= 0:
            n = len(self)
            if dest <= n and src <= n:
                count = min(count, n - dest, n - src)
        return super().move(dest, src, count)


@mutant
class MoveSetsPos(Faithful):
    """move() leaves the position at dest + count (move.basic)."""

    __slots__ = ()

    def move(self, dest, src, count):
        super().move(dest, src, count)
        self.seek(dest + count)


@mutant
class FlushReturnsZero(Faithful):
    """flush() returns 0, as before 3.8, not None (flush.return)."""

    __slots__ = ()

    def flush(self, *args):
        result = super().flush(*args)
        return 0 if result is None else result


@mutant
class FlushNoRangeCheck(Faithful):
    """flush() with a range past the end does nothing instead of raising ValueError
    (flush.range-check)."""

    __slots__ = ()

    def flush(self, *args):
        try:
            return super().flush(*args)
        except ValueError as exc:
            if str(exc) == "flush values out of range":
                return None
            raise
