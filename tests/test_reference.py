# SPDX-License-Identifier: MIT
"""The reference at the running interpreter's profile against the real stdlib `mmap`: the same
scripts run on both, and every step's outcome and the map's state must agree."""

import collections.abc
import copy
import errno
import gc
import os
import pickle
import subprocess
import sys

import pytest

from impls import reference

stdlib_mmap = pytest.importorskip("mmap")
REF = reference.module()
DATA = b"0123456789"


def export(m):
    """The harness' way to get a buffer (mirrors impls/executor.py)."""
    if sys.version_info < (3, 12) and hasattr(type(m), "__buffer__"):
        return m.__buffer__(0)
    return memoryview(m)


def outcome(code, env):
    """Run one line: ('ok', value) or ('raise', type name, message or errno)."""
    try:
        try:
            value = eval(code, env)
        except SyntaxError:
            exec(code, env)
            value = None
    except OSError as exc:
        return ("raise", type(exc).__name__, exc.errno)
    except Exception as exc:  # noqa: BLE001 - the exception is the observation
        return ("raise", type(exc).__name__, str(exc))
    if isinstance(value, (memoryview, reference._Base, stdlib_mmap.mmap)) or callable(value):
        value = type(value).__name__  # objects are compared by kind, not identity
    return ("ok", value)


def state(env):
    m = env.get("m")
    if m is None or isinstance(m, (bytes, type(None))) or m.closed:
        return ("closed",)
    return (m.tell(), len(m), m[:])


# Lines starting with "!" make CPython memcpy() a range onto itself, which AddressSanitizer
# (the sanitize session preloads it into the whole interpreter) reports; skipped there.
UNDER_ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")


def run(mod, tmp_path, setup, lines, data=DATA):
    lines = [line.lstrip("!") for line in lines if not (line.startswith("!") and UNDER_ASAN)]
    path = tmp_path / "f"
    path.write_bytes(data)
    with open(path, "r+b") as f:
        env = dict(mm=mod, sys=sys, f=f, fd=f.fileno(), export=export, pickle=pickle, copy=copy,
                   abc=collections.abc, path=path, disk=path.read_bytes, os=os)
        trace = [outcome(setup, env)]
        for line in lines:
            trace.append((line, outcome(line, env), state(env)))
        for name in ("mv", "mv2", "m2", "m"):
            env.pop(name, None)
        gc.collect()
    return trace


def check(tmp_path, setup, lines, data=DATA):
    ours = run(REF, tmp_path, setup, lines, data)
    theirs = run(stdlib_mmap, tmp_path, setup, lines, data)
    for o, t in zip(ours, theirs):
        assert o == t, f"reference differs from stdlib mmap\nours:   {o}\ntheirs: {t}"


M10 = "m = mm.mmap(-1, 10); m[:] = b'0123456789'"

CASES = {
    "getitem": (M10, [
        "len(m)", "m[0]", "m[-1]", "m[-10]", "m[10]", "m[-11]", "m[2**100]", "m[-2**100]",
        "m['a']", "m[1.0]", "m[None]", "m[(1,)]", "m[True]", "m[2:5]", "m[5:100]", "m[100:200]",
        "m[-100:3]", "m[::2]", "m[::-1]", "m[8:2:-2]", "m[::0]", "m['a':]", "m[1.0:]",
        "m[1:2:None]", "m[sys.maxsize:]", "m[-sys.maxsize-5:]", "m[::sys.maxsize]",
        "m[::-sys.maxsize-1]", "m[2**100:]", "m[:-2**100]",
        "[m[i:j:k] for i in range(-12, 12, 3) for j in range(-12, 12, 2) for k in (-3, -1, 1, 2)]",
    ]),
    "setitem": (M10, [
        "m[0] = 65", "m[-1] = 66", "m[10] = 1", "m[-11] = 1", "m[0] = 256", "m[0] = -1",
        "m[0] = 2**100", "m[0] = b'A'", "m[0] = 1.0", "m[0] = None", "m[0] = True", "m['a'] = 1",
        "m[1.0] = 1", "m[100] = b'x'", "m[2**100] = 1", "m[0:3] = b'abc'", "m[0:3] = b'ab'",
        "m[0:3] = b'abcd'", "m[8:100] = b'XY'", "m[::-1] = b'0123456789'", "m[::2] = b'abcde'",
        "m[::2] = b'abc'", "m[::0] = b''", "m[5:2] = b''", "m[100:] = b''", "m[0:2] = 'ab'",
        "m[0:2] = [1, 2]", "m[0:2] = 3", "m[0:5] = m[5:]", "m[0:5] = bytearray(b'xxxxx')",
        "m[0:5] = memoryview(b'yyyyy')", "m[0:5] = export(m)[5:]", "m[::-1] = export(m)",
        "m[1::3] = export(m)[:3]", "!m[:] = m", "del m[0]", "del m[100]", "del m[0:2]",
        "del m['a']",
    ]),
    "sequence": (M10 + "; m[3] = 0; m[4] = 255", [
        "list(m)", "list(reversed(m))", "b'1' in m", "b'\\x00' in m", "49 in m", "b'12' in m",
        "'1' in m", "type(iter(m)).__name__", "[b for b in m if b == b'5']",
        "isinstance(m, abc.Sequence)", "bool(m)", "m == m", "m != m", "m < m", "m <= m",
        "hash(m) == hash(m)", "m + m", "m + b''", "m * 2", "2 * m", "b'x' + m", "bytearray(b'x') + m",
        "pickle.dumps(m)", "copy.copy(m)", "copy.deepcopy(m)", "m.__reduce_ex__(2)", "m.foo = 1",
        "m.closed = True", "m.closed", "repr(m)", "m.__iadd__", "type(m).__qualname__",
        "type(m).__module__",
    ]),
    # `in` walks the items; the reference walks in C where no Python code can run meanwhile.
    "contains": (M10 + "; m[3] = 0; m[4] = 255\n"
                 "class Sub(bytes): pass\n"
                 "class Closer:\n"
                 "    def __eq__(self, other): m.close(); return False", [
        "b'1' in m", "b'9' in m", "b'a' in m", "b'' in m", "b'12' in m", "b'\\x00' in m",
        "b'\\xff' in m", "49 in m", "0 in m", "'1' in m", "'' in m", "True in m", "None in m",
        "bytearray(b'1') in m", "memoryview(b'1') in m", "Sub(b'1') in m", "Sub(b'a') in m",
        "m.resize(1)", "b'0' in m", "b'1' in m", "Closer() in m", "b'0' in m", "49 in m",
        "'x' in m", "Closer() in m",
    ]),
    # Iterators read each item when asked: a resize or close in between shows (anonymous maps:
    # the stdlib's resize of a file map also truncates the file this module shares).
    "live iterators": ("m = mm.mmap(-1, 6); m[:] = b'abcdef'", [
        "it = iter(m)", "next(it)", "next(it)", "m.resize(3)", "list(it)", "m.resize(6)",
        "list(it)", "it = iter(m)", "rv = reversed(m)", "next(rv)", "m.resize(2)", "list(rv)",
        "m.resize(6)", "list(rv)", "rv = reversed(m)", "m.close()", "next(it)", "next(it)",
        "next(rv)", "next(rv)", "list(m)", "reversed(m)", "b'a' in m",
    ]),
    "read": (M10, [
        "m.read(3)", "m.tell()", "m.read()", "m.read()", "m.read(0)", "m.seek(0)", "m.read(None)",
        "m.seek(0)", "m.read(-1)", "m.seek(8)", "m.read(-42)", "m.seek(2)", "m.read(2.0)",
        "m.read('x')", "m.read([])", "m.read(2**100)", "m.read(True)", "m.read(n=2)", "m.read(1, 2)",
        "m.seek(0)", "m.read_byte()", "m.read_byte(1)", "m.read_byte(x=1)", "m.seek(9)",
        "m.read_byte()", "m.read_byte()", "m.readline(5)", "m.tell(1)", "m.size(1)",
    ]),
    "readline": ("m = mm.mmap(-1, 9); m[:] = b'ab\\ncd\\r\\nef'", [
        "m.readline()", "m.readline()", "m.readline()", "m.readline()", "m.tell()",
    ]),
    "write": (M10, [
        "m.write(b'ab')", "m.write(b'')", "m.write(bytearray(b'cd'))", "m.write(memoryview(b'ef'))",
        "m.write('s')", "m.write(1)", "m.write(memoryview(b'abcdef')[::2])", "m.write()",
        "m.write(b'a', b'b')", "m.write(data=b'a')", "m.seek(8)", "m.write(b'abc')", "m.write(b'ab')",
        "m.write(b'')", "m.write(b'a')", "m.seek(0)", "!m.write(m)", "m.seek(2)",
        "!m.write(export(m)[:5])", "m.seek(0)", "m.write_byte(65)", "m.write_byte(256)",
        "m.write_byte(-1)", "m.write_byte(b'a')", "m.write_byte(1.0)", "m.write_byte(True)",
        "m.write_byte(255)", "m.seek(10)", "m.write_byte(1)", "m.write(b'')",
    ]),
    "seek": (M10, [
        "m.seek(0)", "m.seek(5, 1)", "m.seek(-1, 2)", "m.seek(0, 3)", "m.seek(11)", "m.seek(-1)",
        "m.seek(10)", "m.seek(sys.maxsize, 1)", "m.seek(sys.maxsize, 2)", "m.seek(2**100)",
        "m.seek()", "m.seek(1.0)", "m.seek(1, 2**40)", "m.seek(-3, 2)", "m.seek(1, True)",
        "m.seek(-sys.maxsize, 1)", "m.tell()",
    ]),
    "find": (M10, [
        "m.find(b'5')", "m.find(b'5', 6)", "m.find(b'', 100)", "m.rfind(b'', 100)",
        "m.find(b'', 5)", "m.rfind(b'')", "m.find('5')", "m.find(5)", "m.find(b'5', None)",
        "m.find(b'5', 2**100)", "m.find(b'5', 1.0)", "m.find(sub=b'5')", "m.find()",
        "m.find(b'0123456789A')", "m.find(m)", "m.find(export(m)[3:5])", "m.find(memoryview(b'34'))",
        "m.find(bytearray(b'9'))", "m.rfind(b'1')", "m.seek(9)", "m.find(b'1')", "m.rfind(b'1')",
        "m.find(b'9')", "m.find(b'')", "m.seek(0)",
        "[m.find(b'34', i, j) for i in range(-13, 13) for j in range(-13, 13)]",
        "[m.rfind(b'3', i, j) for i in range(-13, 13) for j in range(-13, 13)]",
        "[m.find(b'', i, j) for i in range(-13, 13) for j in range(-13, 13)]",
        "[m.rfind(b'', i, j) for i in range(-13, 13) for j in range(-13, 13)]",
    ]),
    "find-nul": ("m = mm.mmap(-1, 12); m[:] = b'a\\x00b\\x00\\x00ca\\x00b\\x00\\x00c'", [
        "m.find(b'\\x00\\x00c')", "m.rfind(b'\\x00\\x00c')", "m.find(b'b\\x00', 3)",
        "m.rfind(b'a', 0, 6)", "m.find(b'c', -1)",
    ]),
    # Dense candidates: every byte starts the needle, so the search gives up comparing and goes
    # on with a linear one (memmem forwards, a reverse KMP backwards), before or after a hit.
    "find-dense": ("m = mm.mmap(-1, 40003); m[:] = b'b' + b'a' * 20000 + b'b' + b'a' * 20000 + b'b'", [
        "m.find(b'aab')", "m.rfind(b'baa')", "m.find(b'aab', 20000)", "m.rfind(b'baa', 0, 20004)",
        "m.find(b'aac')", "m.rfind(b'aac')", "m.find(b'a' * 300 + b'b')", "m.rfind(b'b' + b'a' * 300)",
        "m.find(b'ab' * 3)", "m.rfind(b'ba' * 3)", "m.rfind(b'aaba')", "m.rfind(b'aab' + b'a' * 9999)",
        "m.rfind(b'a' * 20001)", "m.find(b'a' * 20001)", "m.rfind(b'ab', 0, 20003)",
        "m[5000:5006] = b'aabaab'", "m.rfind(b'aabaab')", "m.rfind(b'abaa')", "m.rfind(b'aabaa', 0, 20000)",
        "m.find(b'baab')", "m.rfind(b'aabaab', 4000)", "m.rfind(b'aabaab', 5001)",
        "[m.rfind(b'aab' + b'a' * k) for k in (0, 1, 2, 3, 4999, 5000, 20001)]",
        "[m.find(b'a' * k + b'ba') for k in (0, 1, 2, 3, 4999, 5000, 20001)]",
    ]),
    "move-flush-madvise": (M10, [
        "m.move(0, 5, 5)", "m.move(5, 0, 5)", "m.move(1, 0, 9)", "m.move(0, 1, 9)",
        "m.move(0, 0, 11)", "m.move(-1, 0, 1)", "m.move(0, -1, 1)", "m.move(0, 0, -1)",
        "m.move(10, 10, 0)", "m.move(0, sys.maxsize, 1)", "m.move(sys.maxsize, 0, sys.maxsize)",
        "m.move(1, 2)", "m.move(1, 2, 3, 4)", "m.tell()", "m.flush()", "m.flush(0, 10)",
        "m.flush(1, 1)", "m.flush(-1, 1)", "m.flush(0, -1)", "m.flush(0, 11)", "m.flush(1)",
        "m.flush(0)", "m.flush(0, 0)", "m.flush(10, 0)", "m.flush(sys.maxsize, sys.maxsize)",
        "m.madvise(mm.MADV_NORMAL)", "m.madvise(mm.MADV_NORMAL, 0, 100)",
        "m.madvise(mm.MADV_NORMAL, 10)", "m.madvise(mm.MADV_NORMAL, -1)",
        "m.madvise(mm.MADV_NORMAL, 0, -1)", "m.madvise(mm.MADV_NORMAL, 1, sys.maxsize)",
        "m.madvise(mm.MADV_NORMAL, 1, 1)", "m.madvise(999)", "m.madvise(mm.MADV_NORMAL, 0, None)",
        "m.madvise()", "m.size()",
    ]),
    "resize-anon": (M10 + "; m.seek(8)", [
        "m.resize(5)", "len(m)", "m.tell()", "m.read()", "m.readline()", "m.read_byte()",
        "m.write_byte(1)", "m.write(b'')", "m.write(b'a')", "m.seek(0, 1)", "m.find(b'1')",
        "m.rfind(b'1')", "m.resize(-1)", "m.resize(2**100)", "m.resize(1.0)", "m.resize(5)",
        "m.resize(0)",
    ]),
    "resize-private-grow": ("m = mm.mmap(-1, 4096, flags=mm.MAP_PRIVATE); m[0] = 7", [
        "m.resize(8192)", "len(m)", "m[0]", "m[8191]", "m[4096:4100]",
    ]),
    "after-close": (M10 + "; m.close()", [
        "m.close()", "m.closed", "repr(m)", "m.read(1)", "m.read()", "m.read('x')", "m.read_byte()",
        "m.readline()", "m.write(b'a')", "m.write(1)", "m.write_byte(1)", "m.write_byte('x')",
        "m.seek(0)", "m.seek(0, 9)", "m.tell()", "m.size()", "m.resize(1)", "m.flush()",
        "m.flush('a')", "m.move(0, 0, 1)", "m.find(b'a')", "m.find(1)", "m.rfind(b'a')",
        "m.madvise(1)", "len(m)", "bool(m)", "m[0]", "m[0:1]", "m['a']", "m[0] = 1",
        "m[0:1] = b'a'", "del m[0]", "b'a' in m", "list(m)", "iter(m) and 1", "next(iter(m))",
        "m.__enter__()", "m.__exit__()", "m.__exit__(None, None, None)", "hash(m) == hash(m)",
        "m == m", "export(m)", "pickle.dumps(m)", "m.read(n=1)",
    ]),
    "context-manager": ("m = None", [
        "with mm.mmap(-1, 5) as m: m.write(b'ab')", "m.closed",
        "with mm.mmap(-1, 5) as m: raise KeyError('x')", "m.closed",
    ]),
    "exports": (M10, [
        "mv = export(m)", "mv.format", "mv.itemsize", "mv.ndim", "mv.shape", "mv.readonly",
        "mv[3]", "m.close()", "m.resize(5)", "mv[0] = 65", "m[0]", "mv.release()", "m.resize(5)",
        "mv2 = export(m)[2:]", "mv2.tobytes()", "m.close()", "del mv2", "m.close()",
    ]),
}

FILE_CASES = {
    "file-default": ("m = mm.mmap(fd, 0)", [
        "len(m)", "m.size()", "m[:]", "m[0] = 65", "disk()", "m.flush()", "m.resize(20)", "disk()",
        "len(m)", "m[10:]", "m.resize(5)", "disk()", "m.size()", "m.close()", "disk()",
    ]),
    "file-partial": ("m = mm.mmap(fd, 3)", [
        "len(m)", "m.size()", "m[3:10]", "m.resize(5)", "disk()", "m.size()",
    ]),
    "file-read": ("m = mm.mmap(fd, 0, access=mm.ACCESS_READ)", [
        "repr(m)", "m[0] = 1", "m[100] = 1", "m[0:1] = b'ab'", "del m[0]", "m.write(b'a')",
        "m.write('a')", "m.write_byte(1)", "m.seek(10)", "m.write_byte(1)", "m.move(0, 0, 1)",
        "m.move(0, 0, 100)", "m.resize(1)", "m.flush(1, 1)", "m.flush(0, 100)", "disk()",
        "export(m).readonly", "mv = export(m)", "mv[0] = 1", "del mv", "m.close()",
    ]),
    "file-copy": ("m = mm.mmap(fd, 0, access=mm.ACCESS_COPY)", [
        "repr(m)", "m[0] = 65", "m.write(b'xy')", "m.flush()", "m.flush(1, 1)", "disk()",
        "m.resize(20)", "m[:]",
    ]),
    "file-write": ("m = mm.mmap(fd, 0, access=mm.ACCESS_WRITE)", [
        "repr(m)", "m[0] = 65", "disk()", "m.flush(1, 1)", "m.flush(4096, 0)", "m.resize(3)", "disk()",
    ]),
    "file-prot": ("m = mm.mmap(fd, 0, prot=mm.PROT_READ)", [
        "repr(m)", "m[0] = 1", "m.resize(1)",
        "m2 = mm.mmap(fd, 0, prot=mm.PROT_WRITE)", "repr(m2)", "m2.close()",
        "m2 = mm.mmap(fd, 0, prot=mm.PROT_READ | mm.PROT_EXEC)", "m2.write(b'a')", "m2.close()",
        "m2 = mm.mmap(fd, 0, flags=mm.MAP_PRIVATE)", "repr(m2)", "m2.write(b'zz')", "m2.flush()",
        "disk()", "m2.resize(4)", "disk()", "m2.close()",
    ]),
    "ctor": ("m = None", [
        "mm.mmap(-1, -1)", "mm.mmap(-1, 0)", "mm.mmap(-1, 2**63)", "mm.mmap(-1, 1.0)",
        "mm.mmap(-1, '1')", "mm.mmap(-1, True).__len__()", "mm.mmap(fd, 0, offset=-1)",
        "mm.mmap(fd, 0, offset=4096)", "mm.mmap(fd, 0, offset=10)", "mm.mmap(fd, 0, offset=1)",
        "mm.mmap(fd, 11)", "mm.mmap(fd, 5, offset=8)", "mm.mmap(fd, 1, offset=4096)",
        "mm.mmap(fd, 0, access=4)", "mm.mmap(fd, 0, access=-1)",
        "mm.mmap(fd, 0, flags=mm.MAP_PRIVATE, access=mm.ACCESS_READ)",
        "mm.mmap(fd, 0, prot=mm.PROT_READ, access=mm.ACCESS_READ)",
        "mm.mmap(fd, 0, flags=mm.MAP_PRIVATE, access=9)",
        "repr(mm.mmap(fd, 0, mm.MAP_SHARED, mm.PROT_READ | mm.PROT_WRITE, mm.ACCESS_READ))",
        "mm.mmap(-2, 1)", "mm.mmap(999, 1)", "mm.mmap(fd, 0, tagname='x')", "mm.mmap(fd)",
        "mm.mmap(fd, 0, trackfd=False)" if sys.version_info < (3, 13) else "0",
        "mm.mmap(-1, 16, offset=4096).__len__()", "mm.mmap(-1, 16, offset=1)",
        "mm.mmap(None, 1)", "mm.mmap(-1, 1, None)", "mm.mmap(-1, 1, offset=None)",
        "mm.mmap(-1, 1, offset=2**64)", "mm.mmap(-1, 1, access=2**40)", "mm.mmap(fileno=-1, length=3).__len__()",
        "mm.error is OSError", "mm.PAGESIZE == mm.ALLOCATIONGRANULARITY",
        "sorted(n for n in dir(mm) if n.isupper())",
        "sorted(n for n in dir(mm.mmap) if not n.startswith('_') or n in ('__enter__', '__exit__'))",
    ]),
    "offset": ("m = mm.mmap(fd, 0, offset=4096)", [
        "len(m)", "m[:]", "m.size()", "m.tell()", "m.find(b'Z')", "repr(m)", "m.resize(10)",
        "disk()[4096:]", "m.size()",
    ]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_agrees_with_stdlib(tmp_path, name):
    setup, lines = CASES[name]
    check(tmp_path, setup, lines)


@pytest.mark.parametrize("name", sorted(FILE_CASES))
def test_file_agrees_with_stdlib(tmp_path, name):
    setup, lines = FILE_CASES[name]
    data = DATA + b"\0" * 4086 + b"XYZ" if name == "offset" else DATA
    check(tmp_path, setup, lines, data)


def test_empty_file(tmp_path):
    check(tmp_path, "m = None", ["mm.mmap(fd, 0)", "mm.mmap(fd, 1)"], data=b"")


@pytest.mark.parametrize("mode,line", [
    ("rb", "mm.mmap(fd, 0)"), ("rb", "mm.mmap(fd, 0, access=mm.ACCESS_WRITE)"),
    ("rb", "len(mm.mmap(fd, 0, access=mm.ACCESS_READ))"),
    ("rb", "mm.mmap(fd, 0, access=mm.ACCESS_COPY)[:]"),
    ("wb", "mm.mmap(fd, 0, access=mm.ACCESS_READ)"),
])
def test_fd_modes(tmp_path, mode, line):
    path = tmp_path / "f"
    results = []
    for mod in (REF, stdlib_mmap):
        path.write_bytes(DATA)
        with open(path, mode) as f:
            results.append(outcome(line, dict(mm=mod, fd=f.fileno())))
            gc.collect()
    assert results[0] == results[1]


def test_nonregular_files():
    r, w = os.pipe()
    try:
        for line in ("mm.mmap(r, 1)", "mm.mmap(r, 0)"):
            assert outcome(line, dict(mm=REF, r=r)) == outcome(line, dict(mm=stdlib_mmap, r=r))
    finally:
        os.close(r)
        os.close(w)
    with open("/dev/zero", "r+b") as f:
        env = dict(fd=f.fileno())
        for line in ("len(mm.mmap(fd, 4))", "mm.mmap(fd, 4).size()", "mm.mmap(fd, 0)"):
            ours = outcome(line, dict(env, mm=REF))
            assert ours == outcome(line, dict(env, mm=stdlib_mmap)), line


def test_fd_is_duplicated_and_closed(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(DATA)
    before = len(os.listdir("/proc/self/fd"))
    with open(path, "r+b") as f:
        m = REF.mmap(f.fileno(), 0)
    assert len(os.listdir("/proc/self/fd")) == before + 1
    assert (m[:], m.size()) == (DATA, 10)
    m.close()
    assert len(os.listdir("/proc/self/fd")) == before


def test_shared_maps_are_coherent(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(DATA)
    with open(path, "r+b") as f:
        a, b = REF.mmap(f.fileno(), 0), REF.mmap(f.fileno(), 0)
        c = REF.mmap(f.fileno(), 0, access=REF.ACCESS_COPY)
        a[0] = ord("A")
        os.pwrite(f.fileno(), b"Z", 9)
        assert (b[0], b[9], c[0], c[9]) == (65, 90, 65, 90)
        c[1] = ord("c")
        assert (a[1], path.read_bytes()[1]) == (ord("1"), ord("1"))
        for m in (a, b, c):
            m.close()


SELF_COPY = """
import mmap, os, sys
path, count = sys.argv[1], int(sys.argv[2])
with open(path, "wb") as f:
    f.write(b"a" * 65536)
with open(path, "r+b") as f:
    m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
    m.move(0, 0, count)
    os.pwrite(f.fileno(), b"b", 0)
    print(m[0])
    m.close()
"""


@pytest.mark.parametrize("count", [8, 512, 1024, 65536])
def test_self_copy_unshares_a_copy_page_as_the_stdlib_does(tmp_path, count):
    # Whether moving a range onto itself writes is up to the C library (glibc writes small
    # ranges, skips large ones) and shows: a written copy-on-write page stops seeing the file.
    # The stdlib runs in a child without the sanitizer runtime, so under `nox -s sanitize`
    # the sanitized reference is held to plain libc's answer.
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    child = subprocess.run([sys.executable, "-c", SELF_COPY, str(tmp_path / "s"), str(count)],
                           env=env, capture_output=True, text=True, check=True)
    path = tmp_path / "r"
    path.write_bytes(b"a" * 65536)
    with open(path, "r+b") as f:
        m = REF.mmap(f.fileno(), 0, access=REF.ACCESS_COPY)
        m.move(0, 0, count)
        os.pwrite(f.fileno(), b"b", 0)
        seen = m[0]
        m.close()
    assert seen == int(child.stdout)


def test_anonymous_maps_are_shared_with_children_unless_copy():
    for access, expected in ((REF.ACCESS_WRITE, 42), (REF.ACCESS_COPY, 0)):
        m = REF.mmap(-1, 1, access=access)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            m[0] = 42
            os._exit(0)
        os.waitpid(pid, 0)
        assert m[0] == expected
        m.close()


def test_buffer_export_ends_when_view_is_garbage():
    m = REF.mmap(-1, 10)
    mv = export(m)[1:3]
    with pytest.raises(BufferError, match="cannot close exported pointers exist"):
        m.close()
    del mv
    m.close()
    assert m.closed


def test_view_keeps_mapping_alive():
    m = REF.mmap(-1, 10)
    m[:] = DATA
    mv = export(m)
    del m
    gc.collect()
    assert mv.tobytes() == DATA
    mv.release()


def test_writable_export_of_readonly_map_is_refused():
    m = REF.mmap(-1, 10, access=REF.ACCESS_READ)
    with pytest.raises(BufferError):
        m.__buffer__(1)
    assert m.__buffer__(0).readonly
    gc.collect()
    m.close()


class Closer:
    """An index whose conversion closes or shrinks the map (catalogue 1.T)."""

    def __init__(self, m, value, shrink=None):
        self.m, self.value, self.shrink = m, value, shrink

    def __index__(self):
        if self.shrink is None:
            self.m.close()
        else:
            self.m.resize(self.shrink)
        return self.value


REENTRANT = [
    "m[X]", "m[X:20]", "m[X:20:2]", "m[20:X:-2]", "m.read(X)", "m.find(b'1', 1, X)",
    "m.rfind(b'1', X)", "m.__setitem__(X, 1)", "m.__setitem__(1, X)",
    "m.__setitem__(slice(X, 20), b'1' * 10)", "m.__setitem__(slice(X, 20, 2), b'1' * 5)",
    "m.move(1, 2, X)", "m.write_byte(X)", "m.madvise(0, 0, X)",
]


@pytest.mark.parametrize("profile", ["3.11", "3.13", "3.14"])
@pytest.mark.parametrize("line", REENTRANT)
def test_index_that_closes_the_map(line, profile):
    mm = reference.module(profile)
    m = mm.mmap(-1, 100)
    env = dict(m=m, X=Closer(m, 10))
    assert outcome(line, env) == ("raise", "ValueError", "mmap closed or invalid")


@pytest.mark.parametrize("line,expected", [
    # <= 3.13 checks these against the closed map's stale size and position (catalogue 195).
    ("m.seek(X)", ("ok", None)), ("m.flush(0, X)", ("raise", "OSError", errno.ENOMEM)),
    ("m.flush(X, 0)", ("raise", "OSError", errno.EINVAL)), ("m.flush(X)", ("raise", "ValueError",
                                                                          "flush values out of range")),
    ("m.resize(X)", ("raise", "OSError", errno.EFAULT)),
    ("m.seek(0, X)", ("raise", "ValueError", "unknown seek type")),
    ("m[Closer(m, 100)]", ("raise", "IndexError", "mmap index out of range")),
    ("m.__setitem__(Closer(m, 100), 0)", ("raise", "IndexError", "mmap index out of range")),
    ("m.__setitem__(1, Closer(m, 256))", ("raise", "ValueError",
                                          "mmap item value must be in range(0, 256)")),
    ("m.__setitem__(slice(X, 20), b'')", ("raise", "IndexError", "mmap slice assignment is wrong size")),
    ("m.move(0, 0, Closer(m, 101))", ("raise", "ValueError", "source, destination, or count out of range")),
    ("m.madvise(0, Closer(m, 100))", ("raise", "ValueError", "madvise start out of bounds")),
])
def test_index_that_closes_the_map_stale_checks(line, expected):
    m = reference.module("3.12").mmap(-1, 100)
    env = dict(m=m, X=Closer(m, 10), Closer=Closer)
    assert outcome(line, env) == expected
    assert m.closed


def test_index_that_closes_a_readonly_map_is_a_TypeError_first():
    for op in ("write_byte(X)", "move(X, 0, 1)"):
        m = reference.module("3.11").mmap(-1, 100, access=REF.ACCESS_READ)
        assert outcome("m." + op, dict(m=m, X=Closer(m, 1))) == (
            "raise", "TypeError", "mmap can't modify a readonly memory map.")


@pytest.mark.parametrize("line", ["m.seek(X)", "m.flush(X)", "m.resize(X)", "m.seek(0, X)"])
def test_index_that_closes_the_map_at_3_14(line):
    """3.14 (Argument Clinic) converts first, then checks (probed on 3.14.10 and Pyodide's 3.14.2)."""
    m = reference.module("3.14").mmap(-1, 100)
    assert outcome(line, dict(m=m, X=Closer(m, 10))) == ("raise", "ValueError", "mmap closed or invalid")


def test_flush_size_that_closes_the_map_msyncs_nothing_at_3_14_and_is_caught_at_3_15():
    """3.14 checks "closed" before converting flush()'s size; 3.15 after."""
    import errno

    m = reference.module("3.14").mmap(-1, 100)
    assert outcome("m.flush(0, X)", dict(m=m, X=Closer(m, 10)))[:3] == ("raise", "OSError", errno.ENOMEM)
    m = reference.module("3.15").mmap(-1, 100)
    assert outcome("m.flush(0, X)", dict(m=m, X=Closer(m, 10))) == (
        "raise", "ValueError", "mmap closed or invalid")


@pytest.mark.parametrize("line,expected", [
    ("m[X]", ("raise", "IndexError", "mmap index out of range")),
    ("m[X:70]", ("ok", b"")),
    ("m.find(b'\\0', X)", ("ok", -1)),
    ("m.__setitem__(X, 1)", ("raise", "IndexError", "mmap index out of range")),
    ("m.move(X, 0, 10)", ("raise", "ValueError", "source, destination, or count out of range")),
])
def test_index_that_shrinks_the_map(line, expected):
    m = REF.mmap(-1, 100, flags=REF.MAP_PRIVATE)
    env = dict(m=m, X=Closer(m, 60, shrink=50))
    assert outcome(line, env) == expected
    assert len(m) == 50


class Buffer:
    """A PEP 688 buffer whose __buffer__ resizes map `m` to `size` first."""

    def __init__(self, m, data, size):
        self.m, self.data, self.size = m, data, size

    def __buffer__(self, flags):
        self.m.resize(self.size)
        return memoryview(self.data)


@pytest.mark.parametrize("profile, expected", [
    ("3.11", ("raise", "TypeError", "a bytes-like object is required, not 'Buffer'")),
    ("3.12", ("raise", "IndexError", "mmap index out of range")),
    ("3.13.18", ("ok", None)), ("3.15", ("ok", None))])
def test_a_buffer_that_shrinks_the_map_in_slice_assignment(profile, expected):
    """m[-1:] = data whose __buffer__ shrinks the map: no buffer before 3.12 (PEP 688); 3.12
    adjusted the slice first (and wrote past the end: gh-157335), where the reference raises;
    from 3.13.18 the slice meets the new size, so the new last byte is written."""
    m = reference.module(profile).mmap(-1, 4 * 4096, flags=REF.MAP_PRIVATE)
    assert outcome("m.__setitem__(slice(-1, None), X)", dict(m=m, X=Buffer(m, b"A", 4096))) == expected
    if expected[0] == "ok":
        assert len(m) == 4096 and m[-1] == 65


class ClosingBuffer:
    def __init__(self, m):
        self.m = m

    def __buffer__(self, flags):
        self.m.close()
        return memoryview(b"ab")


@pytest.mark.parametrize("profile, error", [("3.12", "TypeError"), ("3.13.18", "TypeError"),
                                            ("3.14", "ValueError"), ("3.15", "ValueError")])
def test_write_of_a_buffer_that_closes_a_readonly_map(tmp_path, profile, error):
    """Up to 3.13 write() checks the access mode after taking its data, before "closed"
    again; from 3.14 (Argument Clinic) the closed map is seen first."""
    path = tmp_path / "f"
    path.write_bytes(b"abcd")
    module = reference.module(profile)
    with open(path, "rb") as f:
        m = module.mmap(f.fileno(), 0, access=module.ACCESS_READ)
    assert outcome("m.write(X)", dict(m=m, X=ClosingBuffer(m)))[1] == error


def test_messages_are_the_ones_raised():
    assert "mmap closed or invalid" in reference.MESSAGES
    assert "cannot close exported pointers exist" in reference.MESSAGES
    assert not any(msg.startswith("refmmap") for msg in reference.MESSAGES)


def test_never_imports_stdlib_mmap(tmp_path):
    code = ("import sys; sys.modules['mmap'] = None; from impls import reference; "
            "m = reference.mmap(-1, 3); m.write(b'abc'); print(m[:].decode())")
    import subprocess

    # The very impls package under test (the sanitize session's copy, or the checkout's).
    where = os.path.dirname(os.path.dirname(os.path.abspath(reference.__file__)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         env=dict(os.environ, PYTHONPATH=where))
    assert out.stdout.strip() == "abc", out.stderr


def test_subclass_and_weakref():
    import weakref

    class Sub(REF.mmap):
        def __init__(self, *args):
            self_args = args  # noqa: F841 - CPython accepts an __init__ taking the ctor args

    m = Sub(-1, 4)
    assert isinstance(m, REF.mmap) and len(m) == 4
    r = weakref.ref(m)
    m.close()
    assert r() is m


def test_resize_zero_of_a_file_fails_cleanly(tmp_path):
    """CPython 3.11 truncates the file, then fails, leaving a map that SIGBUSes (catalogue 140)."""
    path = tmp_path / "f"
    path.write_bytes(DATA)
    with open(path, "r+b") as f:
        m = REF.mmap(f.fileno(), 0)
    with pytest.raises(OSError) as info:
        m.resize(0)
    assert info.value.errno == errno.EINVAL
    assert (path.read_bytes(), m[:]) == (DATA, DATA)
    m.close()


def test_growing_a_shared_anonymous_map_fails_cleanly():
    m = REF.mmap(-1, 10)
    with pytest.raises(ValueError, match="can't expand a shared anonymous mapping on Linux"):
        m.resize(4096 * 2)
    assert len(m) == 10 and m[9] == 0
    m.close()


@pytest.fixture(autouse=True)
def no_fd_left_behind():
    """Every test here must close what it opens (maps hold a dup of their file's descriptor)."""
    before = sorted(os.listdir("/proc/self/fd"))
    yield
    gc.collect()
    assert sorted(os.listdir("/proc/self/fd")) == before


def test_map_argument_is_exported_while_converting_bounds():
    """CPython holds the needle's buffer (y*) while converting start/end: closing it is refused."""
    m, other = REF.mmap(-1, 10), REF.mmap(-1, 4)

    class CloseOther:
        def __index__(self):
            other.close()
            return 0

    with pytest.raises(BufferError, match="cannot close exported pointers exist"):
        m.find(other, CloseOther())
    assert not other.closed and m.find(other, 0) == 0
    other.close()
    m.close()


def test_audit_event():
    events = []
    sys.addaudithook(lambda name, args: events.append(args) if name == "mmap.__new__" else None)
    REF.mmap(-1, 10).close()
    with pytest.raises(ValueError):
        REF.mmap(-1, 10, access=9)
    assert events[-1] == (-1, 10, 0, 0)


@pytest.mark.parametrize("profile, clause", [("3.11", "reent.close.seek-flush"),
                                             ("3.15", "reent.close")])
def test_a_flush_whose_argument_closes_the_map_names_that(profile, clause):
    """<= 3.13 flush() goes on with the map its offset's __index__ closed (msync of nothing
    succeeds); 3.15 checks "closed" after it and raises. The reference names which."""
    m = reference.module(profile).mmap(-1, 16)

    class Closer:
        def __index__(self):
            m.close()
            return 0

    reference.LEDGER.reset()
    error = None
    try:
        m.flush(Closer(), 0)
    except ValueError as exc:
        error = exc
    assert reference.LEDGER.clause(m._m, error) == clause
