# SPDX-License-Identifier: MIT
"""The parent side of a worker: spawn it, send requests, and turn death or silence into results."""

import json
import os
import select
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
    """The worker could not load the implementation (a one-line reason)."""


class Worker:
    """One long-lived worker process speaking JSON lines over two private pipes."""

    def __init__(self, argv, *, timeout=10.0, start_timeout=60.0, env=None, cwd=None):
        self.argv, self.timeout, self.start_timeout = list(argv), timeout, start_timeout
        self.env, self.cwd = env, cwd
        self.proc = None
        self.about = None

    # Two pipes the implementation does not know about: its prints go to /dev/null and a log.
    def start(self):
        down_r, down_w = os.pipe()
        up_r, up_w = os.pipe()
        self.stderr = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(
                self.argv + [str(down_r), str(up_w)],
                pass_fds=(down_r, up_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=self.stderr, env=self.env, cwd=self.cwd, start_new_session=True)
        finally:
            os.close(down_r)
            os.close(up_w)
        self.down = os.fdopen(down_w, "w")
        self.up = up_r
        self.buffer = b""
        hello = self._read(self.start_timeout)
        if "fatal" in hello:
            reason = hello["fatal"]
            self.stop()
            raise WorkerFailed(reason)
        self.about = hello["hello"]
        return self.about

    @property
    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def request(self, msg, timeout=None):
        """Send one request; return the reply, or raise WorkerDied / WorkerHung (worker gone)."""
        if not self.alive:
            self.start()
        try:
            self.down.write(json.dumps(msg) + "\n")
            self.down.flush()
        except (BrokenPipeError, OSError):
            pass  # the read below reports the death with its signal
        return self._read(timeout or self.timeout)

    def _read(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            ready = select.select([self.up], [], [], max(left, 0))[0] if left > 0 else []
            if not ready:
                self.kill()
                raise WorkerHung(f"no answer within {timeout:g} s")
            chunk = os.read(self.up, 1 << 16)
            if not chunk:
                raise self._death()
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return json.loads(line)

    def _death(self):
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.proc.returncode
        self.stderr.seek(0)
        tail = self.stderr.read()[-2000:].decode("utf-8", "replace")
        self._close_pipes()
        return WorkerDied(-code if code and code < 0 else 0, code, tail)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        self._close_pipes()

    def _close_pipes(self):
        for closer in (getattr(self, "down", None), getattr(self, "stderr", None)):
            if closer is not None:
                try:
                    closer.close()
                except OSError:
                    pass
        if getattr(self, "up", None) is not None:
            os.close(self.up)
            self.up = None
        self.down = self.stderr = None

    def stop(self):
        """Ask the worker to quit, then make sure it is gone."""
        if self.alive:
            try:
                self.down.write('{"quit": null}\n')
                self.down.flush()
                self.proc.wait(timeout=5)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                pass
        self.kill()
