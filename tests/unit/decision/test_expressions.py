"""The expression language: every construct, null handling, and hostile input refused."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fengkong.decision.expr_compile import EvaluationError, compile_expression
from fengkong.decision.expr_lexer import ExpressionError

TYPES = {"a": "number", "b": "number", "s": "string", "d": "date", "e": "date",
         "flag": "boolean", "items": "list", "n": "number"}


def run(text: str, **env: Any) -> Any:
    return compile_expression(text, TYPES).fn(env)


@pytest.mark.parametrize(("text", "env", "expected"), [
    ("1 + 2 * 3", {}, 7),
    ("(1 + 2) * 3", {}, 9),
    ("7 - 2 - 1", {}, 4),
    ("7 / 2", {}, 3.5),
    ("7 % 3", {}, 1),
    ("2 ^ 10", {}, 1024.0),
    ("2 ** 3 ** 2", {}, 512.0),
    ("-a + +b", {"a": 2, "b": 5}, 3),
    ("a == 3", {"a": 3}, True),
    ("a != 3", {"a": 3}, False),
    ("a < 3", {"a": 2}, True),
    ("a <= 3", {"a": 3}, True),
    ("a > 3", {"a": 3}, False),
    ("a >= 3", {"a": 3}, True),
    ("s == 'x' and a > 1", {"s": "x", "a": 2}, True),
    ("s == 'x' or a > 1", {"s": "y", "a": 0}, False),
    ("not flag", {"flag": False}, True),
    ("s in ['A', 'B']", {"s": "B"}, True),
    ("s not in ['A', 'B']", {"s": "B"}, False),
    ("a in items", {"a": 2, "items": [1, 2]}, True),
    ("s + '-' + s", {"s": "ab"}, "ab-ab"),
    ("if a > 1 then 'big' else 'small'", {"a": 5}, "big"),
    ("min(a, b, 3)", {"a": 5, "b": 4}, 3),
    ("max(a, b)", {"a": 5, "b": 4}, 5),
    ("abs(a)", {"a": -2.5}, 2.5),
    ("round(a, 2)", {"a": 2.345}, 2.35),
    ("round(a)", {"a": 2.5}, 3),
    ("len(s) + len(items)", {"s": "abc", "items": [1]}, 4),
    ("coalesce(a, b, 0)", {"b": 7}, 7),
    ("days_between(d, e)", {"d": date(2026, 1, 1), "e": date(2026, 3, 1)}, 59),
    ("d + 30", {"d": date(2026, 1, 1)}, date(2026, 1, 31)),
    ("d - 1", {"d": date(2026, 1, 1)}, date(2025, 12, 31)),
    ("e - d", {"d": date(2026, 1, 1), "e": date(2026, 1, 11)}, 10),
    ("d < date('2026-02-01')", {"d": date(2026, 1, 1)}, True),
    ("floor(a) + ceil(b)", {"a": 1.5, "b": 1.2}, 3),
    ("a is null", {}, True),
    ("a is not null", {"a": 0}, True),
    ("'it\\'s'", {}, "it's"),
    ("1_000 + 0.5", {}, 1000.5),
    ("true and not false", {}, True),
])
def test_each_construct_evaluates(text: str, env: dict[str, Any], expected: Any) -> None:
    assert run(text, **env) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("a + 1", None),          # arithmetic with null is null
    ("a < 5", None),          # so is a comparison
    ("a == null", True),      # equality treats null as a value
    ("a < 5 and false", False),   # three-valued logic
    ("a < 5 or true", True),
    ("a < 5 and true", None),
    ("not (a < 5)", None),
    ("coalesce(a, 1) + 1", 2),
    ("min(a, 3)", 3),         # min and max skip nulls
    ("len(s)", None),
    ("days_between(d, d)", None),
    ("b / 0", None),          # division by zero is null
])
def test_null_propagates_as_documented(text: str, expected: Any) -> None:
    assert run(text, b=4) == expected


def test_a_rule_reads_only_the_names_it_uses() -> None:
    compiled = compile_expression("a + coalesce(b, 0) > 3", TYPES)
    assert compiled.names == {"a", "b"}
    assert compiled.type == "boolean"


@pytest.mark.parametrize(("text", "code", "position"), [
    ("__import__('os')", "forbidden_name", 0),
    ("_private", "forbidden_name", 0),
    ("s.upper()", "attribute_access", 1),
    ("a.__class__", "attribute_access", 1),
    ("open('x')", "unknown_function", 0),
    ("eval('1')", "unknown_function", 0),
    ("exec", "unknown_name", 0),
    ("os", "unknown_name", 0),
    ("2 ^ 1000", "number_too_large", 2),
    ("10 ** 99", "number_too_large", 3),
    ("1e999", "number_too_large", 1),
    ("9" * 40, "number_too_large", 0),
    ("(" * 100 + "1" + ")" * 100, "expression_too_deep", 40),
    ("-" * 100 + "1", "expression_too_deep", 40),
    ("not " * 100 + "true", "expression_too_deep", 160),
    ("a +", "expression_syntax", 3),
    ("a = 1", "expression_syntax", 2),
    ("(a", "expression_syntax", 2),
    ("'open", "expression_syntax", 0),
    ("a ; b", "expression_syntax", 2),
    ("lambda: 1", "expression_syntax", 6),
    ("[x for x in items]", "expression_syntax", 3),
    ("round()", "wrong_arity", 0),
    ("days_between(d)", "wrong_arity", 0),
    ("date('tomorrow')", "invalid_date", 0),
    ("", "expression_syntax", 0),
    ("a" * 5000, "expression_too_long", 4000),
])
def test_hostile_or_broken_input_is_refused_before_it_runs(text: str, code: str,
                                                           position: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(text, TYPES)
    assert caught.value.code == code
    assert caught.value.position == position


def test_a_non_text_expression_is_refused() -> None:
    with pytest.raises(ExpressionError):
        compile_expression(42, TYPES)  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "env", "position"), [
    ("a + s", {"a": 1, "s": "x"}, 2),
    ("s * 100000000", {"s": "x"}, 2),            # no string repetition
    ("items * 1000000", {"items": [1]}, 6),
    ("a ^ b", {"a": 10, "b": 1000}, 2),          # exponent checked when it runs too
    ("a ^ b", {"a": 1e300, "b": 60}, 2),         # overflow is an error, not inf
    ("a < s", {"a": 1, "s": "x"}, 2),
    ("flag and a", {"flag": True, "a": 1}, 9),
    ("-s", {"s": "x"}, 0),
    ("abs(s)", {"s": "x"}, 0),
    ("a in s", {"a": 1, "s": "x"}, 2),
    ("if a then 1 else 2", {"a": 1}, 3),
])
def test_type_errors_name_the_position_when_they_happen(text: str, env: dict[str, Any],
                                                        position: int) -> None:
    with pytest.raises(EvaluationError) as caught:
        run(text, **env)
    assert caught.value.position == position


def test_huge_exponent_chains_are_refused() -> None:
    with pytest.raises(EvaluationError):
        run("2 ^ 64 ^ 64")


@given(st.integers(-10**6, 10**6), st.integers(-10**6, 10**6))
def test_arithmetic_agrees_with_integers(x: int, y: int) -> None:
    assert run("a + b * 2 - (a - b)", a=x, b=y) == x + y * 2 - (x - y)
    assert run("a < b or a == b or a > b", a=x, b=y) is True
    assert run("max(a, b) >= min(a, b)", a=x, b=y) is True
