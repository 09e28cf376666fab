# SPDX-License-Identifier: MIT
"""The adapters of a run, each started once (impls/adapters.py has the adapters)."""

from __future__ import annotations

from impls.adapters import ReferenceAdapter, Unavailable, WorkerAdapter
from impls.interpreters import resolve


class Pool:
    """The adapters of a run, each started once: one per implementation under test and one
    reference per profile, all closed together. Every part of a run (the checks before it, the
    known findings' replays, the suite, the reductions, the host's verdicts) takes its
    adapters from here."""

    def __init__(self, timeout=10.0):
        self.timeout = timeout
        self.started, self.failed, self.references = {}, {}, {}
        self.names = {}  # spec -> the implementation's name, started or not

    def get(self, spec):
        """The started adapter of `spec`. Unavailable (with the reason, kept for the next ask)
        where it cannot run here; UsageError for a spec the user got wrong."""
        if spec in self.failed:
            raise Unavailable(self.failed[spec])
        adapter = self.started.get(spec)
        if adapter is None:
            adapter, started = resolve(spec, timeout=self.timeout), False
            self.names[spec] = adapter.name
            try:
                adapter.start()
                started = True
            except Unavailable as exc:
                self.failed[spec] = str(exc)
                raise
            finally:
                if not started:  # nothing of it is left running
                    adapter.close()
            self.started[spec] = adapter
        elif isinstance(adapter, WorkerAdapter):
            # A hang in an earlier part shortens the wait for the next; each part waits
            # the full limit for its first.
            adapter.hung = False
        return adapter

    def reference(self, profile):
        """The reference at `profile`."""
        if profile not in self.references:
            self.references[profile] = ReferenceAdapter(profile)
        return self.references[profile]

    def close(self):
        for adapter in [*self.started.values(), *self.references.values()]:
            adapter.close()
        self.started.clear()
        self.references.clear()
