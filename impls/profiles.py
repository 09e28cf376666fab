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
    # 3.15 (probed on 3.15.2): flush(offset, size=-1, /, *, flags) flushes to the end and takes
    # msync() flags (MS_* constants); size() of an anonymous map is its length, and with
    # trackfd=False a ValueError; find(b"", start > len) is -1; set_name() names anonymous maps.
    "flush_flags": "3.15",
    "set_name": "3.15",
}

# Each method's checks, their order and the differences that are no order (setitem checking
# "closed" last, shared anonymous growth refused, 3.15's flush-to-end, find past the end and
# size() of an anonymous map, the constructor's audit event) are the C library's:
# native/refmmap.c `orders` and refmmap_profile_init(). Profile.c is that table for one release; these flags read it.
C_FLAGS = ("setitem_checks_first", "shared_anon_grow_refused", "flush_to_end",
           "find_empty_past_end", "anon_size", "audit")

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
        from impls._refmmap import ffi, lib  # the C library's table of this release

        self.c = ffi.new("refmmap_profile_t *")
        if lib.refmmap_profile_init(self.c, version.encode()) != 0:  # pragma: no cover
            raise ValueError(f"the C library refuses profile {version!r}")
        for flag in C_FLAGS:
            setattr(self, flag, bool(getattr(self.c, flag)))

    def msg(self, key, **fields):
        """The profile's wording of message `key`, with its {fields} filled in."""
        return self.messages[key].format(**fields)

    def __repr__(self):
        return f"Profile({self.version!r})"
