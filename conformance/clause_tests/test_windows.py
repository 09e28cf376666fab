# SPDX-License-Identifier: MIT
"""Clause tests: the catalogue's Windows clauses (platform "windows"), one test per sentence of
the spec documents (shared/spec/001_*.tex, and the earlier 000_*.txt) about the Windows
constructor, checked on the reference's emulated Windows profile (impls/windows.py): no
implementation under test runs here, and a Unix run needs no result for these clauses."""

import os

import pytest

from impls import windows

W = windows.module("3.11")
DATA = b"0123456789"


@pytest.fixture(name="f")
def data_file(tmp_path):
    """A file of DATA, open for update."""
    path = tmp_path / "f"
    path.write_bytes(DATA)
    with open(path, "r+b") as f:
        yield f


def disk(f):
    return os.pread(f.fileno(), 1 << 20, 0)


@pytest.mark.clause("doc.win.maps-length")
def test_maps_length_bytes_of_the_file(f):
    """Maps length bytes from the file specified by the file handle fileno, returns a mmap object."""
    m = W.mmap(f.fileno(), 3)
    assert (len(m), m[:], type(m).__qualname__) == (3, b"012", "mmap")
    m.close()


@pytest.mark.clause("doc.win.length-extends-file")
def test_length_larger_than_file_extends_it(f):
    """If length is larger than the current size of the file, the file is extended to contain
    length bytes."""
    m = W.mmap(f.fileno(), 16)
    assert (len(m), m[10:], disk(f)) == (16, b"\0" * 6, DATA + b"\0" * 6)
    m.close()


@pytest.mark.clause("doc.win.length0-whole-file")
def test_length_zero_maps_the_whole_file(f):
    """If length is 0, the maximum length of the map is the current size of the file."""
    m = W.mmap(f.fileno(), 0)
    assert (len(m), m[:]) == (10, DATA)
    m.close()


@pytest.mark.clause("doc.win.empty-file-raises")
def test_empty_file_cannot_be_mapped(tmp_path):
    """... except that if the file is empty Windows raises an exception (you cannot create an empty
    mapping on Windows). We raise what CPython on Windows raises: ValueError."""
    path = tmp_path / "empty"
    path.write_bytes(b"")
    with open(path, "r+b") as f, pytest.raises(ValueError, match="cannot mmap an empty file"):
        W.mmap(f.fileno(), 0)


@pytest.mark.clause("doc.win.tagname-omitted")
def test_tagname_none_or_omitted_is_unnamed(f):
    """If this parameter is omitted or None, the mapping is created without a name."""
    a, b = W.mmap(-1, 4), W.mmap(-1, 4, None)
    a[0] = 1
    assert b[0] == 0
    a.close()
    b.close()


@pytest.mark.clause("doc.win.existing-tag-opened")
def test_existing_tag_is_opened(f):
    """If you specify the name of an existing tag, that tag is opened: the maps share memory."""
    a = W.mmap(-1, 8, "shared-tag")
    b = W.mmap(-1, 8, "shared-tag")
    a[0] = 42
    b[1] = 43
    assert (b[0], a[1]) == (42, 43)
    a.close()
    b.close()


@pytest.mark.clause("doc.win.new-tag-created")
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


@pytest.mark.clause("doc.win.many-mappings")
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


@pytest.mark.clause("doc.win.tagname-string")
def test_tagname_must_be_a_string(f):
    """tagname, if specified and not None, is a string."""
    with pytest.raises(TypeError):
        W.mmap(-1, 4, 5)


@pytest.mark.clause("doc.access.windows-default")
def test_default_access_is_write_through(f):
    """If access is not specified, Windows mmap returns a write-through mapping."""
    m = W.mmap(f.fileno(), 0)
    m[0] = ord("W")
    assert disk(f)[:1] == b"W"
    m.close()
