# SPDX-License-Identifier: MIT
"""The suite's own pytest hook, registered by its plugin (as pytest-xdist's newhooks.py)."""


def pytest_mmap_results(rows, report):
    """Result rows the suite's plugin gathered on the controller from `report` (a test's, from
    this process or a pytest-xdist worker): for a display of the run."""
