# SPDX-License-Identifier: MIT
"""The C layer through cffi directly: return codes, bounds, errno, and safety after close."""

import contextlib
import errno
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from impls._refmmap import ffi, lib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PAGE = lib.refmmap_pagesize()


@contextlib.contextmanager
def file_fd(path, data):
    """`path` holding `data`, open for reading and writing: its descriptor, closed after."""
    path.write_bytes(data)
    fd = os.open(path, os.O_RDWR)
    try:
        yield fd
    finally:
        os.close(fd)


def const(name):
    out = ffi.new("long *")
    assert lib.refmmap_constant(name.encode(), out) == 0
    return out[0]


RW = const("PROT_READ") | const("PROT_WRITE")


def anon(n=10, flags=None, access=0):
    m = ffi.new("refmmap_t *")
    assert lib.refmmap_open(m, -1, n, const("MAP_SHARED") if flags is None else flags, RW,
                            access, 0, 1) == 0
    assert lib.refmmap_write(m, b"0123456789"[:n], min(n, 10)) == 0
    m.pos = 0
    return m


@pytest.fixture
def m():
    m = anon()
    yield m
    lib.refmmap_close(m)


def ssize():
    return ffi.new("ssize_t *")


def test_version_is_the_package_version_and_the_sources_digest():
    from impls.buildinfo import package_version, source_digest

    built = ffi.string(lib.refmmap_version()).decode()
    assert built == f"{package_version()}+{source_digest(os.path.join(ROOT, 'native'))}"


def test_unknown_constant_is_badarg():
    assert lib.refmmap_constant(b"MAP_NOPE", ffi.new("long *")) == lib.REFMMAP_E_BADARG


@pytest.mark.parametrize("args,code", [
    ((-1, -1, 0, 0), lib.REFMMAP_E_LENGTH_NEG),
    ((-1, 1, 0, -1), lib.REFMMAP_E_OFFSET_NEG),
    ((-1, 1, 1, 0), lib.REFMMAP_E_CONFLICT),  # access with prot=READ|WRITE but flags wrong below
    ((-1, 1, 7, 0), lib.REFMMAP_E_ACCESS),
    ((-1, 0, 0, 0), lib.REFMMAP_E_OS),
])
def test_open_errors(args, code):
    fd, length, access, offset = args
    m = ffi.new("refmmap_t *")
    flags = const("MAP_PRIVATE") if code == lib.REFMMAP_E_CONFLICT else const("MAP_SHARED")
    assert lib.refmmap_open(m, fd, length, flags, RW, access, offset, 1) == code
    assert m.data == ffi.NULL and m.fd == -1  # nothing to close: a later close() is harmless
    if code == lib.REFMMAP_E_OS:
        assert ffi.errno == errno.EINVAL


def test_open_keeps_errno_and_leaks_no_fd(tmp_path):
    before = len(os.listdir("/proc/self/fd"))
    m = ffi.new("refmmap_t *")
    assert lib.refmmap_open(m, -2, 1, const("MAP_SHARED"), RW, 0, 0, 1) == lib.REFMMAP_E_OS
    assert ffi.errno == errno.EBADF
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    fd = os.open(path, os.O_RDWR)
    try:  # unaligned offset: dup succeeds, mmap fails, the dup must be closed again
        assert lib.refmmap_open(m, fd, 1, const("MAP_SHARED"), RW, 0, 1, 1) == lib.REFMMAP_E_OS
        assert ffi.errno == errno.EINVAL
    finally:
        os.close(fd)
    assert len(os.listdir("/proc/self/fd")) == before


def test_open_reports_a_failing_dup(tmp_path):
    """No descriptor left for the map's own dup (EMFILE): the map is not made, as in CPython."""
    import resource

    path = tmp_path / "f"
    path.write_bytes(b"abc")
    fd = os.open(path, os.O_RDWR)  # the lowest free descriptor: every one below is taken
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    m = ffi.new("refmmap_t *")
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (fd + 1, hard))
        try:
            rc, err = lib.refmmap_open(m, fd, 0, const("MAP_SHARED"), RW, 0, 0, 1), ffi.errno
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        assert (rc, err) == (lib.REFMMAP_E_OS, errno.EMFILE) and m.data == ffi.NULL
        # Without trackfd there is nothing to dup.
        resource.setrlimit(resource.RLIMIT_NOFILE, (fd + 1, hard))
        try:
            rc = lib.refmmap_open(m, fd, 0, const("MAP_SHARED"), RW, 0, 0, 0)
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        assert rc == 0 and m.fd == -1
        assert lib.refmmap_close(m) == 0
    finally:
        os.close(fd)


@pytest.mark.parametrize("data,length,offset,code", [
    (b"", 0, 0, lib.REFMMAP_E_EMPTY),
    (b"", 1, 0, lib.REFMMAP_E_LENGTH_GT),
    (b"abc", 0, 3, lib.REFMMAP_E_OFFSET_GT),
    (b"abc", 4, 0, lib.REFMMAP_E_LENGTH_GT),
    (b"abc", 1, PAGE, lib.REFMMAP_E_LENGTH_GT),
])
def test_file_size_checks(tmp_path, data, length, offset, code):
    path = tmp_path / "f"
    with file_fd(path, data) as fd:
        m = ffi.new("refmmap_t *")
        assert lib.refmmap_open(m, fd, length, const("MAP_SHARED"), RW, 0, offset, 1) == code


def test_access_resolved_from_prot():
    m = ffi.new("refmmap_t *")
    assert lib.refmmap_open(m, -1, 1, const("MAP_SHARED"), const("PROT_READ"), 0, 0, 1) == 0
    assert m.access == lib.REFMMAP_ACCESS_READ
    assert lib.refmmap_write_byte(m, 1) == lib.REFMMAP_E_WRITE_BYTE_READONLY
    assert lib.refmmap_write(m, b"x", 1) == lib.REFMMAP_E_WRITE_READONLY
    assert lib.refmmap_move(m, 0, 0, 1) == lib.REFMMAP_E_MOVE_READONLY
    assert lib.refmmap_setbyte(m, 0, 1) == lib.REFMMAP_E_READONLY
    assert lib.refmmap_close(m) == 0


def test_double_close_and_every_op_after_close(m):
    assert lib.refmmap_close(m) == 0
    assert lib.refmmap_close(m) == 0
    assert m.data == ffi.NULL and m.size == 10 and m.fd == -1  # size kept, as CPython does
    out, n = ssize(), ssize()
    closed = lib.REFMMAP_E_CLOSED
    assert lib.refmmap_check_valid(m) == closed
    assert lib.refmmap_getbyte(m, 0, ffi.NULL) == closed
    assert lib.refmmap_setbyte(m, 0, 1) == closed
    assert lib.refmmap_get_slice(m, 0, 1, 0, ffi.NULL) == closed
    assert lib.refmmap_set_slice(m, 0, 1, 0, ffi.NULL, 0) == closed
    assert lib.refmmap_read(m, 1, out, n) == closed
    assert lib.refmmap_read_byte(m, ffi.NULL) == closed
    assert lib.refmmap_readline(m, out, n) == closed
    assert lib.refmmap_write(m, b"a", 1) == closed
    assert lib.refmmap_write_byte(m, 1) == closed
    assert lib.refmmap_seek(m, 0, 0) == closed
    assert lib.refmmap_size(m, ffi.new("int64_t *"), 0) == closed
    assert lib.refmmap_resize(m, 1, 0) == closed
    assert lib.refmmap_move(m, 0, 0, 0) == closed
    assert lib.refmmap_flush(m, 0, 0, 0) == closed
    assert lib.refmmap_find(m, b"a", 1, 0, 1, 0, out) == closed
    assert lib.refmmap_madvise(m, 0, 0, 1) == closed
    assert lib.refmmap_export(m, 1) == closed


def test_null_map_is_badarg_or_closed():
    assert lib.refmmap_close(ffi.NULL) == lib.REFMMAP_E_BADARG
    assert lib.refmmap_check_valid(ffi.NULL) == lib.REFMMAP_E_CLOSED
    assert lib.refmmap_export(ffi.NULL, 1) == lib.REFMMAP_E_BADARG


def test_null_and_negative_arguments_are_badarg(m):
    """The guards for what the Python layer never passes: a NULL out-parameter or source."""
    bad, out, n = lib.REFMMAP_E_BADARG, ssize(), ssize()
    assert lib.refmmap_constant(ffi.NULL, ffi.new("long *")) == bad
    assert lib.refmmap_constant(b"MAP_SHARED", ffi.NULL) == bad
    assert lib.refmmap_open(ffi.NULL, -1, 1, const("MAP_SHARED"), RW, 0, 0, 1) == bad
    assert lib.refmmap_check_valid(m) == 0
    assert lib.refmmap_read(m, 1, ffi.NULL, n) == bad and lib.refmmap_read(m, 1, out, ffi.NULL) == bad
    assert lib.refmmap_readline(m, ffi.NULL, n) == bad
    assert lib.refmmap_readline(m, out, ffi.NULL) == bad
    assert lib.refmmap_write(m, ffi.NULL, 1) == bad and lib.refmmap_write(m, b"", -1) == bad
    assert lib.refmmap_write(m, ffi.NULL, 0) == 0
    assert lib.refmmap_size(m, ffi.NULL, 0) == bad
    assert lib.refmmap_set_name(m, ffi.NULL, 0) == bad and lib.refmmap_set_name(m, b"x", -1) == bad
    assert lib.refmmap_find(m, b"a", 1, 0, 1, 0, ffi.NULL) == bad
    assert lib.refmmap_find(m, b"a", -1, 0, 1, 0, out) == bad
    assert lib.refmmap_find(m, ffi.NULL, 1, 0, 1, 0, out) == bad
    assert lib.refmmap_find(m, ffi.NULL, 0, 0, 1, 0, out) == 0 and out[0] == 0
    assert lib.refmmap_get_slice(m, 0, 1, 1, ffi.NULL) == lib.REFMMAP_E_INDEX
    assert lib.refmmap_set_slice(m, 0, 1, 1, ffi.NULL, 1) == lib.REFMMAP_E_SET_INDEX
    assert lib.refmmap_export(m, 2) == bad and lib.refmmap_export(m, -1) == bad
    assert m.pos == 0 and m.exports == 0
    byte = ffi.new("unsigned char *")
    assert lib.refmmap_read_byte(m, ffi.NULL) == 0 and m.pos == 1  # a byte skipped unread
    assert lib.refmmap_read_byte(m, byte) == 0 and byte[0] == ord("1")


def test_every_op_on_a_null_map_is_closed():
    closed, out, n, null = lib.REFMMAP_E_CLOSED, ssize(), ssize(), ffi.NULL
    assert lib.refmmap_is_writable(null) == closed and lib.refmmap_is_resizeable(null) == closed
    assert lib.refmmap_getbyte(null, 0, null) == closed
    assert lib.refmmap_get_slice(null, 0, 1, 0, null) == closed
    assert lib.refmmap_read(null, 1, out, n) == closed and lib.refmmap_read_byte(null, null) == closed
    assert lib.refmmap_readline(null, out, n) == closed and lib.refmmap_seek(null, 0, 0) == closed
    assert lib.refmmap_size(null, ffi.new("int64_t *"), 0) == closed
    assert lib.refmmap_flush(null, 0, 0, 0) == closed
    assert lib.refmmap_find(null, b"a", 1, 0, 1, 0, out) == closed
    assert lib.refmmap_madvise(null, 0, 0, 1) == closed


def test_release_of_an_export_counts_down_after_close(m):
    assert lib.refmmap_export(m, 1) == 0 and lib.refmmap_close(m) == lib.REFMMAP_E_EXPORTS_CLOSE
    assert lib.refmmap_export(m, -1) == 0 and lib.refmmap_close(m) == 0
    assert lib.refmmap_export(m, -1) == lib.REFMMAP_E_BADARG
    assert lib.refmmap_export(m, 1) == lib.REFMMAP_E_CLOSED and m.exports == 0


def test_size_reports_a_failing_fstat(m):
    """A descriptor that is no longer open (the map's own dup closed behind its back)."""
    fd = os.open(os.devnull, os.O_RDONLY)
    os.close(fd)
    m.fd = fd
    try:
        assert lib.refmmap_size(m, ffi.new("int64_t *"), 0) == lib.REFMMAP_E_OS
        assert ffi.errno == errno.EBADF
    finally:
        m.fd = -1


@pytest.mark.parametrize("access", [lib.REFMMAP_ACCESS_READ, lib.REFMMAP_ACCESS_COPY])
def test_flush_of_read_and_copy_maps_syncs_nothing(tmp_path, access):
    """Even a range msync() would refuse (an unaligned start) succeeds: nothing is synced."""
    path = tmp_path / "f"
    path.write_bytes(b"0123456789")
    fd = os.open(path, os.O_RDWR)
    m = ffi.new("refmmap_t *")
    try:
        assert lib.refmmap_open(m, fd, 0, const("MAP_SHARED"), RW, access, 0, 1) == 0
    finally:
        os.close(fd)
    assert lib.refmmap_flush(m, 1, 1, 0) == 0
    assert lib.refmmap_flush(m, 1, 10, 0) == lib.REFMMAP_E_FLUSH
    assert lib.refmmap_close(m) == 0


def test_failing_mremap_keeps_the_map(m):
    """A private anonymous map (no file to truncate) grown past the address space."""
    p = ffi.new("refmmap_t *")
    assert lib.refmmap_open(p, -1, 10, const("MAP_PRIVATE"), RW, 0, 0, 1) == 0
    data = p.data
    assert lib.refmmap_resize(p, 2**60, 0) == lib.REFMMAP_E_OS
    assert p.data == data and p.size == 10
    assert lib.refmmap_close(p) == 0


@pytest.mark.parametrize("i,code", [(0, 0), (9, 0), (-1, 0), (-10, 0), (10, lib.REFMMAP_E_INDEX),
                                    (-11, lib.REFMMAP_E_INDEX), (2**63 - 1, lib.REFMMAP_E_INDEX),
                                    (-2**63, lib.REFMMAP_E_INDEX)])
def test_getbyte_bounds(m, i, code):
    out = ffi.new("unsigned char *")
    assert lib.refmmap_getbyte(m, i, out) == code
    if code == 0:
        assert out[0] == b"0123456789"[i]


def test_setbyte_checks_index_then_value(m):
    assert lib.refmmap_setbyte(m, 10, 999) == lib.REFMMAP_E_SET_INDEX
    assert lib.refmmap_setbyte(m, 0, 256) == lib.REFMMAP_E_VALUE
    assert lib.refmmap_setbyte(m, 0, -1) == lib.REFMMAP_E_VALUE
    assert lib.refmmap_setbyte(m, -1, 65) == 0 and m.data[9] == b"A"


@pytest.mark.parametrize("start,step,count,code", [
    (0, 1, 10, 0), (9, -1, 10, 0), (0, 3, 4, 0), (0, 3, 5, lib.REFMMAP_E_INDEX),
    (1, 1, 10, lib.REFMMAP_E_INDEX), (-1, 1, 1, lib.REFMMAP_E_INDEX), (0, 1, -1, lib.REFMMAP_E_INDEX),
    (5, 2**62, 3, lib.REFMMAP_E_INDEX), (10, 1, 0, 0), (10, 1, 1, lib.REFMMAP_E_INDEX),
    (5, -3, 3, lib.REFMMAP_E_INDEX), (2**62, 2**61, 3, lib.REFMMAP_E_INDEX),
    (3, 0, 2, lib.REFMMAP_E_INDEX), (3, 0, 1, 0), (3, 0, 0, 0),
    (10, -1, 2, lib.REFMMAP_E_INDEX),  # starts one past the end, ends inside
])
def test_slices_are_bounds_checked(m, start, step, count, code):
    out = ffi.new("char[]", 16)
    assert lib.refmmap_get_slice(m, start, step, count, out) == code
    if code == 0:
        assert ffi.buffer(out, count)[:] == bytes(b"0123456789"[start + i * step] for i in range(count))
    set_code = lib.REFMMAP_E_SET_INDEX if code == lib.REFMMAP_E_INDEX else code
    assert lib.refmmap_set_slice(m, start, step, count, out, count) == set_code


def test_empty_slices_need_no_buffer(m):
    """On the ASan+UBSan build (nox -s sanitize; mutate_c.py's sanitized stage) this also
    catches an empty slice's NULL buffer handed to memcpy(), which UBSan's nonnull check sees."""
    assert lib.refmmap_get_slice(m, 0, 1, 0, ffi.NULL) == 0
    assert lib.refmmap_set_slice(m, 0, 1, 0, ffi.NULL, 0) == 0
    assert lib.refmmap_get_slice(m, 0, 1, 1, ffi.NULL) == lib.REFMMAP_E_INDEX
    assert lib.refmmap_set_slice(m, 0, 1, 1, ffi.NULL, 1) == lib.REFMMAP_E_SET_INDEX


def test_set_slice_size_must_match(m):
    assert lib.refmmap_set_slice(m, 0, 1, 2, b"abc", 3) == lib.REFMMAP_E_SLICE_SIZE


def test_overlapping_copies(m):
    assert lib.refmmap_set_slice(m, 2, 1, 5, m.data, 5) == 0
    assert ffi.buffer(m.data, 10)[:] == b"0101234789"
    assert lib.refmmap_move(m, 0, 1, 9) == 0
    assert ffi.buffer(m.data, 10)[:] == b"1012347899"
    m.pos = 1
    assert lib.refmmap_write(m, m.data, 9) == 0
    assert ffi.buffer(m.data, 10)[:] == b"1101234789"


def test_read_clamps_and_position_may_pass_the_end(m):
    start, n = ssize(), ssize()
    assert lib.refmmap_read(m, 3, start, n) == 0 and (start[0], n[0], m.pos) == (0, 3, 3)
    assert lib.refmmap_read(m, -1, start, n) == 0 and (start[0], n[0], m.pos) == (3, 7, 10)
    assert lib.refmmap_read(m, 5, start, n) == 0 and n[0] == 0
    assert lib.refmmap_read_byte(m, ffi.NULL) == lib.REFMMAP_E_READ_BYTE
    assert lib.refmmap_write_byte(m, 1) == lib.REFMMAP_E_WRITE_BYTE
    assert lib.refmmap_write(m, b"", 0) == 0
    m.pos = 20  # as after a shrink below the position
    assert lib.refmmap_read(m, 5, start, n) == 0 and n[0] == 0
    assert lib.refmmap_readline(m, start, n) == 0 and n[0] == 0
    assert lib.refmmap_write(m, b"", 0) == lib.REFMMAP_E_DATA


def test_readline():
    m = anon(9)
    lib.refmmap_set_slice(m, 0, 1, 9, b"ab\ncd\r\nef", 9)
    start, n, lines = ssize(), ssize(), []
    for _ in range(4):
        assert lib.refmmap_readline(m, start, n) == 0
        lines.append(ffi.buffer(m.data + start[0], n[0])[:])
    assert lines == [b"ab\n", b"cd\r\n", b"ef", b""]
    lib.refmmap_close(m)


@pytest.mark.parametrize("dist,whence,code,pos", [
    (10, 0, 0, 10), (11, 0, lib.REFMMAP_E_SEEK, 0), (-1, 0, lib.REFMMAP_E_SEEK, 0),
    (-1, 2, 0, 9), (2**63 - 1, 2, lib.REFMMAP_E_SEEK, 0), (0, 3, lib.REFMMAP_E_WHENCE, 0),
    (-2**63, 1, lib.REFMMAP_E_SEEK, 0),
])
def test_seek(m, dist, whence, code, pos):
    assert lib.refmmap_seek(m, dist, whence) == code
    assert m.pos == pos


@pytest.mark.parametrize("needle,start,end,reverse,expected", [
    (b"5", 0, 10, 0, 5), (b"5", 6, 10, 0, -1), (b"", 100, 100, 0, 10), (b"", 100, 100, 1, 10),
    (b"", 3, 7, 1, 7), (b"0123456789A", 0, 10, 0, -1), (b"89", -2, 10, 0, 8),
    (b"89", 0, -1, 0, -1), (b"3", 5, 2, 0, -1), (b"0", -100, 100, 1, 0), (b"9", 0, 2**62, 1, 9),
    (b"0x", 0, 10, 1, -1), (b"0x", 0, 10, 0, -1), (b"01", 0, 10, 1, 0), (b"89", 0, 10, 0, 8),
    (b"8x", 0, 10, 0, -1),  # the last start a candidate, and no hit: the forward loop runs out
])
def test_find_normalises_bounds(m, needle, start, end, reverse, expected):
    out = ssize()
    assert lib.refmmap_find(m, needle, len(needle), start, end, reverse, out) == 0
    assert out[0] == expected


def test_find_never_reads_past_the_range():
    """A needle matching across `end` must not be found (catalogue 172)."""
    m = anon(10)
    out = ssize()
    assert lib.refmmap_find(m, b"456", 3, 0, 6, 0, out) == 0 and out[0] == -1
    assert lib.refmmap_find(m, b"456", 3, 0, 6, 1, out) == 0 and out[0] == -1
    assert lib.refmmap_find(m, b"456", 3, 0, 7, 1, out) == 0 and out[0] == 4
    lib.refmmap_close(m)


def tail_map(tmp_path):
    """A file of PAGE + 10 bytes and the map of its last 10 (offset PAGE, length 0)."""
    path = tmp_path / "f"
    path.write_bytes(b"x" * (PAGE + 10))
    fd = os.open(path, os.O_RDWR)
    m = ffi.new("refmmap_t *")
    try:
        assert lib.refmmap_open(m, fd, 0, const("MAP_SHARED"), RW, 0, PAGE, 1) == 0
    finally:
        os.close(fd)
    return path, m


def mapped(data):
    m = ffi.new("refmmap_t *")
    assert lib.refmmap_open(m, -1, max(len(data), 1), const("MAP_PRIVATE"), RW, 0, 0, 1) == 0
    assert lib.refmmap_write(m, data, len(data)) == 0
    return m


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hay=st.binary(max_size=3000).map(lambda b: bytes(0x61 + (c & 1) for c in b)),
       needle=st.text("ab", min_size=1, max_size=12).map(str.encode),
       start=st.integers(-3100, 3100), end=st.integers(-3100, 3100))
def test_find_is_bytes_find_on_two_letter_haystacks(hay, needle, start, end):
    """Two letters make every other byte a candidate: the searches go past their comparing
    budget into memmem and the reverse KMP, and must still answer as bytes.find/rfind."""
    hay = hay or b"a"  # a map has at least one byte
    m = mapped(hay)
    out = ssize()
    try:
        for reverse, expected in ((0, hay.find(needle, start, end)), (1, hay.rfind(needle, start, end))):
            assert lib.refmmap_find(m, needle, len(needle), start, end, reverse, out) == 0
            assert out[0] == expected, (reverse, needle)
    finally:
        lib.refmmap_close(m)


def test_find_exhaustively_over_two_letters():
    """Every needle of 2-5 letters from "ab" in every haystack of up to 8, padded with 20 bytes
    that match nothing so the reverse search takes its KMP path: the KMP table's borders must
    be exact (a border one too long finds b"aabb" in b"aababb")."""
    import itertools

    words = [bytes(w) for n in range(1, 9) for w in itertools.product(b"ab", repeat=n)]
    m = mapped(b"\0" * 28)
    out = ssize()
    try:
        for hay in words:
            padded = hay + b"c" * 20
            m.pos = 0
            assert lib.refmmap_write(m, padded, len(padded)) == 0
            for needle in (w for w in words if 2 <= len(w) <= min(5, len(hay))):
                for reverse, find in ((0, padded.find), (1, padded.rfind)):
                    assert lib.refmmap_find(m, needle, len(needle), 0, len(padded), reverse,
                                            out) == 0
                    assert out[0] == find(needle), (hay, needle, reverse)
    finally:
        lib.refmmap_close(m)


@pytest.mark.parametrize("period", [b"a", b"ab", b"aab", b"abaab"])
@pytest.mark.parametrize("reverse", [0, 1])
def test_find_on_periodic_haystacks_past_the_budget(period, reverse):
    """Long periodic haystacks with needles that (almost) match everywhere: the linear searches
    take over and find the first or last hit, or none."""
    hay = (period * (60000 // len(period)))[:60000]
    m = mapped(hay)
    out = ssize()
    try:
        for needle in (period * 40, period * 40 + b"c", b"c" + period * 40, period * 3 + b"b",
                       b"b" + period * 3, period[::-1] * 7, hay[:30000], hay[-30000:] + b"a"):
            find = hay.rfind if reverse else hay.find
            for start, end in ((0, 60000), (7, 59993), (30000, 60000), (0, 30001)):
                assert lib.refmmap_find(m, needle, len(needle), start, end, reverse, out) == 0
                assert out[0] == find(needle, start, end), (needle[:12], start, end)
    finally:
        lib.refmmap_close(m)


@pytest.mark.parametrize("offset,size,code", [
    (0, 10, 0), (0, 0, 0), (10, 0, lib.REFMMAP_E_OS), (-1, 1, lib.REFMMAP_E_FLUSH), (0, -1, lib.REFMMAP_E_FLUSH),
    (1, 10, lib.REFMMAP_E_FLUSH), (2**63 - 1, 2**63 - 1, lib.REFMMAP_E_FLUSH),
    (1, 1, lib.REFMMAP_E_OS),  # msync wants a page-aligned start, even for 0 bytes
])
def test_flush(m, offset, size, code):
    assert lib.refmmap_flush(m, offset, size, 0) == code


@pytest.mark.parametrize("dest,src,count", [(-1, 0, 1), (0, -1, 1), (0, 0, -1), (0, 0, 11),
                                            (2**63 - 1, 0, 2**63 - 1), (5, 6, 5)])
def test_move_bounds(m, dest, src, count):
    assert lib.refmmap_move(m, dest, src, count) == lib.REFMMAP_E_MOVE


@pytest.mark.parametrize("start,length,code", [
    (0, 10, 0), (0, 100, 0), (10, 1, lib.REFMMAP_E_MADV_START), (-1, 1, lib.REFMMAP_E_MADV_START),
    (0, -1, lib.REFMMAP_E_MADV_LENGTH), (1, 2**63 - 1, lib.REFMMAP_E_MADV_OVERFLOW),
    (1, 1, lib.REFMMAP_E_OS), (0, 2**40, 0),  # a length past the end is clamped to it
    (1, 2**63 - 2, lib.REFMMAP_E_OS),  # start + length is the largest ssize_t: no overflow
])
def test_madvise(m, start, length, code):
    assert lib.refmmap_madvise(m, const("MADV_NORMAL"), start, length) == code


def test_madvise_of_no_bytes_succeeds(m):
    assert lib.refmmap_madvise(m, const("MADV_NORMAL"), 0, 0) == 0


def test_resize_order_and_shared_anonymous_grow(m):
    assert lib.refmmap_export(m, 1) == 0
    assert lib.refmmap_resize(m, -1, 0) == lib.REFMMAP_E_EXPORTS_RESIZE
    assert lib.refmmap_close(m) == lib.REFMMAP_E_EXPORTS_CLOSE
    assert lib.refmmap_export(m, -1) == 0
    assert lib.refmmap_export(m, -1) == lib.REFMMAP_E_BADARG
    assert lib.refmmap_resize(m, -1, 0) == lib.REFMMAP_E_NEWSIZE
    assert lib.refmmap_resize(m, 2 * PAGE, 0) == lib.REFMMAP_E_SHARED_ANON
    assert lib.refmmap_resize(m, 0, 0) == lib.REFMMAP_E_OS and ffi.errno == errno.EINVAL
    assert lib.refmmap_resize(m, 10, 0) == 0 and m.size == 10  # the same size is no growth
    assert lib.refmmap_resize(m, 5, 0) == 0 and m.size == 5


def test_shared_anonymous_grow_within_created_pages(m):
    """grow_anon: up to the pages mmap(2) made (old bytes come back, as mremap shows them)."""
    assert lib.refmmap_resize(m, 11, 0) == lib.REFMMAP_E_SHARED_ANON
    assert lib.refmmap_resize(m, 5, 1) == 0 and lib.refmmap_resize(m, PAGE, 1) == 0
    assert ffi.buffer(m.data, 11)[:] == b"0123456789\0" and m.data[PAGE - 1] == b"\0"
    assert lib.refmmap_resize(m, PAGE + 1, 1) == lib.REFMMAP_E_SHARED_ANON and m.size == PAGE


def test_resize_past_the_largest_offset_is_newsize(tmp_path):
    """newsize + offset must fit in a Py_ssize_t (the Python layer's checks come first)."""
    _, m = tail_map(tmp_path)
    assert lib.refmmap_resize(m, 2**63 - PAGE, 0) == lib.REFMMAP_E_NEWSIZE
    assert lib.refmmap_resize(m, 2**63 - 1, 0) == lib.REFMMAP_E_NEWSIZE
    # The largest size that fits passes the check and fails in the system (no file that big).
    assert lib.refmmap_resize(m, 2**63 - 1 - PAGE, 0) == lib.REFMMAP_E_OS and m.size == 10
    size = ffi.new("int64_t *")
    assert lib.refmmap_size(m, size, 1) == 0 and size[0] == PAGE + 10  # anon_size: still the file
    assert lib.refmmap_close(m) == 0


def test_private_anonymous_grow():
    m = anon(10, flags=const("MAP_PRIVATE"))
    assert lib.refmmap_resize(m, 3 * PAGE, 0) == 0
    assert ffi.buffer(m.data, 12)[:] == b"0123456789\0\0" and m.data[3 * PAGE - 1] == b"\0"
    lib.refmmap_close(m)


def test_readonly_copy_and_trackfd_cannot_resize():
    for access, code in ((lib.REFMMAP_ACCESS_READ, lib.REFMMAP_E_NORESIZE),
                         (lib.REFMMAP_ACCESS_COPY, lib.REFMMAP_E_NORESIZE)):
        m = ffi.new("refmmap_t *")
        assert lib.refmmap_open(m, -1, 10, const("MAP_SHARED"), RW, access, 0, 1) == 0
        assert lib.refmmap_resize(m, 5, 0) == code
        lib.refmmap_close(m)
    m = ffi.new("refmmap_t *")
    assert lib.refmmap_open(m, -1, 10, const("MAP_SHARED"), RW, 0, 0, 0) == 0
    assert lib.refmmap_resize(m, 5, 0) == lib.REFMMAP_E_TRACKFD
    lib.refmmap_close(m)


def test_file_resize_and_size(tmp_path):
    path, m = tail_map(tmp_path)
    size = ffi.new("int64_t *")
    assert m.size == 10 and lib.refmmap_size(m, size, 0) == 0 and size[0] == PAGE + 10
    assert lib.refmmap_resize(m, 20, 0) == 0 and path.stat().st_size == PAGE + 20
    assert lib.refmmap_resize(m, 0, 0) == lib.REFMMAP_E_OS
    assert path.stat().st_size == PAGE + 20 and m.size == 20  # unchanged, still mapped
    assert lib.refmmap_close(m) == 0


def test_size_without_fd_is_ebadf(m):
    assert lib.refmmap_size(m, ffi.new("int64_t *"), 0) == lib.REFMMAP_E_OS
    assert ffi.errno == errno.EBADF


def test_size_of_anonymous_map_is_its_length_with_anon_size(m):
    """3.15: an anonymous map's size() is its length; trackfd=False is its own error."""
    out = ffi.new("int64_t *")
    assert lib.refmmap_size(m, out, 1) == 0 and out[0] == m.size
    untracked = ffi.new("refmmap_t *")
    assert lib.refmmap_open(untracked, -1, 10, const("MAP_SHARED"), RW, 0, 0, 0) == 0
    try:
        assert lib.refmmap_size(untracked, out, 1) == lib.REFMMAP_E_SIZE_TRACKFD
        assert lib.refmmap_size(untracked, out, 0) == lib.REFMMAP_E_OS
    finally:
        lib.refmmap_close(untracked)


def test_holds_is_not_fooled_by_a_first_byte_of_zero(m):
    """refmmap_item() answers a first byte of 0 with 0, REFMMAP_OK's value: refmmap_holds()
    must take it as a byte, not as a code to return (catches `rc < 0` moved to `rc <= 0`)."""
    assert lib.refmmap_setbyte(m, 0, 0) == 0
    assert lib.refmmap_holds(m, 0) == 1 and lib.refmmap_holds(m, ord("5")) == 1
    assert lib.refmmap_holds(m, ord("a")) == 0


def test_holds_finds_no_value_past_255(m):
    """A `byte` outside 0-255 is an object no item equals, even where its low 8 bits (all that
    memchr() compares) are in the map (catches the 255 bound moved to 256)."""
    assert lib.refmmap_setbyte(m, 0, 0) == 0
    assert lib.refmmap_holds(m, 256) == lib.refmmap_holds(m, 256 + ord("5")) == 0
    assert lib.refmmap_holds(m, -256) == 0


def test_holds_of_an_empty_map_is_0_not_its_walks_index_error():
    """An empty map (built by hand: no constructor here makes one) holds nothing: its walk's
    first item is past the end, which ends the walk with 0, not REFMMAP_E_INDEX (catches that
    check deleted, or answering 1)."""
    byte = ffi.new("char[]", b"\0")
    m = ffi.new("refmmap_t *", {"data": byte, "size": 0, "fd": -1})
    assert lib.refmmap_holds(m, 0) == lib.refmmap_holds(m, -1) == 0


@pytest.mark.parametrize("flags, code", [(0, 0), ("MS_SYNC", 0), ("MS_ASYNC", 0),
                                         ("MS_INVALIDATE", 0), (12345, lib.REFMMAP_E_OS)])
def test_flush_passes_msync_flags(m, flags, code):
    flags = const(flags) if isinstance(flags, str) else flags
    assert lib.refmmap_flush(m, 0, m.size, flags) == code


@pytest.mark.parametrize("name, code", [(b"x", 0), (b"", 0), (b"a" * 66, 0),
                                        (b"a" * 67, lib.REFMMAP_E_NAME_LONG)])
def test_set_name_checks_length_then_anonymity(m, name, code):
    assert lib.refmmap_set_name(m, name, len(name)) == code
    assert lib.refmmap_close(m) == 0
    assert lib.refmmap_set_name(m, name, len(name)) == code  # no closed check


def test_set_name_of_a_file_map_is_refused(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"0123456789")
    fd = os.open(path, os.O_RDWR)
    file_map = ffi.new("refmmap_t *")
    try:
        assert lib.refmmap_open(file_map, fd, 0, const("MAP_SHARED"), RW, 0, 0, 1) == 0
    finally:
        os.close(fd)
    assert lib.refmmap_set_name(file_map, b"x", 1) == lib.REFMMAP_E_NOT_ANON
    assert lib.refmmap_set_name(file_map, b"a" * 67, 67) == lib.REFMMAP_E_NAME_LONG
    assert lib.refmmap_close(file_map) == 0


def _mapped_at(address):
    """Whether a mapping of this process starts at `address` (/proc/self/maps)."""
    with open("/proc/self/maps") as f:
        return any(int(line.split("-", 1)[0], 16) == address for line in f)


def test_close_unmaps():
    m = anon(3 * PAGE)
    address = int(ffi.cast("uintptr_t", m.data))
    assert _mapped_at(address)
    assert lib.refmmap_close(m) == 0
    assert not _mapped_at(address)


def test_size_checks_apply_to_descriptor_0(tmp_path):
    """Descriptor 0 is a file like any other: an empty regular file on stdin cannot be mapped."""
    import subprocess
    import sys

    import impls

    path = tmp_path / "empty"
    path.write_bytes(b"")
    code = ("from impls._refmmap import ffi, lib; m = ffi.new('refmmap_t *'); "
            "print(lib.refmmap_open(m, 0, 0, 1, 3, 0, 0, 1))")
    # The very build this process tests (a private one under the sanitize or mutation sessions).
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(impls.__file__))}
    with open(path, "rb") as stdin:
        done = subprocess.run([sys.executable, "-c", code], stdin=stdin, capture_output=True,
                              text=True, cwd=tmp_path, env=env, timeout=60)
    assert done.stdout.split() == [str(lib.REFMMAP_E_EMPTY)], done.stderr



def test_descriptor_0_is_the_maps_own_like_any_other(tmp_path):
    """With descriptor 0 free, the map's own dup lands there: size() asks it, close() closes
    it, and a failing mmap() closes it again."""
    import subprocess
    import sys

    import impls

    path = tmp_path / "f"
    path.write_bytes(b"abc")
    code = ("import os; from impls._refmmap import ffi, lib; m = ffi.new('refmmap_t *'); "
            f"fd = os.open({str(path)!r}, os.O_RDWR); os.close(0); size = ffi.new('int64_t *'); "
            "print(lib.refmmap_open(m, fd, 0, 1, 3, 0, 0, 1), m.fd, lib.refmmap_size(m, size, 0), "
            "size[0], lib.refmmap_close(m), os.path.exists('/proc/self/fd/0')); "
            # an unaligned offset: the dup is made, then mmap() fails
            "print(lib.refmmap_open(m, fd, 1, 1, 3, 0, 1, 1), os.path.exists('/proc/self/fd/0'))")
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(impls.__file__))}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=60)
    assert done.stdout.split() == ["0", "0", "0", "3", "0", "False",
                                   str(lib.REFMMAP_E_OS), "False"], done.stderr


def _named(address, name):
    with open("/proc/self/maps") as f:
        return any(int(line.split("-", 1)[0], 16) == address and name in line for line in f)


def test_set_name_names_an_open_map_where_the_kernel_can():
    """The name shows in /proc/self/maps on kernels with CONFIG_ANON_VMA_NAME; elsewhere (a
    probe prctl() of our own shows nothing) there is nothing to observe."""
    import ctypes

    probe = anon(10, flags=const("MAP_PRIVATE"))
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_vma, pr_set_vma_anon_name = 0x53564D41, 0
    libc.prctl(pr_set_vma, pr_set_vma_anon_name, ctypes.c_ulong(int(ffi.cast("uintptr_t", probe.data))),
               ctypes.c_ulong(probe.size), ctypes.c_char_p(b"probe"))
    supported = _named(int(ffi.cast("uintptr_t", probe.data)), "probe")
    lib.refmmap_close(probe)
    if not supported:
        pytest.skip("this kernel does not name anonymous maps (no CONFIG_ANON_VMA_NAME)")
    m = anon(10, flags=const("MAP_PRIVATE"))
    try:
        assert lib.refmmap_set_name(m, b"named", 5) == 0
        assert _named(int(ffi.cast("uintptr_t", m.data)), "cpython:mmap:named")
    finally:
        lib.refmmap_close(m)


def test_set_name_hands_an_open_map_to_prctl_and_a_closed_one_to_nothing():
    """Catches set_name's `m->data != NULL` test inverted. Seen through errno, which only the
    prctl() sets: a kernel that names maps shows the name, one without CONFIG_ANON_VMA_NAME
    refuses with EINVAL (ignored, as CPython does); a closed map's stale size is handed to no
    prctl() at all (one of address NULL would fail with ENOMEM or EINVAL)."""
    m = anon(10, flags=const("MAP_PRIVATE"))
    address = int(ffi.cast("uintptr_t", m.data))
    ffi.errno = 0
    assert lib.refmmap_set_name(m, b"open", 4) == 0
    assert ffi.errno == errno.EINVAL or (ffi.errno == 0 and _named(address, "cpython:mmap:open"))
    assert lib.refmmap_close(m) == 0
    ffi.errno = 0
    assert lib.refmmap_set_name(m, b"closed", 6) == 0
    assert ffi.errno == 0


def test_every_error_code_names_its_clause():
    """Each REFMMAP_E_* code carries the clause of its check; only OK, BADARG and OS (whose clause
    is the caller's branch), the Windows file preparation's (no mmap check's) and codes outside
    the table have none."""
    codes = {name: getattr(lib, name) for name in dir(lib) if name.startswith("REFMMAP_E_")}
    unnamed = {name for name, code in codes.items() if lib.refmmap_clause(code) == ffi.NULL}
    assert unnamed == {"REFMMAP_E_BADARG", "REFMMAP_E_OS", "REFMMAP_E_OS_FILE",
                       "REFMMAP_E_WIN_TOO_BIG", "REFMMAP_E_TAG_NUL"}
    assert ffi.string(lib.refmmap_clause(lib.REFMMAP_E_CLOSED)) == b"after-close.raise"
    assert lib.refmmap_clause(0) == ffi.NULL and lib.refmmap_clause(1) == ffi.NULL
    assert lib.refmmap_clause(min(codes.values()) - 1) == ffi.NULL


# ---- profiles and the op walk (refmmap_profile_init, refmmap_run) ----

def profile(version):
    p = ffi.new("refmmap_profile_t *")
    assert lib.refmmap_profile_init(p, version.encode()) == 0
    return p


def call(op, **fields):
    c = ffi.new("refmmap_call_t *", [op])
    for name, value in fields.items():
        setattr(c, name, value)
    return c


def test_profile_init_refuses_what_is_no_release():
    p = ffi.new("refmmap_profile_t *")
    assert lib.refmmap_profile_init(ffi.NULL, b"3.11") == lib.REFMMAP_E_BADARG
    assert lib.refmmap_profile_init(p, ffi.NULL) == lib.REFMMAP_E_BADARG
    assert lib.refmmap_profile_init(p, b"three") == lib.REFMMAP_E_BADARG


@pytest.mark.parametrize("version,first,refused,to_end", [
    ("2.7", 0, 0, 0), ("3.13", 0, 0, 0), ("3.13.8", 0, 1, 0), ("3.13.18", 1, 1, 0),
    ("3.14", 0, 1, 0), ("3.14.2", 0, 1, 0), ("3.14.10", 1, 1, 0), ("3.15", 1, 1, 1),
])
def test_profile_flags_follow_the_release_and_its_patch_branches(version, first, refused, to_end):
    p = profile(version)
    assert (p.setitem_checks_first, p.shared_anon_grow_refused, p.flush_to_end,
            p.find_empty_past_end, p.anon_size) == (first, refused, to_end, to_end, to_end)


def test_the_feature_and_constant_tables_are_read_entry_by_entry():
    """refmmap_feature_at() / refmmap_constant_at(): each entry's name and whether the release
    has it, REFMMAP_E_BADARG past the end (the Python layer's one source of version facts)."""
    name = ffi.new("const char **")
    for read in (lib.refmmap_feature_at, lib.refmmap_constant_at):
        assert read(ffi.NULL, 0, name) == lib.REFMMAP_E_BADARG
        assert read(profile("3.8"), 0, ffi.NULL) == lib.REFMMAP_E_BADARG
        assert read(profile("3.8"), -1, name) == lib.REFMMAP_E_BADARG
        assert read(profile("3.8"), 10_000, name) == lib.REFMMAP_E_BADARG

    def table(read, version):
        out, i = {}, 0
        while (has := read(profile(version), i, name)) >= 0:
            out[ffi.string(name[0]).decode()] = has
            i += 1
        return out

    assert table(lib.refmmap_feature_at, "3.7")["madvise"] == 0
    assert table(lib.refmmap_feature_at, "3.8")["madvise"] == 1
    assert table(lib.refmmap_feature_at, "3.14.2")["setitem_checks_first"] == 0
    assert table(lib.refmmap_feature_at, "3.14.10")["setitem_checks_first"] == 1
    assert table(lib.refmmap_constant_at, "3.12")["MS_SYNC"] == 0
    assert table(lib.refmmap_constant_at, "3.15")["MS_SYNC"] == 1


def test_a_closed_check_before_conversion_answers_before_the_python_layer_is_asked(m):
    """2.7-3.13 check "closed" before converting seek()'s arguments; 3.14 converts first."""
    lib.refmmap_close(m)
    assert lib.refmmap_run(profile("3.13"), m, call(lib.REFMMAP_OP_SEEK)) == lib.REFMMAP_E_CLOSED
    c = call(lib.REFMMAP_OP_SEEK)
    assert lib.refmmap_run(profile("3.14"), m, c) == lib.REFMMAP_STEP_CONVERT
    assert lib.refmmap_run(profile("3.14"), m, c) == lib.REFMMAP_E_CLOSED


def test_a_walk_resumes_after_each_conversion(m):
    p, c = profile("3.11"), call(lib.REFMMAP_OP_SETSLICE)
    assert lib.refmmap_run(p, m, c) == lib.REFMMAP_STEP_CONVERT
    c.given, c.a[0], c.a[1], c.a[2] = 3, -4, 100, 1  # m[-4:100]: C adjusts it to the size
    assert lib.refmmap_run(p, m, c) == lib.REFMMAP_STEP_CONVERT_VALUE
    assert (c.start, c.stride, c.count) == (6, 1, 4)
    src = ffi.new("char[]", b"wxyz")  # c.src does not keep it alive
    c.src, c.srclen = src, 4
    assert lib.refmmap_run(p, m, c) == 0
    assert ffi.buffer(m.data, 10)[:] == b"012345wxyz"


def test_ready_arguments_skip_the_conversion_steps(m):
    c = call(lib.REFMMAP_OP_GETSLICE, ready=1, given=0)
    c.a[2] = -1  # m[::-1]
    assert lib.refmmap_run(profile("3.11"), m, c) == 0
    assert (c.start, c.stride, c.count) == (9, -1, 10)


def test_run_refuses_what_the_python_layer_never_passes(m):
    p = profile("3.11")
    assert lib.refmmap_run(ffi.NULL, m, call(0)) == lib.REFMMAP_E_BADARG
    assert lib.refmmap_run(p, ffi.NULL, call(0)) == lib.REFMMAP_E_BADARG
    assert lib.refmmap_run(p, m, ffi.NULL) == lib.REFMMAP_E_BADARG
    assert lib.refmmap_run(p, m, call(lib.REFMMAP_OP_COUNT)) == lib.REFMMAP_E_BADARG
    assert lib.refmmap_run(p, m, call(-1)) == lib.REFMMAP_E_BADARG
    assert lib.refmmap_run(p, m, call(0, step=lib.REFMMAP_STEPS_MAX)) == lib.REFMMAP_E_BADARG
    p.order[lib.REFMMAP_OP_SEEK][0] = 99  # no such step
    assert lib.refmmap_run(p, m, call(lib.REFMMAP_OP_SEEK)) == lib.REFMMAP_E_BADARG


def test_tell_and_length_of_a_closed_map_are_the_closed_code(m):
    assert (lib.refmmap_tell(m), lib.refmmap_length(m)) == (0, 10)
    lib.refmmap_close(m)
    assert lib.refmmap_tell(m) == lib.REFMMAP_E_CLOSED == lib.refmmap_length(m)


# ---- the constructors (refmmap_construct, refmmap_construct_windows) ----

P38 = ffi.new("refmmap_profile_t *")
P27 = ffi.new("refmmap_profile_t *")
assert lib.refmmap_profile_init(P38, b"3.8") == 0 and lib.refmmap_profile_init(P27, b"2.7") == 0


def ctor(fd, length, access=0, offset=0, given=0, tag=None, tag_fd=-1, **fields):
    c = ffi.new("refmmap_ctor_t *", dict(fd=fd, length=length, access=access, offset=offset,
                                         given=given, tag_fd=tag_fd, trackfd=1, **fields))
    if tag is not None:
        c.tag = keep = ffi.new("char[]", tag)
        c.taglen = len(tag)
        ctor.kept = keep  # alive while the test uses c
    return c


def construct(fn, p, c):
    """fn's answer after the audit event's turn (if any), and the map it made."""
    m = ffi.new("refmmap_t *")
    rc = fn(p, m, c)
    if rc == lib.REFMMAP_AUDIT:
        rc = fn(p, m, c)
    return rc, m


def test_construct_refuses_null_arguments():
    m, c = ffi.new("refmmap_t *"), ctor(-1, 1)
    for fn in (lib.refmmap_construct, lib.refmmap_construct_windows):
        assert fn(ffi.NULL, m, c) == fn(P38, ffi.NULL, c) == fn(P38, m, ffi.NULL) \
            == lib.REFMMAP_E_BADARG
    lib.refmmap_ctor_cancel(ffi.NULL)  # harmless


def test_construct_audits_valid_calls_only_from_3_8():
    """The audit event's turn comes after the argument checks, and only where the profile has it."""
    m = ffi.new("refmmap_t *")
    assert lib.refmmap_construct(P38, m, ctor(-1, 8)) == lib.REFMMAP_AUDIT
    assert m.data == ffi.NULL and m.fd == -1
    assert lib.refmmap_construct(P38, m, ctor(-1, 0)) == lib.REFMMAP_AUDIT  # length 0 is valid
    conflict = ctor(-1, 8, access=1, given=lib.REFMMAP_GIVEN_FLAGS, flags=const("MAP_PRIVATE"))
    assert lib.refmmap_construct(P38, m, conflict) == lib.REFMMAP_E_CONFLICT
    for c in (ctor(-1, -1), ctor(-1, 8, offset=-1), ctor(-1, 8, access=4)):
        assert lib.refmmap_construct(P38, m, c) < 0
    rc, m = construct(lib.refmmap_construct, P27, ctor(-1, 8))
    assert rc == 0  # 2.7: no audit event, no turn for it
    lib.refmmap_close(m)


@pytest.mark.parametrize("given, fd_kind, clause", [
    (0, "anon0", "ctor.anon.zero-length"), (0, "anon", "ctor.anon"),
    (lib.REFMMAP_GIVEN_OFFSET, "file", "ctor.offset.aligned"),
    (lib.REFMMAP_GIVEN_PROT, "file", "ctor.prot.to-access"),
    (lib.REFMMAP_GIVEN_FLAGS, "file", "ctor.flags.private"),
    (lib.REFMMAP_GIVEN_ACCESS, "file", "access.COPY"), (0, "file", "ctor.file.length-lt-size"),
    (0, "file0", "ctor.file.length0")])
def test_construct_names_its_branch(tmp_path, given, fd_kind, clause):
    path = tmp_path / "f"
    with file_fd(path, b"x" * 8192) as fd:
        c = ctor(-1 if fd_kind.startswith("anon") else fd, 0 if fd_kind.endswith("0") else 4,
                 access=3 if given == lib.REFMMAP_GIVEN_ACCESS else 0, given=given,
                 flags=const("MAP_SHARED"), prot=RW)
        rc, m = construct(lib.refmmap_construct, P38, c)
        assert ffi.string(c.clause).decode() == clause
        lib.refmmap_close(m)


def test_construct_names_an_unaligned_offset():
    """mmap(2) refuses an offset off the page grid: the unaligned offset's clause."""
    c = ctor(-1, 4, offset=1)
    rc, m = construct(lib.refmmap_construct, P38, c)
    assert (rc, ffi.errno, ffi.string(c.clause)) == (lib.REFMMAP_E_OS, errno.EINVAL,
                                                       b"ctor.offset.unaligned")


def test_construct_keeps_other_branches_at_an_unaligned_offset(tmp_path):
    """Only a branch that names the offset becomes the unaligned offset's clause."""
    path = tmp_path / "f"
    with file_fd(path, b"x" * 8192) as fd:
        c = ctor(fd, 4, offset=1)
        rc, m = construct(lib.refmmap_construct, P38, c)
        assert (rc, ffi.string(c.clause)) == (lib.REFMMAP_E_OS, b"ctor.file.length-lt-size")


def fds():
    return len(os.listdir("/proc/self/fd"))


def test_windows_anonymous_map_is_a_memfd_and_cancel_closes_it():
    before = fds()
    m, c = ffi.new("refmmap_t *"), ctor(-1, 8, tag=b"tag")
    assert lib.refmmap_construct_windows(P38, m, c) == lib.REFMMAP_AUDIT
    assert c.owned != -1 and c.fd == c.owned and fds() == before + 1
    lib.refmmap_ctor_cancel(c)
    assert c.owned == -1 and fds() == before
    rc, m = construct(lib.refmmap_construct_windows, P27, ctor(-1, 8))
    assert rc == 0 and m.fd != -1 and fds() == before + 1  # the map's own dup only
    lib.refmmap_close(m)
    assert fds() == before


@pytest.mark.parametrize("c, code", [
    (dict(fd=-1, length=-1), lib.REFMMAP_E_LENGTH_NEG),
    (dict(fd=-1, length=1, offset=-65536), lib.REFMMAP_E_OFFSET_NEG),
    (dict(fd=-1, length=1, access=4), lib.REFMMAP_E_ACCESS),
    (dict(fd=-1, length=1, access=4, offset=4096), lib.REFMMAP_E_ACCESS),  # before granularity
    (dict(fd=-1, length=1, access=-1), lib.REFMMAP_E_ACCESS),
    (dict(fd=-1, length=1, offset=4096), lib.REFMMAP_E_WIN_UNALIGNED),
    (dict(fd=-1, length=0), lib.REFMMAP_E_WIN_ANON_EMPTY),
    (dict(fd=-1, length=1, tag=b"a\0b"), lib.REFMMAP_E_TAG_NUL),
    (dict(fd=-1, length=1, tag=b"x" * 300), lib.REFMMAP_E_OS_FILE),  # memfd_create: EINVAL
    (dict(fd=-1, length=2**62, offset=2**62), lib.REFMMAP_E_WIN_TOO_BIG),
    (dict(fd=-2, length=1), lib.REFMMAP_E_OS_FILE),  # fstat: EBADF
    (dict(fd=-1, length=0, tag_fd=-2), lib.REFMMAP_E_OS_FILE),
])
def test_windows_errors_leak_no_descriptor(c, code):
    before = fds()
    rc, m = construct(lib.refmmap_construct_windows, P38, ctor(**c))
    assert rc == code and m.data == ffi.NULL and m.fd == -1 and fds() == before
    assert lib.refmmap_close(m) == 0


def test_windows_anonymous_memfd_that_cannot_grow():
    """ftruncate() of the new memfd fails (RLIMIT_FSIZE: EFBIG): the memfd is closed again."""
    import resource
    import signal

    before, limits = fds(), resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, limits[1]))
    try:
        rc, m = construct(lib.refmmap_construct_windows, P38, ctor(-1, 8192))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, handler)
    assert (rc, ffi.errno, fds()) == (lib.REFMMAP_E_OS_FILE, errno.EFBIG, before)


def test_windows_file_maps(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"")
    fd = os.open(path, os.O_RDWR)
    ro = os.open(path, os.O_RDONLY)
    try:
        assert construct(lib.refmmap_construct_windows, P38, ctor(fd, 0))[0] == lib.REFMMAP_E_EMPTY
        assert construct(lib.refmmap_construct_windows, P38, ctor(fd, 4, access=1))[0] \
            == lib.REFMMAP_E_WIN_EXTEND_READ
        too_big = ctor(fd, 2**62, offset=2**63 - 65536)
        assert construct(lib.refmmap_construct_windows, P38, too_big)[0] == lib.REFMMAP_E_WIN_TOO_BIG
        assert construct(lib.refmmap_construct_windows, P38, ctor(ro, 4))[0] == lib.REFMMAP_E_OS_FILE
        rc, m = construct(lib.refmmap_construct_windows, P38, ctor(fd, 4))
        assert rc == 0 and os.fstat(fd).st_size == 4  # the file grew to the map
        # An existing tag is opened whatever file was passed; length 0 is the rest of it.
        c = ctor(-1, 0, tag_fd=m.fd)
        rc, shared = construct(lib.refmmap_construct_windows, P38, c)
        assert (rc, c.length, shared.size) == (0, 4, 4)
        c = ctor(-1, 0, offset=65536, tag_fd=m.fd)  # past its end: a negative length
        assert construct(lib.refmmap_construct_windows, P38, c)[0] == lib.REFMMAP_E_LENGTH_NEG
        assert construct(lib.refmmap_construct_windows, P38, ctor(-1, 2, tag_fd=m.fd))[0] == 0
        lib.refmmap_close(shared)
        lib.refmmap_close(m)
    finally:
        os.close(fd)
        os.close(ro)


@pytest.mark.parametrize("src, count", [(-1, 1), (0, -1)])
def test_move_bounds_come_before_closed_at_3_11(src, count):
    """At 3.11 move() checks its bounds before "closed": an argument that closed the map meets
    the bounds error first, whichever of them is negative."""
    m = anon()
    c = call(lib.REFMMAP_OP_MOVE)
    assert lib.refmmap_run(profile("3.11"), m, c) == lib.REFMMAP_STEP_CONVERT
    assert lib.refmmap_close(m) == 0  # what a closing __index__ does meanwhile
    c.a[0], c.a[1], c.a[2] = 0, src, count
    assert lib.refmmap_run(profile("3.11"), m, c) == lib.REFMMAP_E_MOVE


def test_a_walked_item_assignment_counts_a_negative_index_from_the_end(m):
    c = call(lib.REFMMAP_OP_SETITEM)
    p = profile("3.11")
    rc = lib.refmmap_run(p, m, c)
    while rc == lib.REFMMAP_STEP_CONVERT or rc == lib.REFMMAP_STEP_CONVERT_VALUE:
        c.a[0], c.a[1] = -1, 65
        rc = lib.refmmap_run(p, m, c)
    assert rc == 0 and ffi.buffer(m.data, 10)[:] == b"012345678A"


def test_an_invalid_access_keeps_the_files_clause(tmp_path):
    """access=4 is refused (ctor.access.invalid); the branch noted is the file's, never a
    fifth access mode's."""
    path = tmp_path / "f"
    with file_fd(path, b"x" * 10) as fd:
        c = ctor(fd, 10, access=4, given=lib.REFMMAP_GIVEN_ACCESS)
        rc, _ = construct(lib.refmmap_construct, P38, c)
        assert rc == lib.REFMMAP_E_ACCESS
        assert ffi.string(c.clause) == b"ctor.file.length-lt-size"


def test_read_of_no_bytes_at_2_7_reads_none(m):
    c = call(lib.REFMMAP_OP_READ)
    p = profile("2.7")
    rc = lib.refmmap_run(p, m, c)
    assert rc == lib.REFMMAP_STEP_CONVERT
    c.a[0] = 0
    assert lib.refmmap_run(p, m, c) == lib.REFMMAP_DONE and c.count == 0


@pytest.mark.parametrize("start, end, found", [(2, 4, 2), (2, 3, -1), (0, 10, 2)])
def test_find_in_a_range_shorter_than_the_needle_at_3_10(m, start, end, found):
    """<= 3.10 answers -1 for a range shorter than the needle before searching."""
    needle = ffi.new("char[]", b"23")
    c = call(lib.REFMMAP_OP_FIND)
    p = profile("3.10")
    rc = lib.refmmap_run(p, m, c)
    while 0 < rc < lib.REFMMAP_DONE:
        c.src, c.srclen, c.given, c.a[0], c.a[1] = needle, 2, 3, start, end
        rc = lib.refmmap_run(p, m, c)
    assert rc in (0, lib.REFMMAP_DONE) and c.out == found


def test_a_negative_value_is_refused_before_the_range_from_3_13_18(m):
    """From 3.13.18 item assignment checks the value before the index's range."""
    c = call(lib.REFMMAP_OP_SETITEM)
    p = profile("3.13.18")
    rc = lib.refmmap_run(p, m, c)
    while rc in (lib.REFMMAP_STEP_CONVERT, lib.REFMMAP_STEP_CONVERT_VALUE):
        c.a[0], c.a[1] = 99, -1
        rc = lib.refmmap_run(p, m, c)
    assert rc == lib.REFMMAP_E_VALUE


def test_read_at_the_end_at_2_7_reads_nothing(m):
    m.pos = 10
    c = call(lib.REFMMAP_OP_READ)
    p = profile("2.7")
    assert lib.refmmap_run(p, m, c) == lib.REFMMAP_STEP_CONVERT
    c.a[0] = 5
    assert lib.refmmap_run(p, m, c) == lib.REFMMAP_DONE and c.count == 0


def test_write_byte_at_the_end_at_2_7_is_refused_before_closed():
    """2.7 checks the end before "closed": a conversion that closed the map meets it first."""
    m = anon()
    m.pos = 10
    c = call(lib.REFMMAP_OP_WRITE_BYTE)
    p = profile("2.7")
    assert lib.refmmap_run(p, m, c) == lib.REFMMAP_STEP_CONVERT
    assert lib.refmmap_close(m) == 0
    c.a[0] = 65
    assert lib.refmmap_run(p, m, c) == lib.REFMMAP_E_WRITE_BYTE


def test_madvise_of_no_bytes_on_a_closed_map_at_3_10_succeeds():
    """<= 3.10 calls madvise() on a closed map's NULL pointer: no bytes from a page boundary
    is no error, however far into the (stale) size it starts."""
    m = anon(2 * PAGE + 1)
    c = call(lib.REFMMAP_OP_MADVISE)
    p = profile("3.10")
    assert lib.refmmap_run(p, m, c) == lib.REFMMAP_STEP_CONVERT
    assert lib.refmmap_close(m) == 0
    c.flags, c.given, c.a[0], c.a[1] = const("MADV_NORMAL"), 2, 2 * PAGE, 0
    assert lib.refmmap_run(p, m, c) == lib.REFMMAP_DONE


def test_windows_copy_maps_and_one_byte_over_an_empty_file(tmp_path):
    """ACCESS_COPY is a Windows access mode too; a map longer than an empty file (even by one
    byte) extends the file instead of refusing it."""
    rc, m = construct(lib.refmmap_construct_windows, P38, ctor(-1, 8, access=3))
    assert rc == 0 and m.access == 3
    lib.refmmap_close(m)
    path = tmp_path / "f"
    with file_fd(path, b"") as fd:
        rc, m = construct(lib.refmmap_construct_windows, P38, ctor(fd, 1))
        assert rc == 0 and os.fstat(fd).st_size == 1
        lib.refmmap_close(m)


def test_windows_anonymous_map_on_descriptor_0(tmp_path):
    """With descriptor 0 free, the memfd behind a Windows anonymous map lands there: a
    descriptor like any other, not a failure."""
    import subprocess
    import sys

    import impls

    code = ("import os; from impls._refmmap import ffi, lib; os.close(0); "
            "p = ffi.new('refmmap_profile_t *'); lib.refmmap_profile_init(p, b'3.8'); "
            "m = ffi.new('refmmap_t *'); "
            "c = ffi.new('refmmap_ctor_t *', dict(fd=-1, length=8, tag_fd=-1, trackfd=1)); "
            "rc = lib.refmmap_construct_windows(p, m, c); "
            "rc = lib.refmmap_construct_windows(p, m, c) if rc == lib.REFMMAP_AUDIT else rc; "
            "print(rc, lib.refmmap_close(m)); "
            "print('open' if os.path.exists('/proc/self/fd/0') else 'free')")
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(impls.__file__))}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=60)
    # Both the memfd on descriptor 0 and the map's own dup of it are closed again.
    assert done.stdout.split() == ["0", "0", "free"], done.stderr


def test_an_item_written_after_the_value_shrank_the_map_lands_in_the_last_pages_tail():
    """The value's __index__ shrinks the map after the index was checked: CPython writes into
    the tail of the last page, within it only (one past it is an index error, not a fault)."""
    p = profile("3.11")
    for index, rc_wanted in ((20, 0), (10, 0), (PAGE, lib.REFMMAP_E_SET_INDEX)):
        m = anon(2 * PAGE, flags=const("MAP_PRIVATE"))
        c = call(lib.REFMMAP_OP_SETITEM)
        rc = lib.refmmap_run(p, m, c)
        while rc in (lib.REFMMAP_STEP_CONVERT, lib.REFMMAP_STEP_CONVERT_VALUE):
            if rc == lib.REFMMAP_STEP_CONVERT:
                c.a[0] = index
            else:
                assert lib.refmmap_resize(m, 10, 0) == 0  # what the value's __index__ did
                c.a[1] = 66
            rc = lib.refmmap_run(p, m, c)
        assert rc == rc_wanted
        if rc == 0:
            assert m.data[index] == b"B" and m.size == 10
        lib.refmmap_close(m)


@pytest.mark.parametrize("access", [0, 1, 2, 3])
def test_an_access_mode_alone_is_audited(access):
    m = ffi.new("refmmap_t *")
    c = ctor(-1, 8, access=access, given=lib.REFMMAP_GIVEN_ACCESS)
    assert lib.refmmap_construct(P38, m, c) == lib.REFMMAP_AUDIT
    lib.refmmap_ctor_cancel(c)


def test_an_unknown_whence_is_refused_before_closed_at_3_11():
    m = anon()
    c = call(lib.REFMMAP_OP_SEEK)
    p = profile("3.11")
    assert lib.refmmap_run(p, m, c) == lib.REFMMAP_STEP_CONVERT
    assert lib.refmmap_close(m) == 0  # the offset's __index__ closed it
    c.a[0], c.flags = 0, 3
    assert lib.refmmap_run(p, m, c) == lib.REFMMAP_E_WHENCE


def test_madvise_advises_only_the_pages_asked_for():
    """MADV_DONTNEED empties a private map's pages: only those in [start, start + length)."""
    m = anon(3 * PAGE, flags=const("MAP_PRIVATE"))
    ffi.memmove(m.data, b"x" * (3 * PAGE), 3 * PAGE)
    c = call(lib.REFMMAP_OP_MADVISE)
    p = profile("3.11")
    assert lib.refmmap_run(p, m, c) == lib.REFMMAP_STEP_CONVERT
    c.flags, c.given, c.a[0], c.a[1] = const("MADV_DONTNEED"), 2, 0, 2 * PAGE
    assert lib.refmmap_run(p, m, c) in (0, lib.REFMMAP_DONE)
    assert m.data[0] == b"\0" and m.data[2 * PAGE - 1] == b"\0" and m.data[2 * PAGE] == b"x"
    lib.refmmap_close(m)


@pytest.mark.parametrize("length, code", [(2**63 - 1, lib.REFMMAP_E_MADV_OVERFLOW),
                                          (2**63 - 1 - PAGE, lib.REFMMAP_E_CLOSED)])
def test_madvise_overflow_is_checked_before_closed_at_3_11(length, code):
    """3.11 checks madvise's start and length before "closed": past the largest size the
    overflow error comes first, up to it the closed map's."""
    m = anon(2 * PAGE)
    c = call(lib.REFMMAP_OP_MADVISE)
    p = profile("3.11")
    assert lib.refmmap_run(p, m, c) == lib.REFMMAP_STEP_CONVERT
    assert lib.refmmap_close(m) == 0
    c.flags, c.given, c.a[0], c.a[1] = const("MADV_NORMAL"), 2, PAGE, length
    assert lib.refmmap_run(p, m, c) == code


@pytest.mark.parametrize("newsize, code", [(2**63 - 1, lib.REFMMAP_E_NEWSIZE),
                                            (2**63 - 1 - PAGE, lib.REFMMAP_E_OS)])
def test_resize_past_the_largest_offset_is_checked_before_mremap_at_2_7(tmp_path, newsize, code):
    """2.7 checks "closed" before converting newsize: a map its argument closed meets the size
    check (newsize + offset must fit) before mremap() of nothing fails."""
    _, m = tail_map(tmp_path)
    c = call(lib.REFMMAP_OP_RESIZE)
    p = profile("2.7")
    assert lib.refmmap_run(p, m, c) == lib.REFMMAP_STEP_CONVERT
    assert lib.refmmap_close(m) == 0
    c.a[0] = newsize
    assert lib.refmmap_run(p, m, c) == code


@pytest.mark.parametrize("version", ["3", "", "x.y"])
def test_a_version_needs_major_and_minor(version):
    """A profile is a release with at least its major and minor numbers."""
    assert lib.refmmap_profile_init(ffi.new("refmmap_profile_t *"), version.encode()) == \
        lib.REFMMAP_E_BADARG


def test_madvise_length_not_given_is_not_checked_at_3_14():
    """3.14 refuses a negative length only when one was passed: a length not given is filled
    in (to the end) whatever its slot held."""
    m = anon(2 * PAGE)
    c = call(lib.REFMMAP_OP_MADVISE)
    p = profile("3.14")
    assert lib.refmmap_run(p, m, c) == lib.REFMMAP_STEP_CONVERT
    c.flags, c.given, c.a[0], c.a[1] = const("MADV_NORMAL"), 1, PAGE, -1
    assert lib.refmmap_run(p, m, c) == lib.REFMMAP_OK


@pytest.mark.parametrize("version", ["2.7", "3.11", "3.14"])
def test_madvise_length_far_past_the_end_is_clamped(version):
    """A length far past the map's end advises only the map (no ENOMEM from the pages after)."""
    m = anon(2 * PAGE)
    c = call(lib.REFMMAP_OP_MADVISE)
    p = profile(version)
    assert lib.refmmap_run(p, m, c) == lib.REFMMAP_STEP_CONVERT
    c.flags, c.given, c.a[0], c.a[1] = const("MADV_NORMAL"), 3, PAGE, 2**62
    assert lib.refmmap_run(p, m, c) == lib.REFMMAP_OK


@pytest.mark.parametrize("op", ["GETSLICE", "GETSLICE_NOSTEP", "SETSLICE", "SETSLICE_NOSTEP"])
@pytest.mark.parametrize("ready", [0, 1])
def test_a_zero_slice_step_is_badarg(op, ready):
    """A zero step (which the Python layer refuses first) is refused, walked or ready, never
    divided by."""
    m = anon(PAGE)
    c = call(getattr(lib, "REFMMAP_OP_" + op), ready=ready)
    c.given, c.a[0], c.a[1], c.a[2] = 3, 0, 10, 0
    p = profile("3.13")
    rc = lib.refmmap_run(p, m, c)
    if not ready:
        assert rc == lib.REFMMAP_STEP_CONVERT
        rc = lib.refmmap_run(p, m, c)
    assert rc == lib.REFMMAP_E_BADARG


@pytest.mark.parametrize("start, end, code", [(5, 1, lib.REFMMAP_E_CLOSED),
                                               (1, 2, lib.REFMMAP_DONE)])
def test_rfind_on_a_map_its_argument_closed_faults_only_below_the_needle_at_3_10(start, end,
                                                                                code):
    """<= 3.10 rfind() reads data + end - n first: that faults on the closed map only when
    the end is below the needle's length; a shorter range otherwise answers -1 untouched."""
    m = anon(PAGE)
    needle = ffi.new("char[]", b"ab")
    c = call(lib.REFMMAP_OP_FIND)
    p = profile("3.10")
    assert lib.refmmap_run(p, m, c) == lib.REFMMAP_STEP_CONVERT
    assert lib.refmmap_close(m) == 0
    c.src, c.srclen, c.flags, c.given, c.a[0], c.a[1] = needle, 2, 1, 3, start, end
    assert lib.refmmap_run(p, m, c) == code


@pytest.mark.parametrize("op, code", [("GETITEM", lib.REFMMAP_E_INDEX),
                                      ("SETITEM", lib.REFMMAP_E_SET_INDEX)])
def test_a_walked_index_out_of_range_names_its_op(op, code):
    """An index past the end is reading's error for m[i] and assignment's for m[i] = v."""
    m = anon(PAGE)
    c = call(getattr(lib, "REFMMAP_OP_" + op))
    p = profile("3.6")
    rc = lib.refmmap_run(p, m, c)
    while 0 < rc < lib.REFMMAP_DONE:
        c.a[0], c.a[1] = PAGE, 65
        rc = lib.refmmap_run(p, m, c)
    assert rc == code


@pytest.mark.parametrize("op, version", [("SEEK", "3.13"), ("FLUSH", "3.13")])
def test_an_op_that_goes_on_with_the_map_its_argument_closed_says_so(op, version):
    """<= 3.13 seek() and flush() go on with the map their argument closed (the position is
    moot, msync() of nothing): the call says it re-entered, for the clause it lands on."""
    m = anon(PAGE)
    c = call(getattr(lib, "REFMMAP_OP_" + op))
    p = profile(version)
    rc = lib.refmmap_run(p, m, c)
    assert rc == lib.REFMMAP_STEP_CONVERT
    assert lib.refmmap_close(m) == 0
    c.given, c.a[0], c.a[1] = 3, 0, 0
    rc = lib.refmmap_run(p, m, c)
    assert rc in (lib.REFMMAP_OK, lib.REFMMAP_DONE) and c.reent == 1


def test_an_unaligned_offset_fails_on_its_own_clause(tmp_path):
    """mmap(2) refuses an offset off the page grid (EINVAL): the unaligned offset's clause."""
    path = tmp_path / "f"
    with file_fd(path, b"x" * 8192) as fd:
        c = ctor(fd, 4, offset=1, given=lib.REFMMAP_GIVEN_OFFSET, flags=const("MAP_SHARED"),
                 prot=RW)
        rc, _ = construct(lib.refmmap_construct, P38, c)
        assert rc == lib.REFMMAP_E_OS and ffi.errno == errno.EINVAL
        assert ffi.string(c.clause).decode() == "ctor.offset.unaligned"


def test_windows_whole_file_map_past_the_file_end_leaves_the_file_alone(tmp_path):
    """Windows, length 0 (the whole file) at an offset past its end: refused, and the file is
    not extended (only a map with a length grows its file)."""
    path = tmp_path / "f"
    with file_fd(path, b"x" * 10) as fd:
        c = ctor(fd, 0, offset=65536, given=lib.REFMMAP_GIVEN_OFFSET)
        rc, _ = construct(lib.refmmap_construct_windows, P38, c)
        assert rc == lib.REFMMAP_E_OFFSET_GT and os.path.getsize(path) == 10


def test_an_empty_needle_is_found_at_the_end_at_3_15():
    """3.15 finds nothing that starts past the end, but b'' at the end itself (checked on
    CPython 3.15.2: find(b'', len(m)) == len(m), find(b'', len(m) + 1) == -1)."""
    m = anon(10)
    p = profile("3.15")
    for start, found in ((10, 10), (11, -1)):
        c = call(lib.REFMMAP_OP_FIND, ready=1)
        c.src, c.srclen, c.given, c.a[0] = ffi.new("char[]", b""), 0, 1, start
        rc = lib.refmmap_run(p, m, c)
        assert rc in (0, lib.REFMMAP_DONE) and c.out == found


@pytest.mark.parametrize("size", [1, 10])
def test_windows_whole_file_map_is_audited(tmp_path, size):
    """A Windows map of the whole file (length 0) raises the audit event like any other, down
    to a file of one byte."""
    path = tmp_path / "f"
    with file_fd(path, b"x" * size) as fd:
        m = ffi.new("refmmap_t *")
        c = ctor(fd, 0)
        assert lib.refmmap_construct_windows(P38, m, c) == lib.REFMMAP_AUDIT
        assert lib.refmmap_construct_windows(P38, m, c) == 0
        lib.refmmap_close(m)


def test_windows_map_ending_at_the_largest_file_size_asks_the_file_system(tmp_path):
    """offset + length exactly the largest file size still fits: the file is asked to grow
    (and refuses), where one byte more is refused as too big without asking."""
    path = tmp_path / "f"
    with file_fd(path, b"x" * 10) as fd:
        for length, code in ((65535, lib.REFMMAP_E_OS_FILE), (65536, lib.REFMMAP_E_WIN_TOO_BIG)):
            c = ctor(fd, length, offset=2**63 - 65536, given=lib.REFMMAP_GIVEN_OFFSET)
            rc, _ = construct(lib.refmmap_construct_windows, P38, c)
            assert rc == code and os.path.getsize(path) == 10


def test_windows_anonymous_map_resumed_after_its_audit_leaks_no_descriptor():
    """The call after the audit event's turn goes on where it stopped: the memfd behind the
    map is made once, and closing the map leaves no descriptor behind."""
    before = len(os.listdir("/proc/self/fd"))
    rc, m = construct(lib.refmmap_construct_windows, P38, ctor(-1, 8))
    assert rc == 0
    lib.refmmap_close(m)
    assert len(os.listdir("/proc/self/fd")) == before


@pytest.mark.parametrize("access, clause", [(0, "access.DEFAULT"), (1, "access.READ"),
                                             (2, "access.WRITE"), (3, "access.COPY")])
def test_a_file_map_given_an_access_names_that_access(tmp_path, access, clause):
    path = tmp_path / "f"
    with file_fd(path, b"x" * 8192) as fd:
        c = ctor(fd, 4, access=access, given=lib.REFMMAP_GIVEN_ACCESS)
        rc, m = construct(lib.refmmap_construct, P38, c)
        assert rc == 0 and ffi.string(c.clause).decode() == clause
        lib.refmmap_close(m)


def test_windows_whole_map_of_an_empty_file_is_refused_before_its_audit(tmp_path):
    """Windows cannot map an empty file: refused before the audit event (no turn for it)."""
    path = tmp_path / "f"
    with file_fd(path, b"") as fd:
        m = ffi.new("refmmap_t *")
        assert lib.refmmap_construct_windows(P38, m, ctor(fd, 0)) == lib.REFMMAP_E_EMPTY


def test_windows_read_only_map_of_exactly_the_file_needs_no_growth(tmp_path):
    """ACCESS_READ over exactly the file's bytes: nothing to extend, so it maps."""
    path = tmp_path / "f"
    with file_fd(path, b"x" * 10) as fd:
        rc, m = construct(lib.refmmap_construct_windows, P38, ctor(fd, 10, access=1))
        assert rc == 0 and m.size == 10
        lib.refmmap_close(m)


def test_windows_memfd_failure_keeps_its_errno():
    """A tag name too long for memfd_create: its EINVAL is the error, not a later call's."""
    c = ctor(-1, 1, tag=b"x" * 300)
    rc, _ = construct(lib.refmmap_construct_windows, P38, c)
    assert rc == lib.REFMMAP_E_OS_FILE and ffi.errno == errno.EINVAL
