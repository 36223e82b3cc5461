"""Scorecards from data: training (optbinning bins, IV selection, logistic regression, PDO
scaling), the shared scorecard document with `score` and `reason_codes`, and PSI monitoring.

`score`, `reason_codes`, `parse_scorecard` and `load_document` are importable from here; they
load on first use, so that importing the CLI does not pull in pandas.
"""

from __future__ import annotations

from typing import Any

__all__ = ["load_document", "parse_scorecard", "reason_codes", "score"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from fengkong.scoring import document

        return getattr(document, name)
    raise AttributeError(f"module 'fengkong.scoring' has no attribute {name!r}")
