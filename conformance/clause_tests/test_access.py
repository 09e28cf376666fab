# SPDX-License-Identifier: MIT
"""Clause tests: the access modes and what they do to the file."""

import pytest

from conformance.clausetools import DATA, holds, ok, raised
from conformance.engine import ops as o


def acc(name):
    return {"access": o.Const(name)}


@pytest.mark.clause("doc.access.keyword")
def test_access_is_a_keyword_parameter(check):
    """access may be given as an optional keyword parameter on both Unix and Windows."""
    obs = check(o.Open(DATA, 0, **acc("ACCESS_WRITE")), o.SetItem(0, 65))
    assert obs[0]["out"] == ok() and obs[-1]["out"] == ok()


@pytest.mark.parametrize("access, writable", [("ACCESS_READ", False), ("ACCESS_WRITE", True),
                                              ("ACCESS_COPY", True)])
@pytest.mark.clause("doc.access.values")
def test_access_values_name_read_write_and_copy(check, access, writable):
    """access is ACCESS_READ (read-only), ACCESS_WRITE (write-through) or ACCESS_COPY (copy-on-write)."""
    obs = check(o.Open(DATA, 0, **acc(access)), o.SetItem(0, 65), o.Call("flush"))
    assert (raised(obs[1]) is None) == writable
    assert obs[-1]["file"] == (b"A123456789" if access == "ACCESS_WRITE" else DATA).hex()


@pytest.mark.parametrize("access", ["ACCESS_READ", "ACCESS_WRITE", "ACCESS_COPY"])
@pytest.mark.clause("doc.access.initial-values")
def test_initial_contents_come_from_the_file(check, access):
    """For all three access types the map's initial contents are taken from the file."""
    obs = check(o.Open(DATA, 0, **acc(access)))
    assert obs[0]["data"] == DATA.hex()


@pytest.mark.clause("doc.access.read-assign-typeerror")
def test_assignment_to_read_map_raises_typeerror(check):
    """Assigning to an ACCESS_READ map raises TypeError."""
    obs = check(o.Open(DATA, 0, **acc("ACCESS_READ")), o.SetItem(0, 65))
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.clause("doc.access.write-affects-file")
def test_assignment_to_write_map_changes_the_file(check):
    """Assigning to an ACCESS_WRITE map changes both the memory and the underlying file."""
    obs = check(o.Open(DATA, 0, **acc("ACCESS_WRITE")), o.SetItem(0, 65), o.Close())
    assert obs[1]["data"].startswith("41") and obs[-1]["file"] == b"A123456789".hex()


@pytest.mark.clause("doc.access.copy-memory-only")
def test_assignment_to_copy_map_leaves_the_file(check):
    """Assigning to an ACCESS_COPY map changes the memory but not the underlying file."""
    obs = check(o.Open(DATA, 0, **acc("ACCESS_COPY")), o.SetItem(0, 65), o.Call("flush"))
    assert obs[1]["data"].startswith("41") and obs[-1]["file"] == DATA.hex()


@pytest.mark.clause("access.WRITE")
def test_write_access_is_write_through_before_flush(check):
    """ACCESS_WRITE is write-through: the file changes immediately, before flush()."""
    obs = check(o.Open(DATA, 0, **acc("ACCESS_WRITE")), o.SetItem(0, 65), o.Open2(0), o.Get2())
    assert obs[-1]["out"] == ok(b"A123456789")


@pytest.mark.clause("access.DEFAULT")
def test_default_access_is_write_through_and_named_default(check, mmap_impl):
    """The default access (MAP_SHARED, READ|WRITE) is write-through and reported as ACCESS_DEFAULT."""
    obs = check(o.Open(DATA, 0), o.SetItem(0, 65), o.FileTruncate(10))
    assert obs[2]["file"] == b"A123456789".hex()
    if holds(mmap_impl, "repr.open"):  # before 3.9, repr() shows no access (and an address)
        obs = check(o.Open(DATA, 0), o.Repr())
        assert "access=ACCESS_DEFAULT" in obs[-1]["out"][1]["text"]


@pytest.mark.clause("access.COPY")
def test_copy_access_changes_stay_private_but_see_external_writes(check):
    """ACCESS_COPY is copy-on-write: changes never reach the file or other maps."""
    obs = check(o.Open(DATA, 0, **acc("ACCESS_COPY")), o.SetItem(0, 65), o.Open2(0), o.Get2(),
                o.Call("flush"), o.Resize(5))
    assert obs[3]["out"] == ok(DATA) and obs[4]["file"] == DATA.hex()
    assert raised(obs[-1]) == "TypeError"


@pytest.mark.parametrize("op", [o.SetItem(0, 65), o.SetItem(slice(0, 1), b"A"), o.Call("write", b"A"),
                                o.Call("write_byte", 65), o.Call("move", 0, 1, 1), o.Resize(5)])
@pytest.mark.clause("access.READ")
def test_read_access_mutators_raise_typeerror(check, op):
    """On ACCESS_READ maps every mutator raises TypeError and the file is untouched."""
    obs = check(o.Open(DATA, 0, **acc("ACCESS_READ")), op, o.Call("flush"))
    assert raised(obs[1]) == "TypeError" and obs[-1]["file"] == DATA.hex()


@pytest.mark.clause("access.shared-coherent")
def test_shared_maps_see_each_other_and_the_file(check):
    """Two shared maps of one file see each other's writes, and writes to the file show in the map."""
    obs = check(o.Open(DATA, 0), o.Open2(0), o.Set2(0, b"AB"), o.GetItem(slice(0, 2)),
                o.FileWrite(5, b"Z"), o.GetItem(5))
    assert obs[3]["out"] == ok(b"AB") and obs[5]["out"] == ok(ord("Z"))
