# SPDX-License-Identifier: MIT
"""conformance/reporting/plain.py: a finding as a few lines of plain Python, run both ways for real."""

import os
import subprocess
import sys

import pytest

from conformance.engine import ops as o
from conformance.engine.finding import record
from conformance.reporting import plain
from impls.adapters import ReferenceAdapter

# A buggy module the scripts import: seek returns the position, read_byte skips a byte.
BUGGY = """import mmap as _mmap
class M(_mmap.mmap):
    def seek(self, *a):
        _mmap.mmap.seek(self, *a)
        return self.tell()
    def write_byte(self, b):
        pass
"""


@pytest.fixture(scope="module")
def reference():
    adapter = ReferenceAdapter()
    yield adapter
    adapter.close()


def made(reference, steps, got):
    """The plain script of a finding whose last step's outcome is `got` on the implementation
    (the rest of its observation as the reference's)."""
    from conformance.engine.compare import differences

    trace = [reference.apply(op.json()) for op in steps]
    got = {**{k: v for k, v in trace[-1].items() if k != "clause"}, **got}  # as observed
    fields = differences(trace[-1], got)
    rec = record("buggy:M", steps, trace[-1], got, fields, steps[-1].clause(trace[-1]), trace)
    return plain.script(rec, "buggy:M", reference.profile)


def run(tmp_path, text, *args):
    (tmp_path / "buggy.py").write_text(BUGGY)
    (tmp_path / "repro.py").write_text(text)
    return subprocess.run([sys.executable, "repro.py", *args], cwd=tmp_path, text=True,
                          capture_output=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(tmp_path), TMPDIR=str(tmp_path)))


def test_a_wrong_value_is_an_assert_that_fails_on_the_implementation_only(reference, tmp_path):
    text = made(reference, [o.Open(b"0123"), o.Seek(1)], {"out": ["ok", 1]})
    assert text is not None and len(text.splitlines()) <= 12
    assert "Index" not in text and "new_file" not in text and "m.seek(1)" in text
    assert run(tmp_path, text).returncode == 1
    assert run(tmp_path, text, "--stdlib").returncode == 0


def test_a_missing_exception_and_the_steps_before_that_raise(reference, tmp_path):
    steps = [o.Open(b"0123", 0, access=o.Const("ACCESS_READ")), o.Call("write_byte", 1),
             o.Call("write_byte", 1)]
    text = made(reference, steps, {"out": ["ok", None]})
    assert "try: m.write_byte(1)\nexcept TypeError: pass" in text  # a step raising on CPython
    assert run(tmp_path, text).returncode == 1
    assert run(tmp_path, text, "--stdlib").returncode == 0


def test_an_index_that_closes_the_map_brings_its_three_line_class(reference, tmp_path):
    text = made(reference, [o.Open(b"0123"), o.GetItem(o.Closer(1))], {"out": ["ok", 49]})
    assert "class Index(object):" in text and "m[Index(1, lambda: m.close())]" in text
    assert run(tmp_path, text, "--stdlib").returncode == 0


# Every op and helper of the vocabulary, each as the last step after a file map is opened.
EVERY_OP = [
    o.Bytes(), o.Len(), o.Bool(), o.Repr(), o.Closed(), o.List(), o.Reversed(), o.Contains(b"1"),
    o.Enter(), o.Exit(None, None, None), o.DelItem(0), o.ModuleAttr("ACCESS_READ"),
    o.FileWrite(1, b"ab"), o.FileTruncate(8), o.End(), o.Find(o.SelfView(0, 2)),
    o.SetItem(slice(0, 2), o.NonContiguous(b"ab")), o.Call("write", o.ByteArray(b"ab")),
    o.Apply("int"), o.Apply("hash"), o.Apply("weakref"), o.Apply("gc_tracked"),
    o.Apply("pickle", 2), o.Apply("copy"), o.Apply("deepcopy"), o.Apply("reduce_ex", 2),
    o.Apply("bytearray"), o.Apply("md5"), o.Apply("unpack_from", "<H", 1),
    o.Apply("re_search", b"1"), o.Apply("view_info"), o.Apply("is_buffer"),
    o.Apply("is_sequence"), o.Apply("from_buffer"),
    o.Apply("hasattr", "find"), o.Apply("setattr", "x", 1), o.Apply("binop", "==", o.SELF),
    o.Apply("binop", "r+", b"x"), o.Apply("sizeof"), o.Apply("iter_type"),
    o.Apply("next_iter"), o.Apply("subclass", 4096), o.Apply("fd_growth", 3, None),
    o.Apply("drop_fds", 3, True, None), o.Apply("drop_fds", 3, False, None),
    o.Apply("drop_anon", 3, 4096, 10 ** 8), o.Apply("large_offset", 2 ** 32),
    o.Apply("drop_mapped"), o.Apply("drop"), o.Apply("close_fd"),
]
if sys.version_info >= (3, 12):  # the reference's 3.11 profile has __buffer__ all the same
    EVERY_OP.append(o.Apply("dunder_buffer"))
SEQUENCES = [[o.Open(b"0123456789"), op] for op in EVERY_OP] + [
    [o.Open(b"0123"), o.Export(), o.ViewSet(0, 0, 49), o.Release(0), o.GetItem(0)],
    [o.Open(b"0123"), o.Open2(0), o.Set2(0, b"x"), o.Get2()],
    [o.Open(b"0123"), o.Open2(0), o.Close2()],
    [o.Open(b"0123"), o.Open(b"abcd", 0, mode="r"), o.GetItem(0)],
    [o.Open(b"0123", 0, fileno=o.PIPE_FD)], [o.Open(b"0123", 0, fileno=o.DIR_FD)],
    [o.Open(b"0123", 0, fileno=o.CLOSED_FD)], [o.Open(b"0123", 0, fileno=o.DEVZERO_FD)],
    [o.Open(b"x" * 1000), o.Call("write", b"y")],  # a digested map
    # Re-entrant arguments: each acting on the map as it converts, before a later step.
    [o.Open(b"0123"), o.Call("read", o.Seeker(2, 1)), o.Call("read_byte")],
    [o.Open(b"0123"), o.GetItem(o.Writer(0, b"xy", 1)), o.GetItem(0)],
    [o.Open(b"0123"), o.Resize(o.Exporter(8)), o.Resize(8)],
    [o.Open(b"0123"), o.Call("move", 0, 1, o.Exporter(2)), o.Resize(8)],
    # a sparse file past 4 GiB: its pieces written, its length truncated
    [o.OpenSparse((1 << 32) + 5, {(1 << 32) - 2: b"AB"}), o.Find(b"AB", (1 << 32) - 9)],
]
if sys.version_info >= (3, 12):  # PEP 688: a Python class's buffer
    SEQUENCES.append([o.Open(b"0123"), o.Call("write", o.ReBuffer(b"ab", o.Seeker(1, 0))),
                      o.Call("tell")])
HARNESS_NAMES = ("export(", "new_file", "FILE[", "release_all", "pwrite(", "consumer_target",
                 "noncontiguous(", "closed_fd()", "WORK", "subclass_of", "drop_fds(", "fd_growth(",
                 "drop_anon(", "large_offset(", "drop_map", "binop(", "views.append(export")


@pytest.mark.parametrize("steps", SEQUENCES, ids=lambda steps: steps[-1].py()[:40])
def test_every_op_has_a_plain_form_that_holds_on_cpython(reference, tmp_path, steps):
    """Whatever the implementation did instead, the script is plain Python without the suite's
    names, and CPython (the profile's, here the host's) passes it."""
    text = made(reference, steps, {"out": ["exc", "RuntimeError", None, "not CPython"]})
    assert text is not None
    assert not [name for name in HARNESS_NAMES if name in text], text
    assert len(text.splitlines()) <= 25, text
    done = run(tmp_path, text, "--stdlib")
    assert done.returncode == 0, text + done.stdout + done.stderr


def test_a_helper_that_differs_fails_on_the_implementation(reference, tmp_path):
    text = made(reference, [o.Open(b"0123"), o.Apply("hasattr", "nope")],
                {"out": ["ok", "yes"]})  # what the implementation said is not what it does here
    assert "r = hasattr(m, 'nope')" in text
    (tmp_path / "buggy.py").write_text(BUGGY + "    nope = None\n")  # no CPython has it
    (tmp_path / "repro.py").write_text(text)
    done = subprocess.run([sys.executable, "repro.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, env=dict(os.environ, PYTHONPATH=str(tmp_path), TMPDIR=str(tmp_path)))
    assert done.returncode == 1 and "AssertionError" in done.stderr


def test_a_hang_exits_1_by_itself(reference, tmp_path):
    steps = [o.Open(b"0123"), o.Seek(1)]
    text = made(reference, steps, {"hang": True})
    assert "faulthandler.dump_traceback_later(" in text
    hanging = BUGGY.replace("return self.tell()", "import time\n        time.sleep(3600)")
    (tmp_path / "buggy.py").write_text(hanging)
    (tmp_path / "repro.py").write_text(text.replace("(10, exit=True)", "(1, exit=True)"))
    done = subprocess.run([sys.executable, "repro.py"], cwd=tmp_path, text=True,
                          capture_output=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(tmp_path), TMPDIR=str(tmp_path)))
    assert done.returncode == 1
