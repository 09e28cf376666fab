# SPDX-License-Identifier: MIT
"""The benchmark scripts run and say what they measured (smoke runs: no timing is asserted)."""

import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
from bulk_ops import OPS  # noqa: E402


def run(*argv, timeout=300):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, *argv], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.parametrize("factory", ["mmap:mmap", "impls.reference:mmap"])
def test_bulk_ops_times_every_operation(factory):
    done = run("benchmarks/bulk_ops.py", "--factory", factory, "--mib", "1", "--runs", "1")
    assert done.returncode == 0, done.stderr
    times = json.loads(done.stdout)
    assert set(times) == set(OPS) and all(t > 0 for t in times.values())


def test_lockstep_reports_the_floor_and_each_kind():
    done = run("benchmarks/lockstep.py", "--examples", "3", "--rounds", "2", "--kinds",
               "the reference alone (echoed),reference in process,reference in a CPython worker")
    assert done.returncode == 0, done.stderr
    first, *lines = done.stdout.splitlines()
    assert first.startswith("floor runs: ")  # each kind is held to the floor runs around it
    assert lines[0].endswith("; median run)")
    assert all(len(re.search(r"; rounds (.*)\)$", line).group(1).split(", ")) == 2
               for line in lines[1:])
    assert [line.split("  ")[0] for line in lines] == [
        "floor (no-op rules)", "the reference alone (echoed)", "reference in process",
        "reference in a CPython worker"]
    assert all("steps/s" in line for line in lines)
    # The echo answers the reference's own observations: no step diverges, so none is cut.
    steps = [re.search(r"\((\d+) steps in", line).group(1) for line in lines]
    assert steps[1] == steps[2]  # as many steps as the reference against itself


def test_reference_ops_times_every_op_on_both_sides():
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    from reference_ops import OPS

    done = run("benchmarks/reference_ops.py", "--number", "20", "--repeat", "1")
    assert done.returncode == 0, done.stderr
    rows = {line[:16].strip(): line[16:].split() for line in done.stdout.splitlines()[2:-1]}
    assert set(rows) == set(OPS)
    assert all(float(ref) > 0 and float(std) > 0 for ref, std, _ in rows.values())


def test_map_size_reports_every_size():
    done = run("benchmarks/map_size.py", "--steps", "2")
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert header.split()[-2:] == ["64", "MiB"] and len(rows) == 2


def test_report_rejects_an_unknown_section_in_one_line():
    done = run("benchmarks/report.py", "--only", "bulk,nope")
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1
    assert "--only: unknown section 'nope'" in lines[0]


def test_earlier_results_are_read_for_only_and_bad_ones_ignored(tmp_path, monkeypatch):
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    import report

    monkeypatch.setattr(report, "OUT", str(tmp_path))
    assert report._earlier_results() == {}
    (tmp_path / "bench.json").write_text('{"date": "d", "results": {"bulk": {}}}')
    assert report._earlier_results() == {"date": "d", "results": {"bulk": {}}}
    (tmp_path / "bench.json").write_text("{not json")
    assert report._earlier_results() == {}


def test_report_writes_both_documents_for_the_sections_it_ran(tmp_path, monkeypatch, capsys):
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    import report

    monkeypatch.setattr(report, "OUT", str(tmp_path))
    assert report.main(["--only", "reference_ops", "--quick"]) == 0
    doc = json.loads((tmp_path / "bench.json").read_text())
    assert doc["document"] == "mmap-conformance bench" and doc["schema"] == 1
    assert list(doc["results"]) == ["reference_ops"] and doc["results"]["reference_ops"]["status"] == "ok"
    assert doc["results"]["reference_ops"]["cpu_seconds"] > 0  # the command's own CPU time
    assert "## The reference's cost per call" in (tmp_path / "bench.md").read_text()
    assert " s of CPU)" in (tmp_path / "bench.md").read_text()


def test_searches_are_held_to_the_routine_timed_over_the_same_map():
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    import report

    best = {"reference": {"find (miss)": 0.003, "rfind (miss)": 0.0022},
            "stdlib": {"find (miss)": 0.012, "rfind (miss)": 0.0046}}
    on_map = {"reference": {"memmem": 0.0025, "memrchr": 0.002},
              "stdlib": {"memmem": 0.003}}  # stdlib's memrchr run missing: no ratio made up
    rows = [line for line in report.search_markdown(best, on_map) if line.startswith("| ")]
    assert rows[0] == "| operation | routine | reference | stdlib |"
    assert rows[1] == "| find (miss) | memmem | 1.20x (3.00 / 2.50 ms) | 4.00x (12.00 / 3.00 ms) |"
    assert rows[2] == "| rfind (miss) | memrchr | 1.10x (2.20 / 2.00 ms) | - |"
    assert report.search_markdown(best, {}) == []
