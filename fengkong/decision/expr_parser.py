"""Parser of the expression language: tokens to a small syntax tree, with a depth limit."""

from __future__ import annotations

from dataclasses import dataclass, field

from fengkong.decision.expr_lexer import ExpressionError, Token, tokenize

MAX_DEPTH = 40  # nested sub-expressions; deeper input is refused, never recursed into


@dataclass(frozen=True, slots=True)
class Node:
    """kind: const | var | neg | not | arith | cmp | and | or | in | notin | isnull |
    notnull | call | list | if."""

    kind: str
    pos: int
    op: str = ""
    value: object = None
    args: tuple[Node, ...] = field(default=())


_CMP = {"==", "!=", "<", "<=", ">", ">="}


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def at(self, *texts: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in texts

    def expect(self, text: str) -> Token:
        if not self.at(text):
            raise ExpressionError(f"expected {text!r}, found {self._found()}", self.tok.pos)
        return self.take()

    def _found(self) -> str:
        return "the end" if self.tok.kind == "end" else repr(self.tok.text)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"expression nested deeper than {MAX_DEPTH} levels",
                                  self.tok.pos, "expression_too_deep")

    def expression(self) -> Node:
        self.enter()
        try:
            if self.at("if"):
                pos = self.take().pos
                cond = self.expression()
                self.expect("then")
                yes = self.expression()
                self.expect("else")
                return Node("if", pos, args=(cond, yes, self.expression()))
            return self.disjunction()
        finally:
            self.depth -= 1

    def disjunction(self) -> Node:
        items = [self.conjunction()]
        while self.at("or"):
            self.take()
            items.append(self.conjunction())
        return items[0] if len(items) == 1 else Node("or", items[0].pos, args=tuple(items))

    def conjunction(self) -> Node:
        items = [self.negation()]
        while self.at("and"):
            self.take()
            items.append(self.negation())
        return items[0] if len(items) == 1 else Node("and", items[0].pos, args=tuple(items))

    def negation(self) -> Node:
        if self.at("not"):
            pos = self.take().pos
            self.enter()
            try:
                return Node("not", pos, args=(self.negation(),))
            finally:
                self.depth -= 1
        return self.comparison()

    def comparison(self) -> Node:
        left = self.additive()
        if self.tok.kind == "op" and self.tok.text in _CMP:
            op = self.take()
            return Node("cmp", op.pos, op.text, args=(left, self.additive()))
        if self.at("in"):
            pos = self.take().pos
            return Node("in", pos, args=(left, self.additive()))
        if self.at("not") and self.tokens[self.i + 1].text == "in":
            pos = self.take().pos
            self.take()
            return Node("notin", pos, args=(left, self.additive()))
        if self.at("is"):
            pos = self.take().pos
            negated = bool(self.at("not") and self.take())
            self.expect("null")
            return Node("notnull" if negated else "isnull", pos, args=(left,))
        return left

    def additive(self) -> Node:
        left = self.term()
        while self.at("+", "-"):
            op = self.take()
            left = Node("arith", op.pos, op.text, args=(left, self.term()))
        return left

    def term(self) -> Node:
        left = self.unary()
        while self.at("*", "/", "%"):
            op = self.take()
            left = Node("arith", op.pos, op.text, args=(left, self.unary()))
        return left

    def unary(self) -> Node:
        if self.at("-", "+"):
            op = self.take()
            self.enter()
            try:
                operand = self.unary()
            finally:
                self.depth -= 1
            return operand if op.text == "+" else Node("neg", op.pos, args=(operand,))
        return self.power()

    def power(self) -> Node:
        base = self.primary()
        if self.at("^", "**"):
            op = self.take()
            self.enter()
            try:
                return Node("arith", op.pos, "^", args=(base, self.unary()))
            finally:
                self.depth -= 1
        return base

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind in ("number", "string"):
            self.take()
            return Node("const", tok.pos, value=tok.value)
        if tok.kind == "op" and tok.text in ("true", "false", "null"):
            self.take()
            return Node("const", tok.pos, value={"true": True, "false": False}.get(tok.text))
        if tok.kind == "name":
            self.take()
            if self.at("("):
                return Node("call", tok.pos, tok.text, args=self.items("(", ")"))
            return Node("var", tok.pos, tok.text)
        if self.at("("):
            self.take()
            inner = self.expression()
            self.expect(")")
            return inner
        if self.at("["):
            return Node("list", tok.pos, args=self.items("[", "]"))
        raise ExpressionError(f"unexpected {self._found()}", tok.pos)

    def items(self, open_: str, close: str) -> tuple[Node, ...]:
        self.expect(open_)
        out: list[Node] = []
        if not self.at(close):
            out.append(self.expression())
            while self.at(","):
                self.take()
                out.append(self.expression())
        self.expect(close)
        return tuple(out)


def parse(text: str) -> Node:
    """The syntax tree of `text`, or ExpressionError naming the position."""
    parser = _Parser(tokenize(text))
    if parser.tok.kind == "end":
        raise ExpressionError("empty expression", 0)
    node = parser.expression()
    if parser.tok.kind != "end":
        raise ExpressionError(f"unexpected {parser._found()}", parser.tok.pos)
    return node


def names(node: Node) -> set[str]:
    """Variables the expression reads."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if current.kind == "var":
            found.add(current.op)
        stack.extend(current.args)
    return found
