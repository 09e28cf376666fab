# SPDX-License-Identifier: MIT
"""conformance/plain.py: a finding as a few lines of plain Python, run both ways for real."""

import os
import subprocess
import sys

import pytest

from conformance import ops as o
from conformance import plain
from conformance.finding import record
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
    from conformance.compare import differences

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
                          env=dict(os.environ, PYTHONPATH=str(tmp_path)))


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
    assert "class Index:" in text and "m[Index(1, lambda: m.close())]" in text
    assert run(tmp_path, text, "--stdlib").returncode == 0


def test_steps_that_need_the_suites_helpers_keep_the_step_by_step_script(reference):
    assert made(reference, [o.Open(b"0123"), o.Apply("pickle", 2)], {"out": ["ok", 1]}) is None
    assert made(reference, [o.Open(b"0123"), o.Open2()], {"out": ["ok", 1]}) is None
