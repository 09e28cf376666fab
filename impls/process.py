# SPDX-License-Identifier: MIT
"""The parent side of a worker: spawn it, send requests, and turn death or silence into results."""

import atexit
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")


class WorkerDied(Exception):
    """The worker process ended while a request was in flight (a crash of the implementation)."""

    def __init__(self, signum, returncode, stderr):
        self.signum, self.returncode, self.stderr = signum, returncode, stderr
        what = f"signal {signal.Signals(signum).name}" if signum else f"exit status {returncode}"
        super().__init__(f"worker died with {what}")


class WorkerHung(Exception):
    """The worker did not answer within the time limit; it has been killed."""


class WorkerFailed(Exception):
    """The worker could not load the implementation (a one-line reason).

    `usage` is true when the module imported but its factory is missing or unusable.
    """

    def __init__(self, reason, usage=False):
        super().__init__(reason)
        self.usage = usage


class Worker:
    """One long-lived worker process speaking JSON lines over two private pipes.

    After a worker dies, a spare is started at once, so the next example (Hypothesis shrinking
    a crash runs many) does not wait for an interpreter to boot.
    """

    def __init__(self, argv, *, timeout=10.0, start_timeout=60.0, env=None, cwd=None):
        self.argv, self.timeout, self.start_timeout = list(argv), timeout, start_timeout
        self.cwd = cwd
        # The worker's temporary files live in a folder this process owns and removes, so a
        # worker killed mid-step (crash, hang, Ctrl-C) leaves nothing behind.
        self.scratch = tempfile.mkdtemp(prefix="mmapconf-worker-")
        self.env = dict(os.environ if env is None else env, TMPDIR=self.scratch)
        self.proc = self.spare = None
        self.down = self.up = self.stderr = None
        self.about = None
        _live.add(self)

    def _spawn(self):
        """A new process with its two pipes; its prints go to /dev/null and a private log."""
        down_r, down_w = os.pipe()
        up_r, up_w = os.pipe()
        stderr = tempfile.TemporaryFile()
        try:
            proc = subprocess.Popen(
                self.argv + [str(down_r), str(up_w)],
                pass_fds=(down_r, up_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=stderr, env=self.env, cwd=self.cwd, start_new_session=True)
        except BaseException:
            for fd in (down_w, up_r):
                os.close(fd)
            stderr.close()
            raise
        finally:
            os.close(down_r)
            os.close(up_w)
        return proc, os.fdopen(down_w, "w"), up_r, stderr

    def start(self):
        """Make a worker ready (adopting the spare if there is one) and return its hello."""
        spawned, self.spare = self.spare or self._spawn(), None
        self.proc, self.down, self.up, self.stderr = spawned
        self.buffer = b""
        hello = self._read(self.start_timeout)
        if "fatal" in hello:
            self.stop()
            raise WorkerFailed(hello["fatal"], usage=hello.get("usage", False))
        self.about = hello["hello"]
        return self.about

    @property
    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def request(self, msg, timeout=None):
        """Send one request; return the reply, or raise WorkerDied / WorkerHung (worker gone)."""
        self.send(msg)
        return self.receive(timeout)

    def send(self, msg):
        """Send a request without waiting, so the caller can work while the worker does."""
        if not self.alive:
            self.start()
        try:
            self.down.write(json.dumps(msg) + "\n")
            self.down.flush()
        except (BrokenPipeError, OSError):
            pass  # receive() reports the death with its signal

    def receive(self, timeout=None):
        """The reply to the request sent last (WorkerDied / WorkerHung if there is none)."""
        return self._read(timeout or self.timeout)

    def _read(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            ready = select.select([self.up], [], [], max(left, 0))[0] if left > 0 else []
            if not ready:
                self.kill()
                self._prepare_spare()
                raise WorkerHung(f"no answer within {timeout:g} s")
            chunk = os.read(self.up, 1 << 16)
            if not chunk:
                raise self._death()
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        try:
            return json.loads(line)
        except ValueError:  # something wrote into our pipe: the worker can't be trusted now
            self.kill()
            self._prepare_spare()
            raise WorkerDied(0, None, f"garbled reply {line[:80]!r}") from None

    def _death(self):
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.proc.returncode
        self.stderr.seek(0)
        tail = self.stderr.read()[-2000:].decode("utf-8", "replace")
        self._close_pipes()
        self._prepare_spare()
        return WorkerDied(-code if code and code < 0 else 0, code, tail)

    def _prepare_spare(self):
        if self.spare is None and self.about is not None:  # only once it has worked before
            try:
                self.spare = self._spawn()
            except OSError:
                self.spare = None

    def kill(self):
        _kill(self.proc)
        self._close_pipes()

    def _close_pipes(self):
        for closer in (self.down, self.stderr):
            if closer is not None:
                try:
                    closer.close()
                except OSError:
                    pass
        if self.up is not None:
            os.close(self.up)
        self.down = self.up = self.stderr = None

    def stop(self):
        """Ask the worker to quit, then make sure it and any spare are gone."""
        if self.alive:
            try:
                self.down.write('{"quit": null}\n')
                self.down.flush()
                self.proc.wait(timeout=5)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                pass
        self.kill()
        if self.spare is not None:
            proc, down, up, stderr = self.spare
            self.spare = None
            _kill(proc)
            down.close()
            os.close(up)
            stderr.close()
        shutil.rmtree(self.scratch, ignore_errors=True)
        _live.discard(self)


_live = set()  # every worker not yet stopped: stopped at exit if nobody else did


@atexit.register
def stop_all():
    """On any exit of the harness (Ctrl-C included), no worker or scratch folder outlives it."""
    for worker in list(_live):
        worker.stop()


def _kill(proc):
    if proc is not None and proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
