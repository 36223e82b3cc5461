"""Tokens of the strategy expression language: a hand-written scanner, no Python parsing."""

from __future__ import annotations

from dataclasses import dataclass

MAX_LENGTH = 4000  # characters in one expression
MAX_NUMBER_DIGITS = 30


class ExpressionError(Exception):
    """An expression that cannot be accepted; `position` is the 0-based offset in its text."""

    def __init__(self, message: str, position: int, code: str = "expression_syntax") -> None:
        super().__init__(f"{message} at position {position}")
        self.message = message
        self.position = position
        self.code = code


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # number | string | name | op | end
    text: str
    pos: int
    value: object = None


KEYWORDS = {"and", "or", "not", "in", "is", "null", "true", "false", "if", "then", "else"}
_TWO_CHAR = {"==", "!=", "<=", ">=", "**"}
_ONE_CHAR = set("+-*/%^()[],<>")


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters", MAX_LENGTH,
                              "expression_too_long")
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t\r\n":
            i += 1
        elif c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            i = _number(text, i, tokens)
        elif c in "\"'":
            i = _string(text, i, tokens)
        elif c.isalpha() or c == "_":
            i = _name(text, i, tokens)
        elif text[i:i + 2] in _TWO_CHAR:
            tokens.append(Token("op", text[i:i + 2], i))
            i += 2
        elif c in _ONE_CHAR:
            tokens.append(Token("op", c, i))
            i += 1
        elif c == ".":
            raise ExpressionError("attribute access is not allowed", i, "attribute_access")
        elif c == "=":
            raise ExpressionError("use '==' to compare", i)
        else:
            raise ExpressionError(f"unexpected character {c!r}", i)
    tokens.append(Token("end", "", n))
    return tokens


def _number(text: str, start: int, out: list[Token]) -> int:
    i, n = start, len(text)
    while i < n and (text[i].isdigit() or text[i] == "_"):
        i += 1
    is_float = False
    if i < n and text[i] == "." and i + 1 < n and text[i + 1].isdigit():
        is_float = True
        i += 1
        while i < n and text[i].isdigit():
            i += 1
    if i < n and text[i] in "eE":
        raise ExpressionError("exponent notation is not allowed in numbers", i,
                              "number_too_large")
    raw = text[start:i].replace("_", "")
    if len(raw.replace(".", "")) > MAX_NUMBER_DIGITS:
        raise ExpressionError(f"number with more than {MAX_NUMBER_DIGITS} digits", start,
                              "number_too_large")
    if i < n and (text[i].isalpha() or text[i] == "_"):
        raise ExpressionError("a name cannot start with a digit", start)
    value: object = float(raw) if is_float else int(raw)
    out.append(Token("number", text[start:i], start, value))
    return i


def _string(text: str, start: int, out: list[Token]) -> int:
    quote, i, n = text[start], start + 1, len(text)
    chars: list[str] = []
    while i < n and text[i] != quote:
        if text[i] == "\\" and i + 1 < n:
            nxt = text[i + 1]
            chars.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
            i += 2
            continue
        chars.append(text[i])
        i += 1
    if i >= n:
        raise ExpressionError("unterminated string", start)
    out.append(Token("string", text[start:i + 1], start, "".join(chars)))
    return i + 1


def _name(text: str, start: int, out: list[Token]) -> int:
    i, n = start, len(text)
    while i < n and (text[i].isalnum() or text[i] == "_"):
        i += 1
    word = text[start:i]
    if word.startswith("_"):
        raise ExpressionError(f"names may not start with an underscore: {word}", start,
                              "forbidden_name")
    out.append(Token("op" if word in KEYWORDS else "name", word, start))
    return i
