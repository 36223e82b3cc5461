"""Decision tables compiled for evaluation: hit policies first, unique, priority and collect."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fengkong.decision.expr_compile import Compiled, Env
from fengkong.decision.unary import Test

HIT_POLICIES = ("first", "unique", "priority", "collect")


@dataclass(frozen=True)
class Row:
    checks: tuple[tuple[int, Test], ...]  # (column, test) for the cells that are not empty
    then: dict[str, Any]
    priority: float


@dataclass(frozen=True)
class Table:
    name: str
    policy: str
    columns: tuple[Compiled, ...]
    outputs: tuple[str, ...]
    rows: tuple[Row, ...]

    def evaluate(self, env: Env) -> tuple[dict[str, Any], list[int]]:
        """The table's outputs and the indices of the rows that decided them."""
        values = [c.fn(env) for c in self.columns]
        if self.policy in ("first", "unique"):
            for i, row in enumerate(self.rows):
                for column, test in row.checks:
                    if not test(values[column]):
                        break
                else:
                    return row.then, [i]
            return dict.fromkeys(self.outputs), []
        hits = [i for i, row in enumerate(self.rows)
                if all(test(values[column]) for column, test in row.checks)]
        if self.policy == "collect":
            return {o: [self.rows[i].then.get(o) for i in hits] for o in self.outputs}, hits
        if not hits:
            return dict.fromkeys(self.outputs), []
        best = max(hits, key=lambda i: (self.rows[i].priority, -i))
        return self.rows[best].then, [best]


def compile_row(cells: Sequence[Test | None], then: dict[str, Any], priority: float) -> Row:
    return Row(tuple((k, t) for k, t in enumerate(cells) if t is not None), then, priority)
