# SPDX-License-Identifier: MIT
"""The reference mmap: CPython's `mmap` API at any profile 2.7-3.14, on top of the C layer in
native/. The oracle of the conformance suite; it never imports the stdlib `mmap` module."""

import contextlib
import ctypes
import errno
import functools
import inspect
import operator
import os
import sys
import types
import weakref

from impls import buildinfo, profiles
from impls.profiles import PROFILES, Profile

try:
    from impls._refmmap import ffi, lib
except ImportError as exc:  # pragma: no cover - depends on how the checkout was built
    raise ImportError(
        f"the reference's C extension impls._refmmap is missing or broken ({exc}); "
        "build it with `python native/build_refmmap.py` or reinstall with `pip install .`"
    ) from exc

__all__ = ["PROFILES", "MESSAGES", "module", "mmap"]


def _package_version():
    """The version the extension must carry: pyproject.toml in a checkout, else the metadata."""
    try:
        return buildinfo.package_version()
    except (OSError, RuntimeError):
        from importlib.metadata import version
        return version("mmap-conformance")


def _verify_abi(expected=None):
    """ABI handshake: the .so must come from this version, and (in a checkout, where native/
    is beside us) from these very C sources."""
    built = ffi.string(lib.refmmap_version()).decode()
    version, _, digest = built.partition("+")
    expected = expected or _package_version()
    in_checkout = all(os.path.exists(os.path.join(buildinfo.NATIVE, name))
                      for name in buildinfo.SOURCES)
    current = buildinfo.source_digest() if in_checkout else digest
    if version != expected or digest != current:
        raise ImportError(
            f"impls._refmmap was built from other sources ({built}; these are "
            f"{expected}+{current}); rebuild it with `python native/build_refmmap.py` or "
            "reinstall with `pip install .`"
        )


_verify_abi()

SSIZE_MAX = sys.maxsize
CLOSED = "mmap closed or invalid"
READONLY = "mmap can't modify a readonly memory map."
# 2.7 names an int past a C long "long".
_FIT = ("cannot fit 'long' into an index-sized integer",
        "int_items", "cannot fit 'int' into an index-sized integer")

# The one table of the reference's errors, with CPython's exact messages: key -> (exception
# class, wording). A key is a C code (REFMMAP_E_*) or the name of a check the Python layer makes
# (argument conversion and counting, and the protocols C has no part in). A wording is a message,
# or (message, feature, message, ...): each later message is the wording from the first release
# with that feature (native/refmmap.c `features`). _raise() fills in {fields}.
_ERRORS = {
    lib.REFMMAP_E_CLOSED: (ValueError, CLOSED),
    lib.REFMMAP_E_READONLY: (TypeError, READONLY),
    lib.REFMMAP_E_EXPORTS_CLOSE: (BufferError, "cannot close exported pointers exist"),
    lib.REFMMAP_E_EXPORTS_RESIZE: (BufferError, "mmap can't resize with extant buffers exported."),
    lib.REFMMAP_E_INDEX: (IndexError, "mmap index out of range"),
    lib.REFMMAP_E_VALUE: (ValueError, "mmap item value must be in range(0, 256)"),
    lib.REFMMAP_E_SLICE_SIZE: (IndexError, "mmap slice assignment is wrong size"),
    lib.REFMMAP_E_READ_BYTE: (ValueError, "read byte out of range"),
    lib.REFMMAP_E_WRITE_BYTE: (ValueError, "write byte out of range"),
    lib.REFMMAP_E_DATA: (ValueError, "data out of range"),
    lib.REFMMAP_E_SEEK: (ValueError, "seek out of range"),
    lib.REFMMAP_E_WHENCE: (ValueError, "unknown seek type"),
    lib.REFMMAP_E_FLUSH: (ValueError, "flush values out of range"),
    lib.REFMMAP_E_MOVE: (ValueError, "source, destination, or count out of range"),
    lib.REFMMAP_E_NEWSIZE: (ValueError, "new size out of range"),
    lib.REFMMAP_E_NORESIZE: (TypeError, "mmap can't resize a readonly or copy-on-write memory map."),
    lib.REFMMAP_E_TRACKFD: (ValueError, "mmap can't resize with trackfd=False."),
    lib.REFMMAP_E_SHARED_ANON: (ValueError, ("mmap: can't expand a shared anonymous mapping on Linux",
                                             "shared_anon_message",
                                             "mmap: can't expand a shared anonymous mapping")),
    lib.REFMMAP_E_MADV_START: (ValueError, "madvise start out of bounds"),
    lib.REFMMAP_E_MADV_LENGTH: (ValueError, "madvise length invalid"),
    lib.REFMMAP_E_MADV_OVERFLOW: (OverflowError, "madvise length too large"),
    lib.REFMMAP_E_LENGTH_NEG: (OverflowError, "memory mapped length must be positive"),
    lib.REFMMAP_E_OFFSET_NEG: (OverflowError, "memory mapped offset must be positive"),
    lib.REFMMAP_E_CONFLICT: (ValueError, "mmap can't specify both access and flags, prot."),
    lib.REFMMAP_E_ACCESS: (ValueError, "mmap invalid access parameter."),
    lib.REFMMAP_E_EMPTY: (ValueError, "cannot mmap an empty file"),
    lib.REFMMAP_E_OFFSET_GT: (ValueError, "mmap offset is greater than file size"),
    lib.REFMMAP_E_LENGTH_GT: (ValueError, "mmap length is greater than file size"),
    lib.REFMMAP_E_TOO_LARGE: (ValueError, "mmap length is too large"),
    lib.REFMMAP_E_BADARG: (SystemError, "refmmap: bad internal argument (a bug in impls/reference.py)"),
    lib.REFMMAP_E_SIZE_TRACKFD: (ValueError, "can't get size with trackfd=False"),
    lib.REFMMAP_E_NAME_LONG: (ValueError, "name is too long"),
    lib.REFMMAP_E_NOT_ANON: (ValueError, "Cannot set annotation on non-anonymous mappings"),
    lib.REFMMAP_E_SET_INDEX: (IndexError, "mmap index out of range"),
    lib.REFMMAP_E_WRITE_READONLY: (TypeError, READONLY),
    lib.REFMMAP_E_WRITE_BYTE_READONLY: (TypeError, READONLY),
    lib.REFMMAP_E_MOVE_READONLY: (TypeError, READONLY),
    lib.REFMMAP_E_DEL_ITEM: (TypeError, ("mmap object doesn't support item deletion",
                                         "int_items", "mmap doesn't support item deletion")),
    lib.REFMMAP_E_DEL_SLICE: (TypeError, "mmap object doesn't support slice deletion"),
    lib.REFMMAP_E_GET_KEY: (TypeError, "mmap indices must be integers"),
    lib.REFMMAP_E_SET_KEY: (TypeError, "mmap indices must be integer"),  # sic: CPython's singular
    # The emulated Windows constructor's (impls/windows.py): what the Linux calls behind it raise.
    lib.REFMMAP_E_WIN_UNALIGNED: (functools.partial(OSError, errno.EINVAL),
                                  "offset is not a multiple of the allocation granularity"),
    lib.REFMMAP_E_WIN_ANON_EMPTY: (functools.partial(OSError, errno.EINVAL),
                                   "cannot create an empty anonymous mapping"),
    lib.REFMMAP_E_WIN_EXTEND_READ: (functools.partial(OSError, errno.EACCES),  # PermissionError
                                    os.strerror(errno.EACCES)),
    lib.REFMMAP_E_WIN_TOO_BIG: (OverflowError, "Python int too large to convert to C long"),
    lib.REFMMAP_E_TAG_NUL: (ValueError, "embedded null byte"),  # os.memfd_create()'s
    "tagname_type": (TypeError, "argument 3 must be str or None, not {type}"),
    # Argument conversion, as CPython's getargs formats (and PyNumber_AsSsize_t) word it.
    "float_int": (TypeError, ("integer argument expected, got float",
                              "index_message", "'float' object cannot be interpreted as an integer")),
    "int_required": (TypeError, ("an integer is required",
                                 "int_items", "an integer is required (got type {type})",
                                 "index_message", "'{type}' object cannot be interpreted as an integer")),
    "ssize": (OverflowError, ("Python int too large to convert to C long",  # 2.7: through a C long
                              "ssize_arg_index", "Python int too large to convert to C ssize_t")),
    "index_fit": (IndexError, _FIT),
    "item_fit": (TypeError, _FIT),
    "read_fit": (OverflowError, _FIT),
    "clong": (OverflowError, "Python int too large to convert to C long"),
    "clinic_cint": (OverflowError, "Python int too large to convert to C int"),
    "int_max": (OverflowError, "signed integer is greater than maximum"),
    "int_min": (OverflowError, "signed integer is less than minimum"),
    "byte_max": (OverflowError, "unsigned byte integer is greater than maximum"),
    "byte_min": (OverflowError, "unsigned byte integer is less than minimum"),
    "py2_char": (TypeError, "write_byte() argument 1 must be char, not {type}"),
    "slice_index": (TypeError, ("slice indices must be integers or None or have an __index__ method",
                                "slice_index_message",
                                "slice indices must be integers or have an __index__ method")),
    "slice_step": (ValueError, "slice step cannot be zero"),
    "read_type": (TypeError, ("an integer is required",
                              "int_items", "integer argument expected, got '{type}'",
                              "read_index", "argument should be integer or None, not '{type}'")),
    "read_float": (TypeError, ("integer argument expected, got float",
                               "int_items", "'float' object cannot be interpreted as an integer",
                               "read_index", "argument should be integer or None, not 'float'")),
    "item_type": (TypeError, "mmap item value must be an int"),
    "py2_item": (IndexError, "mmap assignment must be single-character string"),
    "py2_slice": (IndexError, "mmap slice assignment must be a string"),
    "py2_bytes_arg": (TypeError, "{name}() argument 1 must be string or read-only buffer, not {type}"),
    "bytes_like": (TypeError, "a bytes-like object is required, not '{type}'"),
    "set_name_type": (TypeError, "set_name() argument must be str, not {type}"),
    "name_nul": (ValueError, "embedded null character"),
    # Argument counting and keywords.
    "no_kwargs": (TypeError, ("{name}() takes no keyword arguments",
                              "kwargs_qualname", "mmap.{name}() takes no keyword arguments")),
    "noargs_kwargs": (TypeError, ("{name}() takes no keyword arguments",
                                  "noargs_qualname", "mmap.{name}() takes no keyword arguments")),
    "no_args": (TypeError, ("{name}() takes no arguments ({n} given)",
                            "noargs_qualname", "mmap.{name}() takes no arguments ({n} given)")),
    "count": (TypeError, "{name}() takes {how} {bound} argument{s} ({n} given)"),
    "clinic_count": (TypeError, "{name} expected {how}{bound} argument{s}, got {n}"),
    "clinic_one": (TypeError, "mmap.{name}() takes exactly one argument ({n} given)"),
    "positional": (TypeError, "{name}() takes at most {most} positional arguments ({n} given)"),
    "unexpected_kwarg": (TypeError, "{name}() got an unexpected keyword argument '{kw}'"),
    "exit_args": (TypeError, "__exit__ expected 3 arguments, got {n}"),
    "too_many": (TypeError, ("function takes at most {most} arguments ({n} given)",
                             "keyword_message",
                             "function takes at most {most} positional arguments ({n} given)")),
    "bad_kwarg": (TypeError, ("'{name}' is an invalid keyword argument for this function",
                              "keyword_message",
                              "this function got an unexpected keyword argument '{name}'")),
    "missing_arg": (TypeError, ("Required argument '{name}' (pos {pos}) not found",
                                "function_message",
                                "function missing required argument '{name}' (pos {pos})")),
    "dup_arg": (TypeError, ("Argument given by name ('{name}') and position ({pos})",
                            "function_message",
                            "argument for function given by name ('{name}') and position ({pos})")),
    # The object protocols.
    "closed_attr": (AttributeError, "attribute 'closed' of 'mmap.mmap' objects is not writable"),
    "pickle": (TypeError, ("can't pickle mmap objects", "int_items", "can't pickle mmap.mmap objects",
                           "new_pickle_message", "cannot pickle 'mmap.mmap' object")),
    "operand": (TypeError, "unsupported operand type(s) for {op}: '{left}' and '{right}'"),
    "py2_concat": (TypeError, "cannot concatenate 'str' and 'mmap.mmap' objects"),
    "py2_buffer": (TypeError, "cannot make memory view because object does not have the buffer "
                              "interface"),
    "not_writable": (BufferError, "Object is not writable."),
    "noncontiguous": (BufferError, "memoryview: underlying buffer is not C-contiguous"),
}
# Codes whose message is no mmap string of CPython's (the Windows emulation's, and BADARG).
_NOT_CPYTHON = frozenset([lib.REFMMAP_E_WIN_UNALIGNED, lib.REFMMAP_E_WIN_ANON_EMPTY,
                       lib.REFMMAP_E_WIN_EXTEND_READ, lib.REFMMAP_E_WIN_TOO_BIG,
                       lib.REFMMAP_E_TAG_NUL, lib.REFMMAP_E_BADARG])


def _wording(wording, p):
    """Profile p's message of a table wording (p None: the first)."""
    if type(wording) is str:
        return wording
    message = wording[0]
    if p is not None:
        for i in range(1, len(wording), 2):
            if getattr(p, wording[i]):
                message = wording[i + 1]
    return message


def _raise(key, p=None, clause=None, branch=None, **fields):
    """The one place the reference raises an mmap error: the exception of `key` (_ERRORS) in
    profile p's wording, its {fields} filled in, carrying the clause of its check (a C code's
    own, else `clause`). REFMMAP_E_OS keeps errno and takes `branch`, the branch the caller was
    in (REFMMAP_E_OS_FILE: none, as a file's preparation is no branch's)."""
    # Built in _exception(), whose frame is gone by now: a frame of the traceback holding its
    # own exception would be a reference cycle, leaving the op's frames (maps, buffers, C calls)
    # to the cyclic GC instead of freeing them as the exception is dropped.
    raise _exception(key, p, clause, branch, fields)


def _exception(key, p, clause, branch, fields):
    if key == lib.REFMMAP_E_OS or key == lib.REFMMAP_E_OS_FILE:
        err = ffi.errno
        exc = OSError(err, os.strerror(err))
        exc.clause = branch if key == lib.REFMMAP_E_OS else None
        return exc
    cls, wording = _ERRORS[key]
    exc = cls(_wording(wording, p).format(**fields))
    exc.clause = _CLAUSES.get(key, clause)
    return exc


def _check(rc, p=None, branch=None):
    """Raise the exception of a C return code (_raise), if it is an error."""
    if rc < 0:
        _raise(rc, p, branch=branch)


# mmap's own strings, which --strict-messages compares exactly: each C check's first wording,
# and every wording that names "mmap " (as before the table was one: the newer wording of
# REFMMAP_E_SHARED_ANON is not in it).
MESSAGES = frozenset(
    message for key, (_, wording) in _ERRORS.items() if key not in _NOT_CPYTHON
    for message in ((wording,) if type(wording) is str else wording[::2])
    if (type(key) is int and message in (wording, wording[0])) or "mmap " in message
)

# One call of an op walked by the C library (refmmap_run), and its "returned early" answer.
_CALL = "refmmap_call_t *"
_DONE = lib.REFMMAP_DONE
_SSIZE_MIN = -SSIZE_MAX - 1
_WHOLE = slice(None)


def _plain(args, kwargs, lo, hi, low=-2**31, high=2**31 - 1):
    """Whether converting these arguments can neither fail nor call back into Python (plain ints
    in range, the right count): then they are converted before the walk (call.ready), and C's
    order is kept, as nothing in the conversion is observable."""
    if kwargs or not lo <= len(args) <= hi:
        return False
    for a in args:
        if type(a) is not int or not low <= a <= high:
            return False
    return True


def _ready_slice(c, key):
    """A plain slice (_plain_slice) into the call as _unpack_slice would convert it; its step."""
    start, stop, stride = key.start, key.stop, 1 if key.step is None else key.step
    c.given = (start is not None) | (stop is not None) << 1
    c.a = (start or 0, stop or 0, stride)
    return stride


def _plain_slice(key):
    """A slice of plain ints and None: its conversion cannot fail or call back into Python."""
    for part in (key.start, key.stop, key.step):
        if part is not None and (type(part) is not int or not -2**62 <= part <= 2**62):
            return False
    return key.step != 0

# The clause of each code's check, as C names it (native/refmmap.c `clauses`).
_CLAUSES = {code: ffi.string(lib.refmmap_clause(code)).decode() for code in _ERRORS
            if type(code) is int and lib.refmmap_clause(code) != ffi.NULL}

# Every clause the Python layer names: its own checks' raises, the branch an op took (the
# constructor's as C chose it: refmmap_ctor_t.clause), and the re-entrant changes (with
# _CLAUSES, all the reference can report: reported_clauses()).
_PYTHON_CLAUSES = {
    "ctor": ("ctor.anon", "ctor.anon.zero-length", "ctor.anon.offset", "ctor.offset.aligned",
             "ctor.prot.to-access", "ctor.flags.private", "ctor.file.length0",
             "ctor.file.length-lt-size", "access.DEFAULT", "access.READ", "access.WRITE",
             "access.COPY", "ctor.offset.unaligned"),
    "read": ("read.all", "read.eof", "read.n"),
    "resize": ("resize.anon-shared-grow", "resize.anon-private-grow", "resize.anon-shrink",
               "resize.zero-file", "resize.past-pos", "resize.file-grow", "resize.file-shrink",
               "resize.same"),
    "find": ("find.default-start", "rfind.basic", "find.slice-args"),
    "item": ("getitem.slice", "getitem.slice-step", "getitem.neg", "getitem.badkey",
             "setslice", "setslice.step", "setitem.type", "setslice.type"),
    "write": ("write.bytes-like",),
    "closed": ("after-close.main-order", "reent.close", "reent.close.seek-flush", "reent.resize",
               "reent.resize.value"),
    "args": ("bytes-arg.type", "noargs.all"),
}

# The argument checks of each method, by what they raise: a conversion's TypeError, its
# OverflowError, and the keyword or count check (_arity). None: the op's own clause then.
_ARG_CLAUSES = {
    "read": ("read.type", None, None),
    "seek": ("seek.type", None, "seek.kw"),
    "write": ("bytes-arg.type", None, "write.kw"),
    "write_byte": ("write_byte.huge", "write_byte.huge", "write_byte.kw"),
    "find": ("find.bound-types", "find.bound-types", "rfind.kw"),
    "rfind": ("find.bound-types", "find.bound-types", "rfind.kw"),
    "flush": ("flush.type", "flush.overflow", "flush.kw"),
    "move": ("move.type", "move.overflow", "move.kw"),
    "madvise": ("madvise.type", "madvise.huge", "madvise.kw"),
    "resize": ("resize.type", "resize.overflow", "resize.kw"),
    "set_name": ("set_name.args", None, "set_name.args"),
    "__exit__": (None, None, "ctx.exit-args"),
}
_PYTHON_CLAUSES["args"] += tuple(sorted({c for cs in _ARG_CLAUSES.values() for c in cs if c}))


def _argument_clause(exc, method):
    """Name a conversion's TypeError or OverflowError with `method`'s argument clause, unless
    a check already named it."""
    if getattr(exc, "clause", None) is None and method in _ARG_CLAUSES:
        exc.clause = _ARG_CLAUSES[method][isinstance(exc, OverflowError)]


_OP_NAMES = {lib.REFMMAP_OP_READ: "read", lib.REFMMAP_OP_WRITE: "write",
             lib.REFMMAP_OP_WRITE_BYTE: "write_byte", lib.REFMMAP_OP_SEEK: "seek",
             lib.REFMMAP_OP_FLUSH: "flush", lib.REFMMAP_OP_MOVE: "move",
             lib.REFMMAP_OP_FIND: "find", lib.REFMMAP_OP_MADVISE: "madvise",
             lib.REFMMAP_OP_RESIZE: "resize"}


def reported_clauses():
    """Every clause id the reference can report for an op: the C table's and the Python layer's."""
    return set(_CLAUSES.values()) | {c for ids in _PYTHON_CLAUSES.values() for c in ids}


class _Ledger:
    """What the reference knows of the op it runs, beyond an exception's own clause: the branch
    the map took (`branch`), and an argument's __index__ closing or resizing that map (`reent`),
    each as (a weak reference to the map's handle, clause id: a map dropped in the op must be
    freed then, descriptors and memory included). impls/adapters.py resets it before an op and
    reads it after, through clause()."""

    __slots__ = ("branch", "reent", "converting", "values")

    def __init__(self):
        self.reset()

    def reset(self):
        self.branch = self.reent = None
        self.converting = 0  # > 0 while an argument's own __index__ (or __int__) runs
        self.values = 0  # > 0 while that argument is a value (an item's, or data: a buffer)

    def clause(self, handle, error=None):
        """The clause of the op just run on the map `handle`, or None (the op's own then)."""
        if self.reent is not None and handle is not None and self.reent[0]() is handle:
            return self.reent[1]
        named = getattr(error, "clause", None)
        if named is not None:
            return named
        if self.branch is not None and handle is not None and self.branch[0]() is handle:
            return self.branch[1]
        return None


LEDGER = _Ledger()


def _applies(m, clause):
    """Note the branch the map's op took (not from inside an argument's conversion)."""
    if not LEDGER.converting:
        LEDGER.branch = (weakref.ref(m), clause)


def _convert(fn, obj):
    """fn(obj) (operator.index or int, or a buffer's export): an object's own __index__ may
    close or resize a map, which those note as re-entrant while this runs."""
    if type(obj) is int:
        return obj
    LEDGER.converting += 1
    try:
        return fn(obj)
    finally:
        LEDGER.converting -= 1


@contextlib.contextmanager
def _value():
    """Converting a value (m[i] = v's v, data), not an index, count or bound: CPython checked
    the bounds before it (gh-157335), so a resize meanwhile is a clause of its own."""
    LEDGER.values += 1
    try:
        yield
    finally:
        LEDGER.values -= 1


# ---- argument conversion, as CPython's getargs formats do it ----

def _index(obj, profile):
    """operator.index with the TypeError wording of the profile."""
    if isinstance(obj, float):
        _raise("float_int", profile)
    return _convert(operator.index, obj)


def _ssize(obj, profile, overflow="ssize"):
    """The 'n' format (or, with another `overflow` than "ssize", PyNumber_AsSsize_t raising
    that error of _ERRORS past the range): a ssize_t."""
    if overflow == "ssize" and not profile.ssize_arg_index and not isinstance(obj, int):
        # 2.7's getargs takes any object with __int__ (nb_int), and no __index__-only one.
        if isinstance(obj, float):
            _raise("float_int", profile)
        if not hasattr(type(obj), "__int__"):
            _raise("int_required", profile)
        value = _convert(int, obj)
    else:
        value = _index(obj, profile)
    if not -SSIZE_MAX - 1 <= value <= SSIZE_MAX:
        _raise(overflow, profile)
    return value


def _cint(obj, profile, clinic=False):
    """The 'i' format: an index that fits in a C int. `clinic`: a method Argument Clinic converts
    from 3.14 (seek's whence, madvise's option), whose int converter has one overflow message."""
    value = _byte_or_int(obj, profile)
    if clinic and profile.ac_conversion and not -(2**31) <= value <= 2**31 - 1:
        _raise("clinic_cint")
    _clong(value)
    if value > 2**31 - 1:
        _raise("int_max")
    if value < -(2**31):
        _raise("int_min")
    return value


def _clong(value):
    """PyLong_AsLong's overflow, which the 'i' and 'b' formats meet before their own range checks."""
    if not -2**63 <= value < 2**63:
        _raise("clong")


def _py2_type(value):
    """A value's type as Python 2's getargs names it: None is "None", an int past a C long "long"."""
    if value is None:
        return "None"
    if type(value) is int and not -2**63 <= value < 2**63:
        return "long"
    return type(value).__name__


def _byte_or_int(obj, profile):
    """The integer conversion shared by the 'i' and 'b' formats."""
    if isinstance(obj, float):
        _raise("float_int", profile)
    if not profile.int_arg_index and not isinstance(obj, int):
        # Before 3.8 the 'i' and 'b' formats call __int__ (nb_int), never __index__.
        if not hasattr(type(obj), "__int__"):
            _raise("int_required", profile, type=type(obj).__name__)
        return _convert(int, obj)
    if not hasattr(type(obj), "__index__"):
        _raise("int_required", profile, type=type(obj).__name__)
    return _convert(operator.index, obj)


def _slice_index(obj, profile):
    """_PyEval_SliceIndex: None, or an index clamped to the ssize_t range."""
    if obj is None:
        return None
    if isinstance(obj, float) or not hasattr(type(obj), "__index__"):
        _raise("slice_index", profile)
    return max(-SSIZE_MAX - 1, min(SSIZE_MAX, _convert(operator.index, obj)))


def _unpack_slice(s, profile):
    """PySlice_Unpack: step first, then start, stop; adjusting to a size happens later."""
    step = _slice_index(s.step, profile)
    if step == 0:
        _raise("slice_step")
    return (_slice_index(s.start, profile), _slice_index(s.stop, profile),
            1 if step is None else max(step, -SSIZE_MAX))


def _adjust(size, start, stop, step):
    """PySlice_AdjustIndices against the size as it is *after* conversion; -> (start, step, count)."""
    start, stop, step = slice(start, stop, step).indices(size)
    return start, step, len(range(start, stop, step))


# Methods of one argument (METH_O) once Argument Clinic converts them (3.14).
_METH_O = ("write", "write_byte", "resize")


def _arity(p, name, args, kwargs, lo, hi):
    """Keyword and count checks with getargs' wording at profile p (Argument Clinic's from 3.14),
    raised with the method's argument clause."""
    clause = _ARG_CLAUSES.get(name, (None, None, None))[2] or ("noargs.all" if hi == 0 else None)
    if kwargs:
        _raise("noargs_kwargs" if hi == 0 else "no_kwargs", p, clause, name=name)
    n = len(args)
    if lo <= n <= hi:
        return
    if hi == 0:
        _raise("no_args", p, clause, name=name, n=n)
    if p.ac_conversion and name in _METH_O:
        _raise("clinic_one", p, clause, name=name, n=n)
    bound = lo if n < lo else hi
    how = "exactly" if lo == hi else ("at least" if n < lo else "at most")
    if p.ac_conversion:
        how = "" if lo == hi else how + " "
    _raise("clinic_count" if p.ac_conversion else "count", p, clause, name=name, how=how,
           bound=bound, s="s" if bound != 1 else "", n=n)


def parse_call(p, names, required, args, kwargs, extra=()):
    """A constructor's (args, kwargs) -> {name: value}, rejecting what its getargs rejects."""
    if len(args) > len(names):
        _raise("too_many", p, most=len(names), n=len(args))
    values = dict(zip(names, args))
    for name, value in kwargs.items():
        if name not in names and name not in extra:
            _raise("bad_kwarg", p, name=name)
        if name in values:
            _raise("dup_arg", p, name=name, pos=names.index(name) + 1)
        values[name] = value
    for i, name in enumerate(names[:required]):
        if name not in values:
            _raise("missing_arg", p, name=name, pos=i + 1)
    return values


class _ClosedAttr:
    """`closed`: readable always, never writable, with CPython's message."""

    def __get__(self, obj, owner=None):
        return self if obj is None else obj._m.data == ffi.NULL

    def __set__(self, obj, value):
        _raise("closed_attr")


# CPython hands out one shared object per 1-byte bytes value; so does the reference.
_ONE_BYTE = [bytes((i,)) for i in range(256)]


class _Items:
    """The legacy sequence view (sq_item): items are 1-byte bytes, so iteration, `in` and
    reversed() see bytes while m[i] gives an int (catalogue 1.F). Iteration is hot (list(m) and
    `in` walk thousands of items): one C call per item."""

    __slots__ = ("_map", "_m")

    def __init__(self, m):
        self._map, self._m = m, m._m

    def __len__(self):
        return len(self._map)

    def __getitem__(self, i, item=lib.refmmap_item, one=_ONE_BYTE):
        value = item(self._m, i)
        if value < 0:
            _check(value, self._map._profile)
        return one[value]


def _reversed_items(m, count):
    """reversed(m)'s items, last first; it ends where an item is past the end (the map
    shrank meanwhile), as CPython's reversed iterator does on IndexError."""
    for i in range(count - 1, -1, -1):
        value = lib.refmmap_item(m._m, i)
        if value < 0:
            if value == lib.REFMMAP_E_INDEX:
                return
            _check(value, m._profile)
        yield _ONE_BYTE[value]


def _py2_comparison(op):
    """A 2.7 profile map's <, <=, > or >=: Python 2's ordering of objects without one."""
    return lambda self, other: self._py2_order(other, op)


def _py2_newobj(version):
    """copy_reg.__newobj__ for a 2.7 profile map: its class is not importable as mmap.mmap, so the
    pickle names this function; calling it fails as `cls.__new__(cls)` fails in 2.7."""
    cls = module(version).mmap
    return cls.__new__(cls)


_gc_untrack = ctypes.pythonapi.PyObject_GC_UnTrack
_gc_untrack.argtypes, _gc_untrack.restype = (ctypes.py_object,), None


def _release_export(handle):
    lib.refmmap_export(handle, -1)


class _Base:
    """The base of every profile's class, so a reference map is recognised as an argument."""

    __slots__ = ()


class _Methods:
    """Every method any profile has; module() copies the ones a profile has into its class."""

    closed = _ClosedAttr()

    # ---- construction and lifetime ----

    def __new__(cls, *args, **kwargs):
        return cls._construct(args, kwargs)

    @classmethod
    def _construct(cls, args, kwargs):
        p = cls._profile
        names = ("fileno", "length", "flags", "prot", "access", "offset")
        values = parse_call(p, names, 2, args, kwargs, extra=("trackfd",) if p.trackfd else ())
        c = _ctor(values)
        c.fd = _cint(values["fileno"], p)
        c.length = _ssize(values["length"], p)
        if "flags" in values:  # else C's default, MAP_SHARED
            c.flags = _cint(values["flags"], p)
        if "prot" in values:  # else PROT_READ | PROT_WRITE
            c.prot = _cint(values["prot"], p)
        c.access = _cint(values.get("access", 0), p)
        c.offset = _offset(values, p)
        c.trackfd = bool(values.get("trackfd", True))
        return cls._open(c, lib.refmmap_construct)

    @classmethod
    def _open(cls, c, construct):
        """Runs C's constructor `construct` (Unix or Windows) on the converted call `c`, raising
        the audit event at its turn."""
        handle = ffi.gc(ffi.new("refmmap_t *"), lib.refmmap_close)
        rc = construct(cls._profile.c, handle, c)
        if rc == _AUDIT:
            try:
                sys.audit("mmap.__new__", c.fd, c.length, c.access, c.offset)
            except BaseException:
                lib.refmmap_ctor_cancel(c)
                raise
            rc = construct(cls._profile.c, handle, c)
        clause = _ctor_clause(c.clause)
        _check(rc, cls._profile, clause)
        self = object.__new__(cls)
        self._m = handle
        _applies(handle, clause)
        if not cls._profile.gc_tracked:
            # CPython < 3.10's mmap type had no Py_TPFLAGS_HAVE_GC; a Python class always has.
            _gc_untrack(self)
        return self

    def close(self, *args, **kwargs):
        _arity(self._profile, "close", args, kwargs, 0, 0)
        _check(lib.refmmap_close(self._m), self._profile)
        if LEDGER.converting:  # an argument's __index__ closed the map its op converts for
            LEDGER.reent = (weakref.ref(self._m), "reent.close")

    def __enter__(self, *args, **kwargs):
        _arity(self._profile, "__enter__", args, kwargs, 0, 0)
        _check(lib.refmmap_check_valid(self._m), self._profile)
        return self

    def __exit__(self, *args, **kwargs):
        if kwargs:
            _raise("no_kwargs", self._profile, name="__exit__")
        if self._profile.ac_conversion and len(args) != 3:
            _raise("exit_args", n=len(args))
        self.close()

    def __reduce_ex__(self, protocol):
        if not self._profile.int_items and protocol == 2:  # 2.7 has no protocol past 2
            # Python 2's object.__reduce_ex__(2) pickles a C object with no state: it "works".
            return _py2_newobj, (self._profile.version,), None, None, None
        _raise("pickle", self._profile)

    def __reduce__(self):
        _raise("pickle", self._profile)

    def __repr__(self):
        if not self._profile.new_repr:
            return object.__repr__(self)
        if self._m.data == ffi.NULL:
            return f"<{type(self).__name__} closed=True>"
        names = ("ACCESS_DEFAULT", "ACCESS_READ", "ACCESS_WRITE", "ACCESS_COPY")
        m = self._m
        return (f"<{type(self).__name__} closed=False, access={names[m.access]}, length={m.size}, "
                f"pos={m.pos}, offset={m.offset}>")

    # ---- sequence and buffer protocols ----

    def __len__(self):
        size = lib.refmmap_length(self._m)
        if size < 0:
            _check(size, self._profile)
        return size

    def __iter__(self):
        return iter(_Items(self))

    def __contains__(self, item):
        """`in` walks the items (CPython's mmap has no sq_contains). An exact bytes, int or str
        compares with a 1-byte bytes item without calling Python code, so its walk is one C
        memchr (a closed map raising as item 0 would); anything else walks item by item."""
        kind = type(item)
        if kind is bytes or kind is int or kind is str:
            rc = lib.refmmap_holds(self._m, item[0] if kind is bytes and len(item) == 1 else -1)
            if rc < 0:
                _check(rc, self._profile)
            return rc == 1
        return item in iter(_Items(self))

    def _py2_contains(self, item):
        """2.7 has no sq_contains: `in` iterates, and a Python 2 str is bytes."""
        if isinstance(item, str):
            item = item.encode("latin-1")
        return any(byte == item for byte in _Items(self))

    def _py2_order(self, other, op):
        """Python 2 orders objects of no ordering by type name, then address."""
        return op((type(self).__name__, id(self)), (type(other).__name__, id(other)))

    def __reversed__(self):
        return _reversed_items(self, len(self))

    def _byte(self, value):
        """An item as the profile returns it: int, or 1-char bytes on 2.7."""
        return value if self._profile.int_items else _ONE_BYTE[value]

    def _run(self, c, convert=None, branch=()):
        """Walk the op's steps in the C library, in the profile's order (native/refmmap.c
        `orders`); at each conversion step C hands back, convert(step) converts (calling into
        Python: __index__, buffers) and the walk goes on. -> REFMMAP_OK or REFMMAP_DONE.
        `branch`: a list the conversion may fill with the clause an OSError lands on."""
        m, cp = self._m, self._profile.c
        rc = lib.refmmap_run(cp, m, c)
        while 0 < rc < _DONE:
            try:
                convert(rc)
            except (TypeError, OverflowError) as exc:
                _argument_clause(exc, _OP_NAMES.get(c.op))
                raise
            rc = lib.refmmap_run(cp, m, c)
        _check(rc, self._profile, branch[0] if branch else None)
        return rc

    def _go(self, c):
        """Run a call whose arguments are all converted (call.ready) in one C walk."""
        rc = lib.refmmap_run(self._profile.c, self._m, c)
        _check(rc, self._profile)
        return rc

    def __getitem__(self, key):
        m = self._m
        if type(key) is slice and key == _WHOLE and m.data != ffi.NULL:
            # m[:] of an open map, which every observation takes: no argument to convert, and
            # the walk's checks all pass, so its bytes in one copy.
            _applies(m, "getitem.slice")
            return ffi.buffer(m.data, m.size)[:]
        p = self._profile
        if hasattr(type(key), "__index__"):
            c = ffi.new(_CALL, [lib.REFMMAP_OP_GETITEM])
            if type(key) is int and _SSIZE_MIN <= key <= SSIZE_MAX:  # nothing to re-enter
                c.ready, c.a[0] = 1, key
                if key < 0:
                    _applies(self._m, "getitem.neg")
                convert = None
            else:
                def convert(step):
                    i = c.a[0] = _ssize(key, p, "index_fit")
                    if i < 0:
                        _applies(self._m, "getitem.neg")
            if self._run(c, convert) == _DONE:
                return self._byte(0)  # <= 3.10: a closed map's uninitialised byte
            return self._byte(c.out)
        if isinstance(key, slice):
            c = ffi.new(_CALL, [lib.REFMMAP_OP_GETSLICE if key.step is not None
                                else lib.REFMMAP_OP_GETSLICE_NOSTEP])

            def convert(step):
                stride = self._slice_arg(c, key)
                _applies(self._m, "getitem.slice" if stride == 1 else "getitem.slice-step")

            if _plain_slice(key):
                c.ready = 1
                stride = _ready_slice(c, key)
                _applies(self._m, "getitem.slice" if stride == 1 else "getitem.slice-step")
                rc = self._go(c)
            else:
                rc = self._run(c, convert)
            if rc == _DONE:
                return bytes(c.count)  # nothing, or <= 3.10 a closed map's uninitialised bytes
            if c.stride == 1:  # the common case in one copy; C checked both ends
                return ffi.buffer(self._m.data + c.start, c.count)[:]
            out = bytearray(c.count)
            rc = lib.refmmap_get_slice(self._m, c.start, c.stride, c.count, ffi.from_buffer(out))
            _check(rc, self._profile)
            return bytes(out)
        self._run(ffi.new(_CALL, [lib.REFMMAP_OP_GETKEY]))

    def _slice_arg(self, c, key):
        """A slice key into the call (C adjusts it to the size after conversion); its step."""
        start, stop, stride = _unpack_slice(key, self._profile)
        c.given = (start is not None) | (stop is not None) << 1
        c.a[0], c.a[1], c.a[2] = start or 0, stop or 0, stride
        return stride

    def __setitem__(self, key, value):
        self._set(key, value, delete=False)

    def __delitem__(self, key):
        self._set(key, None, delete=True)

    def _set(self, key, value, delete):
        p = self._profile
        if hasattr(type(key), "__index__"):
            c = ffi.new(_CALL, [lib.REFMMAP_OP_SETITEM])
            c.flags = delete
            if (type(key) is int and type(value) is int and p.int_items
                    and _SSIZE_MIN <= key <= SSIZE_MAX and _SSIZE_MIN <= value <= SSIZE_MAX):
                c.ready, c.a[0], c.a[1] = 1, key, value  # nothing to re-enter
                convert = None
            else:
                def convert(step):
                    if step == lib.REFMMAP_STEP_CONVERT:
                        c.a[0] = _ssize(key, p, "index_fit")
                    else:
                        c.a[1] = self._item_value(value)
            self._run(c, convert)
        elif isinstance(key, slice):
            c = ffi.new(_CALL, [lib.REFMMAP_OP_SETSLICE if key.step is not None
                                else lib.REFMMAP_OP_SETSLICE_NOSTEP])
            c.flags = delete
            keep = []

            def convert(step):
                if step == lib.REFMMAP_STEP_CONVERT:
                    stride = self._slice_arg(c, key)
                    _applies(self._m, "setslice" if stride == 1 else "setslice.step")
                    return
                if not p.int_items and not isinstance(value, bytes):
                    _raise("py2_slice", clause="setslice.type")
                c.src, c.srclen, buf = self._bytes_arg(value)
                keep.append(buf)

            if not delete and type(value) is bytes and _plain_slice(key):
                c.ready = 1
                stride = _ready_slice(c, key)
                _applies(self._m, "setslice" if stride == 1 else "setslice.step")
                buf = ffi.from_buffer(value)  # kept alive until the call returns
                c.src, c.srclen = buf, len(buf)
                self._go(c)
            else:
                self._run(c, convert)
        else:
            self._run(ffi.new(_CALL, [lib.REFMMAP_OP_SETKEY]))

    def _item_value(self, value):
        """`m[i] = value`: the value as the profile converts it (C checks its range)."""
        p = self._profile
        if not p.int_items:
            if not isinstance(value, bytes) or len(value) != 1:
                _raise("py2_item", clause="setitem.type")
            return value[0]
        if not hasattr(type(value), "__index__"):
            _raise("item_type", clause="setitem.type")
        with _value():
            return _ssize(value, p, "item_fit")

    def _bytes_arg(self, obj, name=None):
        """(char pointer, length, keep-alive) of a bytes-like argument, incl. a reference map."""
        if name is not None and not self._profile.int_items:
            # 2.7's "s#"/"s*": str, ascii-encodable unicode, or an old-style read-only buffer.
            if isinstance(obj, str):
                obj = obj.encode("ascii")  # UnicodeEncodeError, as 2.7's default encoding
            elif not isinstance(obj, (bytes, _Base)):
                _raise("py2_bytes_arg", clause="bytes-arg.type", name=name, type=_py2_type(obj))
        if isinstance(obj, _Base):
            # Hold an export, as CPython's y* does: closing that map meanwhile is a BufferError,
            # never a dangling pointer.
            obj = obj._export(0)
        if _python_buffer(obj):
            # PEP 688: a Python class's __buffer__ (which may act on this map) is a buffer
            # from 3.12; called here, once, whatever the running interpreter's version.
            if not self._profile.pep688:
                _raise("bytes_like", clause="bytes-arg.type", type=type(obj).__name__)
            with _value():
                obj = _convert(lambda o: type(o).__buffer__(o, 0), obj)
        elif isinstance(obj, str) or not _has_buffer(obj):
            _raise("bytes_like", clause="bytes-arg.type", type=type(obj).__name__)
        if isinstance(obj, memoryview) and not obj.c_contiguous:
            _raise("noncontiguous")
        buf = ffi.from_buffer(obj)
        return ffi.cast("char *", buf), len(buf), buf

    def __buffer__(self, flags):
        if not self._profile.int_items:  # 2.7 has only the old buffer protocol
            _raise("py2_buffer")
        return self._export(flags)

    def _export(self, flags):
        _check(lib.refmmap_check_valid(self._m), self._profile)
        readonly = self._m.access == lib.REFMMAP_ACCESS_READ
        if readonly and flags & 1:  # PyBUF_WRITABLE
            _raise("not_writable")
        array_type = ctypes.c_ubyte * self._m.size
        array = array_type.from_address(int(ffi.cast("uintptr_t", self._m.data)))
        _check(lib.refmmap_export(self._m, 1), self._profile)
        # The export lives exactly as long as the array: every view made from it holds it, so
        # release() of the last one (or its garbage collection) ends the export.
        weakref.finalize(array, _release_export, self._m)
        view = memoryview(array).cast("B")
        return view.toreadonly() if readonly else view

    def __release_buffer__(self, view):
        """Nothing to do: the export ends when `view`'s memory object is freed (see __buffer__)."""

    def __add__(self, other):
        _raise("operand", op="+", left="mmap.mmap", right=type(other).__name__)

    def __radd__(self, other):
        if not self._profile.int_items and isinstance(other, bytes):
            _raise("py2_concat")
        if isinstance(other, (bytes, bytearray)):
            return other + self[:]
        _raise("operand", op="+", left=type(other).__name__, right="mmap.mmap")

    def __mul__(self, other):
        _raise("operand", op="*", left="mmap.mmap", right=type(other).__name__)

    def __rmul__(self, other):
        _raise("operand", op="*", left=type(other).__name__, right="mmap.mmap")

    # ---- file-like methods ----

    def _start(self, name, args, kwargs, lo, hi):
        """Keyword arguments are refused before anything else; from 3.14 (Argument Clinic) a
        closed map is noted as reaching its closed check after the arguments."""
        if kwargs:
            _arity(self._profile, name, args, kwargs, lo, hi)
        if self._profile.ac_conversion and self._m.data == ffi.NULL:
            _applies(self._m, "after-close.main-order")

    def read(self, *args, **kwargs):
        p = self._profile
        if p.int_items and (not args or _plain(args, kwargs, 1, 1) or args == (None,)) and not kwargs:
            c = ffi.new(_CALL, [lib.REFMMAP_OP_READ])
            n = c.a[0] = -1 if not args or args[0] is None else args[0]
            m = self._m
            _applies(m, "read.all" if n < 0 else "read.eof" if m.pos >= m.size else "read.n")
            c.ready = 1
            if self._go(c) == _DONE:
                return bytes(c.count)
            return ffi.buffer(m.data + c.start, c.count)[:]
        lo = 0 if p.int_items else 1
        self._start("read", args, kwargs, lo, 1)
        c = ffi.new(_CALL, [lib.REFMMAP_OP_READ])

        def convert(step):
            _arity(p, "read", args, kwargs, lo, 1)
            n = args[0] if args else None
            if not p.int_items:  # 2.7: read(n), "n" format
                if isinstance(n, float):
                    _raise("read_float", p)
                n = _ssize(n, p)
            elif n is None:
                n = -1
            elif isinstance(n, int) or hasattr(type(n), "__index__") and (
                    # 3.6 asks PyNumber_Check (nb_int or nb_float) first, then converts by __index__.
                    p.read_index or hasattr(type(n), "__int__")):
                n = _ssize(n, p, "read_fit")
            else:
                key = "read_float" if isinstance(n, float) else "read_type"
                _raise(key, p, type=type(n).__name__)
            c.a[0] = n
            m = self._m
            _applies(m, "read.all" if n < 0 else "read.eof" if m.pos >= m.size else "read.n")

        if self._run(c, convert) == _DONE:
            return bytes(c.count)  # nothing, or <= 3.10 a closed map's uninitialised bytes
        return ffi.buffer(self._m.data + c.start, c.count)[:]

    def read_byte(self, *args, **kwargs):
        _arity(self._profile, "read_byte", args, kwargs, 0, 0)
        out = ffi.new("unsigned char *")
        _check(lib.refmmap_read_byte(self._m, out), self._profile)
        return self._byte(out[0])

    def readline(self, *args, **kwargs):
        _arity(self._profile, "readline", args, kwargs, 0, 0)
        start, count = ffi.new("ssize_t *"), ffi.new("ssize_t *")
        _check(lib.refmmap_readline(self._m, start, count), self._profile)
        return ffi.buffer(self._m.data + start[0], count[0])[:]

    def write(self, *args, **kwargs):
        p = self._profile
        if not kwargs and len(args) == 1 and type(args[0]) is bytes:
            c = ffi.new(_CALL, [lib.REFMMAP_OP_WRITE])
            buf = ffi.from_buffer(args[0])  # kept alive until the call returns
            c.ready, c.src, c.srclen = 1, buf, len(buf)
            self._go(c)
            return c.srclen if p.write_returns_count else None
        self._start("write", args, kwargs, 1, 1)
        c = ffi.new(_CALL, [lib.REFMMAP_OP_WRITE])
        keep = []

        def convert(step):
            _arity(p, "write", args, kwargs, 1, 1)
            if type(args[0]) is not bytes:
                _applies(self._m, "write.bytes-like")
            c.src, c.srclen, buf = self._bytes_arg(args[0], "write")
            keep.append(buf)

        self._run(c, convert)
        return c.srclen if p.write_returns_count else None

    def write_byte(self, *args, **kwargs):
        p = self._profile
        if p.int_items and _plain(args, kwargs, 1, 1, 0, 255):
            c = ffi.new(_CALL, [lib.REFMMAP_OP_WRITE_BYTE])
            c.ready, c.a[0] = 1, args[0]
            self._go(c)
            return
        self._start("write_byte", args, kwargs, 1, 1)
        c = ffi.new(_CALL, [lib.REFMMAP_OP_WRITE_BYTE])

        def convert(step):
            _arity(p, "write_byte", args, kwargs, 1, 1)
            value = args[0]
            if not p.int_items:
                if not isinstance(value, bytes) or len(value) != 1:
                    _raise("py2_char", type=_py2_type(value))
                value = value[0]
            else:
                value = _byte_or_int(value, p)
                _clong(value)
                if value > 255:
                    _raise("byte_max")
                if value < 0:
                    _raise("byte_min")
            c.a[0] = value

        self._run(c, convert)

    def seek(self, *args, **kwargs):
        p = self._profile
        if _plain(args, kwargs, 1, 2):
            c = ffi.new(_CALL, [lib.REFMMAP_OP_SEEK])
            c.ready, c.a[0] = 1, args[0]
            if len(args) > 1:
                c.flags = args[1]
            self._go(c)
            return c.out if p.seek_returns_pos else None
        self._start("seek", args, kwargs, 1, 2)
        c = ffi.new(_CALL, [lib.REFMMAP_OP_SEEK])

        def convert(step):
            _arity(p, "seek", args, kwargs, 1, 2)
            c.a[0] = _ssize(args[0], p)
            c.flags = _cint(args[1], p, clinic=True) if len(args) > 1 else 0

        self._run(c, convert)
        if c.reent:  # <= 3.13: the seek went on with the map its argument closed
            LEDGER.reent = (weakref.ref(self._m), "reent.close.seek-flush")
        return c.out if p.seek_returns_pos else None

    def seekable(self, *args, **kwargs):
        _arity(self._profile, "seekable", args, kwargs, 0, 0)
        return True

    def tell(self, *args, **kwargs):
        _arity(self._profile, "tell", args, kwargs, 0, 0)
        pos = lib.refmmap_tell(self._m)
        if pos < 0:
            _check(pos, self._profile)
        return pos

    def size(self, *args, **kwargs):
        _arity(self._profile, "size", args, kwargs, 0, 0)
        out = ffi.new("int64_t *")
        _check(lib.refmmap_size(self._m, out, self._profile.c.anon_size), self._profile)
        return out[0]

    def set_name(self, *args, **kwargs):
        if kwargs:
            _raise("no_kwargs", self._profile, name="set_name")
        if len(args) != 1:
            _raise("clinic_one", name="set_name", n=len(args))
        if not isinstance(args[0], str):
            # Argument Clinic's wording names None "None", not its type.
            got = "None" if args[0] is None else type(args[0]).__name__
            _raise("set_name_type", type=got)
        name = args[0].encode("utf-8")  # UnicodeEncodeError on surrogates, as CPython's
        if b"\0" in name:
            _raise("name_nul")
        _check(lib.refmmap_set_name(self._m, name, len(name)), self._profile)

    def resize(self, *args, **kwargs):
        p = self._profile
        self._start("resize", args, kwargs, 1, 1)
        c = ffi.new(_CALL, [lib.REFMMAP_OP_RESIZE])
        clause = []

        def convert(step):
            _arity(p, "resize", args, kwargs, 1, 1)
            newsize = c.a[0] = _ssize(args[0], p)
            clause.append(_resize_clause(self._m, newsize))
            _applies(self._m, clause[0])

        m = self._m
        try:
            self._run(c, convert, clause)
        except Exception as exc:
            # This resize's own check refused it after its argument resized the map: that check
            # (growing a shared anonymous map...) is what the op lands on.
            note = LEDGER.reent
            if (getattr(exc, "clause", None) and not LEDGER.converting and note is not None
                    and note[0]() is m and note[1].startswith("reent.resize")):
                LEDGER.reent = None
            raise
        if LEDGER.converting:  # an argument's __index__ resized the map its op converts for
            LEDGER.reent = (weakref.ref(m), "reent.resize.value" if LEDGER.values else "reent.resize")

    def move(self, *args, **kwargs):
        p = self._profile
        if _plain(args, kwargs, 3, 3):
            c = ffi.new(_CALL, [lib.REFMMAP_OP_MOVE])
            c.ready, c.a = 1, args
            self._go(c)
            return
        self._start("move", args, kwargs, 3, 3)
        c = ffi.new(_CALL, [lib.REFMMAP_OP_MOVE])

        def convert(step):
            _arity(p, "move", args, kwargs, 3, 3)
            c.a[0], c.a[1], c.a[2] = (_ssize(a, p) for a in args)

        self._run(c, convert)

    def flush(self, *args, **kwargs):
        p = self._profile
        if p.flush_flags:  # 3.15: flush(offset=0, size=-1, /, *, flags=0)
            if set(kwargs) - {"flags"}:
                _raise("unexpected_kwarg", name="flush", kw=min(set(kwargs) - {"flags"}))
            if len(args) + len(kwargs) > 3:
                _raise("count", name="flush", how="at most", bound=3, s="s", n=len(args) + len(kwargs))
            if len(args) > 2:
                _raise("positional", name="flush", most=2, n=len(args))
        else:
            self._start("flush", args, kwargs, 0, 2)
        c = ffi.new(_CALL, [lib.REFMMAP_OP_FLUSH])
        # The size: converted if passed (3.14: None is the map's size), 3.15's -1 "to the end".
        sized = len(args) > 1 and not (args[1] is None and p.ac_conversion and not p.flush_flags)
        c.given = 1 | (sized or p.flush_flags) << 1
        c.a[1] = -1
        offset_done = []

        def convert(step):
            if not offset_done:
                if not p.flush_flags:
                    _arity(p, "flush", args, kwargs, 0, 2)
                c.a[0] = _ssize(args[0], p) if args else 0
                offset_done.append(True)
            if step == lib.REFMMAP_STEP_CONVERT:
                if sized:
                    c.a[1] = _ssize(args[1], p)
                if "flags" in kwargs:
                    c.flags = _cint(kwargs["flags"], p)

        if _plain(args, kwargs, 0, 2):
            convert(lib.REFMMAP_STEP_CONVERT)
            c.ready = 1
        self._run(c, convert)
        if c.reent:  # msync() of the map its argument closed
            LEDGER.reent = (weakref.ref(self._m), "reent.close.seek-flush")
        return None if p.flush_returns_none else 0

    def find(self, *args, **kwargs):
        return self._find("find", args, kwargs, 0)

    def rfind(self, *args, **kwargs):
        return self._find("rfind", args, kwargs, 1)

    def _find(self, name, args, kwargs, reverse):
        p = self._profile
        self._start(name, args, kwargs, 1, 3)
        _applies(self._m, "find.slice-args" if len(args) > 1 else
                 "find.default-start" if name == "find" else "rfind.basic")
        c = ffi.new(_CALL, [lib.REFMMAP_OP_FIND])
        c.flags = reverse
        # The bounds passed; 3.14: None is the default, and find(sub, None, end) ignores end.
        given = [i for i, value in enumerate(args[1:3])
                 if not (p.ac_conversion and (value is None or args[1] is None))]
        c.given = sum(1 << i for i in given)
        keep = []

        def convert(step):
            if not keep:
                _arity(p, name, args, kwargs, 1, 3)
                c.src, c.srclen, buf = self._bytes_arg(args[0], name)
                keep.append(buf)
            if step == lib.REFMMAP_STEP_CONVERT:
                for i in given:
                    c.a[i] = _ssize(args[1 + i], p)

        if args and type(args[0]) is bytes and _plain(args[1:], kwargs, 0, 2):
            buf = ffi.from_buffer(args[0])  # kept alive until the call returns
            c.ready, c.src, c.srclen = 1, buf, len(buf)
            for i in given:
                c.a[i] = args[1 + i]
            self._go(c)
        else:
            self._run(c, convert)
        return c.out

    def madvise(self, *args, **kwargs):
        p = self._profile
        self._start("madvise", args, kwargs, 1, 3)
        c = ffi.new(_CALL, [lib.REFMMAP_OP_MADVISE])
        # The length: converted if passed (3.14: None is "to the end").
        sized = len(args) > 2 and not (args[2] is None and p.ac_conversion)
        c.given = 1 | sized << 1

        def convert(step):
            _arity(p, "madvise", args, kwargs, 1, 3)
            c.flags = _cint(args[0], p, clinic=True)
            c.a[0] = _ssize(args[1], p) if len(args) > 1 else 0
            if sized:
                c.a[1] = _ssize(args[2], p)

        self._run(c, convert)


_GIVEN = {"flags": lib.REFMMAP_GIVEN_FLAGS, "prot": lib.REFMMAP_GIVEN_PROT,
          "access": lib.REFMMAP_GIVEN_ACCESS, "offset": lib.REFMMAP_GIVEN_OFFSET}
_AUDIT = lib.REFMMAP_AUDIT


def _ctor(values):
    """A constructor call for C, which picks its branch by the arguments passed (`values`)."""
    c = ffi.new("refmmap_ctor_t *")
    c.given = sum(bit for name, bit in _GIVEN.items() if name in values)
    c.tag_fd = -1
    return c


def _offset(values, p):
    """The 'L' format's offset (a C long long)."""
    offset = _byte_or_int(values.get("offset", 0), p)
    if not -2**63 <= offset < 2**63:
        _raise("clong")
    return offset


# C's branch clause, a static string, by its address (decoded once).
_BRANCHES = {}


def _ctor_clause(ptr):
    if ptr == ffi.NULL:
        return None
    address = int(ffi.cast("uintptr_t", ptr))
    if address not in _BRANCHES:
        _BRANCHES[address] = ffi.string(ptr).decode()
    return _BRANCHES[address]


def _resize_clause(m, newsize):
    """resize()'s branch: anonymous grow or shrink, or a file map's zero, below-position, grow,
    same or shrink."""
    if m.anonymous:
        if newsize <= m.size:
            return "resize.anon-shrink"
        return ("resize.anon-shared-grow" if m.flags & _const("MAP_SHARED")
                else "resize.anon-private-grow")
    if newsize == 0:
        return "resize.zero-file"
    if newsize < m.pos:
        return "resize.past-pos"
    return ("resize.file-grow" if newsize > m.size else "resize.same" if newsize == m.size
            else "resize.file-shrink")


def _python_buffer(obj):
    """Whether `obj`'s __buffer__ is a Python function (not a built-in type's, nor a reference
    map's own, which stands for CPython's C slot)."""
    return (not isinstance(obj, _Base)
            and isinstance(inspect.getattr_static(type(obj), "__buffer__", None), types.FunctionType))


def _has_buffer(obj):
    try:
        memoryview(obj).release()
    except TypeError:
        return False
    return True


def _const(name):
    out = ffi.new("long *")
    _check(lib.refmmap_constant(name.encode(), out))
    return out[0]


# Methods each profile may lack (mod.methods).
_OPTIONAL = {"madvise": "madvise", "seekable": "seekable", "closed": "closed_attr", "set_name": "set_name",
             "__enter__": "context_manager", "__exit__": "context_manager"}
_CLASSES = {}


def _mmap_class(profile, platform, constructor=None):
    """The `mmap.mmap` class of one profile: its own __slots__, only the methods it has
    (`constructor`: the Windows platform's own __new__, from impls/windows.py)."""
    key = (profile.version, platform)
    if key not in _CLASSES:
        body = {name: value for name, value in vars(_Methods).items()
                if name not in ("__dict__", "__weakref__", "__doc__")
                and (name not in _OPTIONAL or getattr(profile, _OPTIONAL[name]))
                and not (platform == "windows" and name == "madvise")}  # no madvise() on Windows
        if not profile.int_items:  # Python 2: in, <, <=, >, >= as its object model does them
            body.update(__contains__=_Methods._py2_contains,
                        **{f"__{op.__name__}__": _py2_comparison(op)
                           for op in (operator.lt, operator.le, operator.gt, operator.ge)})
        # 2.7's mmap cannot be weakly referenced.
        slots = ("_m", "__weakref__") if profile.int_items else ("_m",)
        body.update(__slots__=slots, __module__="mmap", __qualname__="mmap",
                    __doc__="Reference mmap at the CPython {} profile ({}).".format(*key),
                    _profile=profile)
        if constructor is not None:
            body["__new__"] = staticmethod(constructor)
        cls = type("mmap", (_Base,), body)
        # tp_name of the C type: messages CPython builds from the type name then agree.
        cls.__name__ = "mmap.mmap"
        _CLASSES[key] = cls
    return _CLASSES[key]


def module(version=None, platform="unix", constructor=None):
    """A namespace like that version's `mmap` module on Linux (the emulated Windows one is
    impls.windows.module(), which passes its constructor)."""
    if version is None:
        # A newer interpreter than any profile gets the newest one.
        version = profiles.profile_for(".".join(map(str, sys.version_info[:3])))
    if platform not in ("unix", "windows"):
        raise ValueError(f"unknown platform {platform!r}; use 'unix' or 'windows'")
    if (platform == "windows") != (constructor is not None):
        raise ValueError("the Windows profile is impls.windows.module(version)")
    profile = Profile(version)
    ns = types.SimpleNamespace(__name__="mmap", error=OSError, PAGESIZE=lib.refmmap_pagesize())
    ns.ALLOCATIONGRANULARITY = lib.REFMMAP_WIN_GRANULARITY if platform == "windows" else ns.PAGESIZE
    ns.ACCESS_READ, ns.ACCESS_WRITE, ns.ACCESS_COPY = 1, 2, 3
    if profile.access_default:
        ns.ACCESS_DEFAULT = 0
    if platform == "unix":
        for name in profile.constants:
            out = ffi.new("long *")
            if lib.refmmap_constant(name.encode(), out) == 0:
                setattr(ns, name, out[0])
    ns.mmap = _mmap_class(profile, platform, constructor)
    return ns


_HERE = module()


def mmap(fileno, length, *args, **kwargs):
    """The stdlib signature at the running interpreter's profile."""
    return _HERE.mmap(fileno, length, *args, **kwargs)
