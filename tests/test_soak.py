# SPDX-License-Identifier: MIT
"""The soak (conformance/cli/soak.py): silent on the reference, finds and shrinks a planted bug."""

import contextlib
import json
import os
import pickle
import signal
import subprocess
import sys
import time
import types

import pytest

from conformance.cli import soak
from conformance.engine import ops as o
from conformance.engine.rules import Shadow
from impls.process import _processes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PLANTED = '''\
from tests.mutants import Faithful


class OffByOne(Faithful):
    """read_byte() returns one more than the byte, once the map was written to."""

    written = False

    def write(self, data):
        self.written = True
        return super().write(data)

    def read_byte(self):
        return (super().read_byte() + self.written) % 256
'''


@pytest.fixture
def planted(tmp_path, monkeypatch):
    (tmp_path / "planted_bug.py").write_text(PLANTED)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.chdir(ROOT)  # so the worker imports tests.mutants
    return "planted_bug:OffByOne"


def run_soak(tmp_path, *args):
    out = tmp_path / "soak.json"
    proc = subprocess.run([sys.executable, "-m", "conformance", "soak", "--json", str(out), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    return proc, json.loads(out.read_text())


def test_reference_against_itself_is_conformant(tmp_path):
    proc, doc = run_soak(tmp_path, "--minutes", "0.05", "--impl", "reference", "--seed", "1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert doc["findings"] == [] and doc["harness_errors"] == 0
    assert doc["sequences"] > 10 and doc["ops"] > 50 * doc["sequences"]  # long sequences


def test_planted_bug_is_found_and_shrunk(tmp_path, planted):
    proc, doc = run_soak(tmp_path, "--minutes", "0.05", "--impl", planted, "--seed", "3")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert set(doc) >= {"schema", "seed", "seconds", "sequences", "ops", "sequences_per_second",
                        "ops_per_second", "implementations", "findings", "harness_errors"}
    assert doc["harness_errors"] == 0
    (finding,) = doc["findings"]
    assert set(finding) >= {"impl", "clause", "kind", "known", "count", "found_length",
                            "shrunk_length", "fields", "detail", "repro"}
    assert (finding["impl"], finding["clause"], finding["kind"]) == (planted, "read_byte",
                                                                     "diverge")
    assert finding["shrunk_length"] <= 4  # open, write, (seek,) read_byte
    assert "m.read_byte()" in finding["repro"]
    assert "read_byte" in proc.stdout and "harness errors: 0" in proc.stdout


def test_shrink_drops_what_does_not_matter(planted):
    """A long sequence with the bug at its end shrinks to the three ops that matter, its
    payload to the one byte that still shows the bug."""
    from impls.adapters import ReferenceAdapter
    from impls.interpreters import resolve

    subject = resolve(planted)
    subject.start()
    reference = ReferenceAdapter(subject.profile)
    try:
        target = soak.Target(planted, subject, reference)
        noise = [o.Call("tell"), o.Len(), o.GetItem(0), o.Call("seek", 0), o.Repr()]
        steps = [o.Open(b"0123456789", 0)] + noise * 20 + [o.Call("write", b"ab")] + noise * 20
        steps += [o.Call("seek", 0), o.Call("read_byte")]
        with pytest.raises(soak.Found) as found:
            target.lockstep.play(steps, batched=False)
        assert len(found.value.steps) == len(steps)
        small = soak.shrink(target.lockstep, found.value, time.monotonic() + 30)
        assert [s.py() for s in small.steps] == [steps[0].py(), "m.write(b'a')", "m.read_byte()"]
        assert (small.clause, small.kind) == ("read_byte", "diverge")
    finally:
        subject.close()
        reference.close()


def test_shadow_forbids_what_would_fault_a_real_map():
    """A truncation below the mapped bytes or a resize beside a second map is never run."""
    shadow = Shadow()
    assert not shadow.allows(o.Call("read"))  # nothing open yet
    opened = o.Open(b"x" * 100, 0)
    shadow.follow(opened, {"out": ["ok", None], "state": "open", "len": 100, "pos": 0})
    assert shadow.allows(o.FileTruncate(100)) and not shadow.allows(o.FileTruncate(99))
    shadow.follow(o.Open2(0), {"out": ["ok", None], "state": "open", "len": 100, "pos": 0})
    assert not shadow.allows(o.Call("resize", 50))
    assert not shadow.allows(o.GetItem(o.Resizer(10, 1)))
    assert shadow.allows(o.Get2()) and not shadow.allows(o.Release(0))


def test_jobs_add_up_into_one_report(tmp_path, planted):
    """Two soak processes: one report, the planted bug found and shrunk once."""
    proc, doc = run_soak(tmp_path, "--minutes", "0.05", "--impl", planted, "--seed", "3",
                         "--jobs", "2")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert doc["jobs"] == 2 and doc["harness_errors"] == 0, doc["harness_error_details"]
    keys = [(f["clause"], f["kind"]) for f in doc["findings"]]
    assert len(keys) == len(set(keys))  # each finding once, whichever jobs found it
    (finding,) = [f for f in doc["findings"] if f["clause"] == "read_byte"]
    assert finding["kind"] == "diverge" and finding["shrunk_length"] <= 4
    assert "2 jobs" in proc.stdout


def test_a_job_tally_is_added_to_the_target():
    """Counts add up, the shorter Found is kept, cuts add up, the rules to avoid join."""
    def found(length):
        return soak.Found("c", "diverge", [o.Read(1)] * length, [{}] * length, {}, ["out"])

    target = soak.Target("x", types.SimpleNamespace(spec="x"), None)
    target.sequences, target.ops = 3, 300
    target.findings = {("c", "diverge"): {"count": 2, "found": found(5)}}
    target.crashed, target.avoid = {"k": 1}, {"seek"}
    tally = {"spec": "x", "sequences": 4, "ops": 400, "crashed": {"k": 2, "j": 1},
             "findings": {("c", "diverge"): {"count": 3, "found": found(2)},
                          ("d", "crash"): {"count": 1, "found": found(7)}},
             "avoid": {"read"}}
    target.absorb(pickle.loads(pickle.dumps(tally)))  # as it comes from a job
    assert (target.sequences, target.ops) == (7, 700)
    assert target.findings[("c", "diverge")]["count"] == 5
    assert len(target.findings[("c", "diverge")]["found"].steps) == 2
    assert target.findings[("d", "crash")]["count"] == 1
    assert target.crashed == {"k": 3, "j": 1} and target.avoid == {"seek", "read"}


def started(folder, jobs):
    """Whether the soak and each of its `jobs` - 1 jobs (in folders of their own) have a stdlib
    worker under `folder`: the soak's spare would count too, so each job's is looked for."""
    homes = [os.path.relpath(os.path.join(top, d), folder)
             for top, names, _ in os.walk(folder) for d in names if d.startswith("stdlib-")]
    in_jobs = {home.split(os.sep)[0] for home in homes if home.startswith("soak-job-")}
    return any(os.sep not in home for home in homes) and len(in_jobs) == jobs - 1


def test_a_killed_job_is_a_harness_error_and_leaves_nothing_behind(tmp_path):
    """A soak job killed by someone else: the soak reports it, keeps what it has, and removes
    the job's files; the job's workers die with it."""
    out, scratch = tmp_path / "soak.json", tmp_path / "tmp"
    scratch.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "soak", "--json", str(out),
                             "--minutes", "30", "--impl", "stdlib", "--jobs", "2"], cwd=ROOT,
                            env=dict(os.environ, TMPDIR=str(scratch)), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        while not started(scratch, 2):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.1)
        (job,) = [pid for pid, (ppid, _) in _processes().items()
                  if ppid == proc.pid and b"spawn_main" in _cmdline(pid)]
        os.kill(job, signal.SIGKILL)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 3, err
    doc = json.loads(out.read_text())
    assert doc["incomplete"] is True and doc["harness_errors"] == 1
    assert "died (exit status -9)" in doc["harness_error_details"][0]["error"]  # SIGKILL
    assert [impl["spec"] for impl in doc["implementations"]] == ["stdlib"]
    assert os.listdir(scratch) == []


def test_a_joined_job_is_forgotten_by_the_sweep():
    """A soak job's pid is kept from the orphan sweep only while the soak has not joined it:
    the system may give the pid to an orphan of a killed worker next, which the sweep reaps."""
    from impls import process

    child = subprocess.Popen(["true"])
    try:
        process.started_here(child.pid)
        assert child.pid in process._started_here
    finally:
        child.wait()
        process.forget(child.pid)
    assert child.pid not in process._started_here


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


@pytest.mark.parametrize("signum, why, jobs", [(signal.SIGINT, "Ctrl-C", "1"),
                                               (signal.SIGTERM, "SIGTERM", "1"),
                                               (signal.SIGTERM, "SIGTERM", "2")])
def test_a_stopped_soak_keeps_the_results_so_far(tmp_path, signum, why, jobs):
    """Ctrl-C or SIGTERM during a soak writes what it found so far, marked incomplete (exit 3);
    Ctrl-C too where the soak inherited SIGINT ignored, as a background job's children do.
    Its jobs stop with it, and leave no file behind."""
    out = tmp_path / "soak.json"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = dict(os.environ, TMPDIR=str(scratch))
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "soak", "--json", str(out),
                             "--minutes", "30", "--impl", "stdlib", "--jobs", jobs], cwd=ROOT,
                            env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        while not started(scratch, int(jobs)):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.1)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=120)
    finally:  # a soak that ignored the signal must not run on for 30 minutes
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 3, err
    doc = json.loads(out.read_text())
    assert doc["incomplete"] is True and doc["stopped_by"] == why
    assert doc["harness_errors"] == 0, doc["harness_error_details"]
    assert os.listdir(scratch) == []


BATCHED = '''\
import os
import signal
import signal

from tests.mutants import Faithful


class DivergesThenCrashes(Faithful):
    """read_byte() one too high; size() kills the worker; messages of its own at EOF."""

    def read_byte(self):
        if self.tell() >= len(self):
            raise ValueError("nothing left to read")  # another message: not a divergence
        return (super().read_byte() + 1) % 256

    def size(self):
        os.kill(os.getpid(), signal.SIGSEGV)
'''


def fixed(steps):
    """`make` for Target.sweep: exactly `steps`, then nothing."""
    left = list(steps)
    return lambda shadow, done: [left.pop(0)] if left else []


@contextlib.contextmanager
def soak_target(monkeypatch, spec, folder=ROOT, timeout=10.0):
    """A soak Target for the implementation `spec` (importable from `folder`), closed after."""
    from impls.adapters import ReferenceAdapter
    from impls.interpreters import resolve

    monkeypatch.setenv("PYTHONPATH", str(folder))
    monkeypatch.chdir(ROOT)  # so the worker imports tests.mutants
    subject = resolve(spec, timeout=timeout)
    subject.start()
    reference = ReferenceAdapter(subject.profile)
    try:
        yield soak.Target(spec, subject, reference)
    finally:
        subject.close()
        reference.close()


@pytest.fixture
def batched(tmp_path, monkeypatch):
    (tmp_path / "batched_bug.py").write_text(BATCHED)
    with soak_target(monkeypatch, "batched_bug:DivergesThenCrashes", tmp_path) as target:
        yield target


def test_a_batch_stops_at_the_first_difference_before_a_later_crash(batched):
    """The worker runs no op past one whose observation is not the reference's: the
    divergence is reported, not the crash the ops after it would cause."""
    steps = [o.Open(b"abc", 0), o.Call("tell"), o.Call("read_byte"), o.Call("size")]
    batched.lockstep.play(steps[:2])
    pid = batched.subject.worker.proc.pid
    with pytest.raises(soak.Found) as found:
        batched.lockstep.play(steps)
    assert (found.value.kind, len(found.value.steps)) == ("diverge", 3)
    assert batched.subject.worker.proc.pid == pid  # no crash, so no fresh worker was needed


def test_a_sequence_ends_before_a_clause_the_implementation_crashed_on(batched):
    """Once the worker crashed on a clause, later sequences end before an op landing on it:
    the crash is kept once, the cuts are counted, and no worker has to start again."""
    steps = [o.Open(b"abc", 0), o.Call("tell"), o.Call("size"), o.Call("tell")]

    batched.sweep(fixed(steps), len(steps))
    (clause, kind), = batched.findings
    assert kind == "crash" and batched.ops == 3
    batched.sweep(fixed(steps), len(steps))
    pid = batched.subject.worker.proc.pid  # the worker that took over after the crash
    batched.sweep(fixed(steps), len(steps))
    assert batched.crashed == {clause: 2} and batched.findings[(clause, kind)]["count"] == 1
    assert batched.ops == 3 + 2 + 2 and batched.sequences == 3
    assert batched.subject.worker.proc.pid == pid and batched.subject.worker.alive


HANGS = '''\
import time

from tests.mutants import Faithful


class SizeHangs(Faithful):
    def size(self):
        time.sleep(60)
'''


def test_a_sequence_ends_before_a_clause_the_implementation_hung_on(tmp_path, monkeypatch):
    """A hang waits out the step's time limit once; later sequences end before the clause."""
    (tmp_path / "size_hangs.py").write_text(HANGS)
    steps = [o.Open(b"abc", 0), o.Call("size"), o.Call("tell")]
    with soak_target(monkeypatch, "size_hangs:SizeHangs", tmp_path, timeout=1.0) as target:
        target.sweep(fixed(steps), 3)
        target.sweep(fixed(steps), 3)
    (clause, kind), = target.findings
    # The second sequence ran its open only: no second hang (a timed check would time the
    # start of the worker that replaced the hung one, too).
    assert kind == "hang" and target.findings[(clause, kind)]["count"] == 1
    assert target.crashed == {clause: 1} and target.ops == 2 + 1


def test_a_sequence_cut_before_its_first_op_runs_nothing(monkeypatch):
    """A worker that answers null broke the protocol at the open: the next sequence ends
    before its open, and nothing is sent to check (no harness error)."""
    with soak_target(monkeypatch, "tests.hostile.null_replies:factory") as target:
        for _ in range(2):
            target.sweep(fixed([o.Open(b"abc", 0), o.Call("tell")]), 2)
    (clause, kind), = target.findings
    assert kind == "crash" and target.crashed == {clause: 1}
    assert (target.sequences, target.ops) == (2, 1)


# Its worker writes a copy of find()'s reply a while before the reply itself (the copy, with
# the right id, is taken for the reply; the reply comes after it, unasked).
LATE_REPLY = '''\
import os
import sys
import time

from tests.mutants import Faithful

_worker = sys.modules["__main__"]
_answer, _out = _worker.answer, int(sys.argv[3])


def answer(server, line):
    reply = _answer(server, line)
    if reply is not None and '"find"' in line:
        os.write(_out, (reply + "\\n").encode())
        time.sleep(0.05)
    return reply


_worker.answer = answer
factory = Faithful
'''


def test_a_protocol_break_after_a_sequences_last_op_is_found_at_it(tmp_path, monkeypatch):
    """A sequence's last op is held to the protocol like the others (a ping after it): the
    reply that came unasked after a find is found at that find, not at a later sequence."""
    (tmp_path / "late_reply.py").write_text(LATE_REPLY)
    with soak_target(monkeypatch, "late_reply:factory", tmp_path) as target:
        target.sweep(fixed([o.Open(b"abc", 0), o.Call("find", b"b")]), 2)
    ((clause, kind), seen), = target.findings.items()
    assert (clause, kind) == ("find.default-start", "crash")
    assert [op.name for op in seen["found"].steps] == ["open", "call"]
    assert "protocol" in seen["found"].got


def test_a_divergence_in_a_batch_of_what_an_op_returns_needs_no_replay(batched):
    """A batch's answer says enough for a difference in what an op returned or raised: its
    Found is made from it, with no step-by-step replay; the same clause and kind again is only
    counted."""
    steps = [o.Open(b"abc", 0), o.Call("tell"), o.Call("read_byte"), o.Call("tell")]
    replays, play = [], batched.lockstep.play
    batched.lockstep.play = lambda ops, **kw: replays.append(len(ops)) or play(ops, **kw)

    for _ in range(3):
        batched.sweep(fixed(steps), len(steps))
    (key, seen), = batched.findings.items()
    assert key[1] == "diverge" and seen["count"] == 3 and len(seen["found"].steps) == 3
    assert replays == [] and batched.ops == 9


def test_a_step_that_only_looks_different_lets_the_batch_go_on(batched):
    """A repr naming the subclass stops the worker's batch (it compares exactly, messages
    aside) but is no divergence: the rest of the ops run and the sequence agrees; another
    message for the same exception does not even stop it."""
    steps = [o.Open(b"ab", 0)] + [o.Call("seek", 2), o.Call("read_byte"), o.Repr(),
                                  o.Call("seek", 0), o.Call("read", 1)] * 3
    sent, submit = [], batched.subject.submit_many
    batched.subject.submit_many = lambda ops, expect: sent.append(len(ops)) or submit(ops, expect)
    assert batched.lockstep.play(steps) == len(steps)
    assert sent == [16, 12, 7, 2]  # stopped after each repr, then went on
    with pytest.raises(soak.Found) as found:
        batched.lockstep.play(steps + [o.Call("size")])
    assert (found.value.kind, len(found.value.steps)) == ("crash", len(steps) + 1)


def with_rules(steps, rules):
    """fixed(steps) naming the rule of each op, as sequence_maker's `make.rules` does."""
    make = fixed(steps)
    make.rules = list(rules)
    return make


def test_a_rule_that_repeats_a_finding_is_mostly_left_out_after(batched):
    """Each sequence ends at its first difference: once a rule's op has ended one on a finding
    already made (a repeat, or a cut before a crash), later sequences mostly leave that rule
    out, so an implementation with a shallow known bug is still taken deep."""
    steps = [o.Open(b"abc", 0), o.Call("tell"), o.Call("read_byte"), o.Call("tell")]
    rules = ["open_map", "inspect", "read", "inspect"]
    batched.sweep(with_rules(steps, rules), len(steps))
    assert batched.avoid == set()  # a first finding is no repeat
    batched.sweep(with_rules(steps, rules), len(steps))
    assert batched.avoid == {"read"}
    crashing = [o.Open(b"abc", 0), o.Call("size")]
    for _ in range(2):  # a crash, then a cut before it
        batched.sweep(with_rules(crashing, ["open_map", "no_argument"]), 2)
    assert batched.avoid == {"read", "no_argument"}


def test_sequences_mostly_leave_out_the_rules_to_avoid():
    """make.rules names the rule of each op made (End: none); a rule to avoid is left out of
    about AVOID of the sequences that would have had it."""
    import random

    from conformance.engine.rules import Shadow
    from impls.adapters import ReferenceAdapter

    reference = ReferenceAdapter("3.11")

    def share_with(rule, avoid, seed):
        rng, having = random.Random(seed), 0
        for _ in range(60):
            make, shadow, made = soak.sequence_maker("3.11", rng, avoid), Shadow(), []
            while len(made) < 40:
                ops = make(shadow, len(made) >= 30)
                if not ops:
                    break
                for op in ops:
                    made.append(op)
                    shadow.follow(op, reference.apply(op.json()))
            assert len(make.rules) == len(made)
            assert (make.rules[-1] is None) == (made[-1].name == "end")
            having += rule in make.rules
        return having / 60

    try:
        usual = share_with("seek", set(), 5)
        avoided = share_with("seek", {"seek"}, 5)
    finally:
        reference.close()
    assert usual > 0.4, usual  # one rule of 34, in sequences of a few dozen ops
    assert avoided < usual / 2, (usual, avoided)  # about a quarter of it (AVOID 0.75)
