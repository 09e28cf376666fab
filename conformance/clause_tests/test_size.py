# SPDX-License-Identifier: MIT
"""Clause tests: size() and resize()."""

import errno
import sys

import pytest

from conformance.clausetools import DATA, errno_of, holds, na, ok, raised, since
from conformance.engine import ops as o
from impls.executor import digest


@pytest.mark.clause("doc.size.file-length")
def test_size_is_the_file_length_beyond_the_map(check):
    """size() returns the length of the file, which can be larger than the mapped area."""
    obs = check(o.Open(DATA, 4), o.Call("size"))
    assert obs[-1]["out"] == ok(10)


@pytest.mark.parametrize("change, size", [(o.FileWrite(10, b"abcd"), 14), (o.FileTruncate(2), 2)])
@pytest.mark.clause("size.file")
def test_size_follows_the_file(check, change, size):
    """size() returns the current size of the file, not of the map, following external changes."""
    obs = check(o.Open(DATA, 2), change, o.Call("size"))
    assert obs[-1]["out"] == ok(size) and obs[-1]["len"] == 2


@pytest.mark.clause("size.anon")
def test_size_of_anonymous_map_raises_ebadf(check, mmap_impl):
    """size() of an anonymous map raises OSError EBADF up to 3.14; from 3.15 it is the length."""
    obs = check(o.Open(None, 10), o.Call("size"))
    if since(mmap_impl, "3.15"):
        assert obs[-1]["out"] == ok(10)
    else:
        assert raised(obs[-1]) == "OSError" and errno_of(obs[-1]) == errno.EBADF


@pytest.mark.clause("size.trackfd-false")
def test_size_of_untracked_map_raises_ebadf(check, mmap_impl):
    """size() of a trackfd=False map raises OSError EBADF (3.13, 3.14), ValueError from 3.15."""
    obs = check(o.Open(DATA, 0, trackfd=False), o.Call("size"))
    assert raised(obs[-1]) == ("ValueError" if since(mmap_impl, "3.15") else "OSError")


@pytest.mark.parametrize("op", ["size", "resize"])
@pytest.mark.clause("trackfd.size-resize")
def test_size_and_resize_of_untracked_map_fail(check, op):
    """size() and resize() of trackfd=False maps fail."""
    obs = check(o.Open(DATA, 0, trackfd=False), o.Call(op, *([5] if op == "resize" else [])))
    assert raised(obs[-1]) in ("OSError", "ValueError")


@pytest.mark.clause("doc.resize.map-and-file")
def test_resize_changes_map_and_file(check):
    """resize(newsize) resizes the map and the underlying file."""
    obs = check(o.Open(DATA, 0), o.Resize(6), o.Call("flush"))
    assert obs[-1]["len"] == 6 and obs[-1]["file"] == DATA[:6].hex()


@pytest.mark.parametrize("access", ["ACCESS_READ", "ACCESS_COPY"])
@pytest.mark.clause("doc.resize.read-copy-typeerror")
def test_resize_of_read_or_copy_map_raises_typeerror(check, access):
    """resize() on an ACCESS_READ or ACCESS_COPY map raises TypeError."""
    obs = check(o.Open(DATA, 0, access=o.Const(access)), o.Resize(5))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.clause("resize.file-grow")
def test_growing_extends_map_and_file_with_zeros(check):
    """Growing resizes the map and the file to offset + newsize with zero bytes and returns None."""
    obs = check(o.Open(DATA, 0), o.Resize(12), o.Call("flush"))
    assert obs[1]["out"] == ok() and obs[-1]["file"] == (DATA + b"\0\0").hex()


@pytest.mark.parametrize("offset", [0, 4096])
@pytest.mark.clause("resize.file-shrink")
def test_shrinking_truncates_file_to_offset_plus_size(check, offset):
    """Shrinking truncates the file to offset + newsize, even if the map was shorter than the file."""
    data = b"a" * offset + b"01234567"
    obs = check(o.Open(data, 4, offset=offset), o.Resize(5), o.Call("flush"))
    kept = data[:offset + 5]
    assert obs[-1]["file"] == (kept.hex() if len(kept) <= 256 else digest(kept))


@pytest.mark.parametrize("kw", [{"access": o.Const("ACCESS_READ")}, {"access": o.Const("ACCESS_COPY")},
                                {"prot": o.Const("PROT_READ")}])
@pytest.mark.clause("resize.readonly-copy")
def test_resize_of_read_only_or_copy_map_raises(check, kw):
    """resize() on ACCESS_READ, ACCESS_COPY or prot=PROT_READ maps raises TypeError."""
    obs = check(o.Open(DATA, 0, **kw), o.Resize(5))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.parametrize("kw", [{"access": o.Const("ACCESS_WRITE")}, {"flags": o.Const("MAP_PRIVATE")}])
@pytest.mark.clause("resize.write-private")
def test_resize_of_write_and_private_maps(check, kw):
    """resize() works on ACCESS_WRITE and MAP_PRIVATE default-access maps (which still truncate the file)."""
    obs = check(o.Open(DATA, 0, **kw), o.Resize(5), o.Call("flush"))
    assert obs[1]["out"] == ok() and obs[-1]["file"] == DATA[:5].hex()


@pytest.mark.clause("resize.negative")
def test_negative_size_raises_valueerror(check):
    """resize() to a negative size raises ValueError "new size out of range"."""
    obs = check(o.Open(DATA, 0), o.Resize(-1))
    assert raised(obs[-1]) == "ValueError"


@pytest.mark.clause("resize.huge")
def test_huge_size_raises_efbig_and_changes_nothing(check):
    """resize(sys.maxsize) raises OSError EFBIG and leaves the map and file unchanged."""
    obs = check(o.Open(DATA, 0), o.Resize(sys.maxsize), o.Call("flush"))
    assert raised(obs[1]) == "OSError" and errno_of(obs[1]) == errno.EFBIG
    assert obs[-1]["file"] == DATA.hex() and obs[-1]["len"] == 10


@pytest.mark.clause("resize.zero-file")
def test_resize_to_zero_truncates_then_raises_einval(check):
    """resize(0) of a file map truncates the file, then raises OSError EINVAL with the map's length unchanged."""
    obs = check(o.Open(DATA, 0), o.Resize(0))
    assert raised(obs[-1]) == "OSError" and errno_of(obs[-1]) == errno.EINVAL


@pytest.mark.clause("resize.failed-grow-keeps-file")
def test_failed_grow_keeps_the_extended_file(check, mmap_impl):
    """When growing a file map fails in mremap() (EFAULT where madvise() split the mapping), resize() raises OSError, the map keeps its length and the file keeps the size it was extended to."""
    if not holds(mmap_impl, "madvise.ok"):  # the clause holds, but only madvise() splits a map
        na("this test splits the mapping with madvise(), which arrived in 3.8")
    obs = check(o.Open(DATA, 0), o.Resize(8192),
                o.Call("madvise", o.Const("MADV_SEQUENTIAL"), 4096), o.Resize(8193),
                o.Call("flush"))
    assert raised(obs[3]) == "OSError" and errno_of(obs[3]) == errno.EFAULT
    grown = DATA + bytes(8193 - len(DATA))
    assert obs[-1]["len"] == 8192 and obs[-1]["file"] == digest(grown)


@pytest.mark.clause("resize.anon-shrink")
def test_anonymous_map_shrinks_keeping_data(check):
    """An anonymous map can shrink, keeping its data."""
    obs = check(o.Open(None, 8), o.Call("write", b"abcd"), o.Resize(3))
    assert obs[-1]["out"] == ok() and obs[-1]["data"] == b"abc".hex()


@pytest.mark.clause("resize.anon-shared-grow")
def test_growing_shared_anonymous_map(check, mmap_impl):
    """Growing a shared anonymous map on Linux "succeeds" up to 3.13.7 (later access faults) and raises ValueError from 3.13.8/3.14."""
    obs = check(o.Open(None, 4096), o.Resize(8192))
    assert raised(obs[-1]) == "ValueError"


@pytest.mark.clause("resize.anon-private-grow")
def test_private_anonymous_map_grows_with_zeros(check):
    """A MAP_PRIVATE anonymous map can grow; the new bytes are zero."""
    obs = check(o.Open(None, 4096, flags=o.Const("MAP_PRIVATE")),
                o.SetItem(0, 7), o.Resize(8192), o.GetItem(0), o.GetItem(8191))
    assert (obs[3]["out"], obs[4]["out"], obs[4]["len"]) == (ok(7), ok(0), 8192)


@pytest.mark.parametrize("op, error, value", [
    (o.Read(), None, b""), (o.Call("readline"), None, b""), (o.Call("read_byte"), "ValueError", 0),
    (o.Call("write_byte", 65), "ValueError", 0), (o.Call("write", b""), "ValueError", 0),
    (o.Seek(0, 1), "ValueError", 0), (o.Find(b"0"), None, -1)])
@pytest.mark.clause("resize.past-pos")
def test_shrinking_below_position_keeps_it(check, op, error, value):
    """Shrinking below the position keeps tell(); then reads return b"", read_byte/write_byte/write/seek(0, 1) raise ValueError and find returns -1."""
    obs = check(o.Open(DATA, 0), o.Seek(8), o.Resize(5), op)
    assert obs[2]["pos"] == 8
    assert raised(obs[-1]) == error and (error or obs[-1]["out"] == ok(value))


@pytest.mark.clause("resize.same")
def test_resize_to_same_size_returns_none(check):
    """resize(len(m)) returns None."""
    obs = check(o.Open(DATA, 0), o.Resize(10))
    assert obs[-1]["out"] == ok()


@pytest.mark.clause("resize.trackfd-false")
def test_resize_of_untracked_map_raises_valueerror(check):
    """resize() of a trackfd=False map raises ValueError "mmap can't resize with trackfd=False."."""
    obs = check(o.Open(DATA, 0, trackfd=False), o.Resize(5))
    assert raised(obs[-1]) == "ValueError"


@pytest.mark.clause("resize.unavailable")
def test_resize_without_mremap(check):
    """Without mremap (macOS, BSD) resize() raises SystemError up to 3.14 and is absent from 3.15."""
    if sys.platform.startswith("linux"):
        na("Linux has mremap()")
    obs = check(o.Open(DATA, 0), o.Resize(5))
    assert raised(obs[-1]) in ("SystemError", "AttributeError")
