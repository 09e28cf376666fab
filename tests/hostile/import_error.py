# SPDX-License-Identifier: MIT
"""Raises at import, as an implementation with a missing native part does."""

raise ImportError("the native part of this implementation is not built")
