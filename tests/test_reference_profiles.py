# SPDX-License-Identifier: MIT
"""Version differences: the same probe lines run under each installed CPython (pyenv) with its
real `mmap`, and in process with the reference at that profile; the outcomes must agree."""

import json
import os
import subprocess
import sys

import pytest

from impls import profiles, reference

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
    """The pyenv CPython for a profile, or None."""
    for name in sorted(os.listdir(os.path.join(PYENV_ROOT, "versions")), reverse=True) \
            if os.path.isdir(os.path.join(PYENV_ROOT, "versions")) else []:
        if name.startswith(profile + ".") and name[len(profile) + 1:].isdigit():
            path = os.path.join(PYENV_ROOT, "versions", name, "bin", "python")
            if os.access(path, os.X_OK):
                return path
    return None


def probe_reference(profile, lines):
    """The probe's loop, in process, with the reference at `profile`."""
    ns = {}
    exec(PROBE.split("\nenv = dict(")[0].replace("import json, mmap, pickle, sys", "import json, pickle, sys"), ns)
    env = dict(mm=reference.module(profile), Index=ns["Index"], pickle=__import__("pickle"), sys=sys,
               ONE=b"A" if profile == "2.7" else 65, txt=ns["txt"])
    return json.loads(json.dumps([ns["run"](line, env) for line in lines]))


@pytest.mark.parametrize("profile", [p for p in profiles.PROFILES if p != "3.14"])
def test_profile_matches_real_cpython(profile):
    python = interpreter(profile)
    if python is None:
        pytest.skip(f"no CPython {profile} under {PYENV_ROOT}/versions")
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
    assert p.access_default and not p.madvise and p.messages["pickle"] == "can't pickle mmap.mmap objects"
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
