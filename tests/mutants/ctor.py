# SPDX-License-Identifier: MIT
"""Mutants of the constructor: length, access, flags, prot."""

import mmap
import os

from tests.mutants.base import (
    Faithful,
    _arg,
    _plain,
    mutant,
)


@mutant
class CtorNegativeLengthValueerror(Faithful):
    """A negative length raises ValueError, not OverflowError (ctor.length.negative)."""

    __slots__ = ()

    def __new__(cls, fileno, length, *args, **kwargs):
        if _plain(length) and length < 0:
            raise ValueError("memory mapped length must be positive")
        return super().__new__(cls, fileno, length, *args, **kwargs)


@mutant
class CtorInvalidAccessAccepted(Faithful):
    """An access value outside 0..3 is taken as ACCESS_DEFAULT (ctor.access.invalid)."""

    __slots__ = ()

    def __new__(cls, fileno, length, *args, **kwargs):
        access = kwargs.get("access")
        if _plain(access) and access not in range(4):
            del kwargs["access"]
        return super().__new__(cls, fileno, length, *args, **kwargs)


@mutant
class CtorLengthGtSizeExtends(Faithful):
    """A length past the end of a regular file extends the file, as on Windows
    (ctor.file.length-gt-size)."""

    __slots__ = ()

    def __new__(cls, fileno, length, *args, **kwargs):
        offset = _arg(args, kwargs, 3, "offset", 0)
        if _plain(fileno, length, offset) and fileno >= 0 and length > 0 and offset >= 0:
            try:
                if os.fstat(fileno).st_size < offset + length:
                    os.ftruncate(fileno, offset + length)
            except OSError:
                pass  # a read-only descriptor: fall through to the stdlib's own error
        return super().__new__(cls, fileno, length, *args, **kwargs)


@mutant
class CtorFlagsPrivateIgnored(Faithful):
    """flags=MAP_PRIVATE is dropped, so writes reach the file (ctor.flags.private)."""

    __slots__ = ()

    def __new__(cls, fileno, length, *args, **kwargs):
        if kwargs.get("flags") == mmap.MAP_PRIVATE and not args:
            del kwargs["flags"]
        return super().__new__(cls, fileno, length, *args, **kwargs)


@mutant
class CtorProtReadWritable(Faithful):
    """prot=PROT_READ is dropped, so the map is writable (ctor.prot.to-access)."""

    __slots__ = ()

    def __new__(cls, fileno, length, *args, **kwargs):
        if kwargs.get("prot") == mmap.PROT_READ and not args:
            del kwargs["prot"]
        return super().__new__(cls, fileno, length, *args, **kwargs)
