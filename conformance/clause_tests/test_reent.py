# SPDX-License-Identifier: MIT
"""Clause tests: the map changed (closed, resized) while an argument is converted."""

import pytest

from conformance.clausetools import DATA, checks_item_first, holds, na, ok, raised, since
from conformance.engine import ops as o

X = o.Closer(10)
REENT_CLOSE = [
    o.GetItem(X), o.GetItem(slice(X, 20)), o.GetItem(slice(X, 20, 2)), o.GetItem(slice(20, X, -2)),
    o.Read(X), o.Find(b"1", 1, X), o.Call("rfind", b"1", X), o.SetItem(X, 1), o.SetItem(1, X),
    o.SetItem(slice(X, 20), b"1" * 10), o.SetItem(slice(X, 20, 2), b"1" * 5),
    o.Call("move", 1, 2, X), o.Call("write_byte", X)]


@pytest.mark.parametrize("op", REENT_CLOSE, ids=[op.py() for op in REENT_CLOSE])
@pytest.mark.clause("reent.close")
def test_closing_index_makes_the_operation_raise(check, op):
    """An __index__ argument that closes the map makes the operation raise ValueError "mmap closed or invalid"
    (3.11.4+: a use-after-free before, gh-103987, where CPython crashes or reads freed memory)."""
    obs = check(o.Open(DATA * 3, 0), op)
    assert raised(obs[-1]) == "ValueError"


@pytest.mark.parametrize("op", [o.Seek(X), o.Call("flush", 0, X)], ids=["seek", "flush"])
@pytest.mark.clause("reent.close.seek-flush")
def test_closing_index_in_seek_and_flush(check, mmap_impl, op):
    """Up to 3.13 seek() with a closing __index__ succeeds and flush() raises OSError ENOMEM;
    seek() raises ValueError from 3.14, flush() from 3.15."""
    obs = check(o.Open(DATA * 3, 0), op)
    if since(mmap_impl, "3.15" if op.args[0] == "flush" else "3.14"):
        assert raised(obs[-1]) == "ValueError"
    else:
        assert raised(obs[-1]) == (None if op.args[0] == "seek" else "OSError")


Y = o.Resizer(50, 60)


@pytest.mark.parametrize("op, error, value", [
    (o.GetItem(Y), "IndexError", None), (o.GetItem(slice(Y, 70)), None, b""),
    (o.Find(b"\0", Y), None, -1), (o.SetItem(Y, 1), "IndexError", None),
    (o.Call("move", 0, Y, 1), "ValueError", None)], ids=["get", "slice", "find", "set", "move"])
@pytest.mark.clause("reent.resize")
def test_shrinking_index_bounds_use_new_size(check, op, error, value):
    """An __index__ argument that shrinks the map makes bounds checks use the new size (seen on
    3.6 to 3.15)."""
    obs = check(o.Open(b"\0" * 100, 0), op)
    assert raised(obs[-1]) == error and (error or obs[-1]["out"] == ok(value))



PAGE = 4096


def shrink(n):
    """A value whose __index__ (or __buffer__) first shrinks a 4-page map to one page."""
    return o.Resizer(PAGE, n)


@pytest.mark.parametrize("index", [-1, PAGE - 1, 3 * PAGE], ids=["last", "new-last", "old-tail"])
@pytest.mark.clause("reent.resize.value")
def test_shrinking_value_in_item_assignment(check, mmap_impl, index):
    """m[i] = v where v.__index__ shrinks the map: 3.13.18, 3.14.10 and 3.15 check the index
    after converting the value (m[-1] is then the new last byte); earlier releases checked it
    before and write past the new end (gh-157335), where the reference raises IndexError as a
    re-check would. 2.7 takes only a 1-character str, so nothing converts."""
    obs = check(o.Open(b"abcd" * PAGE, 0), o.SetItem(index, shrink(65)), o.GetItem(slice(-2, None)))
    late = index == 3 * PAGE or (index == -1 and not checks_item_first(mmap_impl))
    if late or not since(mmap_impl, "3.6"):
        assert raised(obs[1]) == "IndexError"
    else:
        assert raised(obs[1]) is None and obs[2]["out"] == ok(b"cA")


@pytest.mark.parametrize("key", [slice(-1, None), slice(PAGE - 1, PAGE), slice(3 * PAGE, 3 * PAGE + 1)],
                         ids=["last", "new-last", "old-tail"])
@pytest.mark.clause("reent.resize.value")
def test_shrinking_buffer_in_slice_assignment(check, mmap_impl, key):
    """m[i:j] = data whose __buffer__ (PEP 688, 3.12+) shrinks the map: 3.13.18, 3.14.10 and 3.15
    adjust the slice to the new size after taking the buffer; 3.12 and the releases before
    those adjusted it first (gh-157335; the reference raises IndexError where they write past
    the end)."""
    if not holds(mmap_impl, "dunder-buffer"):
        na("a Python class's __buffer__ is a buffer from 3.12 (PEP 688)")
    obs = check(o.Open(b"abcd" * PAGE, 0), o.SetItem(key, o.ReBuffer(b"A", shrink(0))),
                o.GetItem(slice(-2, None)))
    late = key.start == 3 * PAGE or (key.start == -1 and not checks_item_first(mmap_impl))
    if late:
        assert raised(obs[1]) == "IndexError"
    else:
        assert raised(obs[1]) is None and obs[2]["out"] == ok(b"cA")
