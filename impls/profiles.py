# SPDX-License-Identifier: MIT
"""CPython version differences of the `mmap` module, as data: one table the reference consults
instead of scattering version checks through its code."""

import re

# A profile is the release whose behaviour it is: "3.13" is 3.13.0, "3.13.18" what changed in a
# patch release. Each is held against a real interpreter of that release
# (tests/test_reference_profiles.py); an interpreter gets the newest profile not newer than it.
PROFILES = ("2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.13.8", "3.13.18",
            "3.14", "3.14.10", "3.15")

# Item assignment checks the access mode, key, deletion and value before "closed" and the range:
# seen on 3.13.18 and 3.14.10, not on 3.13.0 and 3.14.2 (Pyodide); the first patch releases with
# it are not known here, so the profiles name the releases it was seen on.
SETITEM_FIRST = ("3.13.18", "3.14.10")

# Feature -> first profile that has it (catalogue clause in the comment). A fix released in patch
# releases of several branches names the first patch release of each, e.g. ("3.13.18", "3.14.10"):
# later branches have it from their first release.
SINCE = {
    "int_items": "3.6",             # (2.7 is the only earlier profile); also weakref, ordering,
                                    # pickle protocol 2 and str + m, as Python 2's object model has them
    "gc_tracked": "3.10",           # mod.gc: before, the C type was not a gc type
    "closed_attr": "3.6",           # closed.attr (3.2)
    "context_manager": "3.6",       # ctx (3.2)             # getitem.int, read_byte, write_byte.int: int, not 1-char bytes
    "write_returns_count": "3.6",
    "ssize_arg_index": "3.6",       # the 'n' argument format accepts __index__ objects
    "int_arg_index": "3.8",         # the 'i' format too (before: "an integer is required")   # write.basic (bpo-26335)
    "access_default": "3.7",        # mod.access-consts
    "read_index": "3.7",            # read.index: read() accepts __index__ objects
    "flush_returns_none": "3.8",    # flush.return (bpo-2122); 0 before
    "madvise": "3.8",               # madvise.*, mod.madv-consts
    "audit": "3.8",                 # ctor.audit
    "new_pickle_message": "3.8",    # pickle
    "new_repr": "3.9",              # repr.open / repr.closed (bpo-34953)
    "index_message": "3.10",        # ctor.length.type: "'float' object cannot be interpreted ..."
    "seekable": "3.13",             # seekable
    "trackfd": "3.13",              # ctor.trackfd
    "seek_returns_pos": "3.13",     # seek.return (gh-111835)
    "attr_dict_message": "3.13",    # mod.type: "... and no __dict__ for setting new attributes"
    # Argument Clinic conversion (not verifiable here: 3.14 sources): arguments are converted
    # before the closed check, find/rfind accept None bounds, flush(offset) flushes to the end,
    # madvise(option, start, None) means "to the end".
    "ac_conversion": "3.14",
    # resize.anon-shared-grow (gh-138204, 3.13.8/3.14): growing a shared anonymous map is refused.
    # Before, it "succeeds", and bytes past the pages the map was created with SIGBUS.
    "shared_anon_grow_refused": ("3.13.8", "3.14"),
    # 3.15 (probed on 3.15.2): flush(offset, size=-1, /, *, flags) flushes to the end and takes
    # msync() flags (MS_* constants); size() of an anonymous map is its length, and with
    # trackfd=False a ValueError; find(b"", start > len) is -1; set_name() names anonymous maps.
    "setitem_checks_first": SETITEM_FIRST,
    "flush_flags": "3.15",
    "anon_size": "3.15",
    "find_empty_past_end": "3.15",
    "set_name": "3.15",
}

# Check order, and re-entrancy (catalogue 1.E, 1.T): an argument's __index__ may close or resize
# the map while it is converted. What each operation checks, in order, as
# {op: ((first profile, steps), ...)}, newest last. Subscripts list every step ("convert" is the
# key's conversion); methods list what follows their arguments' conversion. Steps after a closing
# conversion and before "valid" see the closed map's stale size and position, as CPython's do.
# Checked with probe scripts on CPython 2.7 and 3.6-3.13 (tests/test_reference_profiles.py).
#   valid      ValueError "mmap closed or invalid" if the map is closed. At <= 3.10 CPython has no
#              re-check after conversion: there the last "valid" is where the real one touches the
#              unmapped memory and crashes, and the reference does what 3.11.4+ does instead.
#   range      the index against the (stale) size: IndexError
#   delete     `del m[i]` / `del m[a:b]`: TypeError
#   value      the item value: type, conversion (may re-enter too), range(0, 256)
#   buffer     the assigned bytes-like object; size: its length against the slice's
#   empty      nothing to copy: b"" / None / no-op without touching the (unmapped) memory
#   uninit     <= 3.10: a closed map's data pointer is NULL, and PyBytes_FromStringAndSize(NULL, n)
#              makes n uninitialised bytes instead of crashing (the reference gives zeros)
#   writable   ACCESS_READ: TypeError;  eof: write_byte() at or past the (stale) end: ValueError
#   whence     seek(): unknown seek type;  bounds / range: the op's own out-of-range ValueError
#   clamp      find(): start/end clamped to the stale size; short (<= 3.10): a range shorter than
#              the needle is -1 and an empty needle matches at start (end for rfind), untouched
#   noop       flush() of an ACCESS_READ/COPY map returns at once
#   msync / advise / mremap   the system call on the closed map's NULL data pointer, and its errno
#   start / length   madvise()'s own checks;  resizeable / newsize: resize()'s own checks
# 2.7 also differs without re-entrancy: item and slice assignment check the value before the
# access mode, and `m[a:b]` (no step: sq_slice) converts its bounds before the closed check.
_GET_SLICE = ("valid", "convert", "empty", "uninit", "valid")
_SET_SLICE = ("valid", "writable", "convert", "delete", "buffer", "size", "empty", "valid")
_SET_SLICE_NEW = ("writable", "convert", "delete", "buffer", "valid", "size", "empty")
CHECK_ORDER = {
    "getitem_index": (("2.7", ("valid", "convert", "range", "uninit", "valid")),
                      ("3.6", ("valid", "convert", "range", "valid"))),
    "getitem_slice": (("2.7", _GET_SLICE), ("3.11", ("valid", "convert", "valid", "empty"))),
    "getitem_slice_nostep": (("2.7", ("convert", "valid", "empty")), ("3.6", _GET_SLICE),
                             ("3.11", ("valid", "convert", "valid", "empty"))),
    # Probed on 3.13.18 and 3.14.10 (3.13.0 and 3.14.2 have the 3.6 order): the access mode,
    # then the key, deletion and the value, and only then "closed" and the range.
    "setitem_index": (("2.7", ("valid", "convert", "range", "delete", "value", "writable", "valid")),
                      ("3.6", ("valid", "writable", "convert", "range", "delete", "value", "valid")),
                      (SETITEM_FIRST, ("writable", "convert", "delete", "value", "valid", "range"))),
    "setitem_slice": (("2.7", ("valid", "convert", "delete", "buffer", "size", "writable", "empty",
                               "valid")),
                      ("3.6", _SET_SLICE),
                      ("3.11", ("valid", "writable", "convert", "delete", "buffer", "size", "valid",
                                "empty")),
                      (SETITEM_FIRST, _SET_SLICE_NEW)),
    "setitem_slice_nostep": (("2.7", ("convert", "valid", "delete", "buffer", "size", "writable")),
                             ("3.6", _SET_SLICE),
                             ("3.11", ("valid", "writable", "convert", "delete", "buffer", "size",
                                       "valid", "empty")),
                             (SETITEM_FIRST, _SET_SLICE_NEW)),
    "read": (("2.7", ("empty", "uninit", "valid")), ("3.11", ("valid",))),
    "write_byte": (("2.7", ("writable", "eof", "valid")), ("3.11", ("writable", "valid", "eof")),
                   ("3.14", ("valid", "writable", "eof"))),
    "seek": (("2.7", ("whence", "range")), ("3.14", ("valid", "whence", "range"))),
    # 3.14 checks "closed" between converting the offset and the size (reference.py flush).
    "flush": (("2.7", ("range", "noop", "msync")), ("3.15", ("valid", "range", "noop", "msync"))),
    "move": (("2.7", ("writable", "bounds", "empty", "valid")),
             ("3.11", ("writable", "bounds", "valid")), ("3.14", ("valid", "writable", "bounds"))),
    "find": (("2.7", ("clamp", "short", "valid")), ("3.11", ("clamp", "valid"))),
    "madvise": (("2.7", ("start", "length", "advise")), ("3.11", ("start", "length", "valid")),
                ("3.14", ("valid", "start", "length"))),
    "resize": (("2.7", ("resizeable", "newsize", "mremap")),
               ("3.14", ("valid", "resizeable", "newsize"))),
}

# Constant -> first profile that has it on Linux (mod.map-consts).
CONSTANTS_SINCE = {
    "MAP_SHARED": "2.7", "MAP_PRIVATE": "2.7", "MAP_ANON": "2.7", "MAP_ANONYMOUS": "2.7",
    "MAP_DENYWRITE": "2.7", "MAP_EXECUTABLE": "2.7",
    "PROT_READ": "2.7", "PROT_WRITE": "2.7", "PROT_EXEC": "2.7",
    "MAP_POPULATE": "3.10", "MAP_STACK": "3.11", "MAP_NORESERVE": "3.13", "MAP_32BIT": "3.13",
    "MADV_NORMAL": "3.8", "MADV_RANDOM": "3.8", "MADV_SEQUENTIAL": "3.8", "MADV_WILLNEED": "3.8",
    "MADV_DONTNEED": "3.8", "MADV_REMOVE": "3.8", "MADV_DONTFORK": "3.8", "MADV_DOFORK": "3.8",
    "MADV_HWPOISON": "3.8", "MADV_MERGEABLE": "3.8", "MADV_UNMERGEABLE": "3.8",
    "MADV_SOFT_OFFLINE": "3.8", "MADV_HUGEPAGE": "3.8", "MADV_NOHUGEPAGE": "3.8",
    "MADV_DONTDUMP": "3.8", "MADV_DODUMP": "3.8", "MADV_FREE": "3.8",
    "MS_SYNC": "3.15", "MS_ASYNC": "3.15", "MS_INVALIDATE": "3.15",
}

# Messages that changed wording, as {key: ((first profile, message), ...)}, newest last.
MESSAGES = {
    "del_item": (("2.7", "mmap object doesn't support item deletion"),
                 ("3.6", "mmap doesn't support item deletion")),
    "pickle": (("2.7", "can't pickle mmap objects"), ("3.6", "can't pickle mmap.mmap objects"),
               ("3.8", "cannot pickle 'mmap.mmap' object")),
    # Argument-parsing wording ({name}, {n}, {pos}, {most} are filled in by the reference).
    "no_kwargs": (("2.7", "{name}() takes no keyword arguments"),
                  ("3.11", "mmap.{name}() takes no keyword arguments")),
    "noargs_kwargs": (("2.7", "{name}() takes no keyword arguments"),
                      ("3.9", "mmap.{name}() takes no keyword arguments")),
    "int_required": (("2.7", "an integer is required"), ("3.6", "an integer is required (got type {type})"),
                     ("3.10", "'{type}' object cannot be interpreted as an integer")),
    "read_type": (("2.7", "an integer is required"), ("3.6", "integer argument expected, got '{type}'"),
                  ("3.7", "argument should be integer or None, not '{type}'")),
    "read_float": (("2.7", "integer argument expected, got float"),
                   ("3.6", "'float' object cannot be interpreted as an integer"),
                   ("3.7", "argument should be integer or None, not 'float'")),
    "no_args": (("2.7", "{name}() takes no arguments ({n} given)"),
                ("3.9", "mmap.{name}() takes no arguments ({n} given)")),
    "bad_kwarg": (("2.7", "'{name}' is an invalid keyword argument for this function"),
                  ("3.13", "this function got an unexpected keyword argument '{name}'")),
    "missing_arg": (("2.7", "Required argument '{name}' (pos {pos}) not found"),
                    ("3.7", "function missing required argument '{name}' (pos {pos})")),
    "dup_arg": (("2.7", "Argument given by name ('{name}') and position ({pos})"),
                ("3.7", "argument for function given by name ('{name}') and position ({pos})")),
    "too_many": (("2.7", "function takes at most {most} arguments ({n} given)"),
                 ("3.13", "function takes at most {most} positional arguments ({n} given)")),
    # gh-154258 dropped "on Linux" (seen on 3.13.18 and 3.14.10).
    "shared_anon": (("2.7", "mmap: can't expand a shared anonymous mapping on Linux"),
                    (SETITEM_FIRST, "mmap: can't expand a shared anonymous mapping")),
    "slice_index": (("2.7", "slice indices must be integers or None or have an __index__ method"),
                    ("3.15", "slice indices must be integers or have an __index__ method")),
    "float_int": (("2.7", "integer argument expected, got float"),
                  ("3.10", "'float' object cannot be interpreted as an integer")),
}


def key(profile):
    """'3.10' -> (3, 10), '3.13.18' -> (3, 13, 18), for ordering profiles."""
    return tuple(int(part) for part in profile.split("."))


def applies(version, since):
    """Whether profile `version` has what was first released in `since`: one version, or the
    first patch release of each branch that got it (later branches have it from the start)."""
    if isinstance(since, str):
        return key(version) >= key(since)
    v = key(version)
    for first in since:
        if key(first)[:2] == v[:2]:
            return v >= key(first)
    return v[:2] > max(key(first)[:2] for first in since)


# One bound of a release range: "<3.13.8", ">=3.11".
BOUND = re.compile(r"^\s*(<|>=)\s*(\d+(?:\.\d+)*)\s*$")


def release(text):
    """(3, 13, 8) of '3.13.8', '3.13.8+' or 'PyPy 7.3 (3.9.16)'s first numbers."""
    return tuple(int(n) for n in re.findall(r"\d+", text or "")[:3])


def within(bounds, version):
    """Whether release `version` is in `bounds`: "all" or bounds joined by commas ("<3.13.8",
    ">=3.11,<3.11.4"); a profile is its x.y.0 release, so "3.11" is not ">=3.11.4"."""
    if bounds in (None, "", "all") or not version:
        return True
    have = release(version)
    for bound in str(bounds).split(","):
        match = BOUND.match(bound)
        if not match:
            raise ValueError(f"version bound {bound.strip()!r}: expected <X.Y[.Z] or >=X.Y[.Z]")
        op, first = match.groups()
        if (have < release(first)) != (op == "<"):
            return False
    return True


def profile_for(version):
    """The profile of an interpreter's version ('3.13.10' -> '3.13.8', '3.16.0' -> '3.15')."""
    numbers = tuple(int(n) for n in re.findall(r"\d+", version)[:3])
    older = [p for p in PROFILES if key(p) <= numbers]
    return older[-1] if older else PROFILES[0]


def check(profile):
    """Return `profile` if known, else raise ValueError naming the known ones."""
    if profile not in PROFILES:
        raise ValueError(f"unknown mmap profile {profile!r}; use one of {', '.join(PROFILES)}")
    return profile


class Profile:
    """The flags and messages of one CPython version, e.g. Profile("3.11").madvise."""

    def __init__(self, version):
        self.version = check(version)
        for feature, since in SINCE.items():
            setattr(self, feature, applies(version, since))
        self.constants = tuple(name for name, since in CONSTANTS_SINCE.items()
                               if applies(version, since))
        self.messages = {name: [msg for since, msg in steps if applies(version, since)][-1]
                         for name, steps in MESSAGES.items()}
        self.check_order = {op: [order for since, order in steps if applies(version, since)][-1]
                            for op, steps in CHECK_ORDER.items()}

    def msg(self, key, **fields):
        """The profile's wording of message `key`, with its {fields} filled in."""
        return self.messages[key].format(**fields)

    def __repr__(self):
        return f"Profile({self.version!r})"
