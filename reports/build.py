# SPDX-License-Identifier: MIT
"""`python -m reports.build` in a checkout: the report builder is conformance/reporting/report.py
(`python -m conformance report`, installed with the package); reports/ holds published reports."""

import sys

from conformance.reporting.report import main

sys.exit(main())
