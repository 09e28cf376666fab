# SPDX-License-Identifier: MIT
"""Mutants of close, closed, the context manager, len, bool, repr."""

import re

from tests.mutants.base import (
    CLOSED,
    Faithful,
    mutant,
)


@mutant
class CloseTwiceRaises(Faithful):
    """A second close() raises ValueError instead of doing nothing (close.idempotent)."""

    __slots__ = ()

    def close(self):
        if self.closed:
            raise ValueError(CLOSED)
        super().close()


@mutant
class ClosedAlwaysFalse(Faithful):
    """The `closed` attribute stays False after close() (closed.attr)."""

    __slots__ = ()
    closed = property(lambda self: False)


@mutant
class ReadAfterCloseEmpty(Faithful):
    """read() on a closed map returns b'' instead of raising ValueError (after-close.raise)."""

    __slots__ = ()

    def read(self, *args):
        if self.closed:
            return b""
        return super().read(*args)


@mutant
class LenAfterCloseZero(Faithful):
    """len() of a closed map is 0 instead of raising ValueError (len, after-close.raise)."""

    __slots__ = ()

    def __len__(self):
        return 0 if self.closed else super().__len__()


@mutant
class BoolAfterCloseFalse(Faithful):
    """bool() of a closed map is False instead of raising ValueError (bool)."""

    __slots__ = ()

    def __bool__(self):
        return False if self.closed else len(self) > 0


@mutant
class EnterClosedOk(Faithful):
    """__enter__ on a closed map returns it instead of raising ValueError (ctx)."""

    __slots__ = ()

    def __enter__(self):
        return self


@mutant
class ExitKeepsOpen(Faithful):
    """__exit__ does not close the map (ctx)."""

    __slots__ = ()

    def __exit__(self, *args):
        return None


@mutant
class ReprPosZero(Faithful):
    """repr() always shows pos=0 (repr.open)."""

    __slots__ = ()

    def __repr__(self):
        return re.sub(r"pos=\d+", "pos=0", super().__repr__())
