# SPDX-License-Identifier: MIT
"""Mutants of the stdlib `mmap.mmap`, one deliberate bug each, to measure what the suite catches.

`faithful` restores the stdlib's behaviour exactly; every mutant derives from it and changes one
behaviour. Use as `--impl tests.mutants:<name>` from the repository root; `MUTANTS` lists them.
They live by area in this package's modules (base.py has Faithful and the registries); importing
the package registers them all.
"""

from tests.mutants.base import CLAUSE_ONLY, MUTANTS, Faithful, faithful  # noqa: F401

# isort: off
# Each module registers its mutants as it is imported: this order is MUTANTS' order.
from tests.mutants import ctor, items, reading, writing, position  # noqa: F401, E402
from tests.mutants import resizing, searching, lifecycle, protocols  # noqa: F401, E402
from tests.mutants import clause_only, edges  # noqa: F401, E402
from tests.mutants import held  # noqa: F401, E402
from tests.mutants import large  # noqa: F401, E402
# isort: on
