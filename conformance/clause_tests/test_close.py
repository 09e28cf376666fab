# SPDX-License-Identifier: MIT
"""Clause tests: madvise(), close(), the closed state and the context manager."""

import errno
import sys

import pytest

from conformance.clausetools import DATA, checks_item_first, errno_of, holds, na, ok, raised, since
from conformance.engine import ops as o

PAGE = 4096


@pytest.mark.parametrize("access, args", [(None, (0, 0, 100)), ("ACCESS_READ", (0, 0, PAGE))])
@pytest.mark.clause("madvise.ok")
def test_madvise_returns_none_and_clamps(check, mmap_impl, access, args):
    """madvise() returns None, clamps a length past the end, and works on ACCESS_READ maps."""
    kw = {} if access is None else {"access": o.Const(access)}
    obs = check(o.Open(DATA, 0, **kw), o.Call("madvise", o.Const("MADV_NORMAL"), *args[1:]))
    assert obs[-1]["out"] == ok()


@pytest.mark.parametrize("start", [-1, 10])
@pytest.mark.clause("madvise.start")
def test_madvise_start_out_of_bounds(check, mmap_impl, start):
    """madvise() with start < 0 or start >= len raises ValueError "madvise start out of bounds"."""
    obs = check(o.Open(DATA, 0), o.Call("madvise", o.Const("MADV_NORMAL"), start, 1))
    assert raised(obs[-1]) == "ValueError"


@pytest.mark.clause("madvise.length")
def test_madvise_negative_length(check, mmap_impl):
    """madvise() with a negative length raises ValueError "madvise length invalid"."""
    obs = check(o.Open(DATA, 0), o.Call("madvise", o.Const("MADV_NORMAL"), 0, -1))
    assert raised(obs[-1]) == "ValueError"


@pytest.mark.clause("madvise.overflow")
def test_madvise_length_overflow(check, mmap_impl):
    """madvise() with start + length beyond PY_SSIZE_T_MAX raises OverflowError "madvise length too large"."""
    obs = check(o.Open(DATA, 0), o.Call("madvise", o.Const("MADV_NORMAL"), 1, sys.maxsize))
    assert raised(obs[-1]) == "OverflowError"


@pytest.mark.parametrize("option, start", [("MADV_NORMAL", 1), (None, 0)])
@pytest.mark.clause("madvise.os-errors")
def test_madvise_unaligned_or_unknown_raises_einval(check, mmap_impl, option, start):
    """madvise() with an unaligned start or an unknown option raises OSError EINVAL."""
    opt = o.Const(option) if option else 12345
    obs = check(o.Open(DATA, 0), o.Call("madvise", opt, start, 1))
    assert raised(obs[-1]) == "OSError" and errno_of(obs[-1]) == errno.EINVAL


@pytest.mark.clause("madvise.length-None")
def test_madvise_length_none_raises_typeerror(check, mmap_impl):
    """madvise(option, start, None) raises TypeError (up to 3.13)."""
    obs = check(o.Open(DATA, 0), o.Call("madvise", o.Const("MADV_NORMAL"), 0, None))
    assert raised(obs[-1]) == (None if since(mmap_impl, "3.14") else "TypeError")


@pytest.mark.clause("doc.close.closes")
def test_close_closes_the_map(check):
    """close() closes the map."""
    obs = check(o.Open(DATA, 0), o.Close())
    assert obs[-1]["state"] == "closed"


@pytest.mark.clause("doc.close.later-calls-raise")
def test_methods_raise_after_close(check):
    """After close() other methods raise an exception."""
    obs = check(o.Open(DATA, 0), o.Close(), o.Read(1))
    assert raised(obs[-1]) == "ValueError"


@pytest.mark.clause("close.idempotent")
def test_second_close_does_nothing(check):
    """close() returns None, a second close() does nothing, closed is then True."""
    obs = check(o.Open(DATA, 0), o.Close(), o.Close(), o.Closed())
    assert obs[1]["out"] == obs[2]["out"] == ok() and obs[3]["out"] == ok(True)


@pytest.mark.clause("close.fd")
def test_close_leaves_the_callers_descriptor(check):
    """close() closes only the map's own descriptor; the caller's stays usable."""
    obs = check(o.Open(DATA, 0), o.Close(), o.FileWrite(0, b"AB"))
    assert obs[-1]["out"] == ok(2) and obs[-1]["file"].startswith(b"AB".hex())


@pytest.mark.clause("closed.attr")
def test_closed_is_a_bool(check):
    """closed is a bool attribute."""
    obs = check(o.Open(DATA, 0), o.Closed(), o.Close(), o.Closed())
    assert (obs[1]["out"], obs[3]["out"]) == (ok(False), ok(True))


AFTER_CLOSE = [
    o.Read(1), o.Read(), o.Call("read_byte"), o.Call("readline"), o.Call("write", b"a"),
    o.Call("write", o.Text("a")), o.Call("write_byte", 1), o.Seek(0), o.Seek(0, 9), o.Call("tell"),
    o.Call("size"), o.Resize(5), o.Call("flush"), o.Call("flush", -1, -1), o.Call("move", 0, 1, 1),
    o.Find(b"1"), o.Call("rfind", b"1"), o.Find(o.Text("1")), o.Find(b"1", 0, 2**63),
    o.Call("rfind", b"1", 2**63), o.Find(b"1", o.Text("a")), o.Len(), o.Bool(), o.GetItem(0),
    o.GetItem(slice(0, 2)), o.GetItem(o.Text("k")), o.SetItem(0, 1), o.SetItem(slice(0, 1), b"a"),
    o.DelItem(0), o.Export(), o.Bytes(), o.List(), o.Contains(b"1"), o.Apply("next_iter"),
    o.Enter()]
# The operations whose argument of the wrong type is refused before the closed check from 3.14.
CONVERTED_FIRST = [o.Call("write", o.Text("a")), o.Find(o.Text("1"))]


@pytest.mark.parametrize("op", AFTER_CLOSE, ids=[op.py() for op in AFTER_CLOSE])
@pytest.mark.clause("after-close.raise")
def test_operations_after_close_raise_valueerror(check, mmap_impl, op):
    """After close() every operation on the map's contents raises ValueError "mmap closed or invalid"."""
    obs = check(o.Open(DATA, 0), o.Close(), op)
    # Deletion is refused first where item assignment checks the key first; from 3.14 an
    # argument of the wrong type is refused first (after-close.main-order).
    converted_first = op in CONVERTED_FIRST and holds(mmap_impl, "after-close.main-order")
    item_first = op.name == "delitem" and checks_item_first(mmap_impl)
    assert raised(obs[-1]) == ("TypeError" if converted_first or item_first else "ValueError")


@pytest.mark.parametrize("op", CONVERTED_FIRST)
@pytest.mark.clause("after-close.main-order")
def test_arguments_converted_before_closed_check_from_3_14(check, op):
    """From 3.14 (Argument Clinic) arguments are converted before the closed check."""
    obs = check(o.Open(DATA, 0), o.Close(), op)
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.parametrize("op", [o.Close(), o.Closed(), o.Repr(), o.Apply("hash"),
                                o.Apply("binop", "==", o.SELF), o.Apply("weakref"),
                                o.Apply("sizeof"), o.Apply("iter_type"), o.Exit()],
                         ids=["close", "closed", "repr", "hash", "eq", "weakref", "sizeof",
                              "iter", "exit"])
@pytest.mark.clause("after-close.ok")
def test_identity_operations_work_after_close(check, mmap_impl, op):
    """close(), closed, repr(), hash(), ==, weakref, __sizeof__ and iter() still work after close()."""
    if op.name == "repr" and not holds(mmap_impl, "repr.closed"):
        na("before 3.9 repr() is object.__repr__, whose address differs between any two maps")
    obs = check(o.Open(DATA, 0), o.Close(), op)
    exit_needs_3 = op.name == "exit" and since(mmap_impl, "3.14")  # ctx.exit-args: 3 arguments
    assert raised(obs[-1]) == ("TypeError" if exit_needs_3 else None)


@pytest.mark.parametrize("exit_args", [(), (None, None, None)])
@pytest.mark.clause("ctx")
def test_map_is_a_context_manager(check, mmap_impl, exit_args):
    """A map is a context manager: __enter__ returns it, __exit__ closes it and returns None, also without arguments."""
    obs = check(o.Open(DATA, 0), o.Enter(), o.Exit(*exit_args), o.Closed())
    assert obs[1]["out"] == ok(True)
    if not exit_args and since(mmap_impl, "3.14"):  # ctx.exit-args: 3.14 wants the 3 arguments
        assert raised(obs[2]) == "TypeError" and obs[3]["out"] == ok(False)
    else:
        assert obs[2]["out"] == ok() and obs[3]["out"] == ok(True)


@pytest.mark.clause("del.unmaps")
def test_dropping_the_map_keeps_shared_writes(check):
    """Dropping the last reference unmaps; shared writes are already in the file."""
    obs = check(o.Open(DATA, 0), o.SetItem(0, 65), o.Apply("drop"))
    assert obs[-1]["out"] == ok(b"A123456789") and obs[-1]["state"] == "none"


@pytest.mark.parametrize("access", [None, "ACCESS_READ", "ACCESS_COPY"])
@pytest.mark.clause("del.unmaps")
def test_dropping_the_map_unmaps_its_file(check, access):
    """Dropping the last reference unmaps: the file is no longer mapped (/proc/self/maps)."""
    kw = {} if access is None else {"access": o.Const(access)}
    obs = check(o.Open(DATA, 0, **kw), o.Apply("drop_mapped"))
    assert obs[-1]["out"] == ok([True, 0])
