"""Scorecard scaling by points to double the odds (PDO) and base odds.

score = offset + factor * ln(odds of good), factor = pdo / ln 2,
offset = base_points - factor * ln(base_odds): at odds `base_odds` : 1 the score is
`base_points`, and every `pdo` points more the odds of good double.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fengkong.core.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Scaling:
    base_points: float = 600.0
    base_odds: float = 50.0
    pdo: float = 20.0

    def __post_init__(self) -> None:
        for name in ("base_odds", "pdo"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise InvalidInput(f"{name} must be a positive number",
                                   code="scaling_invalid", field=name)
        if not math.isfinite(self.base_points):
            raise InvalidInput("base_points must be a number", code="scaling_invalid",
                               field="base_points")

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2)

    @property
    def offset(self) -> float:
        return self.base_points - self.factor * math.log(self.base_odds)

    def score(self, log_odds_good: float) -> float:
        return self.offset + self.factor * log_odds_good

    def log_odds(self, score: float) -> float:
        """The inverse of `score`: ln(odds of good) at a score."""
        return (score - self.offset) / self.factor

    def as_json(self) -> dict[str, float]:
        return {"base_points": _plain(self.base_points), "base_odds": _plain(self.base_odds),
                "pdo": _plain(self.pdo)}


def _plain(value: float) -> float:
    return int(value) if float(value).is_integer() else value
