"""Compiles expression syntax trees once into Python closures over a dict of variables.

Semantics: null propagates through arithmetic and comparisons (`x < 5` is null when x is
null); `and`/`or`/`not` are three-valued (null = unknown); a rule fires only on true.
Division by zero gives null. `==`/`!=` compare with null as a value. Dates plus/minus a
number of days give dates; date minus date gives days. Errors at run time name the position
of the operator that failed.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from fengkong.decision.expr_lexer import ExpressionError
from fengkong.decision.expr_parser import Node, parse

Env = Mapping[str, Any]
Fn = Callable[[Env], Any]

MAX_EXPONENT = 64
TYPES = {"number", "string", "boolean", "date", "list", "any"}


class EvaluationError(Exception):
    """An expression failed on the values it was given."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at position {position}")
        self.message = message
        self.position = position


_CMP_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
_NUM = (int, float)


def _is_num(v: object) -> bool:
    return type(v) in _NUM


def _add(a: Any, b: Any) -> Any:
    if type(a) is date and _is_num(b):
        return a + timedelta(days=int(b))
    if _is_num(a) and _is_num(b) or type(a) is type(b) and type(a) in (str, list):
        return a + b
    raise TypeError


def _sub(a: Any, b: Any) -> Any:
    if _is_num(a) and _is_num(b):
        return a - b
    if type(a) is date:
        if type(b) is date:
            return (a - b).days
        if _is_num(b):
            return a - timedelta(days=int(b))
    raise TypeError


def _mul(a: Any, b: Any) -> Any:
    if _is_num(a) and _is_num(b):
        return a * b
    raise TypeError


def _div(a: Any, b: Any) -> Any:
    if _is_num(a) and _is_num(b):
        return None if b == 0 else a / b
    raise TypeError


def _mod(a: Any, b: Any) -> Any:
    if _is_num(a) and _is_num(b):
        return None if b == 0 else a % b
    raise TypeError


def _pow(a: Any, b: Any) -> Any:
    if not (_is_num(a) and _is_num(b)):
        raise TypeError
    if abs(b) > MAX_EXPONENT:
        raise ValueError(f"exponent larger than {MAX_EXPONENT}")
    try:
        result = float(a) ** b
    except (OverflowError, ZeroDivisionError):
        raise ValueError("number out of range") from None
    if isinstance(result, complex) or math.isinf(result):
        raise ValueError("number out of range")
    return result


_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": _add, "-": _sub, "*": _mul, "/": _div, "%": _mod, "^": _pow,
}


def _round(x: Any, digits: Any = 0) -> Any:
    if x is None or digits is None:
        return None
    if not (_is_num(x) and type(digits) is int) or abs(digits) > 12:
        raise TypeError
    rounded = Decimal(repr(x)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return int(rounded) if digits <= 0 else float(rounded)


def _extreme(pick: Callable[..., Any]) -> Callable[..., Any]:
    def fn(*values: Any) -> Any:
        present = [v for v in values if v is not None]
        return pick(present) if present else None
    return fn


def _len(x: Any) -> Any:
    if x is None:
        return None
    if type(x) in (str, list, tuple, frozenset):
        return len(x)
    raise TypeError


def _abs(x: Any) -> Any:
    if x is None:
        return None
    if _is_num(x):
        return abs(x)
    raise TypeError


def _coalesce(*values: Any) -> Any:
    for v in values:
        if v is not None:
            return v
    return None


def _days_between(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if type(a) is date and type(b) is date:
        return (b - a).days
    raise TypeError


def _date(text: Any) -> Any:
    if text is None:
        return None
    if type(text) is not str:
        raise TypeError
    return date.fromisoformat(text)


def _floor(x: Any) -> Any:
    return None if x is None else math.floor(x) if _is_num(x) else _type_error()


def _ceil(x: Any) -> Any:
    return None if x is None else math.ceil(x) if _is_num(x) else _type_error()


def _type_error() -> Any:
    raise TypeError


# name -> (function, least arguments, most arguments (None = any), result type)
FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int | None, str]] = {
    "min": (_extreme(min), 1, None, "any"),
    "max": (_extreme(max), 1, None, "any"),
    "abs": (_abs, 1, 1, "number"),
    "round": (_round, 1, 2, "number"),
    "floor": (_floor, 1, 1, "number"),
    "ceil": (_ceil, 1, 1, "number"),
    "len": (_len, 1, 1, "number"),
    "coalesce": (_coalesce, 1, None, "any"),
    "days_between": (_days_between, 2, 2, "number"),
    "date": (_date, 1, 1, "date"),
}


class Compiled:
    """An expression compiled once: `fn(env)` evaluates it; `names` are the variables read."""

    __slots__ = ("fn", "names", "source", "type")

    def __init__(self, fn: Fn, names: frozenset[str], source: str, type_: str) -> None:
        self.fn = fn
        self.names = names
        self.source = source
        self.type = type_


def compile_expression(text: str, variables: Mapping[str, str]) -> Compiled:
    """Parse and compile `text`; `variables` maps each name it may read to its type.
    Raises ExpressionError for syntax errors, unknown names or functions and wrong arity."""
    if not isinstance(text, str):
        raise ExpressionError("an expression is a string", 0, "expression_type")
    node = parse(text)
    compiler = _Compiler(variables)
    fn, type_ = compiler.compile(node)
    return Compiled(fn, frozenset(compiler.read), text, type_)


def truth(value: Any, position: int) -> bool | None:
    if value is True or value is False or value is None:
        return value  # type: ignore[no-any-return]
    raise EvaluationError(f"expected true, false or null, got {_kind(value)}", position)


def _kind(value: Any) -> str:
    return {bool: "boolean", int: "number", float: "number", str: "string", date: "date",
            list: "list", tuple: "list", frozenset: "list"}.get(type(value), "value")


class _Compiler:
    def __init__(self, variables: Mapping[str, str]) -> None:
        self.variables = variables
        self.read: set[str] = set()

    def compile(self, node: Node) -> tuple[Fn, str]:
        method = getattr(self, f"_{node.kind}")
        result: tuple[Fn, str] = method(node)
        return result

    def _const(self, node: Node) -> tuple[Fn, str]:
        value = node.value
        return (lambda env: value), _kind(value) if value is not None else "any"

    def _var(self, node: Node) -> tuple[Fn, str]:
        name = node.op
        if name not in self.variables:
            raise ExpressionError(f"unknown name {name!r}", node.pos, "unknown_name")
        self.read.add(name)
        def var(env: Env) -> Any:
            return env.get(name)
        return var, self.variables[name]

    def _neg(self, node: Node) -> tuple[Fn, str]:
        inner, _ = self.compile(node.args[0])
        pos = node.pos

        def neg(env: Env) -> Any:
            v = inner(env)
            if v is None:
                return None
            if _is_num(v):
                return -v
            raise EvaluationError(f"cannot negate a {_kind(v)}", pos)
        return neg, "number"

    def _not(self, node: Node) -> tuple[Fn, str]:
        inner, _ = self.compile(node.args[0])
        pos = node.pos

        def not_(env: Env) -> Any:
            v = inner(env)
            if v is None:
                return None
            return not truth(v, pos)
        return not_, "boolean"

    def _arith(self, node: Node) -> tuple[Fn, str]:
        (left, lt), (right, rt) = self.compile(node.args[0]), self.compile(node.args[1])
        op, pos, symbol = _ARITH[node.op], node.pos, node.op
        if symbol == "^" and node.args[1].kind == "const":
            exponent = node.args[1].value
            if _is_num(exponent) and abs(exponent) > MAX_EXPONENT:  # type: ignore[arg-type]
                raise ExpressionError(f"exponent larger than {MAX_EXPONENT}", pos,
                                      "number_too_large")

        a_name = node.args[0].op if node.args[0].kind == "var" else None
        b_name = node.args[1].op if node.args[1].kind == "var" else None
        if a_name is not None and b_name is not None and symbol in ("+", "-", "*", "/"):
            return self._arith_vars(a_name, b_name, op, symbol, pos), (
                "date" if lt == "date" and symbol in "+-" and rt != "date" else "number")

        def arith(env: Env) -> Any:
            a = left(env)
            if a is None:
                return None
            b = right(env)
            if b is None:
                return None
            try:
                return op(a, b)
            except TypeError:
                raise EvaluationError(
                    f"cannot apply {symbol!r} to {_kind(a)} and {_kind(b)}", pos) from None
            except ValueError as exc:
                raise EvaluationError(str(exc), pos) from None
        out = "date" if lt == "date" and symbol in "+-" and rt != "date" else (
            "string" if lt == "string" and symbol == "+" else "number")
        return arith, out

    def _cmp(self, node: Node) -> tuple[Fn, str]:
        left_node, right_node = node.args
        (left, _), (right, _) = self.compile(left_node), self.compile(right_node)
        symbol, pos = node.op, node.pos
        if symbol in ("==", "!="):
            eq = symbol == "=="
            if right_node.kind == "const":
                c = right_node.value
                return ((lambda env: left(env) == c) if eq
                        else (lambda env: left(env) != c)), "boolean"
            return ((lambda env: left(env) == right(env)) if eq
                    else (lambda env: left(env) != right(env))), "boolean"
        op = _CMP_OPS[symbol]
        if right_node.kind == "const" and _is_num(right_node.value):
            c = right_node.value
            if left_node.kind == "var":
                return self._cmp_var_const(left_node.op, op, c, pos), "boolean"

            def cmp_const(env: Env) -> Any:
                a = left(env)
                if a is None:
                    return None
                if type(a) in _NUM:
                    return op(a, c)
                raise EvaluationError(f"cannot compare a {_kind(a)} with a number", pos)
            return cmp_const, "boolean"

        def cmp(env: Env) -> Any:
            a = left(env)
            b = right(env)
            if a is None or b is None:
                return None
            if type(a) is bool or type(b) is bool or (_kind(a) != _kind(b)):
                raise EvaluationError(f"cannot compare a {_kind(a)} with a {_kind(b)}", pos)
            return op(a, b)
        return cmp, "boolean"

    @staticmethod
    def _arith_vars(a_name: str, b_name: str, op: Callable[[Any, Any], Any], symbol: str,
                    pos: int) -> Fn:
        # `debt / income`: two numbers read straight from the variables, the checks inline.
        def arith_vars(env: Env) -> Any:
            a = env.get(a_name)
            b = env.get(b_name)
            if a is None or b is None:
                return None
            if (type(a) is int or type(a) is float) and (type(b) is int or type(b) is float):
                if symbol == "/":
                    return None if b == 0 else a / b
                return a + b if symbol == "+" else a - b if symbol == "-" else a * b
            try:
                return op(a, b)
            except TypeError:
                raise EvaluationError(
                    f"cannot apply {symbol!r} to {_kind(a)} and {_kind(b)}", pos) from None
        return arith_vars

    @staticmethod
    def _cmp_var_const(name: str, op: Callable[[Any, Any], Any], c: Any, pos: int) -> Fn:
        # The commonest rule shape (`age < 18`) in one call: no closure for the variable.
        def cmp_var(env: Env) -> Any:
            a = env.get(name)
            if a is None:
                return None
            if type(a) in _NUM:
                return op(a, c)
            raise EvaluationError(f"cannot compare a {_kind(a)} with a number", pos)
        return cmp_var

    def _logic(self, node: Node, stop: bool) -> tuple[Fn, str]:
        parts = [self.compile(a)[0] for a in node.args]
        positions = [a.pos for a in node.args]

        def logic(env: Env) -> Any:
            unknown = False
            for part, pos in zip(parts, positions, strict=True):
                v = part(env)
                if v is stop:
                    return stop
                if v is None:
                    unknown = True
                elif v is not (not stop):
                    truth(v, pos)
            return None if unknown else (not stop)
        if len(parts) == 2:
            first, second = parts
            p1, p2 = positions

            def pair(env: Env) -> Any:
                a = first(env)
                if a is stop:
                    return stop
                b = second(env)
                if b is stop:
                    return stop
                if a is None or b is None:
                    if a is not None:
                        truth(a, p1)
                    if b is not None:
                        truth(b, p2)
                    return None
                if a is not (not stop):
                    truth(a, p1)
                if b is not (not stop):
                    truth(b, p2)
                return not stop
            return pair, "boolean"
        return logic, "boolean"

    def _and(self, node: Node) -> tuple[Fn, str]:
        return self._logic(node, False)

    def _or(self, node: Node) -> tuple[Fn, str]:
        return self._logic(node, True)

    def _in(self, node: Node, negate: bool = False) -> tuple[Fn, str]:
        needle, _ = self.compile(node.args[0])
        hay_node, pos = node.args[1], node.pos
        if hay_node.kind == "list" and all(a.kind == "const" for a in hay_node.args):
            members = frozenset(a.value for a in hay_node.args if a.value is not None)

            def in_set(env: Env) -> Any:
                v = needle(env)
                if v is None:
                    return None
                try:
                    return (v in members) is not negate
                except TypeError:
                    raise EvaluationError(f"cannot look up a {_kind(v)}", pos) from None
            return in_set, "boolean"
        hay, _ = self.compile(hay_node)

        def in_list(env: Env) -> Any:
            v, items = needle(env), hay(env)
            if v is None or items is None:
                return None
            if type(items) not in (list, tuple, frozenset, str) or (
                    type(items) is str and type(v) is not str):
                raise EvaluationError(f"'in' needs a list, got {_kind(items)}", pos)
            return (v in items) is not negate
        return in_list, "boolean"

    def _notin(self, node: Node) -> tuple[Fn, str]:
        return self._in(node, negate=True)

    def _isnull(self, node: Node) -> tuple[Fn, str]:
        inner, _ = self.compile(node.args[0])
        return (lambda env: inner(env) is None), "boolean"

    def _notnull(self, node: Node) -> tuple[Fn, str]:
        inner, _ = self.compile(node.args[0])
        return (lambda env: inner(env) is not None), "boolean"

    def _list(self, node: Node) -> tuple[Fn, str]:
        parts = [self.compile(a)[0] for a in node.args]
        if all(a.kind == "const" for a in node.args):
            values = [a.value for a in node.args]
            return (lambda env: list(values)), "list"
        return (lambda env: [p(env) for p in parts]), "list"

    def _if(self, node: Node) -> tuple[Fn, str]:
        (cond, _), (yes, yt), (no, nt) = (self.compile(a) for a in node.args)
        pos = node.args[0].pos

        def if_(env: Env) -> Any:
            c = cond(env)
            if c is True:
                return yes(env)
            if c is False or c is None:
                return no(env)
            truth(c, pos)
            return None
        return if_, yt if nt in (yt, "any") else nt if yt == "any" else "any"

    def _call(self, node: Node) -> tuple[Fn, str]:
        name, pos = node.op, node.pos
        if name not in FUNCTIONS:
            raise ExpressionError(f"unknown function {name!r}", pos, "unknown_function")
        fn, least, most, result = FUNCTIONS[name]
        count = len(node.args)
        if count < least or (most is not None and count > most):
            raise ExpressionError(f"{name}() takes {least}" + (
                "" if most == least else f" to {most}" if most else " or more")
                + f" arguments, got {count}", pos, "wrong_arity")
        parts = [self.compile(a) for a in node.args]
        args = [p[0] for p in parts]
        if name == "date" and node.args[0].kind == "const":
            try:
                value = _date(node.args[0].value)
            except (TypeError, ValueError):
                raise ExpressionError("date() needs a YYYY-MM-DD text", pos,
                                      "invalid_date") from None
            return (lambda env: value), "date"
        if result == "any" and name in ("min", "max", "coalesce"):
            kinds = {p[1] for p in parts}
            result = kinds.pop() if len(kinds) == 1 else "any"

        def call(env: Env) -> Any:
            values = [a(env) for a in args]
            try:
                return fn(*values)
            except (TypeError, ValueError):
                kinds = ", ".join(_kind(v) for v in values)
                raise EvaluationError(f"{name}() cannot take ({kinds})", pos) from None
        return call, result
