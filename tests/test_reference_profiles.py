# SPDX-License-Identifier: MIT
"""Version differences: the same probe lines run under each installed CPython (pyenv) with its
real `mmap`, and in process with the reference at that profile; the outcomes must agree."""

import functools
import itertools
import json
import os
import subprocess
import sys

import pytest

from impls import interpreters, profiles, reference

PYENV_ROOT = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))

# Runs under CPython 2.7 to 3.13: executes each line against the real mmap, prints JSON.
PROBE = r'''
import json, mmap, pickle, sys
PY2 = sys.version_info[0] == 2

class Index(object):
    def __init__(self, v): self.v = v
    def __index__(self): return self.v

def norm(v):
    if PY2 and isinstance(v, unicode): v = str(v)
    elif isinstance(v, bytes): return ["bytes", bytearray(v).hex() if not PY2 else v.encode("hex")]
    if isinstance(v, (list, tuple)): return [norm(x) for x in v]
    if isinstance(v, str) and v.startswith("<mmap.mmap object at"): return "<default repr>"
    if v is None or isinstance(v, (bool, int, float, str)): return v
    if PY2 and isinstance(v, long): return int(v)
    return "<%s>" % type(v).__name__

def run(line, env):
    try:
        try:
            v = eval(line, env)
        except SyntaxError:
            exec(line, env)
            v = None
    except EnvironmentError as e:
        return ["raise", "OSError", e.errno]
    except Exception as e:
        return ["raise", type(e).__name__, str(e)]
    return ["ok", norm(v)]

def txt(v):
    return v.decode() if isinstance(v, bytes) else v

env = dict(mm=mmap, Index=Index, pickle=pickle, sys=sys, ONE=b"A" if PY2 else 65, txt=txt)
print(json.dumps([run(line, env) for line in json.loads(sys.stdin.read())]))
'''

LINES = [
    "m = mm.mmap(-1, 10)", "m[:] = b'0123456789'", "m[0]", "m[-1]", "m.read_byte()",
    "list(m)[:2]", "b'1' in m", "m.seek(2)", "m.tell()", "m.write(b'ab')", "m.write_byte(ONE)",
    "m.write_byte(b'A')", "m[0] = ONE", "m[1] = b'B'", "m[0:2] = b'xy'", "m[:4]", "m.flush()",
    "m.read(Index(2))", "m.read(2.5)", "m.find(b'5')", "m.find(b'', 100)", "m.rfind(b'5', 0, 10)",
    "m.seek(0, 2)", "m.read_byte()", "m.resize(5)", "len(m)", "txt(repr(m))",
    "hasattr(m, 'madvise')", "hasattr(m, '__enter__')", "hasattr(m, 'closed')", "hasattr(m, 'seekable')", "hasattr(mm, 'ACCESS_DEFAULT')",
    "sorted(txt(n) for n in dir(mm) if n.startswith(('MAP_', 'PROT_', 'ACCESS_')))",
    "sorted(txt(n) for n in dir(mm) if n.startswith('MADV_'))",
    "sorted(txt(n) for n in dir(mm.mmap) if not n.startswith('_'))",
    "mm.mmap(-1, 5, trackfd=False).closed", "mm.mmap(-1, 5, access=4)",
    "mm.mmap(-1, 5, flags=mm.MAP_PRIVATE, access=mm.ACCESS_READ)", "mm.mmap(-1, -1)",
    "mm.mmap(-1, 1, offset=-1)", "mm.mmap(-1, 0)", "pickle.dumps(m)", "m + m",
    "m.move(0, 1, 2)", "m.move(0, 1, 10)", "m.seek(11)", "m.seek(0, 5)",
    "m[10]", "m[0] = 300 if not isinstance(ONE, bytes) else b'ab'",
    "m2 = mm.mmap(-1, 4, access=mm.ACCESS_READ)", "m2.write(b'a')", "m2.resize(2)",
    "m2.flush(1, 1)", "m2[0] = ONE", "m[::2]", "m[0:3:2] = b'qq'", "m[:3]", "del m[0]",
    "m.write_byte(256)", "m.seek(0)", "m.readline()", "m.madvise(1, 0, 1)", "m.flush(0, 1)",
    "m.find(b'q', Index(0), Index(5))", "m[Index(1)]", "m.seek(Index(1), Index(1))",
    "m.close()", "m.closed", "txt(repr(m))", "m.close()", "m.read(1)", "m.write(b'a')", "m.tell()",
    "m.size()", "len(m)", "m[0]", "m.seek(0)", "m.find(b'a')", "m.resize(3)",
]


def interpreter(profile):
    """A real CPython of this profile (pyenv's, PATH's or the provisioned ones:
    `python -m conformance provision`), or None."""
    return interpreters.cpython_of_profile(profile)


def probe_reference(profile, lines):
    """The probe's loop, in process, with the reference at `profile`."""
    ns = {}
    exec(PROBE.split("\nenv = dict(")[0].replace("import json, mmap, pickle, sys", "import json, pickle, sys"), ns)
    env = dict(mm=reference.module(profile), Index=ns["Index"], pickle=__import__("pickle"), sys=sys,
               ONE=b"A" if profile == "2.7" else 65, txt=ns["txt"])
    return json.loads(json.dumps([ns["run"](line, env) for line in lines]))


@pytest.mark.parametrize("profile", profiles.PROFILES)
def test_profile_matches_real_cpython(profile):
    python = interpreter(profile)
    if python is None:
        pytest.skip(f"no CPython of profile {profile} here (pyenv, PATH, provisioned)")
    real = subprocess.run([python, "-c", PROBE], input=json.dumps(LINES), capture_output=True,
                          text=True, timeout=60)
    assert real.returncode == 0, real.stderr
    theirs = json.loads(real.stdout)
    ours = probe_reference(profile, LINES)
    diffs = [(line, o, t) for line, o, t in zip(LINES, ours, theirs)
             if o != t]  # messages included: wording is profile data
    assert not diffs, "\n".join(f"{line}: reference {o} != CPython {profile} {t}"
                                for line, o, t in diffs)


def test_3_14_profile_uses_argument_clinic_order():
    """Not verifiable here (no 3.14 interpreter): the catalogue's reading of the 3.14 sources."""
    mm = reference.module("3.14")
    m = mm.mmap(-1, 10)
    assert m.seek(3) == 3 and m.find(b"\0", None) == 3 and m.flush(0) is None
    assert m.madvise(mm.MADV_NORMAL, 0, None) is None
    m.close()
    with pytest.raises(TypeError):
        m.write("a")  # converted before the closed check
    with pytest.raises(TypeError):
        m.__exit__()


@pytest.mark.parametrize("profile,attr,present", [
    ("3.7", "madvise", False), ("3.8", "madvise", True), ("3.12", "seekable", False),
    ("3.13", "seekable", True),
])
def test_methods_absent_in_a_version_are_absent_on_the_class(profile, attr, present):
    assert hasattr(reference.module(profile).mmap, attr) is present


def test_version_data():
    p = profiles.Profile("3.7")
    assert p.access_default and not p.madvise
    assert reference._wording(reference._ERRORS["pickle"][1], p) == "can't pickle mmap.mmap objects"
    with pytest.raises(ValueError, match="use one of"):
        profiles.Profile("4.0")
    assert reference.module().mmap is reference.module("{}.{}".format(*sys.version_info[:2])).mmap


def test_trackfd_false_at_3_13(tmp_path):
    """trackfd=False: no descriptor kept; size() fails as on 3.13; resize() refused (catalogue 1.S)."""
    import errno

    mm = reference.module("3.13")
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    before = len(os.listdir("/proc/self/fd"))
    with open(path, "r+b") as f:
        m = mm.mmap(f.fileno(), 0, trackfd=False)
        assert len(os.listdir("/proc/self/fd")) == before + 1  # just the open file
    m[0] = ord("A")
    m.flush()
    assert (path.read_bytes(), m.closed, m.seekable()) == (b"Abc", False, True)
    with pytest.raises(OSError) as info:
        m.size()
    assert info.value.errno == errno.EBADF
    with pytest.raises(ValueError, match="trackfd=False"):
        m.resize(5)
    m.close()
    with pytest.raises(TypeError, match="trackfd"):
        reference.module("3.12").mmap(-1, 1, trackfd=False)


# ---- re-entrancy: an argument's __index__ closes or resizes the map (catalogue 1.E, 1.T) ----

# Runs under CPython 2.7 to 3.13: each case in a forked child (a crash is an outcome), printing
# [outcome, state after ("closed" or [len, pos, bytes]), file bytes] per case as JSON.
REENTRANT_PROBE = r'''
import json, os, sys, tempfile
PY2 = sys.version_info[0] == 2

class Index(object):
    def __init__(self, v, action):
        self.v, self.action = v, action
    def __index__(self):
        self.action()
        return self.v
    __int__ = __index__

def hexs(b):
    return bytearray(b).hex() if not PY2 else bytes(b).encode("hex")

def norm(v):
    if isinstance(v, bytes): return ["bytes", hexs(v)]
    if v is None or isinstance(v, (bool, int, float, str)): return v
    if PY2 and isinstance(v, long): return int(v)
    return "<%s>" % type(v).__name__

def one(mm, case, path):
    with open(path, "wb") as f:
        f.write(b"0123456789")
    f = open(path, "r+b")
    kw = {}
    if case["access"]:
        kw["access"] = getattr(mm, "ACCESS_" + case["access"])
    if case["kind"] == "anon":
        m = mm.mmap(-1, case["size"], **kw)
        m[:] = b"0123456789"[:case["size"]].ljust(case["size"], b"\0") if case["access"] != "READ" else m[:]
    else:
        m = mm.mmap(f.fileno(), case["size"], **kw)
    m.seek(case["pos"])
    act = case["action"]
    if act == "close":
        action = lambda: m.close()
    else:
        action = lambda: m.resize(act)
    X = Index(case["v"], action)
    env = {"m": m, "X": X, "mm": mm}
    try:
        try:
            out = ["ok", norm(eval(case["stmt"], env))]
        except SyntaxError:
            exec(case["stmt"], env)
            out = ["ok", None]
    except EnvironmentError as e:
        out = ["raise", "OSError", e.errno]
    except Exception as e:
        out = ["raise", type(e).__name__, str(e)]
    try:
        state = [len(m), m.tell(), hexs(m[:])]
    except ValueError:
        state = "closed"
    f.close()
    with open(path, "rb") as g:
        disk = hexs(g.read())
    return [out, state, disk]

def run_cases(mm, cases, fork=True):
    d = tempfile.mkdtemp()
    path = os.path.join(d, "f")
    res = []
    for case in cases:
        if not fork:
            res.append(one(mm, case, path))
            continue
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                data = json.dumps(one(mm, case, path))
            except BaseException as e:
                data = json.dumps(["harness", repr(e)])
            os.write(w, data.encode())
            os._exit(0)
        os.close(w)
        chunks = []
        while True:
            c = os.read(r, 65536)
            if not c: break
            chunks.append(c)
        os.close(r)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            res.append(["crash", os.WTERMSIG(status)])
        else:
            res.append(json.loads(b"".join(chunks).decode()))
    os.remove(path)
    os.rmdir(d)
    return res

if __name__ == "__main__":
    import mmap
    print(json.dumps(run_cases(mmap, json.loads(sys.stdin.read()))))
'''

_REENTRANT_LINES = {
    "index": ["m[X]", "m[X:8]", "m[1:X]", "m[X:8:2]", "m[8:X:-2]", "m[X] = 65",
              "m[X:8] = b'a' * (8 - min(X.v, 8))",
              "m[X:8] = b'a' * max(0, min(8, len(m)) - X.v) if not m.closed else None",
              "m.read(X)", "m.seek(X)", "m.seek(X, 1)", "m.flush(X)", "m.flush(0, X)",
              "m.flush(X, 0)", "m.move(X, 0, 1)", "m.move(0, X, 1)", "m.move(0, 0, X)",
              "m.find(b'5', X)", "m.find(b'5', 0, X)", "m.rfind(b'5', X)", "m.rfind(b'5', 0, X)",
              "m.find(b'', X)", "m.rfind(b'', 0, X)", "m.madvise(0, X)", "m.madvise(0, 0, X)",
              "m.resize(X)"],
    "value": ["m[1] = X", "m[7] = X", "m.write_byte(X)", "m.madvise(X)"],
    "step": ["m[1:8:X]", "m[1:8:X] = b'abcd'", "m[8:1:X]"],
    "whence": ["m.seek(1, X)", "m.seek(-1, X)"],
}
_REENTRANT_VALUES = {"index": [0, 1, 7, 10, 15, -1, -12], "value": [65, 300], "step": [2, -2],
                     "whence": [0, 1, 2]}


def reentrant_cases():
    """Every line x value x (close, shrink to 5, grow to 20) x access mode on a 10-byte file map
    at position 2, and every line after a close on a 1-byte anonymous map."""
    cases = []
    for group, lines in _REENTRANT_LINES.items():
        for stmt, v, action, access in itertools.product(
                lines, _REENTRANT_VALUES[group], ["close", 5, 20], [None, "READ", "WRITE", "COPY"]):
            if action == "close" or access not in ("READ", "COPY"):  # else resize raises first
                cases.append(dict(kind="file", size=10, pos=2, action=action, stmt=stmt, v=v,
                                  access=access))
        for stmt, v in itertools.product(lines, _REENTRANT_VALUES[group]):
            cases.append(dict(kind="anon", size=1, pos=0, action="close", stmt=stmt,
                              v=min(v, 1) if group == "index" else v, access=None))
    return cases


def _uninitialised(ours, theirs):
    """<= 3.10 reads of a closed map's NULL pointer give uninitialised bytes; we give zeros."""
    return (ours[1] == theirs[1] == "closed" and ours[0][0] == theirs[0][0] == "ok"
            and isinstance(ours[0][1], list) and isinstance(theirs[0][1], list)
            and len(ours[0][1][1]) == len(theirs[0][1][1]) and not ours[0][1][1].strip("0"))


@functools.cache
def _real_reentrant(profile):
    python = interpreter(profile)
    if python is None:
        return None
    # Not under the sanitize session's LD_PRELOAD: ASan would turn the children's crashes into exits.
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    real = subprocess.run([python, "-c", REENTRANT_PROBE], input=json.dumps(reentrant_cases()),
                          capture_output=True, text=True, timeout=600, env=env)
    assert real.returncode == 0, real.stderr
    return json.loads(real.stdout)


@pytest.mark.parametrize("profile", profiles.PROFILES)
def test_reentrant_conversion_matches_real_cpython(profile):
    """Where the real CPython crashes, the reference does what the nearest fixed one (3.11+) does."""
    theirs = _real_reentrant(profile)
    if theirs is None:
        pytest.skip(f"no CPython of profile {profile} here (pyenv, PATH, provisioned)")
    fixed = None
    ns = {}
    exec(REENTRANT_PROBE.split("\nif __name__")[0], ns)
    cases = reentrant_cases()
    ours = json.loads(json.dumps(ns["run_cases"](reference.module(profile), cases, fork=False)))
    diffs = []
    for i, (case, o, t) in enumerate(zip(cases, ours, theirs)):
        if t[0] == "crash":
            if fixed is None:
                fixed = next(filter(None, map(_real_reentrant, ("3.11", "3.12", "3.13"))), [])
            t = fixed[i] if fixed and fixed[i][0] != "crash" else None
            if t is None:  # no CPython survives it (resize(0) of a file map: SIGBUS); see test_reference
                continue
        if o != t and not _uninitialised(o, t):
            diffs.append(f"{case}: reference {o} != CPython {profile} {t}")
    assert not diffs, f"{len(diffs)} of {len(cases)} cases differ:\n" + "\n".join(diffs[:40])
