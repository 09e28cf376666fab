# SPDX-License-Identifier: MIT
"""The Windows constructor `mmap(fileno, length, tagname=None, access=ACCESS_DEFAULT, offset=0)`,
emulated on Linux for the reference's "windows" platform: tag names, file extension, no flags/prot."""

import errno
import os
import weakref

from impls import reference
from impls.reference import (
    _byte_or_int,
    _cint,
    _const,
    _ctor_clause,
    _fail,
    _named,
    _ssize,
    lib,
    parse_call,
)

# Windows maps views at multiples of the allocation granularity, not of the page size.
ALLOCATIONGRANULARITY = 65536
_NAMES = ("fileno", "length", "tagname", "access", "offset")

# tagname -> the maps opened under it; a tag lives while one of them is open, like a named
# Windows section lives while a handle to it is open. Kept per process, as on Windows.
_TAGS = {}


def _tag_backing(tagname):
    """The descriptor behind a live map of this tag (its own dup), or None for a new tag."""
    for m in list(_TAGS.get(tagname, ())):
        if not m.closed and m._m.fd != -1:
            return m
    _TAGS.pop(tagname, None)
    return None


def _parse(cls, args, kwargs):
    p = cls._profile
    # flags, prot and trackfd do not exist on Windows.
    values = parse_call(p, _NAMES, 2, args, kwargs)
    tagname = values.get("tagname")
    if tagname is not None and not isinstance(tagname, str):
        raise TypeError(f"argument 3 must be str or None, not {type(tagname).__name__}")
    offset = _byte_or_int(values.get("offset", 0), p)
    if not -2**63 <= offset < 2**63:
        raise OverflowError("Python int too large to convert to C long")
    return (_cint(values["fileno"], p), _ssize(values["length"], p), tagname,
            _cint(values.get("access", 0), p), offset, values)


def constructor(cls, *args, **kwargs):
    """`__new__` of the Windows profile classes."""
    fileno, length, tagname, access, offset, given = _parse(cls, args, kwargs)
    for bad, code in ((length < 0, lib.REFMMAP_E_LENGTH_NEG), (offset < 0, lib.REFMMAP_E_OFFSET_NEG),
                      (not 0 <= access <= 3, lib.REFMMAP_E_ACCESS)):
        if bad:
            raise _fail(code)
    if offset % ALLOCATIONGRANULARITY:
        raise _named(OSError(errno.EINVAL, "offset is not a multiple of the allocation granularity"),
                     "ctor.offset.unaligned")
    clause = _ctor_clause(fileno, length, offset, given, access)
    shared = _tag_backing(tagname) if tagname is not None else None
    owned = -1
    try:
        if shared is not None:
            # An existing tag is opened whatever file was passed: the maps share memory.
            fd = shared._m.fd
            length = length or os.fstat(fd).st_size - offset
        elif fileno == -1:
            if length == 0:  # CreateFileMapping refuses an empty pagefile-backed section
                raise _named(OSError(errno.EINVAL, "cannot create an empty anonymous mapping"),
                             clause)
            # Pagefile-backed memory: a memfd, so a tag can be opened again by a second map.
            fd = owned = os.memfd_create(tagname or "mmap")
            os.ftruncate(fd, offset + length)
        else:
            fd, size = fileno, os.fstat(fileno).st_size
            if length == 0 and size == 0:
                # Documented: Windows cannot map an empty file. We raise what CPython on
                # Windows raises before asking the OS: ValueError "cannot mmap an empty file".
                raise _fail(lib.REFMMAP_E_EMPTY)
            if length and offset + length > size:
                if access == 1:  # a read-only section cannot grow its file
                    raise _named(PermissionError(errno.EACCES, os.strerror(errno.EACCES)),
                                 "doc.win.length-extends-file")
                os.ftruncate(fd, offset + length)  # Windows extends the file to the map
        rw = _const("PROT_READ") | _const("PROT_WRITE")
        m = cls._open(fd, length, _const("MAP_SHARED"), rw, access, offset, True, clause)
    finally:
        if owned != -1:
            os.close(owned)
    if tagname is not None:
        _TAGS.setdefault(tagname, weakref.WeakSet()).add(m)
    return m


def module(version=None):
    """That version's `mmap` module as on Windows: the reference's, with this constructor."""
    return reference.module(version, platform="windows", constructor=constructor)
