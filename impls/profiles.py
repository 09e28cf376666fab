# SPDX-License-Identifier: MIT
"""The CPython releases the reference reproduces (profiles), and what each has, read from the C
library's tables (native/refmmap.c), which are the one home of those version facts."""

import re

# A profile is the release whose behaviour it is: "3.13" is 3.13.0, "3.13.18" what changed in a
# patch release. Each is held against a real interpreter of that release
# (tests/test_reference_profiles.py); an interpreter gets the newest profile not newer than it.
PROFILES = ("2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.13.8", "3.13.18",
            "3.14", "3.14.10", "3.15")


def key(profile):
    """'3.10' -> (3, 10), '3.13.18' -> (3, 13, 18), for ordering profiles."""
    return tuple(int(part) for part in profile.split("."))


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
    """What one CPython release has, e.g. Profile("3.11").madvise: every feature of the C
    library's table (native/refmmap.c `features`, the one home of these version facts) as a
    bool attribute, `constants` (the module's MAP_*/PROT_*/MADV_*/MS_* names it has), and `c`,
    the C profile (each op's order of checks) the reference runs with."""

    def __init__(self, version):
        self.version = check(version)
        from impls._refmmap import ffi, lib  # the C library's tables of this release

        self.c = ffi.new("refmmap_profile_t *")
        if lib.refmmap_profile_init(self.c, version.encode()) != 0:  # pragma: no cover
            raise ValueError(f"the C library refuses profile {version!r}")
        for feature, has in _entries(lib.refmmap_feature_at, self.c):
            setattr(self, feature, has)
        self.constants = tuple(name for name, has in _entries(lib.refmmap_constant_at, self.c)
                               if has)

    def __repr__(self):
        return f"Profile({self.version!r})"


def _entries(read, c):
    """(name, whether profile `c` has it) of each entry of a C table read by `read`."""
    from impls._refmmap import ffi

    name = ffi.new("const char **")
    i = 0
    while (has := read(c, i, name)) >= 0:
        yield ffi.string(name[0]).decode(), bool(has)
        i += 1
