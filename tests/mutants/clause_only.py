# SPDX-License-Identifier: MIT
"""Mutants of the ones only the clause tests report (CLAUSE_ONLY)."""


from tests.mutants.base import (
    Faithful,
    clause_only_mutant,
)

_UNSET = object()


@clause_only_mutant
class KeywordsAccepted(Faithful):
    """seek(), write(), write_byte(), flush(), resize(), move() and madvise() take their
    parameters by keyword too, as a pure-Python `def seek(self, pos, whence=0)` does
    (seek.kw, write.kw, write_byte.kw, flush.kw, resize.kw, move.kw, madvise.kw)."""

    __slots__ = ()

    def seek(self, pos, whence=0):
        return super().seek(pos, whence)

    def write(self, data):
        return super().write(data)

    def write_byte(self, byte):
        return super().write_byte(byte)

    def flush(self, offset=0, size=_UNSET):
        return super().flush(offset) if size is _UNSET else super().flush(offset, size)

    def resize(self, newsize):
        return super().resize(newsize)

    def move(self, dest, src, count):
        return super().move(dest, src, count)

    def madvise(self, option, start=0, length=_UNSET):
        if length is _UNSET:
            return super().madvise(option, start)
        return super().madvise(option, start, length)


_KEPT = []  # every map DropLeaksDescriptor ever made and did not close


@clause_only_mutant
class DropLeaksDescriptor(Faithful):
    """A map dropped without close() is never freed (a module-level registry keeps it), so its
    duplicated descriptor and its mapping stay: 50 dropped maps, 50 descriptors (del.fd-closed,
    del.no-fd-growth, del.unmaps, del.no-memory-growth)."""

    __slots__ = ()

    def __new__(cls, fileno, length, *args, **kwargs):
        self = super().__new__(cls, fileno, length, *args, **kwargs)
        _KEPT.append(self)
        return self

    def close(self):
        super().close()
        if self in _KEPT:
            _KEPT.remove(self)
