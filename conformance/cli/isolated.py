# SPDX-License-Identifier: MIT
"""A run without a sandbox: the implementations one at a time, each in a harness process of its
own (`python -m conformance --impl SPEC --isolated-channel FD`), the next started only once the
previous one's whole process tree is gone. Nothing then shares a machine with an implementation
but its own workers and its own harness: it can reach no other implementation's pipes or files,
and a harness it kills takes only its own results down, which say so. This process starts no
worker: it keeps the results, authenticates what each harness sends, and watches the files
outside the implementation's folder (conformance/cli/watch.py)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile

from conformance.cli import watch

SAID = ("python -m conformance: without a sandbox the implementations run one at a time, each "
        "in a harness process of its own, so that none can reach another's pipes or files; the "
        "run is slower for it")
SUBRUN_ENV = "MMAPCONF_SUBRUN"  # carried by an implementation's harness and all it starts
IMPLS_ENV = "MMAPCONF_IMPLS"  # where an implementation's harness puts its workers' folders
WAIT_AFTER_STOP = 120.0  # seconds a stopped harness has to send what it has
LOOK_EVERY = 1.0  # seconds between looks at a silent harness (stopped by SIGSTOP?)


class Channel:
    """The harness of one implementation telling its results to the run: a JSON line each
    message, each signed with a key only the two of them know (it came on the harness's stdin),
    so that a line the implementation writes into the pipe is told from the harness's own. As a
    pytest plugin, it sends each result row as it comes: what a harness killed midway had is
    not lost."""

    def __init__(self, fd, key):
        self.fd, self.key = fd, key

    @classmethod
    def child(cls, fd):
        os.set_inheritable(fd, False)  # no worker of the harness gets it
        key = sys.stdin.buffer.readline().strip()
        return cls(fd, key)

    def send(self, **message):
        line = json.dumps(message).encode()
        signed = sign(self.key, line) + b" " + line + b"\n"
        view = memoryview(signed)
        while view:
            view = view[os.write(self.fd, view):]

    def pytest_mmap_results(self, rows):
        self.send(rows=rows)


def sign(key, line):
    return hmac.new(key, line, hashlib.sha256).hexdigest().encode()


def run_each(args, specs):
    """(infos, collected, stopped by) of `specs` run one at a time."""
    from conformance.cli.options import Usage
    from conformance.engine.lockstep import Interrupted
    from impls import process
    from impls.adapters import UsageError
    from impls.interpreters import resolve

    for spec, _ in specs:  # a spec the user got wrong, before anything runs
        try:
            resolve(spec).close()
        except UsageError as exc:
            raise Usage(str(exc)) from None
    print(SAID, file=sys.stderr)
    process.become_subreaper()  # a killed harness's orphans come to this process, to be killed
    # The implementations' folders, one at a time: RUN/impl-N. Each harness keeps its own
    # files (the reference's maps, pytest's) in a folder beside RUN, not above any worker's.
    folder = tempfile.mkdtemp(prefix="mmapconf-run-")
    user = os.getcwd()  # named once: an implementation may remove it
    infos, collected, stopped = [], {"results": [], "skipped": {}, "parts": {}}, None
    try:
        for n, (spec, by_name) in enumerate(specs):
            if stopped:
                break
            try:
                one, changed, stopped = _watched(args, spec, folder, user, n,
                                                 parts_apart(args, specs))
            except Interrupted as exc:  # between two implementations: the next is not started
                stopped = str(exc)
                break
            for info in one["infos"]:
                if changed:
                    info["vandal"] = info.get("vandal", []) + changed
                info["asked"] = by_name
            infos += one["infos"]
            _add(collected, one["collected"])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return infos, collected, stopped


def _watched(args, spec, folder, user, n, parts):
    """(its results, what it changed outside its folder and in `user`, the folder the run was
    started in, stopped by) of implementation `n`."""
    own = os.path.join(folder, f"impl-{n}")
    os.makedirs(own)  # RUN too, if an implementation before removed it
    # A file of the run's own in its folder: a folder removed and made again (a harness makes
    # its implementation's folder again) is seen by it, whatever inodes the system reuses.
    with open(os.path.join(folder, "run"), "w") as f:
        f.write(f"the folder of a run of python -m conformance (pid {os.getpid()})\n")
    harness = tempfile.mkdtemp(prefix="mmapconf-harness-")
    watched = [user, folder]
    outputs = [own, harness] + ([args.db] if args.db else [])
    try:
        before = watch.snapshot(watched, skip=outputs)
        one, stopped = _run_one(args, spec, own, harness, parts)
        changed = watch.changes(before, watch.snapshot(watched, skip=outputs))
    finally:
        shutil.rmtree(harness, ignore_errors=True)
        shutil.rmtree(own, ignore_errors=True)
    return one, changed, stopped


def child_argv(args, spec, fd, part=None):
    """The command line of one implementation's harness: the run's own options, for it; with
    `part` ("machine" or "clauses"), that part of the suite only (the known findings are
    replayed with the machine)."""
    argv = [sys.executable, "-m", "conformance", "run", "--impl", spec, "--no-sandbox",
            "--isolated-channel", str(fd), "--examples", str(args.examples),
            "--steps", str(args.steps), "--shrink-seconds", str(args.shrink_seconds),
            "--step-timeout", str(args.step_timeout)]
    if args.run_seed is not None:
        argv += ["--seed", str(args.run_seed)]
    if args.db:
        argv += ["--db", args.db]
    if part == "clauses":
        argv.append("--isolated-no-replay")
    for flag, value in (("--only", part or args.only), ("-k", args.keyword),
                        ("--expectations-dir", args.expectations_dir),
                        ("--repro-dir", args.repro_dir)):
        if value is not None:
            argv += [flag, value]
    for path in args.expectations or ():
        argv += ["--expectations", path]
    for flag, on in (("--strict-messages", args.strict_messages), ("-v", args.verbose),
                     ("--update-expectations", args.update_expectations)):
        if on:
            argv.append(flag)
    return argv


def parts_apart(args, specs):
    """The parts of the suite each implementation's harnesses run side by side: its machine and
    its clause tests in two processes where -n (or, by default, a run of several
    implementations on several cores) gives two, else everything in one. pytest-xdist is never
    used: an implementation can write into the pipes of the harness process that started its
    worker, and pytest-xdist's own are not made to be lied on (one hung a run so)."""
    if args.workers == "auto":
        cores = os.cpu_count() or 1
    elif args.workers:
        cores = int(args.workers)
    else:
        cores = min(len(specs), os.cpu_count() or 1)
    return ["machine", "clauses"] if cores > 1 and args.only is None else [None]


class Harness:
    """One harness process of one implementation, and what it sent: started at once, its
    channel read by a thread until it ends."""

    def __init__(self, args, spec, part, env):
        import threading

        from impls import process

        self.key = secrets.token_hex(32).encode()
        self.received = Received(self.key)
        read_fd, write_fd = process.channel()
        err_r, err_w = os.pipe()
        try:
            self.proc = subprocess.Popen(child_argv(args, spec, write_fd, part),
                                         stdin=subprocess.PIPE, stderr=err_w,
                                         pass_fds=(write_fd,), env=env)
        except BaseException:
            for fd in (read_fd, err_r):
                os.close(fd)
            raise
        finally:
            os.close(write_fd)
            os.close(err_w)
        self.read_fd, self.code = read_fd, None
        self.stderr = process.StderrTail(err_r)
        try:
            self.proc.stdin.write(self.key + b"\n")
            self.proc.stdin.close()
        except OSError:
            pass
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        self.received.read(self.read_fd, self.proc, None)

    def stop(self):
        """Ask it to end with what it has (SIGTERM; Ctrl-C reached it already)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def finish(self):
        """Its exit status once it has ended (None if it would not), its tree killed."""
        from impls import process

        try:
            self.code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        process.kill_tree(self.proc)
        self.thread.join(5)
        os.close(self.read_fd)
        return self.code


def _run_one(args, spec, own, harness, parts):
    """({"infos", "collected"}, stopped by) of one implementation, whatever became of its
    harnesses (one per part in `parts`)."""
    import time

    from conformance.cli.options import Usage
    from conformance.engine.lockstep import Interrupted
    from impls import process

    token = secrets.token_hex(8)
    running, stopped = [], None
    try:
        for part in parts:
            # Each harness its own folders: the end of one sweeps its folder's workers.
            mine = os.path.join(own, part or "all")
            os.makedirs(mine, exist_ok=True)
            env = dict(os.environ, TMPDIR=harness, PYTHONDONTWRITEBYTECODE="1",
                       **{SUBRUN_ENV: token, IMPLS_ENV: mine})
            running.append(Harness(args, spec, part, env))
        deadline = None
        while any(h.thread.is_alive() for h in running):
            if deadline is not None and time.monotonic() > deadline:
                break
            try:
                for h in running:
                    h.thread.join(0.2)  # short: the main thread takes the signals
            except Interrupted as exc:  # Ctrl-C reached them too; SIGTERM or the limit not
                stopped = str(exc)
                deadline = time.monotonic() + WAIT_AFTER_STOP
                for h in running:
                    h.stop()
    finally:
        for h in running:
            h.finish()
        process.sweep(marks=[f"{SUBRUN_ENV}={token}\0".encode()])
    tails = [h.stderr.text() for h in running]
    for h, tail in zip(running, tails):
        if h.code == 2 and h.received.done is None:  # a usage error only it could see (-k)
            raise Usage(_last_line(tail).partition("error: ")[2] or _last_line(tail))
        if args.verbose and tail:
            sys.stderr.write(tail)
    results = [h.received.result(spec, _ended(h.code, tail)) for h, tail in zip(running, tails)]
    stopped = stopped or next((h.received.stopped for h in running if h.received.stopped), None)
    return _merged(results), stopped


def _merged(results):
    """One implementation's {"infos", "collected"} from those of its harnesses."""
    infos = results[0]["infos"]
    collected = {"results": [], "skipped": {}, "parts": {}}
    for one in results:
        for info, theirs in zip(infos, one["infos"]):
            for key in ("ended", "vandal"):
                if theirs.get(key) and theirs is not info:
                    info[key] = info.get(key) or theirs[key]
        _add(collected, one["collected"])
    return {"infos": infos, "collected": collected}


def _add(collected, got):
    """A harness's collected results into `collected`: rows, skips, and the parts of the suite
    that ran for each implementation (those of its two harnesses together)."""
    got = got or {}
    collected["results"] += got.get("results", [])
    collected["skipped"].update(got.get("skipped", {}))
    for spec, ran in got.get("parts", {}).items():
        collected["parts"][spec] = sorted(set(collected["parts"].get(spec, [])) | set(ran))


def _last_line(text):
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _ended(code, tail):
    """Why a harness that sent no end ended: its exit status or signal, and its last words."""
    if code is None:
        how = "did not end"
    elif code < 0:
        how = f"was killed by {signal.Signals(-code).name}"
    else:
        how = f"ended with exit status {code}"
    said = _last_line(tail)
    return f"the harness running it {how} before it finished" + (f": {said[:300]}"
                                                                   if said else "")


def _stopped(pid):
    """Whether process `pid` is stopped by a signal (state T in /proc/PID/stat)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rpartition(b")")[2].split()[0] == b"T"
    except (OSError, IndexError):
        return False


class Received:
    """What one implementation's harness sent: its implementation's facts, its result rows as
    they came, and its end; and any line it did not sign (written into the pipe by another)."""

    def __init__(self, key):
        self.key = key
        self.infos, self.rows, self.done, self.forged = [], [], None, []
        self.buffer = b""
        self.stopped = None
        self.continued = 0  # times the harness was found stopped, and continued

    def read(self, fd, proc, seconds):
        """Read until the harness has ended (or `seconds` have passed)."""
        import time

        from impls import process

        deadline = None if seconds is None else time.monotonic() + seconds
        while True:
            left = LOOK_EVERY if deadline is None else deadline - time.monotonic()
            if left <= 0:
                return
            ready = process.readable_or_ended(fd, proc, min(left, LOOK_EVERY))
            if ready is None:
                if _stopped(proc.pid):  # by its implementation (SIGSTOP): it goes on
                    self.continued += 1
                    os.kill(proc.pid, signal.SIGCONT)
                continue
            chunk = os.read(fd, 1 << 16) if ready else b""
            if not chunk:
                return
            self.buffer += chunk
            while b"\n" in self.buffer:
                line, _, self.buffer = self.buffer.partition(b"\n")
                self._take(line)

    def _take(self, line):
        mac, _, body = line.partition(b" ")
        try:
            message = json.loads(body) if hmac.compare_digest(mac, sign(self.key, body)) else None
        except ValueError:
            message = None
        if not isinstance(message, dict):
            self.forged.append(line[:120].decode("utf-8", "replace"))
            return
        if "infos" in message:
            self.infos = message["infos"]
        if "rows" in message:
            self.rows += message["rows"]
        if "done" in message:
            self.done = message["done"]
            self.stopped = self.done.get("interrupted")

    def result(self, spec, ended):
        """{"infos", "collected"} for the run: the harness's end, else what came before it
        (the implementation's facts, marked as ended early, and its rows so far)."""
        if self.done is not None:
            one = {"infos": self.done["infos"], "collected": self.done["collected"]}
        else:
            infos = self.infos or [{"spec": spec, "name": spec, "version": None,
                                    "profile": None}]
            for info in infos:
                info["ended"] = ended
            one = {"infos": infos, "collected": {"results": self.rows, "skipped": {},
                                                 "parts": {}}}
        if self.forged:
            for info in one["infos"]:
                info["vandal"] = [f"wrote into the harness's result channel: {self.forged[0]!r}"]
        return one
