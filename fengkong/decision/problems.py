"""What is wrong with a strategy document: each problem points at its place (a JSON path)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fengkong.core.errors import InvalidInput


@dataclass(frozen=True)
class Problem:
    path: str  # e.g. $.rule_sets[0].rules[2].when
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code, "message": self.message}


@dataclass
class Problems:
    items: list[Problem] = field(default_factory=list)

    def add(self, path: str, code: str, message: str) -> None:
        self.items.append(Problem(path, code, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def error(self, what: str = "strategy") -> InvalidInput:
        first = self.items[0]
        return InvalidInput(f"the {what} document has {len(self.items)} problem(s); first: "
                            f"{first.path}: {first.message}", code=f"invalid_{what}",
                            field=first.path,
                            extra={"problems": [p.as_dict() for p in self.items]})


def is_obj(value: Any) -> bool:
    return isinstance(value, dict)


def is_name(value: Any) -> bool:
    return (isinstance(value, str) and 0 < len(value) <= 64 and value.isidentifier()
            and not value.startswith("_"))
