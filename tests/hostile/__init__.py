# SPDX-License-Identifier: MIT
"""Hostile implementations: each misbehaves in one way real half-finished implementations do.

Used as `--impl tests.hostile.<module>:factory` from the repository root.
"""
