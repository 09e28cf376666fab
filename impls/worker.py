# SPDX-License-Identifier: MIT
"""A worker process: loads one implementation and runs the executor on the ops it is sent.

Usage: python worker.py MODULE:FACTORY IN_FD OUT_FD
It speaks JSON lines over two inherited pipe descriptors, so whatever the implementation prints
on stdout or stderr cannot corrupt the protocol; each request carries an "id" that its reply
echoes (the parent treats anything else on the reply pipe as the implementation breaking the
protocol). Stdlib only; CPython 2.7 to 3.15, PyPy and Pyodide (pyodide_runner.js uses answer()).
"""

import json
import os
import platform
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from executor import Executor, compact, identical, same  # noqa: E402


class SpecError(Exception):
    """The module imported but does not offer a usable factory: the user's spec is wrong."""


def load(spec):
    """Import `module:factory`; constants come from the module, else from the stdlib's mmap."""
    module_name, _, attr = spec.partition(":")
    # User modules live where the suite was started (the worker's cwd is its private folder).
    where = os.environ.get("MMAPCONF_PATH") or os.getcwd()
    if where not in sys.path:
        sys.path.append(where)
    module = __import__(module_name, fromlist=["_"])
    factory = module
    for part in (attr or "mmap").split("."):
        if not hasattr(factory, part):
            raise SpecError("module %s has no attribute %r" % (module_name, part))
        factory = getattr(factory, part)
    check_signature(spec, factory)
    constants = module
    if not hasattr(module, "ACCESS_READ"):
        try:
            import mmap as constants
        except ImportError:
            constants = None
    return factory, constants


def check_signature(spec, factory):
    """The factory must take (fileno, length, ...) like mmap.mmap; say so before any op runs."""
    if not callable(factory):
        raise SpecError("%s is not callable" % spec)
    try:
        import inspect
        signature = inspect.signature(factory)
    except (ImportError, AttributeError, ValueError, TypeError):
        return  # Python 2, or a builtin without a signature: trust it
    try:
        signature.bind(-1, 1)
    except TypeError as exc:
        raise SpecError("%s cannot be called as factory(fileno, length): %s" % (spec, exc))


def describe():
    about = {
        "implementation": platform.python_implementation().lower(),
        "version": "%d.%d" % sys.version_info[:2],
        "full_version": sys.version.split()[0],
        "executable": sys.executable,
        "platform": sys.platform,  # "emscripten" under Pyodide: other errno numbers, no mremap
        "maxsize": sys.maxsize,  # 2**31 - 1 on wasm32: no map past 2 GiB fits its address space
    }
    try:  # offsets must be multiples of this; Pyodide's is 65536, not 4096
        import mmap
        about["granularity"] = mmap.ALLOCATIONGRANULARITY
    except (ImportError, AttributeError):
        pass
    return about


def subclasses_mmap(factory):
    """Whether the factory is a Python subclass of the interpreter's own mmap.mmap: what every
    such subclass does, the host does (the harness then compares with a bare one)."""
    try:
        import mmap
        return (isinstance(factory, type) and issubclass(factory, mmap.mmap)
                and factory is not mmap.mmap)
    except (ImportError, AttributeError, TypeError):
        return False


def package_version(spec):
    """The version of the distribution or module the factory comes from (fmmap 2.0.0), or None
    for the interpreter's own mmap: an issue text names the implementation's version."""
    top = spec.partition(":")[0].split(".")[0]
    if top == "mmap":
        return None
    try:
        from importlib.metadata import PackageNotFoundError, version
        try:
            return version(top)
        except PackageNotFoundError:
            pass
    except ImportError:  # Python < 3.8
        pass
    found = getattr(sys.modules.get(top), "__version__", None)
    return found if isinstance(found, str) else None


class Server(object):
    """Answers one request line with one reply line; shared with the Pyodide runner."""

    def __init__(self, spec):
        factory, constants = load(spec)
        self.executor = Executor(factory, constants)
        self.subclasses_mmap = subclasses_mmap(factory)
        self.package_version = package_version(spec)
        self.awake = False  # whether the next request comes soon (Requests.next polls for it)

    def handle(self, msg):
        # A step of the Hypothesis machine, or a batch of its steps: the next comes soon.
        self.awake = "op" in msg or msg.get("awake") is True
        if "op" in msg:
            return {"obs": self.executor.apply(msg["op"])}
        if "ops" in msg:
            return self.batch(msg["ops"], msg["expect"])
        if "dump" in msg:
            return {"dump": self.executor.dump()}
        if "ping" in msg:  # the harness checks that nothing came unasked before this answer
            return {"pong": None}
        if "reset" in msg:
            self.executor.cleanup()
            return {"reset": True}
        raise ValueError("unknown request %r" % sorted(msg))

    def batch(self, ops, expect):
        """Run `ops` up to the first whose observation (its bytes digested) is not the one
        expected, its exception message aside: the ops after a difference, which could crash
        the worker, are not run. The reply says how many ran and holds only the observations
        that are not exactly the ones expected (the harness decides whether they differ), so
        a batch that agrees costs a few bytes, not an observation per op."""
        odd = []
        for i, op in enumerate(ops):
            obs = compact(self.executor.apply(op))
            if not identical(obs, expect[i]) and not same(obs, expect[i]):
                odd.append([i, obs])
                if not same(gist(obs), gist(expect[i])):
                    return {"ran": i + 1, "odd": odd}
        return {"ran": len(ops), "odd": odd}

    def close(self):
        self.executor.shutdown()


def gist(obs):
    """An observation without its exception message, which implementations word their own way:
    stopping a batch there would only cost a round trip (the harness compares in full anyway)."""
    out = obs.get("out")
    if isinstance(out, list) and len(out) == 4 and out[0] == "exc":
        return dict(obs, out=out[:3])
    return obs


def encode_reply(reply):
    """A reply as one JSON line. A value json cannot hold (the executor encodes anything it
    knows; this is the last resort) is reported as such, never as a dead worker."""
    try:
        return json.dumps(reply)
    except Exception:  # TypeError, ValueError, RecursionError (RuntimeError on Python 2)
        ident = reply.get("id") if isinstance(reply, dict) else None
        return json.dumps({"id": ident, "obs": {"out": ["ok", {"unencodable": "observation"}],
                                                "state": "unknown"}})


def answer(server, line):
    """The reply line to one request line, or None for `quit`: the request's id echoed."""
    msg = json.loads(line)
    if "quit" in msg:
        return None
    reply = server.handle(msg)
    if isinstance(reply, dict) and "id" in msg:
        reply = dict(reply, id=msg["id"])
    return encode_reply(reply)


def die_with_parent():
    """Linux: be killed with the harness even when an implementation hangs in a step."""
    try:
        import ctypes
        import signal
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # no ctypes (Pyodide) or not Linux: EOF on the pipe still ends the loop
        pass


# After the Hypothesis machine's op or batch of ops, a worker whose requests came within this
# long awaits the next one awake, yielding its core, instead of sleeping: a sleeping core takes
# tens of microseconds to wake for each request. The soak's batches, and requests that came later
# (a harness slowed by other processes), are slept on: spinning would take a core from them.
SPIN_SECONDS = 0.002


class Requests(object):
    """The request lines arriving on a descriptor."""

    def __init__(self, fd):
        import select
        import time
        self.fd, self.buffer = fd, b""
        self.recent = 0.0  # how long requests took to come, lately
        self.select = select.select
        self.pause = getattr(os, "sched_yield", lambda: None)  # Python 2 has neither
        self.now = getattr(time, "monotonic", time.time)

    def next(self, awake):
        """The next line (None at the end), polled for first if `awake`."""
        now = self.now
        while b"\n" not in self.buffer:
            start = now()
            if awake and self.recent < SPIN_SECONDS:
                while not self.select([self.fd], [], [], 0)[0] and now() < start + SPIN_SECONDS:
                    self.pause()
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                return None
            self.recent = (self.recent + now() - start) / 2
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.decode("utf-8")


def main(argv):
    die_with_parent()
    spec, in_fd, out_fd = argv[1], int(argv[2]), int(argv[3])
    replies = os.fdopen(out_fd, "w")

    def send(obj):
        replies.write(encode_reply(obj) + "\n")
        replies.flush()

    try:
        server = Server(spec)
    except SpecError as exc:
        send({"fatal": str(exc), "usage": True, "about": describe()})
        return 3
    except BaseException as exc:  # an import that fails or exits is a result, not a traceback
        send({"fatal": "%s: %s" % (type(exc).__name__, exc), "about": describe()})
        return 3
    about = describe()
    about["subclasses_mmap"] = server.subclasses_mmap
    about["package_version"] = server.package_version
    send({"hello": about})
    try:
        requests = Requests(in_fd)
        while True:
            line = requests.next(awake=server.awake)
            reply = None if line is None else answer(server, line)
            if reply is None:
                break
            replies.write(reply + "\n")
            replies.flush()
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
