# SPDX-License-Identifier: MIT
"""The subcommands of `python -m conformance`, each the module whose main(argv) runs it."""

SUBCOMMANDS = {
    "clauses": "conformance.cli.coverage",
    "cpython-suite": "conformance.cli.cpython_suite",
    "diff": "conformance.reporting.diff",
    "provision": "impls.provision",
    "replay": "conformance.reporting.replay",
    "report": "conformance.reporting.report",
    "soak": "conformance.cli.soak",
}
