# SPDX-License-Identifier: MIT
"""What a run shows while it runs (conformance/cli/progress.py): the model from what pytest reports,
the plain lines of a log and their pace, the machine's tallies, and the CLI's output in a log
and on a terminal."""

import io
import json
import os
import pty
import re
import subprocess
import sys
import textwrap

import pytest

from conformance.cli import progress
from conformance.cli.progress import PlainDisplay, Progress, Tally

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Two implementations: two clause test files (three clauses, one of them tested twice) and the
# machine's two parts each.
TESTS = [("test_find.py::test_a[{}]", "find.basic"), ("test_find.py::test_b[{}]", "find.basic"),
         ("test_find.py::test_c[{}]", "find.empty"), ("test_read.py::test_d[{}]", "read.all")]
PARTS = ["test_machine.py::test_lockstep[{}-0]", "test_machine.py::test_lockstep[{}-1]"]


def model(known=None, examples=5):
    m = Progress(["ref", "lib"], examples=examples, known=known)
    m.collected([(spec, nodeid.format(spec), clause) for spec in ("ref", "lib")
                 for nodeid, clause in TESTS]
                + [(spec, nodeid.format(spec), None) for spec in ("ref", "lib")
                   for nodeid in PARTS])
    return m


def failing(spec, identity, clause="find.basic", status="diverge", call="find", **extra):
    """A failing row with its finding record, as the machine and check() record them: a
    finding per op `call` (its cause: the op and the kinds of outcome on both sides)."""
    args = [{"b": ""}] if call in ("find", "rfind") else []
    record = {
        "impl": spec, "identity": identity, "clause": clause, "kind": status, "op": call,
        "steps": [["open", [{"data": "6f6e65", "mode": "r+"}, [{"fd": "file"}, 0], {}]],
                  ["call", [call, args, {}]]],
        "expected": {"out": ["ok", 0], "clause": clause, "state": "open", "len": 3, "pos": 0},
        "got": {"out": ["ok", -1], "state": "open", "len": 3, "pos": 0},
        "fields": ["out"], "origin": "implementation", "raised": [None, None]}
    return {"impl": spec, "clause": clause, "status": status, "detail": "", "repro": None,
            "finding": record, **extra}


def test_the_model_counts_clauses_parts_examples_findings_and_errors():
    m = model()
    assert m.line("ref") == ("clauses 0/3; machine waiting, 0/5 examples; no findings")
    m.started("test_find.py::test_a[ref]")
    m.finished("test_find.py::test_a[ref]")
    # find.basic has a second test not over yet: no clause is done.
    assert m.numbers("ref")["clauses_done"] == 0
    m.finished("test_find.py::test_b[ref]")
    m.finished("test_find.py::test_c[ref]")
    n = m.numbers("ref")
    assert (n["clauses_done"], n["files_done"], n["files"]) == (2, 1, 2)
    # The machine's parts share the examples (3 + 2); a tally says how many ran.
    m.counted("test_machine.py::test_lockstep[ref-0]", 2, 3, "explore")
    assert m.line("ref").startswith("clauses 2/3; machine running, 2/5 examples")
    m.counted("test_machine.py::test_lockstep[ref-0]", 3, 3, "shrink")
    assert "machine shrinking, 3/5 examples" in m.line("ref")
    m.finished("test_machine.py::test_lockstep[ref-0]")
    m.counted("test_machine.py::test_lockstep[ref-1]", 9, 2)  # overruns: never past the total
    m.finished("test_machine.py::test_lockstep[ref-1]")
    m.finished("test_read.py::test_d[ref]")
    m.add_rows([failing("ref", "find @ find.basic: returns int, got returns int"),
                {"impl": "ref", "clause": "read.all", "status": "error", "detail": "boom",
                 "repro": None},
                {"impl": "ref", "clause": "read.all", "status": "pass", "detail": "",
                 "repro": None}])
    assert m.line("ref") == ("clauses 3/3; machine done, 5/5 examples; "
                             "1 finding(s): 0 known, 1 new; 1 harness error(s)")
    assert m.fraction("ref") == 1.0
    # The other implementation is where it was.
    assert m.line("lib") == "clauses 0/3; machine waiting, 0/5 examples; no findings"
    assert m.fraction("lib") == 0.0


def test_known_findings_by_expectations_live_and_by_the_host_at_the_end():
    known_id = "find @ find.basic: returns int, got returns int"
    m = model(known={"lib": [known_id, "read.all"]})
    m.add_rows([failing("lib", known_id),
                failing("lib", "rfind @ read.all: returns int, out differ", clause="read.all",
                        call="rfind"),
                failing("lib", "size @ size.file: returns int, out differ",
                        clause="size.file", status="crash", call="size")])
    n = m.numbers("lib")
    assert (n["findings"], n["known"], n["new"], n["host"]) == (3, 2, 1, 0)
    # Once the run is over, the rows say whose findings are the host's, and which of those
    # CPython's expectations know.
    rows = [failing("lib", known_id),
            failing("lib", "size @ size.file: returns int, out differ", clause="size.file",
                    status="crash", call="size", expected="CPython's gh-12345")]
    rows[1]["finding"]["origin"] = "host"
    m.set_rows(rows)
    assert m.line("lib").endswith("2 finding(s): 2 known, 0 new, 1 the host's")


def test_a_machine_part_is_running_from_its_start_and_its_examples_come_from_its_report():
    m = model(examples=3)
    m.started("test_machine.py::test_lockstep[lib-1]")
    assert "machine running, 0/3 examples" in m.line("lib")
    m.counted("test_machine.py::test_lockstep[lib-1]", 1, 1)  # the report's count
    m.finished("test_machine.py::test_lockstep[lib-1]")
    assert "machine running, 1/3 examples" in m.line("lib")
    assert m.numbers("lib")["parts_done"] == 1


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_plain_lines_on_milestones_at_most_one_per_gap_and_always_the_last():
    m, clock, out = model(), Clock(), io.StringIO()
    shown = progress.Shown(m, PlainDisplay(m, out, gap=5, heartbeat=30, clock=clock))
    shown.update(lambda: None)
    assert [line.split()[1] for line in out.getvalue().splitlines()] == ["ref", "lib"]
    out.truncate(0)
    out.seek(0)
    # A test over is no milestone; its test file over is one, but within the gap of the last
    # line it waits.
    shown.update(m.finished, "test_find.py::test_a[ref]")
    clock.now += 1
    for nodeid in ("test_find.py::test_b[ref]", "test_find.py::test_c[ref]"):
        shown.update(m.finished, nodeid)
    assert out.getvalue() == ""
    clock.now += 4  # the gap has passed: the ticker (or the next report) prints it
    shown.update(lambda: None)
    assert out.getvalue() == ("[0:05] ref       clauses 2/3; machine waiting, 0/5 examples; "
                              "no findings\n")
    # Examples alone are no milestone: they are printed by the heartbeat.
    out.truncate(0)
    out.seek(0)
    for run in range(1, 4):
        clock.now += 10
        shown.update(m.counted, "test_machine.py::test_lockstep[lib-0]", run, 3, "explore")
    assert out.getvalue().count("lib") == 1  # the machine starting
    clock.now += 30
    shown.update(lambda: None)
    assert out.getvalue().count("lib") == 2  # 30 s after a line, while the numbers move
    assert out.getvalue().splitlines()[-1].endswith("running, 3/5 examples; no findings")
    shown.update(m.counted, "test_machine.py::test_lockstep[lib-1]", 1, 2, "explore")
    assert out.getvalue().count("lib") == 2
    clock.now += 5
    shown.update(lambda: None)
    assert out.getvalue().count("lib") == 3
    shown.close("stopped")
    last = out.getvalue().splitlines()[-2:]
    assert [line.split()[1:3] for line in last] == [["ref", "stopped:"], ["lib", "stopped:"]]


def test_the_tally_writes_at_most_every_quarter_second_and_at_each_phase(tmp_path):
    clock = Clock()
    tally = Tally(str(tmp_path), "test_machine.py::test_lockstep[lib-0]", "lib", 10,
                  clock=clock)
    tally.example()
    assert progress.read_tallies(str(tmp_path))[0]["run"] == 1
    tally.example()
    tally.example()
    assert progress.read_tallies(str(tmp_path))[0]["run"] == 1
    clock.now += 0.25
    tally.example()
    assert progress.read_tallies(str(tmp_path))[0]["run"] == 4
    tally.at("shrink")
    assert progress.read_tallies(str(tmp_path)) == [{
        "nodeid": "test_machine.py::test_lockstep[lib-0]", "spec": "lib", "run": 4,
        "total": 10, "phase": "shrink"}]
    assert tally.report() == {"run": 4, "total": 10}
    assert Tally(None, "x", "lib", 1).example() is None  # without a folder it only counts


def test_a_tally_in_the_display_s_own_process_tells_it_and_opens_no_file(tmp_path):
    """Without pytest-xdist the machine runs beside the clause tests that count this process's
    descriptors (del.no-fd-growth): neither it nor the display's thread may open one."""
    m = model()
    shown = progress.Shown(m, PlainDisplay(m, io.StringIO()), str(tmp_path))
    shown.start()
    try:
        Tally(str(tmp_path), "test_machine.py::test_lockstep[lib-0]", "lib", 3).example()
        shown.poll()
    finally:
        shown.close()
    assert os.listdir(tmp_path) == []
    assert "machine running, 1/5 examples" in m.line("lib")
    assert progress._heard is None


def test_a_test_id_is_resolved_to_its_clause_as_a_controller_must():
    here = os.path.join(ROOT, "conformance")
    assert progress.clause_of(
        here, "clause_tests/test_find.py::test_empty_needle_gives_clamped_bound[stdlib-find-args0-0]"
    ) == "find.empty"
    assert progress.clause_of(here, "test_machine.py::test_lockstep[stdlib-0]") is None
    assert progress.clause_of(here, "test_nothing_here.py::test_x[stdlib]") is None


# -- the CLI ------------------------------------------------------------------------------------

LIES = textwrap.dedent("""
    import mmap
    class M(mmap.mmap):
        def find(self, *args):
            return -1
    def factory(*a, **k):
        return M(*a, **k)
""")
LINE = re.compile(r"^\[\d+:\d\d\] (\S+) +(done: )?(.*)$")
STAMP = re.compile(r"^\[(\d+):(\d\d)\] (\S+) +(done: )?", re.M)


def cli(args, tmp_path, **kwargs):
    (tmp_path / "lies.py").write_text(LIES)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, str(tmp_path)]))
    for name in ("TTY_INTERACTIVE", "TTY_COMPATIBLE"):
        env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "conformance", *args], cwd=tmp_path, env=env,
                          timeout=300, **kwargs)


# One implementation runs in this process; two are spread over pytest-xdist's workers.
@pytest.mark.parametrize("impls", [["lies:factory"], ["reference", "lies:factory"]],
                         ids=["in-process", "xdist"])
def test_a_log_gets_a_few_lines_per_implementation_with_its_counts(tmp_path, impls):
    args = [a for spec in impls for a in ("--impl", spec)]
    result = cli([*args, "--examples", "3", "-k", "find or lockstep", "--json", "out.json"],
                 tmp_path, capture_output=True, text=True)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = [LINE.match(line) for line in result.stdout.splitlines()]
    shown = [m.groups() for m in lines if m]
    done = {spec: text for spec, last, text in shown if last}
    assert sorted(done) == sorted(impls), result.stdout
    for spec in impls:
        clauses = re.match(r"clauses (\d+)/(\d+); machine done, 3/3 examples; ", done[spec])
        assert clauses and clauses[1] == clauses[2] and int(clauses[1]) > 10, done
    if "reference" in done:
        assert done["reference"].endswith("; no findings")
    found = re.search(r"; (\d+) finding\(s\): 0 known, (\d+) new$", done["lies:factory"])
    assert found and found[1] == found[2] != "0", done
    # The summary, after the progress lines, counts the same findings.
    summary = result.stdout[result.stdout.index("\nsummary"):]
    assert f"lies:factory divergent {found[1]} finding(s)" in " ".join(summary.split())
    doc = json.loads((tmp_path / "out.json").read_text())
    assert any(r["status"] == "diverge" for r in doc["results"])
    # A few lines, not one per test: an implementation's lines before its last are 5 s apart
    # at least (whole seconds printed), however long a loaded machine takes; no pytest dots.
    for spec in impls:
        times = [int(m) * 60 + int(sec) for m, sec, who, last in STAMP.findall(result.stdout)
                 if who == spec and not last]
        assert all(b - a >= 4 for a, b in zip(times, times[1:])), result.stdout
    assert "...." not in result.stdout and "bringing up nodes" not in result.stdout


def test_a_harness_error_in_the_report_says_where_its_traceback_is():
    from conformance.cli.summary import report

    out = io.StringIO()
    info = {"spec": "lib", "version": "3.11.7", "profile": "3.11", "status": "incomplete",
            "reason": "1 harness error"}
    report([info], [{"impl": "lib", "clause": "find.basic", "status": "error", "repro": None,
                     "detail": "harness error in test_find.py::test_a[lib] (call): boom"}], out)
    assert "-v shows pytest's own output" in out.getvalue()


def test_verbose_shows_pytest_s_own_output_instead(tmp_path):
    result = cli(["--impl", "reference", "--examples", "1", "-k", "find.empty", "-v"], tmp_path,
                 capture_output=True, text=True)
    assert result.returncode in (0, 3), result.stdout + result.stderr
    assert "passed" in result.stdout and not any(map(LINE.match, result.stdout.splitlines()))


def test_a_terminal_gets_the_lines_redrawn_in_place(tmp_path):
    import fcntl
    import struct
    import termios

    main, sub = pty.openpty()
    fcntl.ioctl(sub, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 140, 0, 0))
    env = dict(os.environ, PYTHONPATH=ROOT, TERM="xterm")
    for name in ("TTY_INTERACTIVE", "TTY_COMPATIBLE"):  # rich's overrides of what a tty is
        env.pop(name, None)
    try:
        proc = subprocess.Popen([sys.executable, "-m", "conformance", "--impl", "reference",
                                 "--impl", "stdlib", "--examples", "3", "-k",
                                 "find or lockstep"], cwd=tmp_path, env=env,
                                stdin=subprocess.DEVNULL, stdout=sub, stderr=sub)
    finally:
        os.close(sub)
    out = b""
    while True:
        try:
            chunk = os.read(main, 1 << 16)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        out += chunk
    os.close(main)
    assert proc.wait(timeout=300) == 0, out
    text = out.decode("utf-8", "replace")
    # rich redraws its lines in place: erase the line, up a line, and again.
    assert "\x1b[2K" in text and "\x1b[1A" in text, text
    assert re.search(r"reference .*clauses (\d+)/\1; machine done, 3/3 examples", text), text
    assert re.search(r"stdlib .*clauses (\d+)/\1; machine done, 3/3 examples", text), text
    assert not any(map(LINE.match, text.splitlines()))  # no plain lines
    assert "\nsummary (on the -k" in text.replace("\r\n", "\n")
