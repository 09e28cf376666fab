# SPDX-License-Identifier: MIT
"""The reference's emulated Windows constructor, one test per sentence of the spec documents
(shared/spec/001_*.tex, and the earlier 000_*.txt) about it; the reference is the only subject."""

import os

import pytest

from impls import windows

W = windows.module("3.11")
# The catalogue's Windows clauses (conformance/clauses.toml, platform "windows") these tests check.
CLAUSES = [
    "doc.access.windows-default", "doc.win.maps-length", "doc.win.length-extends-file",
    "doc.win.length0-whole-file", "doc.win.empty-file-raises", "doc.win.tagname-string",
    "doc.win.many-mappings", "doc.win.existing-tag-opened", "doc.win.new-tag-created",
    "doc.win.tagname-omitted",
]
DATA = b"0123456789"


@pytest.fixture
def f(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(DATA)
    with open(path, "r+b") as f:
        yield f


def disk(f):
    return os.pread(f.fileno(), 1 << 20, 0)


def test_signature_is_fileno_length_tagname_access_offset(f):
    """mmap(fileno, length[, tagname[, access]]) (Windows version)."""
    m = W.mmap(f.fileno(), 4, None, W.ACCESS_READ, 0)
    assert (len(m), m[:], repr(m).split(",")[1]) == (4, b"0123", " access=ACCESS_READ")
    m.close()


@pytest.mark.parametrize("kw", ["flags", "prot", "trackfd"])
def test_no_unix_keywords(f, kw):
    """Windows has tagname where Unix has flags and prot."""
    with pytest.raises(TypeError, match=kw):
        W.mmap(f.fileno(), 0, **{kw: 1})


def test_maps_length_bytes_of_the_file(f):
    """Maps length bytes from the file specified by the file handle fileno, returns a mmap object."""
    m = W.mmap(f.fileno(), 3)
    assert (len(m), m[:], type(m).__qualname__) == (3, b"012", "mmap")
    m.close()


def test_length_larger_than_file_extends_it(f):
    """If length is larger than the current size of the file, the file is extended to contain
    length bytes."""
    m = W.mmap(f.fileno(), 16)
    assert (len(m), m[10:], disk(f)) == (16, b"\0" * 6, DATA + b"\0" * 6)
    m.close()


def test_length_zero_maps_the_whole_file(f):
    """If length is 0, the maximum length of the map is the current size of the file."""
    m = W.mmap(f.fileno(), 0)
    assert (len(m), m[:]) == (10, DATA)
    m.close()


def test_empty_file_cannot_be_mapped(tmp_path):
    """... except that if the file is empty Windows raises an exception (you cannot create an empty
    mapping on Windows). We raise what CPython on Windows raises: ValueError."""
    path = tmp_path / "empty"
    path.write_bytes(b"")
    with open(path, "r+b") as f, pytest.raises(ValueError, match="cannot mmap an empty file"):
        W.mmap(f.fileno(), 0)


def test_tagname_none_or_omitted_is_unnamed(f):
    """If this parameter is omitted or None, the mapping is created without a name."""
    a, b = W.mmap(-1, 4), W.mmap(-1, 4, None)
    a[0] = 1
    assert b[0] == 0
    a.close()
    b.close()


def test_existing_tag_is_opened(f):
    """If you specify the name of an existing tag, that tag is opened: the maps share memory."""
    a = W.mmap(-1, 8, "shared-tag")
    b = W.mmap(-1, 8, "shared-tag")
    a[0] = 42
    b[1] = 43
    assert (b[0], a[1]) == (42, 43)
    a.close()
    b.close()


def test_new_tag_is_created(f):
    """... otherwise a new tag of this name is created."""
    a, b = W.mmap(-1, 8, "tag-one"), W.mmap(-1, 8, "tag-two")
    a[0] = 1
    assert b[0] == 0
    a.close()
    b.close()
    c = W.mmap(-1, 8, "tag-one")  # every handle closed: the name is free again
    assert c[0] == 0
    c.close()


def test_many_mappings_against_the_same_file(f, tmp_path):
    """Windows allows many different mappings against the same file; a tag names one of them."""
    a = W.mmap(f.fileno(), 0, "file-tag")
    other = tmp_path / "g"
    other.write_bytes(b"x" * 10)
    with open(other, "r+b") as g:
        b = W.mmap(g.fileno(), 0, "file-tag")  # the existing tag wins over the file passed
    c = W.mmap(f.fileno(), 0, "another-tag")
    a[0] = ord("A")
    assert (b[:2], c[:2], disk(f)[:1]) == (b"A1", b"A1", b"A")
    for m in (a, b, c):
        m.close()


def test_tagname_must_be_a_string(f):
    """tagname, if specified and not None, is a string."""
    with pytest.raises(TypeError):
        W.mmap(-1, 4, 5)


def test_default_access_is_write_through(f):
    """If access is not specified, Windows mmap returns a write-through mapping."""
    m = W.mmap(f.fileno(), 0)
    m[0] = ord("W")
    assert disk(f)[:1] == b"W"
    m.close()


@pytest.mark.parametrize("access", [1, 2, 3])
def test_initial_values_come_from_the_file(f, access):
    """The initial memory values for all three access types are taken from the specified file."""
    m = W.mmap(f.fileno(), 0, access=access)
    assert m[:] == DATA
    m.close()


def test_access_read_assignment_raises_typeerror(f):
    """Assignment to an ACCESS_READ memory map raises a TypeError exception."""
    m = W.mmap(f.fileno(), 0, access=W.ACCESS_READ)
    with pytest.raises(TypeError, match="readonly"):
        m[0] = 1
    m.close()


def test_access_write_affects_memory_and_file(f):
    """Assignment to an ACCESS_WRITE memory map affects both memory and the underlying file."""
    m = W.mmap(f.fileno(), 0, access=W.ACCESS_WRITE)
    m[0:2] = b"ab"
    assert (m[:2], disk(f)[:2]) == (b"ab", b"ab")
    m.close()


def test_access_copy_affects_memory_only(f):
    """Assignment to an ACCESS_COPY memory map affects memory but does not update the file."""
    m = W.mmap(f.fileno(), 0, access=W.ACCESS_COPY)
    m[0:2] = b"ab"
    m.flush()
    assert (m[:2], disk(f)) == (b"ab", DATA)
    m.close()


def test_access_with_invalid_value(f):
    """access accepts one of ACCESS_READ, ACCESS_WRITE, ACCESS_COPY (ACCESS_DEFAULT since 3.7)."""
    with pytest.raises(ValueError, match="mmap invalid access parameter."):
        W.mmap(f.fileno(), 0, access=4)


def test_fileno_minus_one_is_anonymous():
    """An anonymous (pagefile-backed) map: fileno -1, zero-filled; size() is its length."""
    m = W.mmap(-1, 6)
    assert (m[:], m.size()) == (b"\0" * 6, 6)
    m.close()


def test_read_only_file_handle(tmp_path):
    """You must provide a file descriptor for a file opened for update; read-only works for
    ACCESS_READ only, and then cannot extend the file."""
    path = tmp_path / "f"
    path.write_bytes(DATA)
    with open(path, "rb") as f:
        assert W.mmap(f.fileno(), 0, access=W.ACCESS_READ)[:] == DATA
        with pytest.raises(PermissionError):
            W.mmap(f.fileno(), 20, access=W.ACCESS_READ)
        with pytest.raises(PermissionError):
            W.mmap(f.fileno(), 0)


def test_offset_must_be_a_multiple_of_the_granularity(f):
    assert W.ALLOCATIONGRANULARITY == 65536
    with pytest.raises(OSError):
        W.mmap(f.fileno(), 1, offset=4096)


def test_module_has_no_unix_constants():
    assert not hasattr(W, "MAP_SHARED") and not hasattr(W, "PROT_READ")
    assert not hasattr(W.mmap, "madvise")
