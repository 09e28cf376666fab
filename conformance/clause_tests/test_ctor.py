# SPDX-License-Identifier: MIT
"""Clause tests: the Unix constructor mmap(fileno, length, flags, prot, access, offset, trackfd)."""

import errno

import pytest

from conformance.clausetools import DATA, errno_of, na, ok, raised, since
from conformance.engine import ops as o

PAGE = 4096


@pytest.mark.clause("doc.ctor.maps-length")
def test_maps_length_bytes_of_the_file(check):
    """mmap(fileno, length, ...) maps length bytes of the file with descriptor fileno and returns a map."""
    obs = check(o.Open(DATA, 4), o.Len(), o.GetItem(slice(None)))
    assert obs[-1]["out"] == ok(b"0123")


@pytest.mark.clause("doc.ctor.length0-file-size")
def test_length_zero_maps_the_whole_file(check):
    """length 0 maps the whole current size of the file at the time of the call."""
    obs = check(o.Open(DATA, 0), o.FileWrite(10, b"ab"), o.Len())
    assert obs[-1]["out"] == ok(10)


@pytest.mark.clause("doc.ctor.platform-differs")
def test_unix_constructor_has_no_tagname(check):
    """The mmap() constructor differs between Unix and Windows (Unix has no tagname parameter)."""
    obs = check(o.Open(DATA, 0, tagname=o.Text("x")))
    assert raised(obs[0]) == "TypeError"


@pytest.mark.clause("doc.ctor.fd-for-update")
def test_read_only_descriptor_cannot_back_a_writable_map(check):
    """The file descriptor must be open for update; a read-only one cannot back a default map."""
    obs = check(o.Open(DATA, 0, mode="r"))
    assert raised(obs[0]) == "OSError" and errno_of(obs[0]) == errno.EACCES


@pytest.mark.clause("doc.ctor.fileno")
def test_descriptor_from_os_open_is_the_fileno(check):
    """A file object's fileno() or a descriptor from os.open() is the value to pass as fileno."""
    obs = check(o.Open(DATA, 0), o.GetItem(slice(0, 3)))
    assert obs[-1]["out"] == ok(b"012")


@pytest.mark.clause("doc.ctor.flags-private")
def test_map_private_changes_stay_in_the_process(check):
    """flags=MAP_PRIVATE makes a private copy-on-write map whose changes stay in this process."""
    obs = check(o.Open(DATA, 0, o.Const("MAP_PRIVATE")), o.SetItem(0, 65), o.Call("flush"))
    assert obs[-1]["file"] == DATA.hex() and obs[-1]["data"].startswith("41")


@pytest.mark.clause("doc.ctor.flags-shared")
def test_map_shared_is_seen_by_other_maps(check):
    """flags=MAP_SHARED makes a map shared with every other process mapping the same file areas."""
    obs = check(o.Open(DATA, 0, o.Const("MAP_SHARED")), o.Open2(0), o.SetItem(0, 65), o.Get2())
    assert obs[-1]["out"] == ok(b"A123456789")


@pytest.mark.clause("doc.ctor.flags-default")
def test_flags_default_to_map_shared(check):
    """flags defaults to MAP_SHARED."""
    obs = check(o.Open(DATA, 0), o.SetItem(0, 65), o.FileTruncate(10))
    assert obs[-1]["file"] == b"A123456789".hex()


@pytest.mark.clause("doc.ctor.prot")
def test_prot_read_gives_a_readable_unwritable_map(check):
    """prot gives the memory protection, PROT_READ and PROT_WRITE letting pages be read or written."""
    obs = check(o.Open(DATA, 0, o.Const("MAP_SHARED"), o.Const("PROT_READ")), o.GetItem(0),
                o.SetItem(0, 65))
    assert obs[1]["out"] == ok(48) and raised(obs[2]) == "TypeError"


@pytest.mark.clause("doc.ctor.prot-default")
def test_prot_defaults_to_read_write(check):
    """prot defaults to PROT_READ | PROT_WRITE."""
    obs = check(o.Open(DATA, 0), o.SetItem(0, 65), o.GetItem(0))
    assert obs[-1]["out"] == ok(65)


@pytest.mark.clause("doc.ctor.access-in-lieu")
def test_access_keyword_instead_of_flags_and_prot(check):
    """access may be given instead of flags and prot, as a keyword."""
    obs = check(o.Open(DATA, 0, access=o.Const("ACCESS_READ")), o.Call("write", b"x"))
    assert obs[0]["out"] == ok() and raised(obs[1]) == "TypeError"


@pytest.mark.clause("doc.ctor.access-conflict")
def test_flags_prot_and_access_together_is_an_error(check):
    """Giving both flags/prot and access is an error."""
    obs = check(o.Open(DATA, 0, o.Const("MAP_PRIVATE"), access=o.Const("ACCESS_READ")))
    assert raised(obs[0]) == "ValueError"


@pytest.mark.clause("ctor.anon")
def test_anonymous_map_is_zero_filled(check):
    """mmap(-1, n) is an anonymous zero-filled map of n bytes with position 0."""
    obs = check(o.Open(None, 8), o.Len(), o.Call("tell"))
    assert obs[0]["data"] == "00" * 8 and obs[2]["out"] == ok(0)


@pytest.mark.clause("ctor.anon.zero-length")
def test_anonymous_zero_length_raises_einval(check):
    """mmap(-1, 0) raises OSError EINVAL."""
    obs = check(o.Open(None, 0))
    assert raised(obs[0]) == "OSError" and errno_of(obs[0]) == errno.EINVAL


@pytest.mark.parametrize("access, seen", [(None, 42), ("ACCESS_COPY", 0)])
@pytest.mark.clause("ctor.anon.shared-fork")
def test_anonymous_map_is_shared_with_fork_children(check, access, seen):
    """An anonymous default map is shared with fork() children; an ACCESS_COPY one is private."""
    kw = {} if access is None else {"access": o.Const(access)}
    obs = check(o.Open(None, 8, **kw), o.Apply("fork_set", 0, 42))
    assert obs[-1]["out"] == ok(seen)


@pytest.mark.parametrize("offset, error", [(PAGE, None), (PAGE + 1, "OSError")])
@pytest.mark.clause("ctor.anon.offset")
def test_anonymous_map_accepts_aligned_offset(check, offset, error):
    """An anonymous map accepts a page-aligned offset; an unaligned one raises OSError EINVAL."""
    obs = check(o.Open(None, 16, offset=offset))
    assert raised(obs[0]) == error


@pytest.mark.parametrize("data", [None, DATA])
@pytest.mark.clause("ctor.length.negative")
def test_negative_length_raises_overflowerror(check, data):
    """A negative length raises OverflowError "memory mapped length must be positive"."""
    obs = check(o.Open(data, -1))
    assert raised(obs[0]) == "OverflowError"


@pytest.mark.clause("ctor.length.huge")
def test_length_beyond_ssize_t_raises_overflowerror(check):
    """A length of 2**63 or more raises OverflowError."""
    obs = check(o.Open(None, 2**63))
    assert raised(obs[0]) == "OverflowError"


@pytest.mark.parametrize("length, fileno", [(o.Float(1.0), -1), (None, -1), (o.Text("1"), -1),
                                            (1, o.Float(-1.0)), (1, None)])
@pytest.mark.clause("ctor.length.type")
def test_non_integer_length_or_fileno_raises_typeerror(check, length, fileno):
    """A float, None or str length or fileno raises TypeError."""
    obs = check(o.OpenRaw(None, (fileno, length), {}))  # Open() reads fileno=None as -1
    assert raised(obs[0]) == "TypeError"


@pytest.mark.parametrize("length, size", [(o.Index(7), 7), (True, 1)])
@pytest.mark.clause("ctor.length.index")
def test_length_accepts_index_objects_and_bool(check, length, size):
    """length accepts __index__ objects and bool."""
    obs = check(o.Open(None, length), o.Len())
    assert obs[-1]["out"] == ok(size)


@pytest.mark.clause("ctor.file.length0")
def test_length_zero_maps_file_size_minus_offset(check):
    """length 0 maps the file's size minus offset."""
    obs = check(o.Open(b"a" * PAGE + b"xyz", 0, offset=PAGE), o.Len())
    assert obs[-1]["out"] == ok(3)


@pytest.mark.clause("ctor.file.empty")
def test_empty_file_cannot_be_mapped(check):
    """length 0 on an empty regular file raises ValueError "cannot mmap an empty file"."""
    obs = check(o.Open(b"", 0))
    assert raised(obs[0]) == "ValueError"


@pytest.mark.clause("ctor.file.empty-nonzero")
def test_nonzero_length_on_empty_file_raises(check):
    """A non-zero length on an empty file raises ValueError "mmap length is greater than file size"."""
    obs = check(o.Open(b"", 1))
    assert raised(obs[0]) == "ValueError"


@pytest.mark.clause("ctor.file.length-gt-size")
def test_length_beyond_file_raises_and_does_not_extend(check):
    """On Unix a length beyond the file's size minus offset raises ValueError and does not extend the file."""
    obs = check(o.Open(DATA, 11), o.FileTruncate(10))
    assert raised(obs[0]) == "ValueError" and obs[-1]["file"] == DATA.hex()


@pytest.mark.clause("ctor.file.length-lt-size")
def test_partial_map_reports_whole_file_size(check):
    """A length shorter than the file maps that many bytes while size() reports the whole file."""
    obs = check(o.Open(b"abcdef", 3), o.GetItem(slice(None)), o.Call("size"))
    assert (obs[1]["out"], obs[2]["out"]) == (ok(b"abc"), ok(6))


@pytest.mark.clause("ctor.offset.aligned")
def test_offset_map_is_relative_to_offset(check):
    """A granularity-aligned offset maps from there; indices, tell() and find() are relative to it."""
    obs = check(o.Open(b"a" * PAGE + b"XYZ", 0, offset=PAGE), o.GetItem(0), o.Call("tell"),
                o.Find(b"Z"), o.Call("size"))
    assert [x["out"] for x in obs[1:]] == [ok(88), ok(0), ok(2), ok(PAGE + 3)]


@pytest.mark.clause("ctor.offset.unaligned")
def test_unaligned_offset_raises_einval(check):
    """An offset that is not a multiple of ALLOCATIONGRANULARITY raises OSError EINVAL."""
    obs = check(o.Open(b"a" * PAGE * 2, 10, offset=100))
    assert raised(obs[0]) == "OSError" and errno_of(obs[0]) == errno.EINVAL


@pytest.mark.clause("ctor.offset.negative")
def test_negative_offset_raises_overflowerror(check):
    """A negative offset raises OverflowError "memory mapped offset must be positive"."""
    obs = check(o.Open(DATA, 0, offset=-PAGE))
    assert raised(obs[0]) == "OverflowError"


@pytest.mark.clause("ctor.offset.None")
def test_offset_none_raises_typeerror(check):
    """offset=None raises TypeError."""
    obs = check(o.Open(DATA, 0, offset=None))
    assert raised(obs[0]) == "TypeError"


@pytest.mark.parametrize("size", [PAGE, PAGE + 10])
@pytest.mark.clause("ctor.offset.ge-size-length0")
def test_length_zero_with_offset_at_or_past_eof_raises(check, size):
    """length 0 with offset at or beyond the file's size raises ValueError "mmap offset is greater than file size"."""
    obs = check(o.Open(b"a" * size, 0, offset=PAGE if size == PAGE else 2 * PAGE))
    assert raised(obs[0]) == "ValueError"


@pytest.mark.clause("ctor.offset.plus-length")
def test_offset_plus_length_beyond_file_raises(check):
    """offset + length beyond the file's size raises ValueError "mmap length is greater than file size"."""
    obs = check(o.Open(b"a" * (PAGE + 3), 4, offset=PAGE))
    assert raised(obs[0]) == "ValueError"


@pytest.mark.clause("ctor.too-large")
def test_file_too_large_for_32_bit_address_space(check):
    """On 32-bit builds a file too large for the address space raises ValueError "mmap length is too large"."""
    na("needs a 32-bit build; this host is 64-bit")


@pytest.mark.parametrize("args, kwargs, error", [
    ((o.Const("MAP_SHARED"), o.Const("PROT_READ"), 0, 0), {}, None),
    ((), {"fileno": -1, "length": 4}, "replace"),
    ((), {"tagname": None}, "TypeError")])
@pytest.mark.clause("ctor.positional")
def test_positional_order_and_keywords(check, args, kwargs, error):
    """Positional order is fileno, length, flags, prot, access, offset; tagname is not a Unix keyword."""
    if error == "replace":
        obs = check(o.OpenRaw(None, (), kwargs))
        error = None
    else:
        obs = check(o.Open(DATA, 0, *args, **kwargs))
    assert raised(obs[0]) == error


@pytest.mark.parametrize("access", [4, -1])
@pytest.mark.clause("ctor.access.invalid")
def test_invalid_access_raises_valueerror(check, access):
    """An access value outside 0..3 raises ValueError "mmap invalid access parameter."."""
    obs = check(o.Open(DATA, 0, access=access))
    assert raised(obs[0]) == "ValueError"


@pytest.mark.parametrize("flags, prot", [("MAP_PRIVATE", None), (None, "PROT_READ")])
@pytest.mark.clause("ctor.access.conflict")
def test_access_with_nondefault_flags_or_prot_raises(check, flags, prot):
    """access other than ACCESS_DEFAULT together with non-default flags or prot raises ValueError."""
    kw = {"access": o.Const("ACCESS_WRITE")}
    if flags:
        kw["flags"] = o.Const(flags)
    if prot:
        kw["prot"] = o.Const(prot)
    obs = check(o.Open(DATA, 0, **kw))
    assert raised(obs[0]) == "ValueError"


@pytest.mark.clause("ctor.access.explicit-defaults")
def test_access_with_default_flags_and_prot_is_accepted(check):
    """access together with flags and prot equal to their defaults is accepted."""
    obs = check(o.Open(DATA, 0, flags=o.Const("MAP_SHARED"), access=o.Const("ACCESS_READ")),
                o.Call("write", b"x"))
    assert obs[0]["out"] == ok() and raised(obs[1]) == "TypeError"


@pytest.mark.parametrize("prot, writable", [("PROT_WRITE", True), ("PROT_READ", False),
                                            ("PROT_EXEC", False)])
@pytest.mark.clause("ctor.prot.to-access")
def test_prot_decides_the_access(check, prot, writable):
    """prot without access decides it: PROT_WRITE alone is ACCESS_WRITE, anything without PROT_WRITE is ACCESS_READ."""
    prots = {"PROT_WRITE": ["PROT_WRITE"], "PROT_READ": ["PROT_READ"],
             "PROT_EXEC": ["PROT_READ", "PROT_EXEC"]}[prot]
    value = o.Arg("const", prots[0]) if len(prots) == 1 else 5  # PROT_READ | PROT_EXEC on Linux
    obs = check(o.Open(DATA, 0, prot=value), o.Call("write", b"x"))
    assert (raised(obs[1]) is None) == writable


@pytest.mark.clause("ctor.flags.private")
def test_map_private_default_access_writes_privately_and_resizes(check):
    """flags=MAP_PRIVATE with default access writes privately (file untouched) and allows resize."""
    obs = check(o.Open(b"abc", 0, flags=o.Const("MAP_PRIVATE")), o.Call("write", b"X"),
                o.Call("flush"), o.Resize(2))
    assert obs[2]["file"] == b"abc".hex() and obs[3]["out"] == ok()


@pytest.mark.parametrize("access, error", [(None, "OSError"), ("ACCESS_WRITE", "OSError"),
                                           ("ACCESS_READ", None), ("ACCESS_COPY", None)])
@pytest.mark.clause("ctor.rdonly-fd")
def test_read_only_descriptor(check, access, error):
    """On a read-only descriptor default access and ACCESS_WRITE raise PermissionError; ACCESS_READ and ACCESS_COPY work."""
    kw = {} if access is None else {"access": o.Const(access)}
    obs = check(o.Open(DATA, 0, mode="r", **kw))
    assert raised(obs[0]) == error


@pytest.mark.clause("ctor.wronly-fd")
def test_write_only_descriptor_cannot_be_read_mapped(check):
    """On a write-only descriptor ACCESS_READ raises PermissionError."""
    obs = check(o.Open(DATA, 0, mode="w", access=o.Const("ACCESS_READ")))
    assert raised(obs[0]) == "OSError" and errno_of(obs[0]) == errno.EACCES


@pytest.mark.parametrize("fileno", [-2, o.CLOSED_FD])
@pytest.mark.clause("ctor.bad-fd")
def test_bad_descriptor_raises_ebadf(check, fileno):
    """A bad or closed file descriptor raises OSError EBADF."""
    obs = check(o.Open(DATA, 10, fileno=fileno))
    assert raised(obs[0]) == "OSError" and errno_of(obs[0]) == errno.EBADF


@pytest.mark.parametrize("fileno, length, expect", [
    (o.PIPE_FD, 4, errno.ENODEV), (o.DIR_FD, 4, errno.ENODEV), (o.DEVZERO_FD, 4, None),
    (o.DEVZERO_FD, 0, errno.EINVAL)])
@pytest.mark.clause("ctor.nonregular")
def test_non_regular_files_skip_size_checks(check, fileno, length, expect):
    """Non-regular files skip the size checks: pipe/dir ENODEV, /dev/zero maps with size() 0, length 0 EINVAL."""
    kw = {"access": o.Const("ACCESS_READ")} if expect == errno.ENODEV else {}  # read-only fds
    obs = check(o.Open(DATA, length, fileno=fileno, **kw), o.Call("size"))
    if expect is None:
        assert obs[0]["out"] == ok() and obs[1]["out"] == ok(0)
    else:
        assert raised(obs[0]) == "OSError" and errno_of(obs[0]) == expect


@pytest.mark.clause("ctor.fd-dup")
def test_closing_the_callers_descriptor_keeps_the_map(check):
    """The descriptor is duplicated: closing the caller's descriptor leaves the map and size() working."""
    obs = check(o.Open(b"abcdef", 0), o.Apply("close_fd"), o.GetItem(slice(None)), o.Call("size"))
    assert (obs[2]["out"], obs[3]["out"]) == (ok(b"abcdef"), ok(6))


@pytest.mark.clause("ctor.subclass")
def test_subclass_with_own_init_constructs_maps(check):
    """Subclasses (with their own __init__) construct maps that are mmap.mmap instances."""
    obs = check(o.Open(None, 1), o.Apply("subclass", 8))
    assert obs[-1]["out"] == ok([True, 8, 2])


@pytest.mark.clause("ctor.audit")
def test_construction_raises_audit_event(check):
    """Construction raises the audit event mmap.__new__ with (fileno, length, access, offset)."""
    obs = check(o.Open(None, 1), o.Apply("audit_new", 10))
    assert obs[-1]["out"] == ok([[-1, 10, 0, 0]])


@pytest.mark.clause("ctor.large-offset")
def test_offset_beyond_4_gib_maps_correctly(check):
    """Offsets and files beyond 4 GiB map correctly."""
    obs = check(o.Open(None, 1), o.Apply("large_offset", 1 << 32))
    assert obs[-1]["out"] == ok([b"XYZ", 4096, (1 << 32) + 8192])


@pytest.mark.clause("ctor.trackfd")
def test_trackfd_is_keyword_only_from_3_13(check, mmap_impl):
    """trackfd is a keyword-only parameter from 3.13; before, it raises TypeError."""
    obs = check(o.Open(DATA, 0, trackfd=False))
    assert raised(obs[0]) == (None if since(mmap_impl, "3.13") else "TypeError")


@pytest.mark.clause("trackfd.no-dup")
def test_trackfd_false_consumes_no_descriptor(check):
    """trackfd=False consumes no file descriptor."""
    obs = check(o.Open(DATA, 0), o.Apply("fd_growth", 5, False), o.Apply("fd_growth", 5, None))
    assert (obs[1]["out"], obs[2]["out"]) == (ok(0), ok(5))


@pytest.mark.clause("trackfd.rw")
def test_trackfd_false_map_works_after_descriptor_closed(check):
    """A trackfd=False map keeps working after its descriptor is closed."""
    obs = check(o.Open(DATA, 0, trackfd=False), o.Apply("close_fd"), o.Call("write", b"ab"),
                o.Call("flush"), o.Seek(0), o.Read(3), o.Closed())
    assert obs[3]["file"].startswith(b"ab".hex()) and obs[-1]["out"] == ok(False)
