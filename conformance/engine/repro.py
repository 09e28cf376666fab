# SPDX-License-Identifier: MIT
"""Reproducers: a shrunk op sequence as a standalone Python script that runs it on the
implementation and prints, step by step, what it did next to what the spec requires.

The scripts run unchanged on CPython 2.7 to 3.15 and PyPy, like the worker, and exit 1 when a
step differs from what the spec requires, 0 when none does.
"""

from __future__ import annotations

import inspect

from conformance.engine import ops as o
from conformance.engine.compare import describe, fields_differ, render
from impls import executor

PRELUDE = '''\
from __future__ import print_function
import binascii
import collections
import copy
import ctypes
import errno
import gc
import hashlib
import itertools
import os
import pickle
import re
import struct
import weakref
import shutil
import sys
import tempfile
import zlib
if "--stdlib" in sys.argv[1:]:  # the running interpreter's own mmap instead
    import mmap
    factory = mmap.mmap
else:
{imports}

WORK = tempfile.mkdtemp(prefix="mmap-repro-")


{index}


{export}


DIGEST = {digest_prefix!r}


{digest}


LARGE_LIMIT, SAMPLE, BOUNDARIES = {large!r}
bytes_type = bytes  # str on Python 2


{sample_digest}


def consumer_target(m):
    """What the suite hands a buffer consumer: a buffer over the map, or the closed map itself."""
    try:
        return export(m)
    except ValueError:
        return m

FILE = {{"path": None}}  # the file behind the current map, if any


def new_file(data, mode="r+", size=None, pieces=()):
    """The map's file: `data`, then `pieces` ([offset, bytes]) at their offsets and the length
    `size` by truncate (a sparse file)."""
    path = FILE["path"] = os.path.join(WORK, "map%d" % len(os.listdir(WORK)))
    with open(path, "wb") as f:
        f.write(data)
        for offset, piece in pieces:
            f.seek(offset)
            f.write(piece)
        if size is not None:
            f.truncate(size)
    return os.open(path, {{"r+": os.O_RDWR, "r": os.O_RDONLY, "w": os.O_WRONLY}}[mode])


def closed_fd():
    fd = os.open(os.devnull, os.O_RDONLY)
    os.close(fd)
    return fd


def drop_map():
    """Drop the last reference to the map, then read its file back, as the suite does."""
    globals()["m"] = None
    gc.collect()
    if FILE["path"] is None:
        return None
    with open(FILE["path"], "rb") as f:
        return f.read()


def mapped(path):
    real = os.path.realpath(path)
    with open("/proc/self/maps") as f:
        return sum(1 for line in f if line.rstrip("\\n").endswith(" " + real))


def drop_mapped():
    """Drop the last reference to the map: was its file mapped before, how often after."""
    before = mapped(FILE["path"])
    globals()["m"] = None
    gc.collect()
    return [before > 0, mapped(FILE["path"])]


def pwrite(fd, data, offset):
    os.lseek(fd, offset, 0)
    return os.write(fd, data)


def release_all(views):
    while views:
        views.pop().release()


# Helpers the `apply` op's steps call (conformance/engine/ops.py HELPERS).
def binop(op, a, b):
    import operator
    fns = {{"==": operator.eq, "!=": operator.ne, "<": operator.lt, "+": operator.add,
           "*": operator.mul}}
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
    kw = {{}} if trackfd is None else {{"trackfd": trackfd}}
    before = len(os.listdir("/proc/self/fd"))
    maps = [factory(fd, 0, **kw) for _ in range(n)]
    grown = len(os.listdir("/proc/self/fd")) - before
    for each in maps:
        each.close()
    return grown


def drop_fds(factory, fd, n, hold, trackfd):
    kw = {{}} if trackfd is None else {{"trackfd": trackfd}}
    before = len(os.listdir("/proc/self/fd"))
    held = None
    if hold:
        maps = [factory(fd, 0, **kw) for _ in range(n)]
        held = len(os.listdir("/proc/self/fd")) - before
        del maps[:]
    else:
        for _ in range(n):
            factory(fd, 0, **kw)
    gc.collect()
    return [held, len(os.listdir("/proc/self/fd")) - before]


def vm_size():
    with open("/proc/self/status") as f:
        return [int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:")][0]


def drop_anon(factory, n, size, limit):
    before = vm_size()
    for _ in range(n):
        factory(-1, size)
    gc.collect()
    return vm_size() - before < limit


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
        return _outcome(code, namespace)
    finally:
        while arg_views:  # views an argument took as it converted: released as the op ends
            arg_views.pop().release()


def _outcome(code, namespace):
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
        size = os.fstat(f.fileno()).st_size
        if size > LARGE_LIMIT:  # a sparse file of gigabytes: sampled, as the suite does
            return sample_digest(lambda start, stop: pread(f, start, stop), size)
        data = f.read()
    if len(data) > 256:
        return digest(data)
    return binascii.hexlify(data).decode()


def pread(f, start, stop):
    f.seek(start)
    return f.read(stop - start)


def map_bytes(m, size):
    """The map's bytes as the suite shows them: in hex, or a digest when long; past LARGE_LIMIT
    (by len(), or a byte there) a digest of samples, never read whole."""
    if size > LARGE_LIMIT or len(m[LARGE_LIMIT:LARGE_LIMIT + 1]):
        return sample_digest(lambda start, stop: m[start:stop], size)
    value = bytes(m[:])
    return binascii.hexlify(value).decode() if len(value) <= 256 else digest(value)


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
    for name, get in (("pos", lambda: m.tell()), ("bytes", lambda: map_bytes(m, size))):
        try:
            value = get()
        except Exception as exc:
            value = "%s!" % type(exc).__name__
        parts.append("%s %s" % (name, value))
    return ", ".join(parts)


def agrees(have, want):
    """What the suite compares: an exception's type (and errno), not its message; a default
    repr without its address."""
    if have.startswith("raises ") and want.startswith("raises "):
        return have.split(": ", 1)[0] == want.split(": ", 1)[0]
    return re.sub(r" at 0x[0-9a-fA-F]+", "", have) == re.sub(r" at 0x[0-9a-fA-F]+", "", want)


views, arg_views = [], []
its = []  # iterators held across steps
namespace = globals()
'''

RUN = '''
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
'''


# The reproducer's Index and Buffer are the executor's own, so a script behaves as the suite's
# run did.
INDEX_SOURCE = (inspect.getsource(executor.Index).rstrip() + "\n\n\n"
                + inspect.getsource(executor.Buffer).rstrip())
# And its export(): a Python-level map's buffer on Pythons without PEP 688 in bytes() & co.
EXPORT_SOURCE = inspect.getsource(executor.export).rstrip()
DIGEST_SOURCE = inspect.getsource(executor.digest).rstrip()
# And how it samples a map or file past executor.LARGE_LIMIT.
SAMPLE_SOURCE = inspect.getsource(executor.sample_digest).rstrip()


def imports_for(spec, profile):
    """How the script gets `factory` and the constants module `mmap` for an implementation
    (indented: the `else:` of the `--stdlib` test). A module the script cannot import exits 2
    with one "cannot import MODULE" line, not 1 (which means a step differs)."""
    if spec.startswith("reference"):
        module = "impls.reference"
        body = (f"from impls import reference\nmmap = reference.module({profile!r})\n"
                "factory = mmap.mmap")
    elif ":" in spec and not spec.startswith("python:"):
        # As the worker does (impls/worker.py load): the constants are the module's own when it
        # has ACCESS_READ, else the stdlib's; imported from the folder the script is run in, as
        # the suite imported it from the folder it was started in.
        module, _, factory = spec.partition(":")
        body = (f"sys.path.insert(0, os.getcwd())\nimport {module} as mmap\n"
                "if not hasattr(mmap, 'ACCESS_READ'):\n    import mmap\n"
                f"from {module} import {factory} as factory")
    elif spec == "fmmap":
        module, body = "fmmap", "import mmap\nimport fmmap\nfactory = fmmap.mmap"
    else:
        return "    import mmap\n    factory = mmap.mmap"
    body = "\n".join("        " + line for line in body.splitlines())
    return ("    try:\n" + body + "\n    except ImportError as exc:\n"
            f"        sys.stderr.write('cannot import {module} (%s): run this script from the "
            "folder where it imports, or put that folder on PYTHONPATH\\n' % exc)\n"
            "        sys.exit(2)")


def step_code(op):
    """The op as Python; an open also makes its file."""
    if op.name != "open":
        return op.py()
    setup = op.args[0]
    if setup is None:
        return f"m = None; FILE['path'] = None; {op.py()}"
    data = o.py(bytes.fromhex(setup["data"]))
    if "size" in setup:  # a sparse file (ops.OpenSparse)
        pieces = [[at, bytes.fromhex(piece)] for at, piece in setup.get("pieces", ())]
        return (f"m = None; fd = new_file({data}, {setup['mode']!r}, {setup['size']!r}, "
                f"{pieces!r}); {op.py()}")
    return f"m = None; fd = new_file({data}, {setup['mode']!r}); {op.py()}"


def state_of(obs):
    """What the script's state() prints, as the reference observed it."""
    if obs.get("state") in ("none", None):
        return "no map"
    if obs["state"] == "closed":
        return "closed"
    pos = obs.get("pos")
    pos = f"{pos[1]}!" if isinstance(pos, list) else render(pos) if isinstance(pos, dict) else pos
    data = obs.get("data")
    data = f"{data[1]}!" if isinstance(data, list) else data
    return f"len {obs.get('len')}, pos {pos}, bytes {data}"


def script(spec, profile, steps, expected, got_last, *, clause, fields, python="python"):
    """A runnable reproducer for a divergence at the last of `steps`."""
    lines = [f"# Reproducer: {spec} diverges from the reference (CPython {profile} behaviour)",
             f"# on clause {clause} at step {len(steps)}: "
             f"{fields_differ(expected[-1], got_last, fields)}.",
             f"# The implementation {describe(got_last)} there.",
             f"# Run it with the implementation's interpreter: {python} repro.py (exit 1: a step",
             "# differs from what the spec requires); `--stdlib` runs it on that interpreter's own",
             "# mmap instead (exit 0 on the CPython of that profile).",
             PRELUDE.format(imports=imports_for(spec, profile), index=INDEX_SOURCE,
                            export=EXPORT_SOURCE, digest_prefix=executor.DIGEST,
                            digest=DIGEST_SOURCE, sample_digest=SAMPLE_SOURCE,
                            large=(executor.LARGE_LIMIT, executor.SAMPLE, executor.BOUNDARIES)),
             "STEPS = ["]
    held = False  # iterators held: a new map's scenario starts without them, as the suite's
    for op, obs in zip(steps, expected):
        code = step_code(op)
        if op.name == "open" and held:
            code, held = "del its[:]; " + code, False
        held = held or op.name == "iter_make"
        lines.append(f"    ({code!r},\n     {describe(obs)!r},\n     {state_of(obs)!r},\n"
                     f"     {obs.get('file')!r}),")
    lines.append("]")
    lines.append(RUN)
    return "\n".join(lines)
