# SPDX-License-Identifier: MIT
"""The one place that applies an op to an mmap-like object and observes what happened.

Stdlib only, and written in the subset that CPython 2.7 to 3.14, PyPy and Pyodide all accept:
every worker runs this very file, and the reference runs it in process. Python 2 `str` and
Python 3 `bytes` are normalised here, once. Ops arrive in their JSON form `[name, args]`.
"""

import atexit
import binascii
import errno
import hashlib
import itertools
import os
import shutil
import sys
import tempfile
import zlib

PY2 = sys.version_info[0] == 2
if PY2:  # pragma: no cover - exercised under the CPython 2.7 worker
    text_type, bytes_type, int_types = unicode, str, (int, long)  # noqa: F821
else:
    text_type, bytes_type, int_types = str, bytes, (int,)
TEXT_TYPES = frozenset((str, text_type))

# Contents up to this many bytes are sent whole, larger ones as a digest, to keep steps cheap.
INLINE_LIMIT = 256
# What a digest starts with. CRC-32 runs at several GB/s (md5 took 6 us per 4 KiB, on both sides
# of every step); a difference it misses, at odds of 1 in 2**32, shows in the steps after.
DIGEST = "crc32:"
# A map or file longer than this (a sparse file past 2**31 or 2**32 bytes) is observed by
# sample_digest(), never read whole: reading gigabytes at every step would take minutes.
LARGE_LIMIT = 1 << 20
# The bytes sampled at each end and at each of these offsets (the 32-bit boundaries).
SAMPLE = 4096
BOUNDARIES = (1 << 31, 1 << 32)
# Ops after which the file behind the map is read back and compared.
FILE_OPS = ("flush", "close", "exit", "end", "file_write", "file_truncate", "close2")


def unhex(text):
    return binascii.unhexlify(text.encode("ascii") if isinstance(text, text_type) else text)


def tohex(data):
    out = binascii.hexlify(bytes_type(data))
    return out.decode("ascii") if not PY2 else out


def same(a, b):
    """Equality that keeps types apart at any depth: `True` is not `1` and `3.0` is not `3`
    (Python's == says they are); lists and tuples, and Python 2's str and unicode, are alike."""
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a is b
    if isinstance(a, float) or isinstance(b, float):
        return type(a) is type(b) and a == b
    if isinstance(a, (list, tuple)):
        return (isinstance(b, (list, tuple)) and len(a) == len(b)
                and all(same(x, y) for x, y in zip(a, b)))
    if isinstance(a, dict):
        return (isinstance(b, dict) and len(a) == len(b)
                and all(k in b and same(v, b[k]) for k, v in a.items()))
    if isinstance(b, (list, tuple, dict)):
        return False
    return a == b


def identical(a, b):
    """True only where same(a, b) holds, cheaply: equal (in C), and of the same types where
    == does not tell them apart (True, 1 and 1.0). False says nothing: same() then decides,
    a value at a time. Text (an observation's bytes in hex, mostly) equals only text."""
    return a == b and _alike(a, b)


def _alike(a, b):
    """Whether a == b also holds type by type (a == b is known)."""
    kind = type(a)
    if kind in TEXT_TYPES:
        return True
    if kind is dict:
        for key, value in a.items():
            if not _alike(value, b[key]):
                return False
        return True
    if kind is list or kind is tuple:
        for x, y in zip(a, b):
            if not _alike(x, y):
                return False
        return True
    return type(b) is kind


def digest(data):
    """A byte string's digest, as observations hold it (zlib: every worker interpreter has it)."""
    return DIGEST + "%08x" % (zlib.crc32(data) & 0xffffffff)


def sample_digest(read, size):
    """A digest of `size` (the length) and the bytes at both ends and around each of BOUNDARIES:
    the observation of a map or file past LARGE_LIMIT. `read(start, stop)` gives the bytes of
    [start:stop); the same function on both sides, so equal contents give equal digests."""
    spans = [(0, SAMPLE), (size - SAMPLE, size)]
    spans[1:1] = [(at - SAMPLE, at + SAMPLE) for at in BOUNDARIES if SAMPLE < at < size - SAMPLE]
    parts = [("%d:" % size).encode("ascii")]
    for start, stop in spans:
        parts.append(bytes_type(read(max(start, 0), min(stop, size))))
    return digest(b"".join(parts))


def large(m, size, probe):
    """Whether map `m` of len() `size` is past LARGE_LIMIT: by its len(), or (`probe`: a map of
    a sparse file) by a byte there, where a len() that understates the map (a 32-bit length)
    would have m[:] read gigabytes. Only there: a slice past the end is itself a behaviour
    under test (clamped, or not), which every other observation leaves alone."""
    if type(size) in int_types and size > LARGE_LIMIT:
        return True
    return probe and len(m[LARGE_LIMIT:LARGE_LIMIT + 1]) > 0


def compact(obs):
    """An observation with its map and file bytes as a digest: what a batch of ops sends back.
    The same function digests both sides, so equal bytes give equal digests and a difference
    still shows (the step is then replayed in full for its report)."""
    for key in ("data", "file"):
        value = obs.get(key)
        if isinstance(value, str) and len(value) > 32:
            obs = dict(obs)
            obs[key] = digest(value.encode("ascii"))
    return obs


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


class Buffer(object):
    """A bytes-like argument of PEP 688 (3.12+): __buffer__ may act on the map first."""

    def __init__(self, data, action=None):
        self.data, self.action = data, action

    def __buffer__(self, flags):
        if self.action is not None:
            self.action()
        return memoryview(self.data)

    def __repr__(self):
        return "Buffer(%r)" % (self.data,)


def noncontiguous(raw):
    """A non-contiguous view whose bytes are `raw`: every other byte of a buffer twice as long."""
    spread = bytearray(2 * len(raw))
    spread[::2] = raw
    return memoryview(bytes_type(spread))[::2]


def export(m):
    """A buffer over the map: PEP 688's __buffer__ where the interpreter cannot call it itself."""
    if sys.version_info < (3, 12) and hasattr(type(m), "__buffer__"):
        return m.__buffer__(0)
    return memoryview(m)


def type_name(v):
    """The name of v's type as JSON holds it, whatever the type does to its __name__."""
    try:
        name = type(v).__name__
        if isinstance(name, bytes_type) and PY2:  # pragma: no cover - Python 2
            name = name.decode("utf-8", "replace")
        return name if isinstance(name, text_type) else "?"
    except Exception:
        return "?"


def outcome_of_exception(exc):
    """["exc", type name, errno name, message]. What cannot be encoded (a __str__ that raises,
    an errno that is no int) is {"unencodable": its type name} in its place, not a dead worker."""
    try:
        message = str(exc)
        if PY2 and isinstance(message, bytes_type):  # pragma: no cover - Python 2
            message = message.decode("utf-8", "replace")
        if not isinstance(message, text_type):
            raise TypeError("not text")
    except Exception:
        message = {"unencodable": type_name(exc)}
    if isinstance(exc, EnvironmentError):
        # OSError subclasses (PermissionError...) follow from errno; Python 2 spells them otherwise.
        # errno by name: Emscripten (Pyodide) numbers EINVAL 28, Linux 22.
        code = getattr(exc, "errno", None)
        if type(code) in int_types:
            code = errno.errorcode.get(code, int(code))
        elif code is not None:
            code = {"unencodable": type_name(code)}
        return ["exc", "OSError", code, message]
    return ["exc", type_name(exc), None, message]


def _abc():
    """collections.abc (Python 2: collections)."""
    try:
        import collections.abc as abc
    except ImportError:  # pragma: no cover - Python 2
        import collections as abc
    return abc


def _mapped(path):
    """The mappings of file `path` in this process (Linux: /proc/self/maps)."""
    real = os.path.realpath(path)
    with open("/proc/self/maps") as f:
        return sum(1 for line in f if line.rstrip("\n").endswith(" " + real))


def write_sparse(f, setup):
    """A scenario file's optional parts past its "data": "pieces" ([offset, hex] each) written
    at their offsets, then "size", the file's length, set by truncate. Nothing between them is
    written: a 5 GiB file costs only the pages touched, on a filesystem with sparse files."""
    for offset, piece in setup.get("pieces", ()):
        f.seek(offset)
        f.write(unhex(piece))
    if setup.get("size") is not None:
        f.truncate(setup["size"])


def _pread(f, start, stop):
    f.seek(start)
    return f.read(stop - start)


def _vm_size():
    """This process's mapped memory in bytes (Linux: VmSize in /proc/self/status)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise OSError(errno.ENOSYS, "no VmSize in /proc/self/status")


class Executor(object):
    """Runs scenarios for one implementation: `factory(fileno, length, ...)` plus its constants."""

    def __init__(self, factory, constants, witness=None):
        self.factory = factory
        self.constants = constants
        # witness(error) -> the clause the op just run landed on, or None: the reference names
        # it (impls/adapters.py); read before the observation's own calls on the map.
        self.witness = witness
        self.workdir = tempfile.mkdtemp(prefix="mmapconf-")
        atexit.register(shutil.rmtree, self.workdir, True)  # also when nobody calls shutdown()
        self.counter = 0
        self.m = self.m2 = None
        self.path = None
        self.fd = None
        self.views = []
        self.its = []  # iterators held across ops (iter(m), reversed(m)), advanced later
        self.temp_views = []  # made for one argument; released once the op is done
        self.extra_fds = []  # pipes, directories, /dev/zero opened for one scenario
        self.audit_events = None  # mmap.__new__ audit events, once a hook is installed
        self.sparse = False  # whether the scenario's file is sparse: a map of it may be huge

    # -- values -------------------------------------------------------------------------------
    def decode(self, v):
        if isinstance(v, list):
            return [self.decode(x) for x in v]
        if not isinstance(v, dict):
            return v
        (tag, arg), = v.items()
        decoder = self.DECODERS.get(tag)
        if decoder is None:
            raise ValueError("unknown value tag %r" % tag)
        return decoder(self, arg)

    # Each tag's value from its argument, for an executor (the map, its fd, its constants).
    DECODERS = {
        "kw": lambda self, arg: self.decode_kw(arg),
        "b": lambda self, arg: unhex(arg),
        "ba": lambda self, arg: bytearray(unhex(arg)),
        "mv": lambda self, arg: memoryview(unhex(arg)),
        "nc": lambda self, arg: noncontiguous(unhex(arg)),
        "text": lambda self, arg: arg,
        "float": lambda self, arg: float(arg),
        "idx": lambda self, arg: Index(arg),
        "fdidx": lambda self, arg: Index(self.fd),
        "closer": lambda self, arg: Index(arg, lambda: self.m.close()),
        "resizer": lambda self, arg: Index(arg[1], lambda: self.m.resize(arg[0])),
        "seeker": lambda self, arg: Index(arg[1], lambda: self.m.seek(arg[0])),
        "writer": lambda self, arg: Index(arg[2], lambda: self.write_at(arg[0], unhex(arg[1]))),
        "exporter": lambda self, arg: Index(arg, lambda: self.temp_views.append(export(self.m))),
        "rebuf": lambda self, arg: Buffer(unhex(arg[0]), self.decode(arg[1]).action),
        "slice": lambda self, arg: slice(*self.decode(arg)),
        "const": lambda self, arg: getattr(self.constants, arg),
        "fd": lambda self, arg: self.fileno(arg),
        "self": lambda self, arg: self.m,
        "other": lambda self, arg: self.m2,
        "selfmv": lambda self, arg: self.self_view(arg[0], arg[1]),
    }

    def write_at(self, at, data):
        """A re-entrant argument's write: slice assignment, which leaves the position alone."""
        self.m[at:at + len(data)] = data

    def self_view(self, start, stop):
        """A view of the map's [start:stop], released once the op is done."""
        view = export(self.m)
        self.temp_views.append(view)
        return view[start:stop]

    def decode_kw(self, kwargs):
        return dict((k, self.decode(x)) for k, x in kwargs.items()) if kwargs else {}

    def fileno(self, which):
        if which == "file":
            return self.fd
        if which == "closed":
            fd = os.open(self.path or os.devnull, os.O_RDONLY)
            os.close(fd)
            return fd
        if which in ("pipe", "dir", "devzero"):  # non-regular files (ctor.nonregular)
            if which == "pipe":
                fd, write_end = os.pipe()
                self.extra_fds.append(write_end)
            elif which == "dir":
                fd = os.open(self.workdir, os.O_RDONLY)
            else:
                fd = os.open("/dev/zero", os.O_RDWR)
            self.extra_fds.append(fd)
            return fd
        return which

    def encode(self, v):
        """A value as JSON holds it, keeping its type: True stays true (not 1), 3.0 is tagged
        float, an int subclass is tagged with its class name; Python 2's long is int. A value
        that cannot be encoded (a list holding itself, an int subclass whose __int__ raises)
        is {"unencodable": its type name}: what it is, on either side."""
        try:
            return self._encode(v)
        except Exception:  # RecursionError (RuntimeError on Python 2) included
            return {"unencodable": type_name(v)}

    def _encode(self, v):
        if v is None or type(v) is bool:
            return v
        if type(v) in int_types:
            return int(v)
        if isinstance(v, int_types):  # bool subclasses cannot exist; any other int subclass
            return {"intsub": [type_name(v), int(v)]}
        if isinstance(v, bytes_type):
            return {"b": tohex(v)}
        if isinstance(v, text_type):
            return {"text": v}
        if isinstance(v, (list, tuple)):
            if len(v) > 8 and set(map(type, v)) == {bytes_type}:
                # list(m) of a big map: thousands of 1-byte items, hexed in one go
                joined = tohex(b"".join(v))
                if len(joined) == 2 * len(v):
                    return [{"b": joined[i:i + 2]} for i in range(0, len(joined), 2)]
            return [self._encode(x) for x in v]
        if isinstance(v, float):
            return {"float": float(v)}
        if isinstance(v, type):
            name = v.__name__
            return {"class": name if isinstance(name, (text_type, str)) else "?"}
        if v is self.m:
            return {"self": None}
        return {"obj": type_name(v)}

    # -- scenarios ----------------------------------------------------------------------------
    def open(self, setup, args, kwargs):
        """Start a scenario: make the file (or none, for anonymous maps) and call the factory."""
        self.cleanup()
        self.sparse = setup is not None and setup.get("size") is not None
        if setup is not None:
            self.counter += 1
            self.path = os.path.join(self.workdir, "map%d" % self.counter)
            with open(self.path, "wb") as f:
                f.write(unhex(setup["data"]))
                write_sparse(f, setup)
            flags = {"r+": os.O_RDWR, "r": os.O_RDONLY, "w": os.O_WRONLY}[setup.get("mode", "r+")]
            self.fd = os.open(self.path, flags)
        self.m = self.factory(*self.decode(args), **self.decode_kw(kwargs))
        return None

    def cleanup(self):
        """Release views, close maps and the file: nothing outlives a scenario."""
        self.its = []
        for view in self.views:
            try:
                view.release()
            except Exception:
                pass
        self.views = []
        for m in (self.m, self.m2):
            try:
                m.close()
            except Exception:
                pass
        self.m = self.m2 = None
        while self.extra_fds:
            try:
                os.close(self.extra_fds.pop())
            except OSError:
                pass
        if self.fd is not None:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = None
        if self.path is not None:
            try:
                os.remove(self.path)
            except OSError:
                pass
            self.path = None

    def shutdown(self):
        self.cleanup()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # -- ops ----------------------------------------------------------------------------------
    def run(self, name, args):
        """The outcome of op `name`: the constructor, a method call, a helper, or the method
        `_op_<name>` of this class (the map as `m`)."""
        if name == "call":  # the commonest first
            method, margs, mkwargs = args
            return getattr(self.m, method)(*self.decode(margs), **self.decode_kw(mkwargs))
        if name == "open":
            return self.open(*args)
        if name == "apply":  # the map not held here: a helper may drop its last reference
            return self.helper(args[0], self.decode(args[1]))
        op = getattr(self, "_op_" + name, None)
        if op is None:
            raise ValueError("unknown op %r" % name)
        return op(self.m, args)

    def _op_getitem(self, m, args):
        return m[self.decode(args[0])]

    def _op_setitem(self, m, args):
        key, value = self.decode(args)
        m[key] = value

    def _op_delitem(self, m, args):
        del m[self.decode(args[0])]

    def _op_len(self, m, args):
        return len(m)

    def _op_bool(self, m, args):
        return bool(m)

    def _op_repr(self, m, args):
        text = repr(m)  # Python 2's repr is a byte str: still text, not data
        return text.decode("ascii", "replace") if isinstance(text, bytes_type) else text

    def _op_closed(self, m, args):
        return m.closed

    def _op_list(self, m, args):
        return list(m)

    def _op_reversed(self, m, args):
        return list(reversed(m))

    def _op_contains(self, m, args):
        return self.decode(args[0]) in m

    def _op_enter(self, m, args):
        return m.__enter__() is m

    def _op_exit(self, m, args):
        return m.__exit__(*self.decode(args))

    def _op_bytes(self, m, args):
        return bytes_type(export(m))

    def _op_export(self, m, args):
        self.views.append(export(m))

    def _op_release(self, m, args):
        self.views.pop(args[0]).release()

    def _op_view_set(self, m, args):
        self.views[args[0]][args[1]] = self.decode(args[2])

    def _op_view_get(self, m, args):  # views[k][i], or bytes(views[k][a:b])
        key = self.decode(args[1])
        value = self.views[args[0]][key]
        if not isinstance(key, slice):
            return value
        try:
            return value.tobytes()
        finally:
            value.release()

    def _op_view_slice(self, m, args):  # a view of a held view, itself held
        self.views.append(self.views[args[0]][self.decode(args[1])])

    def _op_iter_make(self, m, args):
        self.its.append(reversed(m) if args[0] else iter(m))

    def _op_iter_next(self, m, args):  # one next(), or up to n of them (fewer: it stopped)
        it = self.its[args[0]]
        if args[1] == 1:
            return next(it)
        return list(itertools.islice(it, args[1]))

    def _op_iter_drop(self, m, args):
        del self.its[args[0]]

    def _op_file_write(self, m, args):
        os.lseek(self.fd, args[0], 0)
        return os.write(self.fd, self.decode(args[1]))

    def _op_file_truncate(self, m, args):
        os.ftruncate(self.fd, args[0])

    def _op_open2(self, m, args):
        self.m2 = self.factory(self.fd, *self.decode(args[0]), **self.decode_kw(args[1]))

    def _op_get2(self, m, args):
        return self.m2[:]

    def _op_set2(self, m, args):
        data = self.decode(args[1])
        self.m2[args[0]:args[0] + len(data)] = data

    def _op_close2(self, m, args):
        return self.m2.close()

    def _op_module_attr(self, m, args):
        return getattr(self.constants, args[0])

    def _op_end(self, m, args):
        for view in self.views:
            view.release()
        self.views = []
        return m.close()

    def helper(self, what, args):
        """Named interactions with the map beyond method calls (the `apply` op): the method
        `_h_<what>` of this class, one per helper."""
        method = getattr(self, "_h_" + what, None)
        if method is None:
            raise ValueError("unknown helper %r" % what)
        return method(*args)

    def _h_drop(self):
        return self.drop("drop")

    def _h_drop_mapped(self):
        return self.drop("drop_mapped")

    def _h_hash(self):  # identity hash
        return hash(self.m) == object.__hash__(self.m)

    def _h_weakref(self):
        import weakref
        return weakref.ref(self.m)() is self.m

    def _h_gc_tracked(self):
        import gc
        return gc.is_tracked(self.m)

    def _h_pickle(self, *args):
        import pickle
        pickle.dumps(self.m, *args)

    def _h_copy(self):
        import copy
        copy.copy(self.m)

    def _h_deepcopy(self):
        import copy
        copy.deepcopy(self.m)

    def _h_reduce_ex(self, *args):
        self.m.__reduce_ex__(*args)

    def consumer_target(self):
        """What a buffer consumer is handed: an exported view, or the closed map itself."""
        try:
            return export(self.m)
        except ValueError:  # closed: hand the map itself to the consumer
            return self.m

    def _h_int(self):
        return int(self.consumer_target())

    def _h_bytearray(self):
        return bytes_type(bytearray(self.consumer_target()))

    def _h_md5(self):
        return hashlib.md5(self.consumer_target()).hexdigest()

    def _h_unpack_from(self, fmt, *rest):
        import struct
        return list(struct.unpack_from(str(fmt), self.consumer_target(), *rest))

    def _h_re_search(self, pattern):
        import re
        found = re.search(pattern, self.consumer_target())
        return None if found is None else [found.start(), found.end()]

    def _h_view_info(self):
        target = self.consumer_target()
        try:
            return [target.format, target.itemsize, target.ndim, list(target.shape),
                    target.readonly]
        finally:
            target.release()

    def _h_is_buffer(self):
        abc = _abc()
        if not hasattr(abc, "Buffer"):
            # before 3.12 (no Buffer ABC): what Buffer.__subclasshook__ looks for
            return hasattr(type(self.m), "__buffer__")
        return isinstance(self.m, abc.Buffer)

    def _h_is_sequence(self):
        return isinstance(self.m, _abc().Sequence)

    def _h_dunder_buffer(self):
        view = self.m.__buffer__(0)
        try:
            return [type(view).__name__, len(view)]
        finally:
            view.release()

    def _h_from_buffer(self):  # a writable buffer request through ctypes
        import ctypes
        if PY2:  # ctypes asks Python 2's old buffer protocol, which export() cannot give
            ctypes.c_char.from_buffer(self.m)
            return None
        view = export(self.m)  # as every consumer gets the map (PEP 688 by hand before 3.12)
        try:
            ctypes.c_char.from_buffer(view)
        finally:
            view.release()

    def _h_hasattr(self, name):
        return hasattr(self.m, name)

    def _h_setattr(self, name, value):
        setattr(self.m, name, value)

    def _h_binop(self, op, other):
        import operator
        fns = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "+": operator.add,
               "*": operator.mul}
        if op.startswith("r"):
            return fns[op[1:]](other, self.m)
        return fns[op](self.m, other)

    def _h_sizeof(self):
        return isinstance(self.m.__sizeof__(), int_types)

    def _h_iter_type(self):
        return text_type(type(iter(self.m)).__name__)  # a name, not bytes, on Python 2 too

    def _h_next_iter(self):
        return next(iter(self.m))

    def _h_subclass(self, *args):  # a subclass with its own __init__, on an anonymous map
        class Sub(self.factory):
            def __init__(self, *a, **k):
                self.seen = len(a)

            __slots__ = ("seen",)
        sub = Sub(-1, *args)
        try:
            return [isinstance(sub, self.factory), len(sub), sub.seen]
        finally:
            sub.close()

    def _h_fork_set(self, index, value):  # a child assigns m[i] = v; what the parent sees after
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                self.m[index] = value
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        return self.m[index]

    def _h_audit_new(self, *args):  # the mmap.__new__ audit events of one anonymous construction
        if self.audit_events is None:
            events = self.audit_events = []

            def hook(event, event_args):
                if event == "mmap.__new__":
                    events.append(list(event_args))
            sys.addaudithook(hook)
        del self.audit_events[:]
        self.factory(-1, *args).close()
        return list(self.audit_events)

    def _h_close_fd(self):  # the caller closes its own descriptor of the mapped file
        os.close(self.fd)
        self.fd = None

    def _h_fd_growth(self, n, trackfd):  # descriptors consumed by n maps of the file
        before = len(os.listdir("/proc/self/fd"))
        kw = {} if trackfd is None else {"trackfd": trackfd}
        maps = [self.factory(self.fd, 0, **kw) for _ in range(n)]
        grown = len(os.listdir("/proc/self/fd")) - before
        for each in maps:
            each.close()
        return grown

    def _h_drop_fds(self, n, hold, trackfd):  # descriptors held by n maps, then once dropped
        import gc
        before = len(os.listdir("/proc/self/fd"))
        kw = {} if trackfd is None else {"trackfd": trackfd}
        if hold:  # all n alive at once, then all dropped without close()
            maps = [self.factory(self.fd, 0, **kw) for _ in range(n)]
            held = len(os.listdir("/proc/self/fd")) - before
            del maps[:]
        else:  # each created and dropped without close() before the next
            held = None
            for _ in range(n):
                self.factory(self.fd, 0, **kw)
        gc.collect()
        return [held, len(os.listdir("/proc/self/fd")) - before]

    def _h_drop_anon(self, n, size, limit):  # n anonymous maps of `size` bytes made and dropped
        import gc
        before = _vm_size()
        for _ in range(n):
            self.factory(-1, size)
        gc.collect()
        return _vm_size() - before < limit  # grew by less than `limit` bytes

    def _h_large_offset(self, offset):  # a sparse file past 4 GiB mapped at offset 4 GiB
        path = os.path.join(self.workdir, "large")
        with open(path, "wb") as f:
            f.seek(offset)
            f.write(b"XYZ")
            f.truncate(offset + 8192)
        fd = os.open(path, os.O_RDWR)
        try:
            big = self.factory(fd, 4096, offset=offset)
            try:
                return [big[:3], len(big), big.size()]
            finally:
                big.close()
        finally:
            os.close(fd)
            os.remove(path)

    def drop(self, what):
        """Drop the last reference to the map (this frame holds none): "drop" gives the file's
        bytes then, "drop_mapped" whether the file was mapped before and how often it is after."""
        import gc
        before = _mapped(self.path) if what == "drop_mapped" else None
        self.m = None
        gc.collect()
        if what == "drop_mapped":
            return [before > 0, _mapped(self.path)]
        return None if self.path is None else unhex(self.file_bytes(whole=True))

    def apply(self, op):
        """Apply one op and return its observation (a JSON-ready dict)."""
        name, args = op
        witness = self.witness
        try:
            value = self.run(name, args)
        except Exception as exc:  # every exception is an outcome, compared like a value
            out = outcome_of_exception(exc)
            # Asked here: the exception's traceback must not outlive this block (its frames
            # hold the op's temporary views, released below).
            clause = witness(exc) if witness is not None else None
        else:
            clause = witness(None) if witness is not None else None
            out = ["ok", self.encode(value)]  # after the try: encoding is not the op's outcome
        while self.temp_views:
            try:
                self.temp_views.pop().release()
            except Exception:  # a slice of it still alive somewhere: let refcounting end it
                pass
        obs = {"out": out}
        if clause is not None:
            obs["clause"] = clause
        obs.update(self.observe())
        method = args[0] if name == "call" else name
        if name in FILE_OPS or method in FILE_OPS:
            obs["file"] = self.file_bytes()
        return obs

    def observe(self):
        m = self.m
        if m is None:
            return {"state": "none"}
        try:
            size = len(m)
        except ValueError:
            return {"state": "closed"}
        except Exception as exc:
            return {"state": "error", "error": outcome_of_exception(exc)}
        obs = {"state": "open", "len": self.encode(size)}
        try:
            obs["pos"] = self.encode(m.tell())
        except Exception as exc:
            obs["pos"] = outcome_of_exception(exc)
        try:
            if large(m, size, self.sparse):
                obs["data"] = sample_digest(lambda start, stop: m[start:stop], size)
                return obs
            data = bytes_type(m[:])
            if len(data) <= INLINE_LIMIT:
                obs["data"] = tohex(data)
            else:
                obs["data"] = digest(data)
        except Exception as exc:
            obs["data"] = outcome_of_exception(exc)
        return obs

    def dump(self):
        """The whole map and file, for a divergence's detail (never part of a step)."""
        out = {}
        try:
            size = len(self.m)
            out["data"] = (sample_digest(lambda start, stop: self.m[start:stop], size)
                           if large(self.m, size, self.sparse) else tohex(bytes_type(self.m[:])))
        except Exception as exc:
            out["data"] = outcome_of_exception(exc)
        out["file"] = self.file_bytes(whole=True)
        return out

    def file_bytes(self, whole=False):
        if self.path is None:
            return None
        with open(self.path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > LARGE_LIMIT:  # even `whole`: a sparse file of gigabytes
                return sample_digest(lambda start, stop: _pread(f, start, stop), size)
            data = f.read()
        if whole or len(data) <= INLINE_LIMIT:
            return tohex(data)
        return digest(data)

