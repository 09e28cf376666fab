# SPDX-License-Identifier: MIT
"""What a run shows while it runs: a line per implementation with its clauses done of the
total, the state machine's examples, its findings so far (known and new) and harness errors.

- `Progress`, the model: fed with the tests collected, started and finished, the result rows
  and the machine's example counts; it knows neither pytest nor terminals.
- `LiveDisplay` (a terminal: rich's progress bars, redrawn in place) and `PlainDisplay`
  (anything else, such as a CI log: a line per implementation when its numbers change in a way
  that matters, at most one per implementation every few seconds).
- `Reporter`, the pytest plugin the CLI registers in its own process (the pytest-xdist
  controller, or the only one), and `Tally`, where the machine test in whatever process runs it
  counts its examples; `showing()` puts them together for the CLI.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import sys
import threading
import time

import pytest

from conformance.pytest_plugin import (
    EXAMPLES_KEY,
    MACHINE_PARTS,
    _spec_from_nodeid,
    part_examples,
    part_of,
)

FAILING = ("diverge", "crash")


def machine_part(nodeid):
    """The part number of a machine test (`test_lockstep[stdlib-1]`), or None."""
    match = re.search(r"-(\d+)\]$", nodeid)
    return int(match.group(1)) if match else None


class Impl:
    """One implementation's progress."""

    def __init__(self, spec):
        self.spec = spec
        self.clauses, self.files = {}, {}  # clause or test file -> its clause tests not over
        self.tests = {}  # nodeid -> (test file, clause) of each clause test selected
        self.parts = {}  # nodeid -> the examples of each machine part selected
        self.started, self.finished = set(), set()
        self.examples = {}  # nodeid -> the examples a machine part has run so far
        self.phase = {}  # nodeid -> what a running machine part does: "explore", "shrink"
        self.failing = []  # the rows of its divergences and crashes
        self.found = None  # their findings (conformance/reporting/findings.py), once asked for
        self.errors = 0  # harness errors


class Progress:
    """Each implementation's progress through a run: `numbers(spec)` and `line(spec)`.

    `examples` is the run's --examples (per implementation, over `parts` machine parts);
    `known` maps a spec to the finding identities and clauses its expectations accept: a finding
    is known when its row says so (`expected`) or its identity or clause is listed there.
    """

    def __init__(self, specs, *, examples=0, parts=MACHINE_PARTS, known=None):
        self.impls = {spec: Impl(spec) for spec in specs}
        self.examples, self.parts = examples, parts
        self.known = {spec: set(items) for spec, items in (known or {}).items()}
        self.owner = {}  # nodeid -> spec
        self.collected_any = False
        self.cache = {}  # spec -> its numbers, until something of it changes

    # -- what happens ---------------------------------------------------------------------
    def collected(self, entries):
        """The tests selected: (spec, nodeid, clause) each (clause None for a machine part)."""
        for spec, nodeid, clause in entries:
            impl = self.impls.get(spec)
            if impl is None:
                continue
            self.owner[nodeid] = spec
            if part_of(nodeid) == "machine":
                part = machine_part(nodeid)
                impl.parts[nodeid] = part_examples(self.examples, part or 0, self.parts)
            else:
                path, clause = nodeid.split("::")[0], clause or nodeid.split("[")[0]
                impl.tests[nodeid] = (path, clause)
                impl.clauses.setdefault(clause, set()).add(nodeid)
                impl.files.setdefault(path, set()).add(nodeid)
        self.collected_any = True
        self.cache.clear()

    def _impl(self, nodeid, spec=None):
        """The implementation a test is of (whose numbers change now), or None."""
        spec = spec or self.owner.get(nodeid)
        self.cache.pop(spec, None)
        return self.impls.get(spec)

    def started(self, nodeid, spec=None):
        impl = self._impl(nodeid, spec)
        if impl is not None:
            impl.started.add(nodeid)

    def finished(self, nodeid, spec=None, examples=None):
        """A test is over (its last report); `examples`, a machine part's {"run", "total"}."""
        impl = self._impl(nodeid, spec)
        if impl is None:
            return
        impl.started.add(nodeid)
        impl.finished.add(nodeid)
        impl.phase.pop(nodeid, None)
        path, clause = impl.tests.get(nodeid, (None, None))
        impl.clauses.get(clause, set()).discard(nodeid)
        impl.files.get(path, set()).discard(nodeid)
        if examples:
            self.counted(nodeid, examples["run"], examples.get("total"), spec=spec)

    def counted(self, nodeid, run, total=None, phase=None, spec=None):
        """A machine part has run `run` examples of its `total`, and is at `phase`."""
        impl = self._impl(nodeid, spec)
        if impl is None:
            return
        if total:
            impl.parts[nodeid] = total
        impl.examples[nodeid] = max(run, impl.examples.get(nodeid, 0))
        if nodeid not in impl.finished:
            impl.started.add(nodeid)
            if phase:
                impl.phase[nodeid] = phase

    def add_rows(self, rows):
        """Result rows as they come: divergences and crashes are findings, `error` rows
        harness errors."""
        for row in rows:
            impl = self.impls.get(row.get("impl"))
            if impl is None:
                continue
            self.cache.pop(impl.spec, None)
            if row.get("status") in FAILING:
                impl.failing.append(self._marked(impl.spec, row))
                impl.found = None
            elif row.get("status") == "error":
                impl.errors += 1

    def set_rows(self, rows):
        """Every row of the run, once it is over (each finding's origin and known-ness now
        decided): the findings and errors are counted again from them."""
        for impl in self.impls.values():
            impl.failing, impl.found, impl.errors = [], None, 0
        self.cache.clear()
        self.add_rows(rows)

    def _marked(self, spec, row):
        """A copy of a failing row, `expected` where the expectations know it already."""
        row = dict(row)
        if row.get("expected") is None:
            record = row.get("finding") or {}
            known = self.known.get(spec, set())
            if {record.get("identity"), row.get("clause"), record.get("clause")} & known:
                row["expected"] = "known"
        return row

    # -- what it amounts to -----------------------------------------------------------------
    def numbers(self, spec):
        """{"clauses", "clauses_done", "files", "files_done", "parts", "parts_started",
        "parts_done", "examples", "examples_run", "shrinking", "findings", "known", "new",
        "host", "errors"} of one implementation."""
        from conformance.reporting.findings import findings

        if spec in self.cache:
            return self.cache[spec]
        impl = self.impls[spec]
        if impl.found is None:
            impl.found = findings(impl.failing)
        found = impl.found
        known = sum(bool(f["known"]) for f in found)
        parts = set(impl.parts)
        self.cache[spec] = {
            "clauses": len(impl.clauses),
            "clauses_done": sum(not left for left in impl.clauses.values()),
            "files": len(impl.files), "files_done": sum(not left for left in impl.files.values()),
            "parts": len(parts), "parts_started": len(impl.started & parts),
            "parts_done": len(impl.finished & parts),
            "examples": sum(impl.parts.values()),
            "examples_run": sum(min(impl.examples.get(n, 0), total)
                                for n, total in impl.parts.items()),
            "shrinking": "shrink" in impl.phase.values(),
            "findings": len(found), "known": known, "new": len(found) - known,
            "host": sum(f["origin"] == "host" for f in found), "errors": impl.errors,
        }
        return self.cache[spec]

    def fraction(self, spec):
        """How much of its work is done, 0 to 1: the mean of its parts' (clause tests done,
        machine examples run)."""
        n = self.numbers(spec)
        shares = []
        if n["clauses"]:
            shares.append(n["clauses_done"] / n["clauses"])
        if n["parts"]:
            shares.append(1.0 if n["parts_done"] == n["parts"]
                          else 0.95 * n["examples_run"] / max(1, n["examples"]))
        return sum(shares) / len(shares) if shares else 0.0

    def milestone(self, spec):
        """What a plain log reports when it changes: test files finished, the machine's state,
        findings and errors (not every test, nor every example)."""
        n = self.numbers(spec)
        return (n["files_done"], n["parts_started"], n["parts_done"], n["shrinking"],
                n["findings"], n["known"], n["host"], n["errors"])

    def line(self, spec):
        """`clauses 12/40; machine running, 57/100 examples; 2 finding(s): 1 known, 1 new`."""
        n = self.numbers(spec)
        said = []
        if n["clauses"]:
            said.append(f"clauses {n['clauses_done']}/{n['clauses']}")
        if n["parts"]:
            state = ("done" if n["parts_done"] == n["parts"]
                     else "shrinking" if n["shrinking"]
                     else "running" if n["parts_started"] else "waiting")
            said.append(f"machine {state}, {n['examples_run']}/{n['examples']} examples")
        if not self.collected_any:
            said.append("collecting")
        if n["findings"]:
            host = f", {n['host']} the host's" if n["host"] else ""
            said.append(f"{n['findings']} finding(s): {n['known']} known, {n['new']} new{host}")
        else:
            said.append("no findings")
        if n["errors"]:
            said.append(f"{n['errors']} harness error(s)")
        return "; ".join(said)


def _elapsed(seconds):
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}:{seconds:02d}"


class PlainDisplay:
    """A line per implementation, `[M:SS] SPEC  NUMBERS`, when its milestone changes (at
    most one per implementation every `gap` seconds: a change within it is printed when it has
    passed), or every `heartbeat` seconds while its numbers change (a long machine run); the
    last, `done:` or `stopped:`, always."""

    def __init__(self, model, out, *, gap=5.0, heartbeat=30.0, clock=time.monotonic):
        self.model, self.out = model, out
        self.gap, self.heartbeat, self.clock = gap, heartbeat, clock
        self.start = clock()
        self.width = max([8] + [len(spec) for spec in model.impls])
        self.last = {}  # spec -> (when, milestone, text) of the last line printed

    def _print(self, spec, text, now, prefix=""):
        print(f"[{_elapsed(now - self.start)}] {spec:<{self.width}}  {prefix}{text}",
              file=self.out, flush=True)

    def changed(self):
        if not self.model.collected_any:  # nothing to say before the tests are known
            return
        now = self.clock()
        for spec in self.model.impls:
            key, text = self.model.milestone(spec), self.model.line(spec)
            when, last_key, last_text = self.last.get(spec, (None, None, None))
            if text == last_text:
                continue
            if when is None or (key != last_key and now - when >= self.gap) or (
                    now - when >= self.heartbeat):
                self._print(spec, text, now)
                self.last[spec] = (now, key, text)

    def close(self, status="done"):
        now = self.clock()
        for spec in self.model.impls:
            self._print(spec, self.model.line(spec), now, prefix=f"{status}: ")


class LiveDisplay:
    """rich's progress bars, one per implementation, redrawn in place on a terminal."""

    def __init__(self, model, console):
        from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bars

        self.model = model
        width = max([8] + [len(spec) for spec in model.impls])
        self.bars = Bars(TextColumn("{task.description}", markup=False),
                         BarColumn(bar_width=20), TextColumn("{task.fields[text]}", markup=False),
                         TimeElapsedColumn(), console=console, refresh_per_second=4,
                         redirect_stdout=False, redirect_stderr=False)
        self.tasks = {spec: self.bars.add_task(f"{spec:<{width}}", total=1000,
                                               text=model.line(spec))
                      for spec in model.impls}
        self.bars.start()

    def changed(self):
        for spec, task in self.tasks.items():
            self.bars.update(task, completed=round(1000 * self.model.fraction(spec)),
                             text=self.model.line(spec))

    def close(self, status="done"):
        self.changed()
        if status != "done":
            for spec, task in self.tasks.items():
                self.bars.update(task, text=f"{status}: {self.model.line(spec)}")
        self.bars.stop()


# Where a Tally in the CLI's own process (no pytest-xdist) tells its counts: the display's
# (Shown.heard) while it is shown. That process opens no file for them: its clause tests count
# the descriptors it has open (del.no-fd-growth), and a reader thread's would be counted too.
_heard = None


class Tally:
    """The examples a machine part has run, told (at most every `every` seconds, and at each
    change of phase) to the display in this process, or else written to FOLDER/<hash of its
    test>.json for the CLI's process to read (a pytest-xdist worker's). Without either it only
    counts."""

    def __init__(self, folder, nodeid, spec, total, *, every=0.25, clock=time.monotonic):
        self.folder, self.nodeid, self.spec, self.total = folder, nodeid, spec, total
        self.every, self.clock = every, clock
        self.run, self.phase, self.written = 0, "explore", None

    def example(self):
        self.run += 1
        if self.written is None or self.clock() - self.written >= self.every:
            self.write()

    def at(self, phase):
        self.phase = phase
        self.write()

    def report(self):
        return {"run": self.run, "total": self.total}

    def write(self):
        self.written = self.clock()
        said = {"nodeid": self.nodeid, "spec": self.spec, "run": self.run, "total": self.total,
                "phase": self.phase}
        heard = _heard
        if heard is not None:
            heard(said)
            return
        if not self.folder:
            return
        name = hashlib.sha1(self.nodeid.encode()).hexdigest()[:16]
        path = os.path.join(self.folder, name + ".json")
        tmp = f"{path}.tmp{os.getpid()}"
        try:
            with open(tmp, "w") as f:
                json.dump(said, f)
            os.replace(tmp, path)
        except OSError:  # the display misses a count; the run goes on
            pass


def read_tallies(folder):
    """The tallies of FOLDER: [{"nodeid", "spec", "run", "total", "phase"}]."""
    out = []
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return out
    for name in names:
        if not name.endswith(".json"):
            continue
        try:
            with open(os.path.join(folder, name)) as f:
                out.append(json.load(f))
        except (OSError, ValueError):
            continue
    return out


class Shown:
    """A model and its display, updated under one lock by pytest's hooks, by the tallies of
    the machine in this process, and by a ticker thread that lets a plain display print what it
    held back and, while pytest-xdist's workers run (`polling`), reads their tallies."""

    def __init__(self, model, display, folder=None, tick=0.5):
        self.model, self.display, self.folder, self.tick = model, display, folder, tick
        self.lock = threading.RLock()
        self.stop = threading.Event()
        self.thread = None
        self.status = "done"
        self.polling = False

    def heard(self, tally):
        """A tally of the machine in this process."""
        self.update(self.model.counted, tally["nodeid"], tally["run"], tally.get("total"),
                    tally.get("phase"), spec=tally.get("spec"))

    def update(self, change, *args, **kwargs):
        with self.lock:
            change(*args, **kwargs)
            self.display.changed()

    def poll(self):
        if self.folder and self.polling:
            for tally in read_tallies(self.folder):
                self.model.counted(tally["nodeid"], tally["run"], tally.get("total"),
                                   tally.get("phase"), spec=tally.get("spec"))

    def _ticking(self):
        while not self.stop.wait(self.tick):
            self.update(self.poll)

    def start(self):
        global _heard
        _heard = self.heard
        self.thread = threading.Thread(target=self._ticking, name="mmap-progress", daemon=True)
        self.thread.start()

    def close(self, status=None):
        global _heard
        _heard = None
        self.stop.set()
        if self.thread is not None:
            self.thread.join()
        with self.lock:
            self.display.close(status or self.status)


class Reporter:
    """The pytest plugin of the CLI's own process: what pytest (or pytest-xdist, from its
    workers) reports, into the model; the result rows as the suite's plugin gathers them
    (its pytest_mmap_results hook)."""

    def __init__(self, shown):
        self.shown = shown
        self.config = None

    def pytest_configure(self, config):
        self.config = config

    def _spec(self, nodeid):
        return _spec_from_nodeid(self.config, nodeid)

    def pytest_collection_finish(self, session):
        self.shown.update(self.shown.model.collected, [
            (self._spec(item.nodeid), item.nodeid, _clause_mark(item))
            for item in session.items])

    @pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist's
    def pytest_xdist_node_collection_finished(self, node, ids):
        # Every worker collects the same tests: the first to finish says which.
        self.shown.polling = True  # the machine runs there: its tallies come as files
        if not self.shown.model.collected_any:
            root = str(self.config.rootpath)
            self.shown.update(self.shown.model.collected, [
                (self._spec(nodeid), nodeid, clause_of(root, nodeid)) for nodeid in ids])

    def pytest_runtest_logstart(self, nodeid, location):
        self.shown.update(self.shown.model.started, nodeid, self._spec(nodeid))

    @pytest.hookimpl(optionalhook=True)  # the suite's hook (conformance/newhooks.py)
    def pytest_mmap_results(self, rows, report):
        with self.shown.lock:
            self.shown.model.add_rows(rows)

    @pytest.hookimpl(trylast=True)  # after the suite's plugin has gathered the rows
    def pytest_runtest_logreport(self, report):
        examples = next((json.loads(v) for k, v in report.user_properties
                         if k == EXAMPLES_KEY), None)
        with self.shown.lock:
            if examples and report.when == "call":
                self.shown.model.counted(report.nodeid, examples["run"], examples["total"],
                                         spec=self._spec(report.nodeid))
            if report.when not in ("setup", "call"):  # teardown, or a dead xdist node's
                self.shown.model.finished(report.nodeid, self._spec(report.nodeid))
            self.shown.display.changed()

    def pytest_sessionfinish(self, session):
        # The last tallies; then no more reading: after pytest the CLI replays findings in
        # this process, descriptor counts among them.
        with self.shown.lock:
            self.shown.poll()
            self.shown.polling = False


def _clause_mark(item):
    marker = item.get_closest_marker("clause")
    return marker.args[0] if marker and marker.args else None


def clause_of(root, nodeid):
    """The clause a test id's test function is marked with, from its module (what a
    pytest-xdist controller, which collects nothing itself, has to go on); None if unknown."""
    import importlib

    path, _, rest = nodeid.partition("::")
    name = rest.split("[")[0].split("::")[-1]
    folder, module = os.path.split(os.path.join(root, path))
    parts = [os.path.splitext(module)[0]]
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        folder, package = os.path.split(folder)
        parts.insert(0, package)
    try:
        function = getattr(importlib.import_module(".".join(parts)), name, None)
    except Exception:  # the workers collected it; here it is only a name to show
        return None
    marks = getattr(function, "pytestmark", [])
    return next((m.args[0] for m in marks if m.name == "clause" and m.args), None)


def _own_stream(out):
    """A stream of its own onto `out`'s file descriptor: pytest's capture of file descriptor 1
    while a test runs in this process must not swallow the display. `out` itself where it has
    none (a test's capture)."""
    try:
        fd = out.fileno()
        out.flush()
        return os.fdopen(os.dup(fd), "w", buffering=1, encoding=getattr(
            out, "encoding", None) or "utf-8", errors="replace")
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return out


def is_live(stream):
    """Whether `stream` is an interactive terminal (rich's view of it, with TERM and
    TTY_INTERACTIVE): there the display redraws in place; elsewhere, or without rich (an
    install older than the dependency), it prints lines."""
    try:
        from rich.console import Console
    except ImportError:
        return False
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty and Console(file=stream).is_interactive


@contextlib.contextmanager
def showing(specs, *, examples, parts=MACHINE_PARTS, known=None, rows=(), folder=None, out=None):
    """Show the progress of `specs` while the block runs; yields the Shown, whose `.plugin`
    pytest gets (plugins=[...]) and whose `.status` the end says ("done", or "stopped")."""
    out = out or sys.stdout
    stream = _own_stream(out)
    model = Progress(specs, examples=examples, parts=parts, known=known)
    model.add_rows(rows)
    if is_live(stream):
        from rich.console import Console

        # Its width now: pytest captures file descriptors 1 and 2 while a test runs in this
        # process, where rich would look for it later.
        try:
            width = os.get_terminal_size(stream.fileno()).columns or None
        except (OSError, ValueError):
            width = None
        display = LiveDisplay(model, Console(file=stream, width=width))
    else:
        display = PlainDisplay(model, stream)
    if folder:
        os.makedirs(folder, exist_ok=True)
    shown = Shown(model, display, folder)
    shown.plugin = Reporter(shown)
    shown.start()
    try:
        yield shown
    except BaseException:
        shown.status = "stopped"
        raise
    finally:
        shown.close()
        if stream is not out:
            stream.close()
