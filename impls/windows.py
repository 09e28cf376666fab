# SPDX-License-Identifier: MIT
"""The Windows constructor `mmap(fileno, length, tagname=None, access=ACCESS_DEFAULT, offset=0)`,
emulated on Linux for the reference's "windows" platform: tag names, file extension, no flags/prot."""

import weakref

from impls import reference
from impls.reference import _cint, _ctor, _offset, _raise, _ssize, ffi, lib, parse_call

# Windows maps views at multiples of the allocation granularity, not of the page size.
ALLOCATIONGRANULARITY = lib.REFMMAP_WIN_GRANULARITY
_NAMES = ("fileno", "length", "tagname", "access", "offset")

# tagname -> the maps opened under it; a tag lives while one of them is open, like a named
# Windows section lives while a handle to it is open. Kept per process, as on Windows.
_TAGS = {}


def _tag_fd(tagname):
    """The descriptor behind a live map of this tag (its own dup), or -1 for a new tag."""
    for m in list(_TAGS.get(tagname, ())):
        if not m.closed and m._m.fd != -1:
            return m._m.fd
    _TAGS.pop(tagname, None)
    return -1


def constructor(cls, *args, **kwargs):
    """`__new__` of the Windows profile classes: the arguments converted here, the rest (checks,
    tag memory, file extension, the map) is native/refmmap.c refmmap_construct_windows()."""
    p = cls._profile
    # flags, prot and trackfd do not exist on Windows.
    values = parse_call(p, _NAMES, 2, args, kwargs)
    tagname = values.get("tagname")
    if tagname is not None and not isinstance(tagname, str):
        _raise("tagname_type", type=type(tagname).__name__)
    c = _ctor(values)
    c.offset = _offset(values, p)
    c.fd = _cint(values["fileno"], p)
    c.length = _ssize(values["length"], p)
    c.access = _cint(values.get("access", 0), p)
    tag = None  # a new anonymous map's memfd name (seen in /proc only); kept alive for C
    if tagname:
        name = tagname.encode("utf-8", "surrogatepass")
        tag = ffi.new("char[]", name)
        c.tag, c.taglen = tag, len(name)
    if tagname is not None:
        c.tag_fd = _tag_fd(tagname)
    m = cls._open(c, lib.refmmap_construct_windows)
    if tagname is not None:
        _TAGS.setdefault(tagname, weakref.WeakSet()).add(m)
    return m


def module(version=None):
    """That version's `mmap` module as on Windows: the reference's, with this constructor."""
    return reference.module(version, platform="windows", constructor=constructor)
