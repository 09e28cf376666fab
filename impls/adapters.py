# SPDX-License-Identifier: MIT
"""Adapters: the reference in process, and every implementation under test in a worker process.

An adapter has a `spec`, a `name`, the `about` its worker reported, the `profile` (CPython version
whose behaviour it claims), `apply(op_json) -> observation`, and one capability, `batched`: True
where it also takes ops a batch per message (submit_many/results, submit/result, sync). A worker's death or silence is an
observation too (`{"crash": ...}` / `{"hang": ...}`), and so is anything on its reply channel
that is not the reply due (`{"protocol": what came}`); the next op starts a fresh worker.
"""

from __future__ import annotations

import json
import platform
import time

from impls.executor import Executor
from impls.process import WORKER, Worker, WorkerDied, WorkerFailed, WorkerHung, WorkerProtocol
from impls.profiles import profile_for  # noqa: F401 - the adapters' and their users' import

# A batch may take this much longer than one step before it counts as hung.
BATCH_SECONDS_PER_OP = 0.05


def _shown(value):
    text = json.dumps(value)
    return text if len(text) <= 200 else text[:200] + "..."


class Unavailable(Exception):
    """An implementation that cannot be run here (one-line reason)."""


class UsageError(Exception):
    """A spec the user got wrong (one-line reason naming the fix)."""


class ReferenceAdapter:
    """The oracle: the C reference at one CPython profile, run in process."""

    batched = False  # every op through apply(), answered at once

    def __init__(self, profile=None, platform_name="unix"):
        from impls import reference, windows

        self.profile = profile or profile_for(platform.python_version())
        self.module = (windows.module(self.profile) if platform_name == "windows"
                       else reference.module(self.profile))
        self.spec = "reference" if profile is None else f"reference@{self.profile}"
        self.name = "reference"
        self.version = self.profile
        self.about = {"implementation": "reference", "version": self.profile}
        self.ledger = reference.LEDGER
        self.executor = Executor(self.module.mmap, self.module, witness=self.clause)

    def start(self):
        return self.about

    def apply(self, op):
        """The observation of `op`, with the clause the reference names for it ("clause"; absent:
        the op's own)."""
        self.ledger.reset()
        return self.executor.apply(op)

    def clause(self, error):
        """What the reference noted of the op just run: the check that raised `error`, the
        branch the map took, or an argument closing or resizing it meanwhile."""
        return self.ledger.clause(getattr(self.executor.m, "_m", None), error)

    def dump(self):
        return self.executor.dump()

    def close(self):
        self.executor.shutdown()


class WorkerAdapter:
    """An implementation living in a worker process under some Python interpreter."""

    # Ops go a batch per message (submit_many, results), one at a time (submit, result), and a
    # ping (sync) tells what the worker wrote unasked.
    batched = True

    def __init__(self, spec, name, python, target, *, timeout=10.0, argv=None):
        self.spec, self.name, self.target = spec, name, target
        self.worker = Worker(argv or [python, WORKER, target], timeout=timeout, name=name)
        self.about = None
        self.profile = self.version = None
        self.timeout = timeout
        self.slowest = 0.0  # the longest a step has taken to answer
        self.hung = False

    def start(self):
        """Start the worker and learn what it runs; raise Unavailable with the reason."""
        try:
            self.about = self.worker.start()
        except WorkerFailed as exc:
            if exc.usage:
                raise UsageError(f"--impl {self.spec}: {exc}") from None
            raise Unavailable(str(exc)) from None
        except (WorkerDied, WorkerHung, WorkerProtocol, OSError) as exc:
            raise Unavailable(f"worker did not start: {exc}") from None
        self.version = self.about["full_version"]
        self.profile = profile_for(self.about["full_version"])
        return self.about

    def apply(self, op):
        self.submit(op)
        return self.result()

    def submit(self, op):
        """Start applying `op` in the worker; `result()` collects the observation."""
        self.worker.send({"op": op})
        self.sent = time.monotonic()

    def result(self):
        """The observation of the op submitted."""
        reply = self._reply(self.step_timeout())
        if "id" not in reply:  # what went wrong, as the step's observation
            return reply
        obs = reply.get("obs")
        self.slowest = max(self.slowest, time.monotonic() - self.sent)
        if not isinstance(obs, dict) or not isinstance(obs.get("out"), list):
            # The id matched but no observation came: the protocol is broken all the same.
            self.worker.kill()
            return {"protocol": _shown(reply)}
        return obs

    def _reply(self, timeout):
        """The worker's reply; or, as an observation, how it crashed, hung or broke the
        protocol."""
        try:
            return self.worker.receive(timeout)
        except WorkerDied as exc:
            return {"crash": exc.signum or exc.returncode, "signal": _signame(exc.signum),
                    "stderr": exc.stderr[-500:]}
        except WorkerHung as exc:
            self.hung = True
            return {"hang": str(exc)}
        except WorkerProtocol as exc:
            return {"protocol": exc.seen}

    def sync(self):
        """None when the worker answers a ping and nothing else; else what broke, as an
        observation. Anything the last op made the worker write unasked comes before the
        ping's answer: a sequence's last op is held to the protocol like the others."""
        self.worker.send({"ping": None})
        reply = self._reply(self.step_timeout())
        if "id" not in reply:
            return reply
        if set(reply) != {"id", "pong"}:
            self.worker.kill()
            return {"protocol": _shown(reply)}
        return None

    def submit_many(self, ops, expect, awake=False):
        """Start a batch of ops, run in one message up to the first whose observation is not
        its `expect`; `results(len(ops))` collects it (the caller works meanwhile). `awake`: the
        next request follows within milliseconds, so the worker polls for it."""
        self.worker.send({"ops": ops, "expect": expect, "awake": True} if awake
                         else {"ops": ops, "expect": expect})
        self.sent = time.monotonic()

    def results(self, count):
        """((how many ops ran, {index: observation} of those not exactly as expected), None);
        or (None, failure) when the worker crashed, hung or broke the protocol in the batch:
        the caller replays the ops one by one to find the step."""
        reply = self._reply(self.step_timeout() + BATCH_SECONDS_PER_OP * count)
        if "id" not in reply:  # a crash, a hang or a broken protocol
            return None, reply
        ran, odd = reply.get("ran"), reply.get("odd")
        if (type(ran) is int and 0 < ran <= count and isinstance(odd, list)
                and all(isinstance(pair, list) and len(pair) == 2 and type(pair[0]) is int
                        and 0 <= pair[0] < ran and isinstance(pair[1], dict)
                        and isinstance(pair[1].get("out"), list) for pair in odd)):
            return (ran, dict(odd)), None
        self.worker.kill()
        return None, {"protocol": _shown(reply)}

    def step_timeout(self):
        """The full limit until the first hang; after it, 20 times the slowest answer seen
        (at least 0.5 s), so shrinking a hang does not wait out the full limit every time."""
        if not self.hung:
            return self.timeout
        return min(self.timeout, max(0.5, 20 * self.slowest))

    def dump(self):
        try:
            return self.worker.request({"dump": None})["dump"]
        except (WorkerDied, WorkerHung, WorkerProtocol, KeyError, TypeError):
            return {}

    def close(self):
        self.worker.stop()


def _signame(signum):
    import signal

    try:
        return signal.Signals(signum).name
    except ValueError:
        return None
