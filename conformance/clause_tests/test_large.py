# SPDX-License-Identifier: MIT
"""Clause tests: maps of sparse files past 2**31 and 2**32 bytes, where a position, length,
offset or index held in a C int (not Py_ssize_t / off_t) would wrap. Each test runs at both
boundaries; the files cost only the pages touched (the executor observes such maps by sampled
pages, impls/executor.py sample_digest), and every search is bounded near its needle."""

import functools
import os
import sys
import tempfile

import pytest

from conformance.clausetools import na, ok, raised, since
from conformance.engine import ops as o

PAGE = 4096
BOUNDARIES = (1 << 31, 1 << 32)
EXTRA = 3 * PAGE + 5  # past the boundary, and no whole number of pages
ids = ["2GiB", "4GiB"]


def size_past(b):
    return b + EXTRA


def sparse(b, length=0, **kwargs):
    """A map of a sparse file just past boundary `b`: b"head" at 0, b"ABCD" across the boundary
    (b - 2), b"tail" at the very end."""
    size = size_past(b)
    return o.OpenSparse(size, {0: b"head", b - 2: b"ABCD", size - 4: b"tail"}, length, **kwargs)


@functools.cache
def sparse_problem(size):
    """Why the temporary folder cannot hold a sparse file of `size` bytes, or None."""
    folder = tempfile.gettempdir()
    stat = os.statvfs(folder)
    if stat.f_bavail * stat.f_frsize < 64 << 20:
        return f"{folder} has less than 64 MiB free"
    fd, path = tempfile.mkstemp(dir=folder)
    try:
        os.ftruncate(fd, size)
        if os.fstat(fd).st_blocks * 512 > 1 << 20:
            return f"{folder} has no sparse files: a {size}-byte file would take its whole size"
    except OSError as exc:
        return f"{folder} cannot hold a {size}-byte file: {exc}"
    finally:
        os.close(fd)
        os.remove(path)
    return None


def why_no_large_maps(impl):
    """Why `impl` cannot map a file past 4 GiB here, or None: a 32-bit address space (Pyodide's
    wasm32), or a temporary folder without sparse files or room."""
    about = getattr(impl, "about", None) or {}
    if about.get("maxsize", sys.maxsize) < 1 << 33:
        return "a 32-bit address space (wasm32) cannot map a file past 4 GiB"
    return sparse_problem(size_past(max(BOUNDARIES)) + PAGE)  # resize grows it by 10


@pytest.fixture(name="large")
def large_maps(mmap_impl):
    """na where a map past 4 GiB cannot exist (why_no_large_maps)."""
    problem = why_no_large_maps(mmap_impl)
    if problem:
        na(problem)


boundaries = pytest.mark.parametrize("b", BOUNDARIES, ids=ids)


def byte(impl, n):
    """A byte as m[i] and read_byte() give it and m[i] = v and write_byte() take it: an int,
    a 1-character str on 2.7."""
    return bytes([n]) if impl.profile == "2.7" else n


@boundaries
@pytest.mark.clause("large.len")
def test_len_of_a_large_map(check, large, b):
    """len() of a map past 2**31 / 2**32 bytes is its whole length."""
    obs = check(sparse(b), o.Len(), o.Bool())
    assert obs[1]["out"] == ok(size_past(b)) and obs[2]["out"] == ok(True)


@boundaries
@pytest.mark.clause("large.size")
def test_size_of_a_large_file(check, large, b):
    """size() is the file's length past 2**31 / 2**32 bytes, also for a map of part of it."""
    obs = check(sparse(b, PAGE), o.Call("size"), o.Len())
    assert (obs[1]["out"], obs[2]["out"]) == (ok(size_past(b)), ok(PAGE))


@boundaries
@pytest.mark.clause("large.tell")
def test_tell_past_the_boundary(check, large, b):
    """tell() reports positions past 2**31 / 2**32, reached by seek(), read() and write()."""
    obs = check(sparse(b), o.Seek(b + 1), o.Call("tell"), o.Seek(b - 2), o.Read(4),
                o.Call("tell"), o.Call("write", b"xy"), o.Call("tell"), o.Seek(-4, 2),
                o.Call("tell"))
    assert [obs[i]["out"] for i in (2, 5, 7, 9)] == [
        ok(b + 1), ok(b + 2), ok(b + 4), ok(size_past(b) - 4)]


@pytest.mark.parametrize("whence", [0, 1, 2])
@boundaries
@pytest.mark.clause("large.seek")
def test_seek_each_whence_to_and_past_the_boundary(check, large, b, whence):
    """seek() with each whence reaches positions at and past 2**31 / 2**32, back to the head,
    and raises ValueError past the end, also 2**32 past it (where a 32-bit offset would wrap)."""
    size = size_past(b)
    to = {0: lambda p, now: p, 1: lambda p, now: p - now, 2: lambda p, now: p - size}[whence]
    obs = check(sparse(b), o.Seek(to(b, 0), whence), o.Seek(to(b + 1, b), whence),
                o.Seek(to(5, b + 1), whence), o.Seek(to(size, 5), whence),
                o.Seek(to(size + 1, size), whence), o.Seek(to(size + (1 << 32), size), whence),
                o.Seek(to(-1, size), whence))
    assert [x["pos"] for x in obs[1:5]] == [b, b + 1, 5, size]
    assert [raised(x) for x in obs[5:]] == ["ValueError"] * 3 and obs[-1]["pos"] == size


@boundaries
@pytest.mark.clause("large.read")
def test_read_and_read_byte_past_the_boundary(check, large, b, mmap_impl):
    """read() and read_byte() at positions past 2**31 / 2**32 return the bytes there; read()
    with no size, or one past 2**32, stops at the end."""
    rest = (-1,) if mmap_impl.profile == "2.7" else ()  # 2.7's read() needs a size
    obs = check(sparse(b), o.Seek(b - 2), o.Read(4), o.Seek(b), o.Call("read_byte"),
                o.Seek(-6, 2), o.Read(*rest), o.Seek(-4, 2), o.Read((1 << 32) + 2),
                o.Call("read_byte"))
    assert [obs[i]["out"] for i in (2, 4, 6, 8)] == [
        ok(b"ABCD"), ok(byte(mmap_impl, ord("C"))), ok(b"\0\0tail"), ok(b"tail")]
    assert raised(obs[-1]) == "ValueError"


@boundaries
@pytest.mark.clause("large.write")
def test_write_and_write_byte_past_the_boundary(check, large, b, mmap_impl):
    """write() and write_byte() at positions past 2**31 / 2**32 change the bytes there and the
    file; a write past the end raises ValueError."""
    obs = check(sparse(b), o.Seek(b - 1), o.Call("write", b"xy"),
                o.Call("write_byte", byte(mmap_impl, 122)), o.Seek(-2, 2), o.Call("write", b"ZZ"),
                o.Call("write_byte", byte(mmap_impl, 1)),
                o.Call("write", b"!"), o.GetItem(slice(b - 2, b + 3)), o.Call("flush"))
    assert [raised(x) for x in obs[6:8]] == ["ValueError", "ValueError"]
    assert obs[8]["out"] == ok(b"Axyz" + b"\0")


@boundaries
@pytest.mark.clause("large.getitem")
def test_items_and_slices_past_the_boundary(check, large, b, mmap_impl):
    """m[i] and slices with indices past 2**31 / 2**32, and negative ones reaching back across
    them, give the bytes there; an index past the end (by 2**32 too) raises IndexError."""
    size = size_past(b)
    back = b - size  # b as a negative index
    obs = check(sparse(b), o.GetItem(b), o.GetItem(back - 1), o.GetItem(-1),
                o.GetItem(slice(b - 2, b + 2)), o.GetItem(slice(back - 2, back + 2)),
                o.GetItem(slice(b + 1, b - 3, -1)), o.GetItem(slice(b - 2, b + 2, 2)),
                o.GetItem(slice(size - 4, size + (1 << 32))), o.GetItem(slice(-4, None)),
                o.GetItem(-size + 1), o.GetItem(slice(-size, -size + 4)),
                o.GetItem(size), o.GetItem(size + (1 << 32)), o.GetItem(-size - 1))
    assert [x["out"] for x in obs[1:12]] == [ok(byte(mmap_impl, c)) for c in b"CBl"] + [
        ok(b"ABCD"), ok(b"ABCD"), ok(b"DCBA"), ok(b"AC"), ok(b"tail"), ok(b"tail"),
        ok(byte(mmap_impl, ord("e"))), ok(b"head")]
    assert [raised(x) for x in obs[12:]] == ["IndexError"] * 3


@boundaries
@pytest.mark.clause("large.setitem")
def test_item_and_slice_assignment_past_the_boundary(check, large, b, mmap_impl):
    """m[i] = v and slice assignment with indices past 2**31 / 2**32, and negative ones (back to
    the head too), change the bytes there; an index past the end (by 2**32 too) raises
    IndexError."""
    size = size_past(b)
    back = b - size
    obs = check(sparse(b), o.SetItem(b, byte(mmap_impl, 122)),
                o.SetItem(back - 1, byte(mmap_impl, 121)),
                o.SetItem(slice(b - 4, b - 2), b"uv"), o.SetItem(slice(b + 4, b, -2), b"12"),
                o.SetItem(slice(back + 8, back + 10), b"pq"), o.GetItem(slice(b - 4, b + 10)),
                o.SetItem(size, byte(mmap_impl, 1)), o.SetItem(size + (1 << 32), byte(mmap_impl, 1)),
                o.Call("flush"), o.SetItem(-size + 1, byte(mmap_impl, 120)),
                o.SetItem(slice(-size + 2, -size + 4), b"ys"), o.GetItem(slice(0, 4)))
    assert obs[6]["out"] == ok(b"uvAyzD2\x001\0\0\0pq") and obs[-1]["out"] == ok(b"hxys")
    assert [raised(x) for x in obs[7:9]] == ["IndexError"] * 2


@boundaries
@pytest.mark.clause("large.find")
def test_find_and_rfind_return_positions_past_the_boundary(check, large, b):
    """find() and rfind() bounded near a needle past 2**31 / 2**32 return its position, from
    positive and negative bounds (reaching back to the head too); an end that cuts the needle
    finds nothing."""
    size = size_past(b)
    back = b - size
    obs = check(sparse(b), o.Find(b"ABCD", b - PAGE, b + PAGE),
                o.Call("rfind", b"ABCD", b - PAGE, b + PAGE), o.Find(b"ABCD", back - 10, back + 10),
                o.Call("rfind", b"tail", -PAGE), o.Find(b"tail", size - PAGE),
                o.Find(b"ABCD", b - PAGE, b + 1), o.Call("rfind", b"ABCD", b - 1, b + PAGE),
                o.Seek(b - 10), o.Find(b"ABCD", b - 10, b + 10),
                o.Find(b"head", -size, -size + PAGE), o.Call("rfind", b"head", -size, -size + 9))
    assert [x["out"] for x in obs[1:8]] == [
        ok(b - 2), ok(b - 2), ok(b - 2), ok(size - 4), ok(size - 4), ok(-1), ok(-1)]
    assert [x["out"] for x in obs[9:]] == [ok(b - 2), ok(0), ok(0)]


@boundaries
@pytest.mark.clause("large.move")
def test_move_across_the_boundary(check, large, b):
    """move(dest, src, count) with dest or src past 2**31 / 2**32 copies the bytes; a count
    reaching past the end (by 2**32 too) raises ValueError."""
    size = size_past(b)
    obs = check(sparse(b), o.Call("move", b + 10, b - 2, 4), o.Call("move", 4, b - 2, 4),
                o.Call("move", size - 12, 0, 8), o.GetItem(slice(b + 10, b + 14)),
                o.GetItem(slice(0, 8)), o.GetItem(slice(size - 12, size)),
                o.Call("move", size - 2, 0, 4), o.Call("move", 0, size - 2, 4),
                o.Call("move", 0, 0, (1 << 33) + 2))
    assert [x["out"] for x in obs[4:7]] == [
        ok(b"ABCD"), ok(b"headABCD"), ok(b"headABCDtail")]
    assert [raised(x) for x in obs[7:]] == ["ValueError"] * 3


@boundaries
@pytest.mark.clause("large.flush")
def test_flush_of_a_range_past_the_boundary(check, large, b, mmap_impl):
    """flush(offset, size) with an offset past 2**31 / 2**32 writes that range back; a range
    past the end (by 2**32 too) raises ValueError."""
    size = size_past(b)
    obs = check(sparse(b), o.SetItem(b, byte(mmap_impl, 122)), o.Call("flush", b, PAGE),
                o.Call("flush", b - PAGE, size - b + PAGE), o.Call("flush", b, size - b + 1),
                o.Call("flush", b + (1 << 32), PAGE))
    assert [x["out"] for x in obs[2:4]] == [ok(None if since(mmap_impl, "3.8") else 0)] * 2
    assert [raised(x) for x in obs[4:]] == ["ValueError"] * 2


@boundaries
@pytest.mark.clause("large.madvise")
def test_madvise_past_the_boundary(check, large, b):
    """madvise(option, start, length) with a start past 2**31 / 2**32 applies there (to the end
    without a length); a start past the end (by 2**32 too) raises ValueError."""
    size = size_past(b)
    normal = o.Const("MADV_NORMAL")
    obs = check(sparse(b), o.Call("madvise", normal, b, PAGE), o.Call("madvise", normal, b),
                o.Call("madvise", o.Const("MADV_DONTNEED"), b - PAGE, 2 * PAGE),
                o.GetItem(slice(b - 2, b + 2)), o.Call("madvise", normal, size + PAGE),
                o.Call("madvise", normal, b + (1 << 32) + PAGE, PAGE))
    assert [x["out"] for x in obs[1:5]] == [ok(None)] * 3 + [ok(b"ABCD")]
    assert [raised(x) for x in obs[5:]] == ["ValueError"] * 2


@boundaries
@pytest.mark.clause("large.resize")
def test_resize_of_a_large_map(check, large, b, mmap_impl):
    """resize() of a file map past 2**31 / 2**32 bytes grows and shrinks it and its (sparse)
    file; a small map grows past the boundary."""
    size = size_past(b)
    obs = check(sparse(b), o.Resize(size + 10), o.Call("size"), o.GetItem(slice(-14, None)),
                o.Resize(b + 2), o.Call("size"), o.GetItem(slice(-4, None)), o.Len())
    assert [x["out"] for x in obs[2:4]] == [ok(size + 10), ok(b"tail" + bytes(10))]
    assert [x["out"] for x in obs[5:]] == [ok(b + 2), ok(b"ABCD"), ok(b + 2)]
    grown = check(o.Open(b"small", 0), o.Resize(b + 5), o.Call("size"), o.Len(),
                  o.GetItem(slice(0, 5)), o.GetItem(b + 4), o.Resize(5), o.Len())
    assert [x["out"] for x in grown[2:]] == [
        ok(b + 5), ok(b + 5), ok(b"small"), ok(byte(mmap_impl, 0)), ok(None), ok(5)]


@boundaries
@pytest.mark.clause("large.ctor-offset")
def test_construction_at_an_offset_past_the_boundary(check, large, b):
    """A map at an offset past 2**31 / 2**32 (length 0: to the end of the file; or a length)
    sees the bytes there, and one at a page past the head spans the boundary; an offset or
    offset + length past the file's end (by 2**32 too) raises ValueError."""
    size = size_past(b)
    obs = check(sparse(b, 0, offset=b), o.Len(), o.GetItem(slice(0, 2)), o.Call("size"))
    assert [x["out"] for x in obs[1:]] == [ok(size - b), ok(b"CD"), ok(size)]
    obs = check(sparse(b, b, offset=PAGE), o.Len(), o.GetItem(slice(b - PAGE - 2, b - PAGE + 2)))
    assert [x["out"] for x in obs[1:]] == [ok(b), ok(b"ABCD")]
    obs = check(sparse(b, PAGE + 5, offset=b + 2 * PAGE), o.Len(), o.GetItem(slice(-4, None)))
    assert [x["out"] for x in obs[1:]] == [ok(PAGE + 5), ok(b"tail")]
    top = size - size % PAGE  # the file's last page
    for length, offset in ((0, top + PAGE), (PAGE, top), (b, b), ((1 << 33) + PAGE, PAGE)):
        obs = check(sparse(b, length, offset=offset))
        assert raised(obs[0]) == "ValueError", (length, offset)
