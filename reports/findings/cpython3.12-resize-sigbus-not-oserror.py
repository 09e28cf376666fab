# Reproducer: cpython3.12 diverges from the reference (CPython 3.12 behaviour)
# on clause resize.zero-file at step 2: crash differ.
# The implementation crashed (SIGBUS) there.
# Run it with the implementation's interpreter: python repro.py (exit 1: a step
# differs from what the spec requires); `--stdlib` runs it on that interpreter's own
# mmap instead (exit 0 on the CPython of that profile).
from __future__ import print_function
import binascii
import collections
import copy
import ctypes
import errno
import gc
import hashlib
import os
import pickle
import re
import struct
import weakref
import shutil
import sys
import tempfile
import mmap
factory = mmap.mmap
if "--stdlib" in sys.argv[1:]:  # the running interpreter's own mmap instead
    import mmap
    factory = mmap.mmap

WORK = tempfile.mkdtemp(prefix="mmap-repro-")


class Index(object):
    """An argument that is not an int but has __index__."""

    def __init__(self, value, action=None):
        self.value, self.action = value, action

    def __index__(self):
        if self.action is not None:
            self.action()
        return self.value

    __int__ = __index__  # Python 2's arg parsing asks for __int__ where 3 asks for __index__

    def __repr__(self):
        return "Index(%d)" % self.value


def export(m):
    """A buffer over the map: PEP 688's __buffer__ where the interpreter cannot call it itself."""
    if sys.version_info < (3, 12) and hasattr(type(m), "__buffer__"):
        return m.__buffer__(0)
    return memoryview(m)


def consumer_target(m):
    """What the suite hands a buffer consumer: a buffer over the map, or the closed map itself."""
    try:
        return export(m)
    except ValueError:
        return m

FILE = {"path": None}  # the file behind the current map, if any


def new_file(data, mode="r+"):
    path = FILE["path"] = os.path.join(WORK, "map%d" % len(os.listdir(WORK)))
    with open(path, "wb") as f:
        f.write(data)
    return os.open(path, {"r+": os.O_RDWR, "r": os.O_RDONLY, "w": os.O_WRONLY}[mode])


def closed_fd():
    fd = os.open(os.devnull, os.O_RDONLY)
    os.close(fd)
    return fd


def noncontiguous(data):
    spread = bytearray(2 * len(data))
    spread[::2] = data
    return memoryview(bytes(spread))[::2]


def drop_map():
    """Drop the last reference to the map, then read its file back, as the suite does."""
    globals()["m"] = None
    gc.collect()
    if FILE["path"] is None:
        return None
    with open(FILE["path"], "rb") as f:
        return f.read()


def pwrite(fd, data, offset):
    os.lseek(fd, offset, 0)
    return os.write(fd, data)


def release_all(views):
    while views:
        views.pop().release()


# Helpers the `apply` op's steps call (conformance/ops.py HELPERS).
def binop(op, a, b):
    import operator
    fns = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "+": operator.add,
           "*": operator.mul}
    return fns[op[1:]](b, a) if op.startswith("r") else fns[op](a, b)


def subclass_of(base):
    class Sub(base):
        def __init__(self, *a, **k):
            self.seen = len(a)
        __slots__ = ("seen",)
    return lambda *a: (lambda s: [isinstance(s, base), len(s), s.seen, s.close()][:3])(Sub(*a))


def fork_set(m, i, v):
    pid = os.fork()
    if pid == 0:
        try:
            m[i] = v
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    return m[i]


def audit_new(factory, *args):
    events = []
    sys.addaudithook(lambda e, a: events.append(list(a)) if e == "mmap.__new__" else None)
    factory(-1, *args).close()
    return events


def fd_growth(factory, fd, n, trackfd):
    kw = {} if trackfd is None else {"trackfd": trackfd}
    before = len(os.listdir("/proc/self/fd"))
    maps = [factory(fd, 0, **kw) for _ in range(n)]
    grown = len(os.listdir("/proc/self/fd")) - before
    for each in maps:
        each.close()
    return grown


def large_offset(factory, offset):
    path = os.path.join(WORK, "large")
    with open(path, "wb") as f:
        f.seek(offset)
        f.write(b"XYZ")
        f.truncate(offset + 8192)
    fd = os.open(path, os.O_RDWR)
    big = factory(fd, 4096, offset=offset)
    return [big[:3], len(big), big.size()]


def outcome(code, namespace):
    try:
        try:
            compiled = compile(code, "<step>", "eval")
        except SyntaxError:
            exec(compile(code, "<step>", "exec"), namespace)
            return "returns None"
        return "returns %r" % (eval(compiled, namespace),)
    except Exception as exc:
        if isinstance(exc, EnvironmentError):
            name = errno.errorcode.get(exc.errno, exc.errno)
            return "raises OSError [errno %s]: %s" % (name, exc)
        return "raises %s: %s" % (type(exc).__name__, exc)


def file_now():
    """The map's file as the suite reads it back: its bytes in hex, or a digest when long."""
    if FILE["path"] is None:
        return "no file"
    with open(FILE["path"], "rb") as f:
        data = f.read()
    if len(data) > 256:
        return "md5:" + hashlib.md5(data).hexdigest()
    return binascii.hexlify(data).decode()


def state(namespace):
    """Position, length and contents of `m` after a step, as the suite observes them."""
    m = namespace.get("m")
    if m is None:
        return "no map"
    try:
        size = len(m)
    except ValueError:
        return "closed"
    parts = ["len %d" % size]
    for name, get in (("pos", lambda: m.tell()), ("bytes", lambda: bytes(m[:]))):
        try:
            value = get()
        except Exception as exc:
            value = "%s!" % type(exc).__name__
        if name == "bytes" and not isinstance(value, str if bytes is str else bytes):
            parts.append("bytes %s" % value)
        elif name == "bytes":
            digest = binascii.hexlify(value) if len(value) <= 256 else (
                "md5:" + hashlib.md5(value).hexdigest()).encode()
            parts.append("bytes " + digest.decode())
        else:
            parts.append("pos %s" % value)
    return ", ".join(parts)


def agrees(have, want):
    """What the suite compares: an exception's type (and errno), not its message; a default
    repr without its address."""
    if have.startswith("raises ") and want.startswith("raises "):
        return have.split(": ", 1)[0] == want.split(": ", 1)[0]
    return re.sub(r" at 0x[0-9a-fA-F]+", "", have) == re.sub(r" at 0x[0-9a-fA-F]+", "", want)


views = []
namespace = globals()

STEPS = [
    ("m = None; fd = new_file(b'0123456789', 'r+'); m = factory(fd, 0)",
     'returns None',
     'len 10, pos 0, bytes 30313233343536373839',
     None),
    ('m.resize(0)',
     'raises OSError [errno EINVAL]: [Errno 22] Invalid argument',
     'len 10, pos 0, bytes 30313233343536373839',
     None),
]

differs = 0
try:
    for number, (code, required, required_state, required_file) in enumerate(STEPS, 1):
        did = outcome(code, namespace)
        did_state = state(namespace)
        print("%2d  %s" % (number, code))
        checks = [("", did, required), ("  then", did_state, required_state)]
        if required_file is not None:  # the suite read the file back after this step
            checks.append(("  file", file_now(), required_file))
        for label, have, want in checks:
            mark = "" if agrees(have, want) else "   <-- differs"
            differs += bool(mark)
            print("    %-6s did:      %s" % (label, have))
            print("    %-6s requires: %s%s" % (label, want, mark))
finally:
    shutil.rmtree(WORK, ignore_errors=True)
print("%d step(s) differ from what the spec requires" % differs)
sys.exit(1 if differs else 0)
