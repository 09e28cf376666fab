# SPDX-License-Identifier: MIT
"""`python -m conformance clauses [--uncovered]`: what exercises each clause, without a run."""

import os
import subprocess
import sys

from conformance import clauses
from conformance.cli import coverage

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_cli(*args):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "conformance", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_every_clause_is_covered_so_uncovered_prints_nothing():
    result = run_cli("clauses", "--uncovered")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


def test_a_clause_nothing_names_is_reported_uncovered():
    catalogue = dict(clauses.load())
    catalogue["zz.nobody-tests-this"] = {"id": "zz.nobody-tests-this", "source": "de-facto",
                                         "group": "zz", "versions": "all", "platform": "unix"}
    assert coverage.uncovered(catalogue) == ["zz.nobody-tests-this"]
    assert "zz.nobody-tests-this" in coverage.listing(catalogue).splitlines()[-1]
    assert coverage.listing(catalogue).splitlines()[-1].endswith("UNCOVERED")


def test_the_listing_has_every_clause_with_source_group_and_versions():
    result = run_cli("clauses")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["id", "source", "group", "versions"]
    assert len(lines) == 1 + len(clauses.load())
    row = next(line for line in lines if line.startswith("read_byte "))
    assert row.split()[1:4] == ["de-facto", "read", "all"] and "machine" in row


def test_machine_clauses_are_catalogue_clauses_the_machine_reaches():
    """What a machine step can land on: the reference's named clauses and the ops' own."""
    found = coverage.machine_clauses()
    assert found <= set(clauses.load())
    assert {"read_byte", "seek.whence", "after-close.raise", "ctor.anon", "getitem.int",
            "access.shared-coherent", "buffer.memoryview"} <= found


def test_windows_clauses_are_covered_by_the_packages_windows_clause_tests():
    assert coverage.clause_tests()["doc.win.tagname-omitted"] == ["test_windows.py"]
    assert coverage.coverage()["doc.win.tagname-omitted"] == ["test_windows.py"]


def test_every_clause_a_short_machine_run_hits_is_one_it_can_land_on():
    """machine_clauses() never misses a clause the machine really lands on (hit counts are
    recorded per run in the pass rows' detail)."""
    from conformance.engine.machine import run_lockstep
    from impls.adapters import ReferenceAdapter
    from impls.interpreters import resolve

    subject = resolve("reference")
    subject.start()
    try:
        found, hits = run_lockstep(ReferenceAdapter(subject.profile), subject, examples=40,
                                   steps=20, seed=5)
    finally:
        subject.close()
    assert not found
    assert len(hits) > 20 and set(hits) <= coverage.machine_clauses()
