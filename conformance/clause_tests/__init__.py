# SPDX-License-Identifier: MIT
"""The clause tests: one or more pytest tests per catalogue clause (conformance/clauses.toml),
each marked @pytest.mark.clause("id"), run by `python -m conformance` against the reference and
every implementation under test (the `check`/`record` fixtures of conformance/pytest_plugin.py).
conftest.py records `na` for a clause outside its catalogue version range; test_windows.py
checks the Windows clauses on the reference's Windows profile."""
