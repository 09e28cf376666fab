# SPDX-License-Identifier: MIT
"""Clause tests: the mmap module's constants, type and method set."""

import pytest

from conformance.clausetools import holds, na, ok, raised, since
from conformance.engine import ops as o


@pytest.mark.clause("mod.error-alias")
def test_error_is_oserror(check):
    """mmap.error is OSError."""
    obs = check(o.Open(None, 1), o.ModuleAttr("error"))
    assert obs[-1]["out"] == ["ok", {"class": "OSError"}]


@pytest.mark.parametrize("name, value", [
    ("ACCESS_DEFAULT", 0), ("ACCESS_READ", 1), ("ACCESS_WRITE", 2), ("ACCESS_COPY", 3)])
@pytest.mark.clause("mod.access-consts")
def test_access_constants_have_fixed_values(check, mmap_impl, name, value):
    """ACCESS_READ, ACCESS_WRITE and ACCESS_COPY are 1, 2 and 3; ACCESS_DEFAULT is 0 from 3.7 on."""
    if name == "ACCESS_DEFAULT" and not holds(mmap_impl, "access.DEFAULT"):
        na("ACCESS_DEFAULT was added in 3.7")
    obs = check(o.Open(None, 1), o.ModuleAttr(name))
    assert obs[-1]["out"] == ok(value)


@pytest.mark.clause("mod.pagesize")
def test_pagesize_equals_allocation_granularity(check):
    """PAGESIZE and ALLOCATIONGRANULARITY are ints, equal on Unix."""
    obs = check(o.Open(None, 1), o.ModuleAttr("PAGESIZE"), o.ModuleAttr("ALLOCATIONGRANULARITY"))
    assert obs[1]["out"] == obs[2]["out"] and isinstance(obs[1]["out"][1], int)


MAP_CONSTS = [("MAP_SHARED", "2.7"), ("MAP_PRIVATE", "2.7"), ("MAP_ANON", "2.7"),
              ("MAP_ANONYMOUS", "2.7"), ("MAP_DENYWRITE", "2.7"), ("MAP_EXECUTABLE", "2.7"),
              ("PROT_READ", "2.7"), ("PROT_WRITE", "2.7"), ("PROT_EXEC", "2.7"),
              ("MAP_POPULATE", "3.10"), ("MAP_STACK", "3.11"), ("MAP_NORESERVE", "3.13"),
              ("MAP_32BIT", "3.13")]


@pytest.mark.parametrize("name, first", MAP_CONSTS)
@pytest.mark.clause("mod.map-consts")
def test_linux_map_and_prot_constants_exist(check, mmap_impl, name, first):
    """Linux exposes MAP_SHARED ... PROT_EXEC; MAP_POPULATE from 3.10, MAP_STACK 3.11, MAP_NORESERVE/MAP_32BIT 3.13."""
    obs = check(o.Open(None, 1), o.ModuleAttr(name))
    if not since(mmap_impl, first):
        assert raised(obs[-1]) == "AttributeError"
    else:
        assert isinstance(obs[-1]["out"][1], int)


@pytest.mark.parametrize("name", ["MADV_NORMAL", "MADV_RANDOM", "MADV_SEQUENTIAL",
                                  "MADV_WILLNEED", "MADV_DONTNEED"])
@pytest.mark.clause("mod.madv-consts")
def test_madvise_constants_exist_from_3_8(check, name):
    """MADV_* constants exist where the OS has them, from 3.8 (absent before: mod.map-consts)."""
    obs = check(o.Open(None, 1), o.ModuleAttr(name))
    assert isinstance(obs[-1]["out"][1], int)


@pytest.mark.clause("mod.type")
def test_map_has_no_instance_dict(check):
    """mmap.mmap is subclassable, has no __dict__ (a new attribute raises AttributeError), is weak-referenceable."""
    obs = check(o.Open(None, 4), o.Apply("setattr", "foo", 1), o.Apply("weakref"),
                o.Apply("subclass", 4))
    assert raised(obs[1]) == "AttributeError"
    assert obs[2]["out"] == ok(True)
    assert obs[3]["out"][0] == "ok"


# Method -> the catalogue clause whose versions say when it came (None: no map ever has it).
@pytest.mark.parametrize("name, clause", [
    ("close", "mod.methods"), ("find", "mod.methods"), ("flush", "mod.methods"),
    ("madvise", "madvise.ok"), ("move", "mod.methods"), ("read", "mod.methods"),
    ("read_byte", "mod.methods"), ("readline", "mod.methods"), ("resize", "mod.methods"),
    ("rfind", "mod.methods"), ("seek", "mod.methods"), ("seekable", "seekable"),
    ("size", "mod.methods"), ("tell", "mod.methods"), ("write", "mod.methods"),
    ("write_byte", "mod.methods"), ("closed", "closed.attr"), ("__enter__", "ctx"),
    ("__exit__", "ctx"), ("readinto", None), ("readlines", None), ("fileno", None),
    ("truncate", None), ("readable", None), ("writable", None), ("count", None),
    ("index", None)])
@pytest.mark.clause("mod.methods")
def test_public_method_set(check, mmap_impl, name, clause):
    """The public methods are close ... write_byte (madvise 3.8+, seekable 3.13+); no readinto, fileno, count..."""
    obs = check(o.Open(None, 4), o.Apply("hasattr", name))
    assert obs[-1]["out"] == ok(clause is not None and holds(mmap_impl, clause))


@pytest.mark.clause("mod.gc")
def test_map_is_gc_tracked_from_3_10(check, mmap_impl):
    """A map is tracked by the garbage collector from 3.10 (a heap type), not before."""
    obs = check(o.Open(None, 4), o.Apply("gc_tracked"))
    assert obs[-1]["out"] == ok(since(mmap_impl, "3.10"))



@pytest.mark.parametrize("name, outcome", [
    (o.Text("x"), None), (o.Text("a" * 66), None), (o.Text("a" * 67), "ValueError"),
    (o.Text("\u00e9" * 33), None), (o.Text("\u00e9" * 34), "ValueError"),
    (o.Text("a\0"), "ValueError"), (b"x", "TypeError"), (o.Text(""), None),
])
@pytest.mark.clause("set_name")
def test_set_name_names_anonymous_maps_from_3_15(check, name, outcome):
    """From 3.15 set_name(name) names an anonymous map; a file map refuses, even closed."""
    obs = check(o.Open(None, 10), o.Call("set_name", name), o.Call("set_name"),
                o.Call("set_name", name=name), o.Close(), o.Call("set_name", o.Text("y")))
    assert raised(obs[1]) == outcome
    assert raised(obs[2]) == raised(obs[3]) == "TypeError"
    assert raised(obs[5]) is None
    obs = check(o.Open(b"0123456789", 0), o.Call("set_name", o.Text("x")), o.Close(),
                o.Call("set_name", o.Text("x")))
    assert raised(obs[1]) == raised(obs[3]) == "ValueError"
