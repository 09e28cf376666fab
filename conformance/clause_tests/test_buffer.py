# SPDX-License-Identifier: MIT
"""Clause tests: the buffer protocol and its consumers."""

import pytest

from conformance.clausetools import DATA, ok, raised
from conformance.engine import ops as o


@pytest.mark.clause("doc.object.re")
def test_re_searches_a_map(check):
    """A map can be used where a byte string is expected, e.g. the re module can search it."""
    obs = check(o.Open(DATA, 0), o.Apply("re_search", b"3[0-9]"))
    assert obs[-1]["out"] == ok([3, 5])


@pytest.mark.parametrize("access, readonly", [(None, False), ("ACCESS_READ", True),
                                              ("ACCESS_COPY", False)])
@pytest.mark.clause("buffer.memoryview")
def test_memoryview_shape_and_writability(check, access, readonly):
    """memoryview(m) has format 'B', itemsize 1, ndim 1, shape (len,), and is read-only only for ACCESS_READ."""
    kw = {} if access is None else {"access": o.Const(access)}
    obs = check(o.Open(DATA, 0, **kw), o.Seek(4), o.Apply("view_info"))
    assert obs[-1]["out"] == ok(["B", 1, 1, [10], readonly])


@pytest.mark.clause("buffer.write-through")
def test_writes_through_a_view_reach_map_and_file(check):
    """Writes through a memoryview reach the map and a shared file."""
    obs = check(o.Open(DATA, 0), o.Export(), o.ViewSet(0, 0, 65), o.Release(0),
                o.Call("flush"))
    assert obs[2]["data"].startswith("41") and obs[-1]["file"].startswith("41")


@pytest.mark.clause("buffer.close-exported")
def test_close_with_exports_raises_buffererror(check):
    """close() while a buffer is exported raises BufferError and the map stays open."""
    obs = check(o.Open(DATA, 0), o.Export(), o.Close(), o.Closed(), o.Release(0), o.Close())
    assert raised(obs[2]) == "BufferError" and obs[3]["out"] == ok(False)
    assert obs[-1]["out"] == ok()


@pytest.mark.parametrize("access", [None, "ACCESS_READ"])
@pytest.mark.clause("buffer.resize-exported")
def test_resize_with_exports_raises_buffererror_first(check, access):
    """resize() while a buffer is exported raises BufferError before any other check."""
    kw = {} if access is None else {"access": o.Const(access)}
    obs = check(o.Open(DATA, 0, **kw), o.Export(), o.Resize(5))
    assert raised(obs[-1]) == "BufferError"


@pytest.mark.parametrize("op", [o.Export(), o.Bytes(), o.Apply("bytearray")])
@pytest.mark.clause("buffer.closed")
def test_buffer_of_closed_map_raises_valueerror(check, op):
    """memoryview(), bytes() or bytearray() of a closed map raise ValueError."""
    obs = check(o.Open(DATA, 0), o.Close(), op)
    assert raised(obs[-1]) == "ValueError"


@pytest.mark.parametrize("op, value", [
    (o.Bytes(), DATA), (o.Apply("bytearray"), DATA),
    (o.Apply("md5"), "781e5e245d69b566979b86e28d23f2c7"),
    (o.Apply("unpack_from", "<H", 2), [0x3332]), (o.Apply("re_search", b"56"), [5, 7])])
@pytest.mark.clause("buffer.consumers")
def test_buffer_consumers_accept_a_map(check, op, value):
    """bytes(), bytearray(), hashlib, struct.unpack_from and re.search accept a map."""
    obs = check(o.Open(DATA, 0), op)
    assert obs[-1]["out"] == ok(value)


@pytest.mark.clause("buffer.re-closed")
def test_re_search_on_closed_map_raises_typeerror(check):
    """re.search on a closed map raises TypeError."""
    obs = check(o.Open(DATA, 0), o.Close(), o.Apply("re_search", b"1"))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.clause("buffer.outlives")
def test_view_keeps_mapping_alive_after_drop(check):
    """A memoryview keeps the mapping alive after the map object is dropped."""
    obs = check(o.Open(DATA, 0), o.Export(), o.Apply("drop"), o.ViewSet(0, 0, 65))
    assert obs[-1]["out"] == ok()


@pytest.mark.clause("buffer.writable-request-ro")
def test_writable_request_on_read_only_map_does_not_leak(check):
    """A writable buffer request on an ACCESS_READ map fails with TypeError without leaking an export."""
    obs = check(o.Open(DATA, 0, access=o.Const("ACCESS_READ")), o.Apply("from_buffer"), o.Close())
    assert raised(obs[1]) == "TypeError" and obs[-1]["out"] == ok()
