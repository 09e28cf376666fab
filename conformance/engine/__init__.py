# SPDX-License-Identifier: MIT
"""The engine: ops (ops.py) drawn by rules (rules.py) against a shadow of the reference's map,
run on the reference and an implementation in lockstep (lockstep.py), their observations
compared (compare.py); a difference is a Found, whose identity and record are finding.py's and
whose script is repro.py's; shrink.py makes it smaller; machine.py draws the ops with
Hypothesis."""
