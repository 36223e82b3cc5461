"""Decision-table cells ("unary tests"): `< 36`, `[20..39]`, `"A","B"`, `true`, `null`, empty.

A cell is a comma-separated list of tests, any of which may match; empty (or `-`) matches
anything, null included. A comparison never matches a null or a value of another type.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Test = Callable[[Any], bool]

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_INTERVAL = re.compile(r"^([\[(])\s*(-?\d+(?:\.\d+)?)\s*\.\.\s*(-?\d+(?:\.\d+)?)\s*([\])])$")
_OPS = {"<=": operator.le, ">=": operator.ge, "!=": operator.ne, "==": operator.eq,
        "<": operator.lt, ">": operator.gt}
_NUM = (int, float)


class CellError(ValueError):
    """A cell that cannot be read; the message says why."""


@dataclass(frozen=True)
class Cell:
    text: str
    test: Test | None  # None: matches anything
    numbers: tuple[float, ...]  # boundaries it mentions (for coverage analysis)
    values: tuple[Any, ...]  # text/boolean values it mentions


def parse_cell(raw: object) -> Cell:
    if raw is None:
        return Cell("", None, (), ())
    if isinstance(raw, bool | int | float):
        raw = _literal_text(raw)
    if not isinstance(raw, str):
        raise CellError("a cell is text")
    text = raw.strip()
    if text in ("", "-"):
        return Cell(text, None, (), ())
    tests, numbers, values = [], [], []
    for piece in _split(text):
        test, nums, vals = _piece(piece)
        tests.append(test)
        numbers += nums
        values += vals
    if len(tests) == 1:
        return Cell(text, tests[0], tuple(numbers), tuple(values))
    every = tuple(tests)
    return Cell(text, lambda v: any(t(v) for t in every), tuple(numbers), tuple(values))


def _literal_text(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return repr(value)


def _split(text: str) -> list[str]:
    pieces, current, quote, depth = [], [], "", 0
    for ch in text:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif ch == "," and depth == 0:
            pieces.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    if quote:
        raise CellError("unterminated text value")
    pieces.append("".join(current).strip())
    if any(p == "" for p in pieces):
        raise CellError("empty test between commas")
    return pieces


def _piece(piece: str) -> tuple[Test, list[float], list[Any]]:
    interval = _INTERVAL.match(piece)
    if interval:
        return _interval(*interval.groups())
    for symbol, op in _OPS.items():
        if piece.startswith(symbol):
            value = literal(piece[len(symbol):].strip())
            return _compare(op, value, symbol), _nums(value), _vals(value)
    value = literal(piece)
    if value is None:
        return (lambda v: v is None), [], []
    if type(value) in _NUM:
        return (lambda v: type(v) in _NUM and v == value), [float(value)], []
    return (lambda v: v == value and type(v) is type(value)), [], [value]


def _nums(value: Any) -> list[float]:
    return [float(value)] if type(value) in _NUM else []


def _vals(value: Any) -> list[Any]:
    return [value] if isinstance(value, str | bool) else []


def _compare(op: Callable[[Any, Any], bool], value: Any, symbol: str) -> Test:
    if symbol in ("==", "!="):
        if symbol == "!=":
            return lambda v: v is not None and v != value
        return lambda v: v == value
    if type(value) not in _NUM:
        raise CellError(f"{symbol} needs a number")
    return lambda v: type(v) in _NUM and op(v, value)


def _interval(open_: str, low: str, high: str, close: str) -> tuple[Test, list[float], list[Any]]:
    lo, hi = float(low), float(high)
    if lo > hi:
        raise CellError(f"interval bounds out of order: {low} > {high}")
    lo_in, hi_in = open_ == "[", close == "]"

    def test(v: Any) -> bool:
        if type(v) not in _NUM:
            return False
        return (lo < v or (lo_in and v == lo)) and (v < hi or (hi_in and v == hi))
    return test, [lo, hi], []


def literal(text: str) -> Any:
    """A number, quoted text, true, false or null."""
    if _NUMBER.match(text):
        return float(text) if "." in text else int(text)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    raise CellError(f"cannot read {text!r}: quote text values, e.g. \"{text}\"")
