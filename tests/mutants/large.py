# SPDX-License-Identifier: MIT
"""Mutants of a 32-bit size: a length, position or search result held in a C uint32_t or int
where CPython has Py_ssize_t. Only maps past 2**31 / 2**32 bytes show them, which the machine
never makes: the clause tests' sparse maps do (conformance/clause_tests/test_large.py)."""


from tests.mutants.base import Faithful, _plain, clause_only_mutant


def _wrap_int32(value):
    """`value` as a C int (two's complement, 32 bits) holds it."""
    return (value + (1 << 31)) % (1 << 32) - (1 << 31)


def _parsed(value):
    """Whether CPython's argument parsing takes `value` into a Py_ssize_t / off_t at all (past
    64 bits it raises OverflowError first): only such a value reaches a 32-bit variable."""
    return _plain(value) and -(1 << 63) <= value < 1 << 63


@clause_only_mutant
class LenUint32(Faithful):
    """len() is the length modulo 2**32, as a uint32_t length field keeps it (large.len)."""

    __slots__ = ()

    def __len__(self):
        return super().__len__() & 0xffffffff


@clause_only_mutant
class TellInt32(Faithful):
    """tell() wraps past 2**31 to a negative int, as a C int position does (large.tell)."""

    __slots__ = ()

    def tell(self):
        return _wrap_int32(super().tell())


@clause_only_mutant
class FindInt32(Faithful):
    """find() and rfind() wrap a position past 2**31 to a negative int, as a C int result does
    (large.find)."""

    __slots__ = ()

    def find(self, *args):
        return _wrap_int32(super().find(*args))

    def rfind(self, *args):
        return _wrap_int32(super().rfind(*args))


@clause_only_mutant
class SeekInt32(Faithful):
    """seek() keeps its position in a C int: one past 2**31 wraps, sys.maxsize too (large.seek,
    seek.overflow)."""

    __slots__ = ()

    def seek(self, pos, /, *whence):
        return super().seek(_wrap_int32(pos) if _parsed(pos) else pos, *whence)


@clause_only_mutant
class OffsetUint32(Faithful):
    """The constructor keeps its offset in a uint32_t: modulo 2**32, and a negative one wraps
    positive (large.ctor-offset, ctor.large-offset, ctor.offset.negative)."""

    __slots__ = ()

    def __new__(cls, fileno, length, *args, **kwargs):
        if len(args) > 3 and _parsed(args[3]):
            args = args[:3] + (args[3] & 0xffffffff,) + args[4:]
        if _parsed(kwargs.get("offset")):
            kwargs = dict(kwargs, offset=kwargs["offset"] & 0xffffffff)
        return super().__new__(cls, fileno, length, *args, **kwargs)
