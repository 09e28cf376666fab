# SPDX-License-Identifier: MIT
"""Clause tests: find() and rfind()."""

import pytest

from conformance.clausetools import ok, raised, since
from conformance.engine import ops as o

TEXT = b"one two one two one"


@pytest.mark.clause("doc.find.lowest")
def test_find_returns_lowest_index(check):
    """find() returns the lowest index where the substring is found."""
    obs = check(o.Open(TEXT, 0), o.Find(b"two"))
    assert obs[-1]["out"] == ok(4)


@pytest.mark.clause("doc.find.not-found")
def test_find_returns_minus_one_when_absent(check):
    """find() returns -1 when the substring is absent."""
    obs = check(o.Open(TEXT, 0), o.Find(b"six"))
    assert obs[-1]["out"] == ok(-1)


@pytest.mark.parametrize("args, index", [((b"one", 1), 8), ((b"one",), 0)])
@pytest.mark.clause("doc.find.start")
def test_find_starts_at_start(check, args, index):
    """start is the index at which the search begins; without it a fresh map is searched from zero."""
    obs = check(o.Open(TEXT, 0), o.Find(*args))
    assert obs[-1]["out"] == ok(index)


@pytest.mark.parametrize("args, index", [((b"one",), 0), ((b"two", 0, 7), 4), ((b"six",), -1)])
@pytest.mark.clause("find.basic")
def test_find_lowest_index_in_range(check, args, index):
    """find() returns the lowest index of sub in [start, end) or -1 and leaves the position."""
    obs = check(o.Open(TEXT, 0), o.Find(*args))
    assert obs[-1]["out"] == ok(index) and obs[-1]["pos"] == 0


@pytest.mark.parametrize("method, result", [("find", -1), ("rfind", -1)])
@pytest.mark.clause("find.default-start")
def test_search_starts_at_the_position(check, method, result):
    """find() and rfind() start by default at the current position, not 0; end defaults to len."""
    obs = check(o.Open(TEXT, 0), o.Seek(17), o.Call(method, b"two"))
    assert obs[-1]["out"] == ok(result)


@pytest.mark.parametrize("method", ["find", "rfind"])
@pytest.mark.parametrize("start, end", [(-5, None), (-100, 7), (3, -2), (8, 4), (0, 100),
                                        (15, 100)])
@pytest.mark.clause("find.slice-args")
def test_bounds_work_like_slice_indices(check, method, start, end):
    """start and end work like slice bounds: negative ones count from the end, clamped; end < start gives -1."""
    args = (b"one", start) if end is None else (b"one", start, end)
    obs = check(o.Open(TEXT, 0), o.Call(method, *args))
    assert obs[-1]["out"] == ok(getattr(TEXT, method)(*args))


@pytest.mark.parametrize("method", ["find", "rfind"])
@pytest.mark.parametrize("start, end", [(1, 0), (8, 4), (-2, -5)])
@pytest.mark.clause("find.slice-args")
def test_empty_needle_in_a_reversed_range_is_not_found(check, method, start, end):
    """An empty needle in a range whose end is before its start is not found (-1)."""
    obs = check(o.Open(TEXT, 0), o.Call(method, b"", start, end))
    assert obs[-1]["out"] == ok(-1)


@pytest.mark.parametrize("method, args, result", [
    ("find", (), 5), ("find", (-3,), 16), ("rfind", (), 19), ("rfind", (0, 12), 12)])
@pytest.mark.clause("find.empty")
def test_empty_needle_gives_clamped_bound(check, method, args, result):
    """find(b"") returns the clamped start and rfind(b"") the clamped end."""
    obs = check(o.Open(TEXT, 0), o.Seek(5), o.Call(method, b"", *args))
    assert obs[-1]["out"] == ok(result)


@pytest.mark.parametrize("method", ["find", "rfind"])
@pytest.mark.clause("find.empty-past-end")
def test_empty_needle_past_end_returns_len(check, mmap_impl, method):
    """find(b"", start) and rfind(b"", start) with start > len return len up to 3.14, -1 from 3.15."""
    obs = check(o.Open(TEXT, 0), o.Call(method, b"", 30), o.Call(method, b"", len(TEXT) + 1),
                o.Call(method, b"", len(TEXT)))
    past = -1 if since(mmap_impl, "3.15") else len(TEXT)
    assert [step["out"] for step in obs[1:]] == [ok(past), ok(past), ok(len(TEXT))]


@pytest.mark.parametrize("needle", [o.ByteArray(b"two"), o.MemView(b"two"), o.SELF])
@pytest.mark.clause("find.bytes-like")
def test_needle_may_be_any_bytes_like(check, needle):
    """The needle may be bytes, bytearray, memoryview or the map itself."""
    obs = check(o.Open(TEXT, 0), o.Find(needle, 0))
    assert obs[-1]["out"] == ok(0 if needle is o.SELF else 4)


@pytest.mark.parametrize("needle", [o.Text("one"), 111])
@pytest.mark.clause("find.type")
def test_non_bytes_needle_raises_typeerror(check, needle):
    """A str or int needle raises TypeError."""
    obs = check(o.Open(TEXT, 0), o.Find(needle))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.parametrize("args", [(None,), (0, None), (o.Float(1.0),)])
@pytest.mark.clause("find.start-type")
def test_bounds_must_be_integers(check, mmap_impl, args):
    """start and end must be ints or __index__ objects; None raises TypeError (up to 3.13)."""
    obs = check(o.Open(TEXT, 0), o.Find(b"one", *args), o.Find(b"two", o.Index(5)))
    none_accepted = args[-1] is None and since(mmap_impl, "3.14")  # find.none-start-end
    assert raised(obs[1]) == (None if none_accepted else "TypeError")
    assert obs[2]["out"] == ok(12)


@pytest.mark.clause("find.start-huge")
def test_huge_start_raises_overflowerror(check):
    """find(sub, 2**100) raises OverflowError."""
    obs = check(o.Open(TEXT, 0), o.Find(b"o", 2**100))
    assert raised(obs[-1]) == "OverflowError"


@pytest.mark.clause("find.kw")
def test_find_takes_no_keywords(check):
    """find() takes no keyword arguments."""
    obs = check(o.Open(TEXT, 0), o.Call("find", b"o", start=1))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.parametrize("needle, index", [(b"\0b", 2), (b"\0\0", 5), (b"b\0\0c", 4)])
@pytest.mark.clause("find.nul")
def test_nul_bytes_are_searched(check, needle, index):
    """Needles and haystacks with NUL bytes are searched correctly."""
    obs = check(o.Open(b"a\0\0bb\0\0c", 0), o.Find(needle))
    assert obs[-1]["out"] == ok(b"a\0\0bb\0\0c".find(needle))


@pytest.mark.parametrize("args, index", [((b"one",), 16), ((b"one", 0, 15), 8), ((b"six",), -1)])
@pytest.mark.clause("rfind.basic")
def test_rfind_highest_index_in_range(check, args, index):
    """rfind() returns the highest index of sub in [start, end) or -1."""
    obs = check(o.Open(TEXT, 0), o.Call("rfind", *args))
    assert obs[-1]["out"] == ok(index)


@pytest.mark.parametrize("method", ["find", "rfind"])
@pytest.mark.clause("find.needle-too-long")
def test_needle_longer_than_range_is_not_found(check, method):
    """A needle longer than the searched range gives -1."""
    obs = check(o.Open(b"abc", 0), o.Call(method, b"abcd"), o.Call(method, b"bc", 1, 2))
    assert obs[1]["out"] == obs[2]["out"] == ok(-1)
