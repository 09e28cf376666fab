# SPDX-License-Identifier: MIT
"""The command line, `python -m conformance [COMMAND ...]` (installed as `mmap-conformance`):
main.py picks the run (run.py) or a subcommand (commands.py names each one's module)."""
