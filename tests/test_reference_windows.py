# SPDX-License-Identifier: MIT
"""The reference's emulated Windows constructor beyond the catalogue's clauses (signature,
keywords, access modes, granularity); the clause tests of the Windows clauses ship in the
package, conformance/clause_tests/test_windows.py, whose fixtures these share. The reference is the only
subject."""

import os
import subprocess
import sys

import pytest

from conformance.clause_tests.test_windows import DATA, W, data_file, disk  # noqa: F401 (the fixture f)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_the_windows_clause_tests_pass():
    """The package's Windows clause tests, which a run collects but records nothing of."""
    path = os.path.join(ROOT, "conformance", "clause_tests", "test_windows.py")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "-c", os.path.join(ROOT, "conformance", "pytest.ini"),
                             "--rootdir", os.path.join(ROOT, "conformance"), path],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "10 passed" in result.stdout


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
