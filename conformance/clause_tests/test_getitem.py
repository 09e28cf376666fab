# SPDX-License-Identifier: MIT
"""Clause tests: len(), indexing and slicing."""

import pytest

from conformance.clausetools import DATA, ok, raised
from conformance.engine import ops as o


@pytest.mark.clause("doc.object.string-and-file")
def test_map_is_both_string_like_and_file_like(check):
    """Map objects behave both like byte strings (indexing, slicing) and like file objects (read, seek)."""
    obs = check(o.Open(DATA, 0), o.GetItem(slice(2, 5)), o.Seek(2), o.Read(3))
    assert obs[1]["out"] == obs[3]["out"] == ok(b"234")


@pytest.mark.clause("len")
def test_len_is_mapped_size_and_raises_when_closed(check):
    """len(m) is the mapped size; on a closed map it raises ValueError."""
    obs = check(o.Open(DATA, 4), o.FileWrite(10, b"xx"), o.Len(), o.Close(), o.Len())
    assert obs[2]["out"] == ok(4) and raised(obs[4]) == "ValueError"


@pytest.mark.clause("getitem.int")
def test_index_returns_int(check):
    """m[i] returns an int 0..255 (a 1-character str on Python 2)."""
    obs = check(o.Open(b"0\xff", 0), o.GetItem(0), o.GetItem(1))
    assert (obs[1]["out"], obs[2]["out"]) == (ok(48), ok(255))


@pytest.mark.parametrize("i, value", [(-1, 57), (-10, 48)])
@pytest.mark.clause("getitem.neg")
def test_negative_index_counts_from_end(check, i, value):
    """Negative indices count from the end."""
    obs = check(o.Open(DATA, 0), o.GetItem(i))
    assert obs[-1]["out"] == ok(value)


@pytest.mark.parametrize("i", [10, -11, 2**62])
@pytest.mark.clause("getitem.oob")
def test_out_of_range_index_raises_indexerror(check, i):
    """An index outside -len..len-1 raises IndexError "mmap index out of range"."""
    obs = check(o.Open(DATA, 0), o.GetItem(i))
    assert raised(obs[-1]) == "IndexError"


@pytest.mark.clause("getitem.huge")
def test_huge_index_raises_indexerror(check):
    """m[2**100] raises IndexError "cannot fit 'int' into an index-sized integer"."""
    obs = check(o.Open(DATA, 0), o.GetItem(2**100))
    assert raised(obs[-1]) == "IndexError"


@pytest.mark.parametrize("key", [o.Text("a"), o.Float(1.0), None, [1, 2]])
@pytest.mark.clause("getitem.badkey")
def test_non_integer_key_raises_typeerror(check, key):
    """A str, float, None or tuple key raises TypeError "mmap indices must be integers"."""
    obs = check(o.Open(DATA, 0), o.GetItem(key))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.parametrize("key, value", [(o.Index(3), 51), (True, 49)])
@pytest.mark.clause("getitem.index")
def test_index_objects_and_bool_are_indices(check, key, value):
    """__index__ objects and bool are accepted as indices."""
    obs = check(o.Open(DATA, 0), o.GetItem(key))
    assert obs[-1]["out"] == ok(value)


@pytest.mark.parametrize("s", [slice(2, 5), slice(5, 100), slice(100, 200), slice(-100, 3),
                               slice(5, 2), slice(None)])
@pytest.mark.clause("getitem.slice")
def test_slice_returns_clamped_bytes(check, s):
    """m[a:b] returns bytes with bounds clamped like bytes slicing."""
    obs = check(o.Open(DATA, 0), o.GetItem(s))
    assert obs[-1]["out"] == ok(DATA[s])


@pytest.mark.parametrize("s", [slice(None, None, 2), slice(None, None, -1), slice(8, 2, -2),
                               slice(-3, None, -3), slice(1, 100, 3)])
@pytest.mark.clause("getitem.slice-step")
def test_extended_slices_match_bytes(check, s):
    """Extended slices, including negative steps, equal bytes slicing."""
    obs = check(o.Open(DATA, 0), o.GetItem(s))
    assert obs[-1]["out"] == ok(DATA[s])


@pytest.mark.clause("getitem.slice-step0")
def test_zero_step_raises_valueerror(check):
    """A zero slice step raises ValueError "slice step cannot be zero"."""
    obs = check(o.Open(DATA, 0), o.GetItem(slice(None, None, 0)))
    assert raised(obs[-1]) == "ValueError"


@pytest.mark.clause("getitem.slice-badtype")
def test_non_integer_slice_bound_raises_typeerror(check):
    """Non-integer slice bounds raise TypeError."""
    obs = check(o.Open(DATA, 0), o.GetItem(slice(o.Text("a"), None)))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.clause("getitem.tail-page")
def test_bytes_past_len_are_unreachable(check):
    """Bytes past len(m) in the last page are not reachable by slicing."""
    obs = check(o.Open(b"abc", 0), o.GetItem(slice(3, 10)))
    assert obs[-1]["out"] == ok(b"")
