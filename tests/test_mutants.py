# SPDX-License-Identifier: MIT
"""The suite's power, measured on known bugs: the lockstep machine must report the mutants of
tests/mutants and must not report `faithful`, the stdlib restored behind a subclass."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `tests.mutants` is imported by path, as the workers do
    sys.path.insert(0, str(ROOT))

from conformance.engine.machine import run_lockstep  # noqa: E402
from impls.adapters import WorkerAdapter  # noqa: E402
from tests.mutants import (  # noqa: E402
    CLAUSE_ONLY,
    MUTANTS,
    Faithful,
    measure,  # noqa: E402
)

# The machine's default example count (the CLI default the lead sets) and the seed CI runs.
EXAMPLES = 200
SEED = 0
# Mutants reported within 25 examples at SEED (measured), one per area: the unmarked CI subset.
FAST = ("ctor_negative_length_valueerror", "getitem_oob_valueerror", "getslice_step_ignored",
        "read_pos_not_advanced", "write_returns_none", "tell_absolute", "flush_returns_zero",
        "close_twice_raises", "exit_keeps_open", "buffer_snapshot")
# One mutant per context that uniform draws rarely build (a page boundary, self-similar data,
# an arithmetic edge, the file around the map): each has a witness of one to three ops.
CONTEXTS = ("find_misses_page_straddle", "find_skips_partial_match", "flush_range_end_off_by_one",
            "rfind_end_off_by_one", "flush_restores_file_around_map")
# A clause id in parentheses at the end of the docstring, e.g. "(seek.whence)".
CLAUSE = re.compile(r"\(([a-z][\w./-]*)(, [a-z][\w./-]*)*(: [^)]*)?\)$")


@pytest.fixture(scope="module")
def reference():
    adapter = measure.reference()
    yield adapter
    adapter.close()


@pytest.fixture(scope="module")
def faithful():
    adapter = measure.subject("faithful")
    yield adapter
    adapter.close()


@pytest.fixture(scope="module")
def stdlib():
    adapter = WorkerAdapter("stdlib", "stdlib", sys.executable, "mmap:mmap")
    adapter.start()
    yield adapter
    adapter.close()


def missed(names, *, seed=SEED, examples=EXAMPLES):
    """The mutants among `names` the machine does not report within `examples` at `seed`.

    Measured in a process of its own (`python -m tests.mutants.measure`): Hypothesis also draws
    constants found in the project's imported modules, so in-process draws at a fixed seed depend
    on which test modules happen to be loaded; a fresh process draws what a user's run draws."""
    import subprocess

    run = subprocess.run(
        [sys.executable, "-m", "tests.mutants.measure", "--examples", str(examples), "--seeds",
         str(seed), *names], cwd=ROOT, capture_output=True, text=True, timeout=1800)
    rows = dict(line.split(None, 1) for line in run.stdout.splitlines()
                if line.split(None, 1)[0] in names)
    assert sorted(rows) == sorted(names), run.stdout[-2000:] + run.stderr[-2000:]
    return [name for name in names if rows[name].strip() == "miss"]


@pytest.mark.parametrize("name", sorted(MUTANTS) + sorted(CLAUSE_ONLY))
def test_mutant_is_one_documented_bug(name):
    """Each mutant derives from Faithful and names its bug and clause in a one-line docstring."""
    cls = MUTANTS.get(name) or CLAUSE_ONLY[name]
    assert issubclass(cls, Faithful) and cls is not Faithful
    doc = " ".join(cls.__doc__.split())
    assert CLAUSE.search(doc.rstrip(".")), f"{name}: docstring must end in (clause.id): {doc!r}"


def test_faithful_is_not_reported(reference, faithful, stdlib):
    """The machine reports no divergence for `faithful` beyond what the bare stdlib shares."""
    recorder = measure.Recorder(reference)
    subject = measure.Masked(faithful, recorder, stdlib)
    divergences, _ = run_lockstep(recorder, subject, examples=EXAMPLES, seed=SEED)
    assert not divergences, "\n".join(str(d) for d in divergences)


@pytest.mark.parametrize("name", FAST)
def test_mutant_is_reported(name):
    """A quick mutant per area is reported with the default example count."""
    assert not missed([name]), f"{name} was not reported"


@pytest.mark.parametrize("name", CONTEXTS)
def test_context_mutant_is_reported(name):
    """A bug that shows only in a context the rules seek out is reported with the default
    example count."""
    assert not missed([name]), f"{name} was not reported"


@pytest.mark.slow
def test_reported_divergence_replays(reference, faithful):
    """The shrunk divergence run_lockstep reports for a mutant tells it apart from faithful."""
    from conformance.engine.compare import differences

    subject = measure.subject("write_returns_none")
    try:
        recorder = measure.Recorder(reference)
        divergences, _ = run_lockstep(recorder, measure.Masked(subject, recorder, faithful),
                                      examples=30, seed=SEED)
        assert divergences
        for divergence in divergences:
            told_apart = [differences(faithful.apply(op.json()), subject.apply(op.json()))
                          for op in divergence.steps]
            assert any(told_apart), f"not the mutant's bug: {divergence}"
    finally:
        subject.close()


@pytest.mark.slow
def test_at_least_95_percent_of_mutants_are_reported():
    """The whole sweep: at least 95% of the mutants are reported at the default example count."""
    lost = missed(sorted(MUTANTS))
    assert len(lost) <= 0.05 * len(MUTANTS), f"not reported: {lost}"


def clauses_named(cls):
    """The clause ids a mutant's docstring ends with."""
    doc = " ".join(cls.__doc__.split()).rstrip(".")
    return doc[doc.rindex("(") + 1:-1].split(": ")[0].split(", ")


@pytest.mark.parametrize("name", sorted(CLAUSE_ONLY))
def test_clause_only_mutant_is_reported(name, tmp_path):
    """The clause tests report each mutant the machine does not, on exactly the clauses its
    docstring names."""
    import json
    import subprocess

    cls = CLAUSE_ONLY[name]
    named = clauses_named(cls)
    out = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, "-m", "conformance", "--impl", f"tests.mutants:{name}", "--only",
         "clauses", "-k", " or ".join(named), "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    rows = json.loads(out.read_text())["results"]
    diverging = sorted({r["clause"] for r in rows if r["status"] == "diverge"})
    assert diverging == sorted(named)
