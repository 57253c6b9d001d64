"""Toolcrib's benchmark harness: ``python -m bench`` (see docs/performance.md).

Every comparison runs all sides in the same run, alternating, over several rounds, and reports
medians and ratios. Load goes to 127.0.0.1 only.
"""
