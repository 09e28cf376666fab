# SPDX-License-Identifier: MIT
"""Mutants of indexing and slicing."""


from tests.mutants.base import (
    Faithful,
    _access,
    _plain,
    mutant,
)


@mutant
class GetitemOobValueerror(Faithful):
    """An out-of-range index raises ValueError, not IndexError (getitem.oob)."""

    __slots__ = ()

    def __getitem__(self, key):
        if _plain(key):
            n = len(self)
            if not -n <= key < n:
                raise ValueError("mmap index out of range")
        return super().__getitem__(key)


@mutant
class GetitemNegOffByOne(Faithful):
    """A negative index counts from len-1, so m[-1] is the second-last byte (getitem.neg)."""

    __slots__ = ()

    def __getitem__(self, key):
        if _plain(key) and key < 0:
            key -= 1
        return super().__getitem__(key)


@mutant
class GetsliceStepIgnored(Faithful):
    """An extended slice ignores its step: m[a:b:k] is m[a:b] (getitem.slice-step)."""

    __slots__ = ()

    def __getitem__(self, key):
        if isinstance(key, slice) and key.step not in (None, 1, 0):
            key = slice(key.start, key.stop)
        return super().__getitem__(key)


@mutant
class GetsliceNoClamp(Faithful):
    """Slice bounds past the end raise IndexError instead of clamping (getitem.slice)."""

    __slots__ = ()

    def __getitem__(self, key):
        if isinstance(key, slice):
            n = len(self)
            for bound in (key.start, key.stop):
                if _plain(bound) and not -n <= bound <= n:
                    raise IndexError("mmap index out of range")
        return super().__getitem__(key)


@mutant
class SetitemValueWraps(Faithful):
    """m[i] = v stores v & 0xFF instead of raising ValueError outside 0..255 (setitem.range)."""

    __slots__ = ()

    def __setitem__(self, key, value):
        if _plain(key, value) and not 0 <= value < 256:
            value &= 0xFF
        super().__setitem__(key, value)


@mutant
class SetsliceWrongSizeTruncates(Faithful):
    """Slice assignment of the wrong size writes what fits instead of raising IndexError
    (setslice.wrong-size)."""

    __slots__ = ()

    def __setitem__(self, key, value):
        if isinstance(key, slice) and key.step in (None, 1) and isinstance(value, bytes):
            start, stop, _ = key.indices(len(self))
            want = max(stop - start, 0)
            if len(value) != want:
                value = value[:want]
                key = slice(start, start + len(value))
        super().__setitem__(key, value)


@mutant
class SetsliceStepIgnored(Faithful):
    """Extended-slice assignment writes contiguously from the lowest index (setslice.step)."""

    __slots__ = ()

    def __setitem__(self, key, value):
        if isinstance(key, slice) and key.step not in (None, 1, 0) and isinstance(value, bytes):
            positions = range(*key.indices(len(self)))
            if len(positions) == len(value) and positions:
                low = min(positions)
                key = slice(low, low + len(value))
        super().__setitem__(key, value)


@mutant
class SetitemReadonlyIndexFirst(Faithful):
    """On ACCESS_READ an out-of-range index raises IndexError before the read-only TypeError
    (setitem.readonly)."""

    __slots__ = ()

    def __setitem__(self, key, value):
        if _plain(key):
            n = len(self)
            if not -n <= key < n and _access(self) == "ACCESS_READ":
                raise IndexError("mmap index out of range")
        super().__setitem__(key, value)


@mutant
class DelitemOobTypeerror(Faithful):
    """`del m[i]` with i out of range raises TypeError, not IndexError (delitem)."""

    __slots__ = ()

    def __delitem__(self, key):
        if _plain(key):
            n = len(self)
            if not -n <= key < n:
                raise TypeError("mmap doesn't support item deletion")
        super().__delitem__(key)


@mutant
class SetitemValueShrinkIgnored(Faithful):
    """m[i] = v whose v.__index__ shrinks the map below i does nothing, where the index must be
    checked again and refused (reent.resize.value)."""

    __slots__ = ()

    def __setitem__(self, key, value):
        try:
            return super().__setitem__(key, value)
        except IndexError:
            if type(key) is int and type(value) is not int and hasattr(type(value), "__index__"):
                return None  # the bug: a write the shrunk map cannot take, dropped silently
            raise
