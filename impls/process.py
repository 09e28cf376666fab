# SPDX-License-Identifier: MIT
"""The parent side of a worker: spawn it, send requests, and turn death or silence into results."""

import atexit
import contextlib
import ctypes
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Set by `python -m conformance` for every process of a run: the run's folder (implementations'
# private folders go in RUN/impls), and whether workers run in bubblewrap ("bwrap" or "off").
RUN_ENV, SANDBOX_ENV = "MMAPCONF_RUN", "MMAPCONF_SANDBOX"
MARK_ENV = "MMAPCONF_WORKER"  # carried by every worker and its descendants: found, then killed
STDERR_KEPT = 64 * 1024  # the last bytes of a worker's stderr kept for its crash report
# A worker that boots faster than this gets a spare before it ever crashes: booting it costs
# less than the first crash would wait (CPython boots in about 50 ms). Pyodide takes seconds of
# CPU to boot, which a run on 2 cores pays for whether or not it ever crashes.
EAGER_SPARE_BOOT = 0.5


class WorkerDied(Exception):
    """The worker process ended while a request was in flight (a crash of the implementation)."""

    def __init__(self, signum, returncode, stderr):
        self.signum, self.returncode, self.stderr = signum, returncode, stderr
        what = f"signal {signal.Signals(signum).name}" if signum else f"exit status {returncode}"
        super().__init__(f"worker died with {what}")


class WorkerHung(Exception):
    """The worker did not answer within the time limit; it has been killed."""


class WorkerProtocol(Exception):
    """Something other than the reply due came on the reply channel (an extra line, `null`,
    garbage, another request's id): the worker has been killed. `seen` is what came, cut short."""

    def __init__(self, seen):
        self.seen = seen
        super().__init__(f"worker broke the protocol: {seen}")


class WorkerFailed(Exception):
    """The worker could not load the implementation (a one-line reason).

    `usage` is true when the module imported but its factory is missing or unusable.
    """

    def __init__(self, reason, usage=False):
        super().__init__(reason)
        self.usage = usage


def _shown(data, limit=200):
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
    return text if len(text) <= limit else text[:limit] + "..."


class StderrTail:
    """A worker's stderr, read continuously by a thread (the worker never blocks on a full
    pipe) of which only the last STDERR_KEPT bytes are kept."""

    def __init__(self, fd):
        self.fd, self.data, self.lock = fd, bytearray(), threading.Lock()
        self.thread = threading.Thread(target=self._pump, name="worker-stderr", daemon=True)
        self.thread.start()

    def _pump(self):
        try:
            while True:
                chunk = os.read(self.fd, 1 << 16)
                if not chunk:
                    break
                with self.lock:
                    self.data += chunk
                    if len(self.data) > STDERR_KEPT:
                        del self.data[:-STDERR_KEPT]
        except OSError:
            pass
        finally:
            os.close(self.fd)

    def text(self, wait=1.0):
        """The tail, once the pipe has ended (or after `wait` seconds: a descendant holds it)."""
        self.thread.join(wait)
        with self.lock:
            return bytes(self.data).decode("utf-8", "replace")


def become_subreaper():
    """Linux: orphans of our workers' descendants (daemons) are reparented to this process,
    not to init, so they can be found and killed. Nothing elsewhere."""
    if _state.get("subreaper") is None:
        try:
            _state["subreaper"] = ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0
        except (OSError, AttributeError):  # pragma: no cover - not Linux
            _state["subreaper"] = False
    return _state["subreaper"]


_state = {}


def sandbox_problem():
    """None when workers can run in bubblewrap here, else why not (one line). Tested once."""
    if "sandbox" not in _state:
        bwrap = _state["bwrap"] = shutil.which("bwrap")  # found once: PATH may change later
        if not bwrap:
            _state["sandbox"] = "bubblewrap (bwrap) is not installed"
        else:
            try:
                done = subprocess.run([bwrap, "--ro-bind", "/", "/", "--unshare-pid",
                                       "--unshare-net", "true"], capture_output=True, timeout=30)
                _state["sandbox"] = None if done.returncode == 0 else (
                    "bwrap cannot create namespaces here: " + _shown(done.stderr.strip(), 150))
            except (OSError, subprocess.SubprocessError) as exc:
                _state["sandbox"] = f"bwrap does not run: {exc}"
    return _state["sandbox"]


def sandboxed():
    """Whether workers of this process run in bubblewrap: as the run decided (SANDBOX_ENV),
    else wherever it works."""
    choice = os.environ.get(SANDBOX_ENV)
    if choice in ("bwrap", "off"):
        return choice == "bwrap"
    return sandbox_problem() is None


def sandbox_argv(home):
    """bubblewrap around a worker: the system read-only, the run's other folders hidden, only
    the implementation's own folder writable, no network, its own PID namespace (its whole
    tree dies with it), and dead with its parent."""
    sandbox_problem()  # finds bwrap
    argv = [_state["bwrap"] or "bwrap", "--ro-bind", "/", "/", "--dev", "/dev",
            "--proc", "/proc"]
    run = os.environ.get(RUN_ENV)
    if run and os.path.isdir(run):  # the harness's and the other implementations' files
        argv += ["--tmpfs", run]
    argv += ["--bind", home, home, "--chdir", home, "--unshare-net", "--unshare-pid",
             "--unshare-ipc", "--die-with-parent", "--new-session", "--"]
    return argv


def channel():
    """(read end, write end) of a one-way channel to or from a worker: a socket pair, not a
    pipe. Any process of the same user can open another's pipe through /proc/PID/fd and write
    into it; a socket cannot be opened that way (ENXIO), so no implementation can speak for
    another's worker, or for a harness, where no sandbox hides them."""
    reader, writer = socket.socketpair()
    reader.shutdown(socket.SHUT_WR)
    writer.shutdown(socket.SHUT_RD)
    return reader.detach(), writer.detach()


def _user_base():
    """Where the user's own packages (`pip install --user`) are, found from the real HOME: a
    worker with a HOME of its own still imports them."""
    return os.path.join(os.path.expanduser("~"), ".local")


def _homes_folder():
    run = os.environ.get(RUN_ENV)
    folder = os.path.join(run, "impls") if run else tempfile.gettempdir()
    os.makedirs(folder, exist_ok=True)
    return folder


class Worker:
    """One long-lived worker process speaking framed JSON lines over two private pipes: each
    request carries an id, each reply echoes it, and anything else on the reply channel is a
    WorkerProtocol error of the implementation.

    Each Worker has a private folder (`home`) that no other implementation shares: the worker's
    cwd, with a fresh temporary folder per start. In bubblewrap (where the machine allows it)
    nothing else is writable. Once a worker has said hello, a spare boots beside it (if it
    booted fast), and two once one died: a crash, and the replay that finds its step (which
    crashes again), do not wait for an interpreter to boot.
    """

    def __init__(self, argv, *, timeout=10.0, start_timeout=60.0, env=None, cwd=None,
                 name="worker", sandbox=None):
        self.argv, self.timeout, self.start_timeout = list(argv), timeout, start_timeout
        # User modules (`package.module:factory`) are found where the suite was started.
        self.path = os.path.abspath(cwd or os.getcwd())
        self.env = dict(os.environ if env is None else env)
        self.sandbox = sandboxed() if sandbox is None else sandbox
        self.starts = 0
        self.next_id = 1
        self.proc = None
        self.spares = []  # booted (or booting) workers, the oldest adopted first
        self.died = False  # a worker of this one died, hung or broke the protocol
        self.boot = None  # seconds the first worker took to say hello
        self.down = self.up = self.stderr = None
        self.token = None
        self.expect = None  # the id of the request in flight
        self.pending = None  # an exception of a restart, for the next receive()
        self.about = None
        become_subreaper()
        # Made last, and listed at once: a Ctrl-C landing in the slow steps above (probing the
        # sandbox) leaves no folder that stop_all() would not know of.
        slug = "".join(c if c.isalnum() else "-" for c in name)[:40]
        self.home = tempfile.mkdtemp(prefix=f"{slug}-", dir=_homes_folder())
        self.scratch = self.home  # the folder removed with the worker (older name)
        _live.add(self)

    def _spawn(self):
        """A new process with its two pipes and a fresh temporary folder; its prints go to
        /dev/null and to a bounded stderr tail."""
        if not os.path.isdir(self.home):  # removed by the implementation (without a sandbox)
            os.makedirs(self.home, exist_ok=True)
        self.starts += 1
        tmp = tempfile.mkdtemp(prefix=f"tmp{self.starts}-", dir=self.home)
        token = f"{os.environ.get(RUN_ENV, '')}|{os.getpid()}.{id(self)}.{self.starts}"
        env = dict(self.env, TMPDIR=tmp, MMAPCONF_PATH=self.path, **{MARK_ENV: token})
        env.pop(RUN_ENV, None)
        if not self.sandbox:  # nothing hides the user's files: a HOME of its own, no .pyc left
            env.update(HOME=self.home, PYTHONDONTWRITEBYTECODE="1",
                       PYTHONUSERBASE=env.get("PYTHONUSERBASE") or _user_base())
        argv = (sandbox_argv(self.home) if self.sandbox else []) + self.argv
        down_r, down_w = channel()
        up_r, up_w = channel()
        err_r, err_w = os.pipe()
        try:
            proc = subprocess.Popen(
                argv + [str(down_r), str(up_w)],
                pass_fds=(down_r, up_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=err_w, env=env, cwd=self.home, start_new_session=True)
        except BaseException:
            for fd in (down_w, up_r, err_r):
                os.close(fd)
            raise
        finally:
            for fd in (down_r, up_w, err_w):
                os.close(fd)
        proc.mmapconf_token = token
        return proc, os.fdopen(down_w, "w"), up_r, StderrTail(err_r)

    def start(self):
        """Make a worker ready (adopting a spare if there is one) and return its hello."""
        began, fresh = time.monotonic(), not self.spares
        spawned = self.spares.pop(0) if self.spares else self._spawn()
        self.proc, self.down, self.up, self.stderr = spawned
        self.buffer = b""
        line = self._line(self.start_timeout)
        try:
            hello = json.loads(line)
        except ValueError:
            hello = None
        if not isinstance(hello, dict) or not ("fatal" in hello or "hello" in hello):
            raise self._broken(line)
        if "fatal" in hello:
            self.stop()
            raise WorkerFailed(hello["fatal"], usage=hello.get("usage", False))
        if self.buffer:  # more than the hello
            raise self._broken(self.buffer)
        self.about = hello["hello"]
        if fresh and self.boot is None:
            self.boot = time.monotonic() - began
        self._prepare_spares()  # a crash to come finds one booted
        return self.about

    @property
    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def request(self, msg, timeout=None):
        """Send one request; return the reply, or raise WorkerDied / WorkerHung /
        WorkerProtocol (the worker is gone then)."""
        self.send(msg)
        return self.receive(timeout)

    def send(self, msg):
        """Send a request without waiting, so the caller can work while the worker does."""
        self.pending = None
        if not self.alive:
            try:
                self.start()
            except (WorkerDied, WorkerHung, WorkerProtocol, WorkerFailed) as exc:
                self.pending = exc  # the step's result: receive() raises it
                return
        self.expect = self.next_id
        self.next_id += 1
        # Whatever came since the last reply was not asked for: receive() sees it first.
        if not self.buffer and select.select([self.up], [], [], 0)[0]:
            self.buffer += os.read(self.up, 1 << 16)
        try:
            self.down.write(json.dumps(dict(msg, id=self.expect)) + "\n")
            self.down.flush()
        except (BrokenPipeError, OSError):
            pass  # receive() reports the death with its signal

    def receive(self, timeout=None):
        """The reply to the request sent last (WorkerDied / WorkerHung / WorkerProtocol if
        there is none, or if anything else came first or with it)."""
        if self.pending is not None:
            exc, self.pending = self.pending, None
            if isinstance(exc, WorkerFailed):
                raise WorkerDied(0, 3, f"worker did not restart: {exc}")
            raise exc
        line = self._line(timeout or self.timeout)
        try:
            reply = json.loads(line)
        except ValueError:
            raise self._broken(line) from None
        if not isinstance(reply, dict) or reply.get("id") != self.expect:
            raise self._broken(line)
        if self.buffer:  # an extra line came along with the reply
            raise self._broken(self.buffer)
        return reply

    def _broken(self, seen):
        self.kill()
        self._prepare_spares(died=True)
        return WorkerProtocol(_shown(seen))

    def _line(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            ready = self._wait(left) if left > 0 else None
            if ready is None:
                self.kill()
                self._prepare_spares(died=True)
                raise WorkerHung(f"no answer within {timeout:g} s")
            chunk = os.read(self.up, 1 << 16) if ready else b""
            if not chunk:
                raise self._death()
            self.buffer += chunk
            if len(self.buffer) > (64 << 20) and b"\n" not in self.buffer:
                raise self._broken(self.buffer)  # a reply line of 64 MiB: garbage
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line

    def _wait(self, seconds):
        return readable_or_ended(self.up, self.proc, seconds)

    def _death(self):
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        stderr = self.stderr
        self.kill()  # its descendants too
        code = self.proc.returncode if code is None else code
        if self.sandbox and code is not None and 128 < code <= 128 + 64:
            code = -(code - 128)  # bwrap exits 128 + N when its command died of signal N
        tail = stderr.text()[-2000:] if stderr is not None else ""
        self._prepare_spares(died=True)
        return WorkerDied(-code if code and code < 0 else 0, code, tail)

    def _prepare_spares(self, died=False):
        """One spare booting (once a worker died, or beside a worker that boots fast); two
        once a worker died: finding the step of a crash in a batch replays it, which crashes a
        second worker at once."""
        self.died = self.died or died
        if self.about is None:  # only once it has worked before
            return
        wanted = 2 if self.died else int(self.boot is not None and self.boot < EAGER_SPARE_BOOT)
        while len(self.spares) < wanted:
            try:
                self.spares.append(self._spawn())
            except OSError:
                return

    def kill(self):
        """End the worker's whole process tree (daemonised descendants included)."""
        kill_tree(self.proc)
        self._close_pipes()

    def _close_pipes(self):
        if self.down is not None:
            try:
                self.down.close()
            except OSError:
                pass
        if self.up is not None:
            os.close(self.up)
        self.down = self.up = self.stderr = None

    def stop(self):
        """Ask the worker to quit, then make sure it, its descendants and any spares are gone,
        and its folder too."""
        if self.alive:
            try:
                self.down.write('{"quit": null}\n')
                self.down.flush()
                self.proc.wait(timeout=5)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                pass
        self.kill()
        while self.spares:
            proc, down, up, _ = self.spares.pop()
            kill_tree(proc)
            down.close()
            os.close(up)
        shutil.rmtree(self.home, ignore_errors=True)
        _live.discard(self)


def readable_or_ended(fd, proc, seconds):
    """Wait up to `seconds` for `fd` (a child's channel): True when it can be read, False when
    the child `proc` has ended and nothing is left on it, None on silence. The process, not the
    pipe, tells death: a descendant holding the pipe open does not turn a crash into a hang."""
    deadline = time.monotonic() + seconds
    with _exit_watch(proc) as watch:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready = select.select([fd] + watch, [], [], left if watch else min(left, _POLL))[0]
            if fd in ready:
                return True
            if proc.poll() is not None:  # ended: one last look at the channel
                return bool(select.select([fd], [], [], 0)[0])


# Where a process cannot be waited for through a descriptor (no pidfd: not Linux 5.3+), its end
# is looked for this often while its reply is awaited.
_POLL = 0.05


@contextlib.contextmanager
def _exit_watch(proc):
    """[a descriptor readable once `proc` has ended] where the system has pidfds, else []."""
    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        yield []
        return
    try:
        yield [fd]
    finally:
        os.close(fd)


_live = set()  # every worker not yet stopped: stopped at exit if nobody else did
_started_here = set()  # children started beside the workers (soak jobs): not ours to reap


def started_here(pid):
    """Leave child `pid` to the code that started it: the subreaper's sweep (_reap_adopted)
    would otherwise reap it once it ends, and its starter would never learn how it ended."""
    _started_here.add(pid)


def forget(pid):
    """Child `pid` was waited for by its starter: a later child with its pid (an orphan of a
    killed worker, say) is the sweep's to reap again."""
    _started_here.discard(pid)


@atexit.register
def stop_all():
    """On any exit of the harness (Ctrl-C included), no worker or folder of one outlives it."""
    for worker in list(_live):
        worker.stop()


def _processes():
    """{pid: (ppid, environ bytes)} of every process this user can see."""
    found = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
            with open(f"/proc/{name}/environ", "rb") as f:
                environ = f.read()
        except OSError:
            continue
        ppid = int(stat.rpartition(b")")[2].split()[1])
        found[int(name)] = (ppid, environ)
    return found


def _tree(root, marks, processes):
    """The pids under `root` (by parent links) and those carrying one of `marks`."""
    out = set()
    children = {}
    for pid, (ppid, environ) in processes.items():
        children.setdefault(ppid, []).append(pid)
        if any(mark in environ for mark in marks):
            out.add(pid)
    todo = [root] if root else []
    todo += list(out)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in out:
                out.add(child)
                todo.append(child)
    out.discard(os.getpid())
    return out


def _kill_pids(pids, keep=None):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    for pid in pids:  # orphans reparented to us (the subreaper) are ours to reap
        if pid == keep:  # subprocess reaps its own child (and keeps its exit status)
            continue
        try:
            os.waitpid(pid, 0)
        except (ChildProcessError, OSError):
            pass


def kill_tree(proc):
    """SIGKILL a worker, its process group, its descendants and every process carrying its
    mark (a daemon that left the group and was reparented), until none is left."""
    if proc is None:
        return
    marks = [f"{MARK_ENV}={proc.mmapconf_token}\0".encode()] if hasattr(
        proc, "mmapconf_token") else []
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    for _ in range(20):  # a forking child may add some between one look and the kill
        victims = _tree(proc.pid if proc.poll() is None else None, marks, _processes())
        if proc.poll() is None:
            victims.add(proc.pid)
        if not victims:
            break
        _kill_pids(victims, keep=proc.pid)
    proc.wait()
    _reap_adopted(marks)


def _reap_adopted(marks=()):
    """Reap the dead children we adopted as the subreaper: descendants of killed workers that
    outlived their parent (bubblewrap's inner process, for one), else each kill leaves a zombie.
    One still exiting (its environment already gone) or carrying one of `marks` (the tree
    just killed) is waited for, briefly: bubblewrap's outer process can end before its inner
    one has. The workers' own processes are left to their Popen, which reports how they ended."""
    me = os.getpid()
    ours = set(_started_here)
    for worker in _live:
        ours |= {p.pid for p in [worker.proc] + [spare[0] for spare in worker.spares]
                 if p is not None}
    for _ in range(200):
        try:
            tasks = os.listdir(f"/proc/{me}/task")
            children = []
            for task in tasks:
                with open(f"/proc/{me}/task/{task}/children") as f:
                    children += [int(pid) for pid in f.read().split()]
        except OSError:  # not Linux, or a kernel without the children list: nothing to go on
            return
        dying = False
        for pid in children:
            if pid in ours:
                continue
            try:
                if os.waitpid(pid, os.WNOHANG)[0]:  # a zombie, reaped; a live child is left
                    continue
            except ChildProcessError:
                continue
            try:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    environ = f.read()
            except OSError:
                environ = b""
            if not environ or any(mark in environ for mark in marks):
                dying = True
                if environ:
                    _kill_pids([pid], keep=pid)
        if not dying:
            return
        time.sleep(0.0005)


def sweep(run_folder=None, marks=()):
    """The end of a run: kill every process still carrying a worker mark of this process's
    run (or one of `marks`, environment bytes), and every child left to this process (orphans
    it reaped as a subreaper)."""
    processes = _processes()
    me = os.getpid()
    marks = list(marks) + [f"{MARK_ENV}={run_folder or ''}|".encode() if run_folder
                           else f"{MARK_ENV}=|{me}.".encode()]
    stray = {pid for pid, (ppid, environ) in processes.items()
             if ppid == me or any(m in environ for m in marks)}
    stray = {pid for pid in stray if pid != me}
    for _ in range(20):
        if not stray:
            return
        victims = set()
        for pid in stray:
            victims |= _tree(pid, [], processes) | {pid}
        _kill_pids(victims)
        processes = _processes()
        stray = {pid for pid, (ppid, environ) in processes.items()
                 if pid != me and (ppid == me or any(m in environ for m in marks))}
