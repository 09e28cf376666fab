# SPDX-License-Identifier: MIT
"""Reporting: a results JSON made into the report (report.py: compat.md/.json, and the site,
site.py and clause_pages.py), each finding's issue text (issues.py) with its plain reproducer
(plain.py) and the upstream issues it matches (upstream.py), findings grouped by cause
(findings.py), two runs compared (diff.py), reproducers run both ways (replay.py). The report
needs the standard library only."""
