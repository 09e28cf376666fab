# SPDX-License-Identifier: MIT
"""Mutants of seek, tell, size."""


from tests.mutants.base import (
    Faithful,
    _offset,
    _plain,
    clause_only_mutant,
    mutant,
)


@mutant
class SeekEndOffByOne(Faithful):
    """seek(n, 2) lands one byte early (seek.whence)."""

    __slots__ = ()

    def seek(self, pos, *whence):
        if whence == (2,) and _plain(pos):
            pos -= 1
        return super().seek(pos, *whence)


@mutant
class SeekCurAsSet(Faithful):
    """seek(n, 1) is taken as seek(n, 0) (seek.whence)."""

    __slots__ = ()

    def seek(self, pos, *whence):
        if whence == (1,):
            whence = (0,)
        return super().seek(pos, *whence)


@mutant
class SeekPastEndClamps(Faithful):
    """Seeking past the end clamps to len() instead of raising ValueError (seek.oob)."""

    __slots__ = ()

    def seek(self, pos, whence=0):
        if _plain(pos, whence) and whence in (0, 1, 2):
            n = len(self)
            base = (0, self.tell(), n)[whence]
            if base + pos > n:
                return super().seek(n)
        return super().seek(pos, whence)


@clause_only_mutant
class SeekFloatTruncated(Faithful):
    """A float position is truncated to an int instead of raising TypeError, as `int(pos)` in a
    pure-Python seek() does (seek.type)."""

    __slots__ = ()

    def seek(self, pos, /, *whence):
        if type(pos) is float:
            pos = int(pos)
        return super().seek(pos, *whence)


@mutant
class SeekBadWhenceAsSet(Faithful):
    """An unknown whence is taken as 0 instead of raising ValueError (seek.whence-bad)."""

    __slots__ = ()

    def seek(self, pos, *whence):
        if len(whence) == 1 and _plain(whence[0]) and whence[0] not in (0, 1, 2):
            whence = (0,)
        return super().seek(pos, *whence)


@mutant
class SeekReturnFlipped(Faithful):
    """seek() returns the new position where this version returns None, and None where it
    returns the position (seek.return: int since 3.13)."""

    __slots__ = ()

    def seek(self, *args):
        result = super().seek(*args)
        return self.tell() if result is None else None


@mutant
class TellAbsolute(Faithful):
    """tell() counts from the start of the file, not of the map (tell, ctor.offset.aligned)."""

    __slots__ = ()

    def tell(self):
        return super().tell() + _offset(self)


@mutant
class SizeReturnsLen(Faithful):
    """size() returns len(m), not the size of the file (size.file)."""

    __slots__ = ()

    def size(self):
        return len(self)
