"""JQL text to a syntax tree: tokenizer and recursive-descent parser, with Jira's error wording."""

from __future__ import annotations

from dataclasses import dataclass

OPERATORS = ("=", "!=", "~", "!~", ">", ">=", "<", "<=", "in", "not in", "is", "is not")
KEYWORDS = frozenset({"and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc",
                      "desc"})
_SINGLE = "(),"
_OPERATOR_CHARS = "=!<>~"
_STOP = set(" \t\r\n\"'") | set(_SINGLE) | set(_OPERATOR_CHARS) | {"&", "|"}


class JqlError(ValueError):
    """A query Jira would refuse; the message is what Jira puts in `errorMessages`."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "word", "string", "op", "(", ")", ",", "and", "or", "not", "eof"
    text: str
    pos: int  # 1-based character, as Jira reports it

    def is_kw(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words


@dataclass(frozen=True, slots=True)
class Value:
    """An operand: `text` as written (unquoted), whether it was quoted, or a function call."""

    text: str
    quoted: bool = False
    function: bool = False


@dataclass(frozen=True, slots=True)
class Clause:
    field: str
    op: str  # one of OPERATORS, lower case
    values: tuple[Value, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: str  # "and" | "or"
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


Node = Clause | BoolOp | Not


@dataclass(frozen=True, slots=True)
class Query:
    where: Node | None
    order: tuple[tuple[str, bool], ...]  # (field as written, descending)


def _error(message: str, token: Token) -> JqlError:
    return JqlError(f"Error in the JQL Query: {message} (line 1, character {token.pos})")


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char in _SINGLE:
            tokens.append(Token(char, char, i + 1))
            i += 1
        elif text.startswith(("&&", "||"), i):
            tokens.append(Token("word", "and" if char == "&" else "or", i + 1))
            i += 2
        elif char in _OPERATOR_CHARS:
            op = text[i:i + 2] if text[i:i + 2] in OPERATORS else char
            if op not in OPERATORS:
                raise JqlError(f"Error in the JQL Query: The character '{char}' is a reserved "
                               f"JQL character. (line 1, character {i + 1})")
            tokens.append(Token("op", op, i + 1))
            i += len(op)
        elif char in "\"'":
            i = _quoted(text, i, tokens)
        elif char in "&|":
            raise JqlError(f"Error in the JQL Query: The character '{char}' is a reserved JQL "
                           f"character. (line 1, character {i + 1})")
        else:
            start = i
            while i < len(text) and text[i] not in _STOP:
                i += 1
            tokens.append(Token("word", text[start:i], start + 1))
    tokens.append(Token("eof", "", len(text) + 1))
    return tokens


def _quoted(text: str, start: int, tokens: list[Token]) -> int:
    quote = text[start]
    out: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if char == quote:
            tokens.append(Token("string", "".join(out), start + 1))
            return i + 1
        out.append(char)
        i += 1
    raise JqlError(f"Error in the JQL Query: The quoted string '{''.join(out)}' has not been "
                   f"completed. (line 1, character {start + 1})")


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def query(self) -> Query:
        where = None if self.tok.kind == "eof" or self.tok.is_kw("order") else self.or_expr()
        order = self.order_by() if self.tok.is_kw("order") else ()
        if self.tok.kind != "eof":
            raise _error(f"Expecting either 'OR' or 'AND' but got '{self.tok.text}'.", self.tok)
        return Query(where, order)

    def or_expr(self) -> Node:
        children = [self.and_expr()]
        while self.tok.is_kw("or"):
            self.take()
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else BoolOp("or", tuple(children))

    def and_expr(self) -> Node:
        children = [self.not_expr()]
        while self.tok.is_kw("and"):
            self.take()
            children.append(self.not_expr())
        return children[0] if len(children) == 1 else BoolOp("and", tuple(children))

    def not_expr(self) -> Node:
        if self.tok.is_kw("not"):
            self.take()
            return Not(self.not_expr())
        if self.tok.kind == "(":
            self.take()
            inner = self.or_expr()
            if self.tok.kind != ")":
                raise _error(f"Expecting ')' but got '{self.tok.text}'.", self.tok)
            self.take()
            return inner
        return self.clause()

    def clause(self) -> Clause:
        field = self.tok
        if field.kind not in ("word", "string") or (
                field.kind == "word" and field.text.lower() in KEYWORDS):
            raise _error(f"Expecting a field name but got '{field.text or '<EOF>'}'.", field)
        self.take()
        op = self.operator()
        if op in ("in", "not in"):
            values = self.value_list()
        elif op in ("is", "is not"):
            if not self.tok.is_kw("empty", "null"):
                raise _error(f"Expecting 'EMPTY' or 'NULL' but got '{self.tok.text}'.", self.tok)
            values = (Value(self.take().text.upper()),)
        else:
            values = (self.value(),)
        return Clause(field.text, op, values, field.pos)

    def operator(self) -> str:
        token = self.take()
        if token.kind == "op":
            return token.text
        if token.is_kw("in"):
            return "in"
        if token.is_kw("not") and self.tok.is_kw("in"):
            self.take()
            return "not in"
        if token.is_kw("is"):
            if self.tok.is_kw("not"):
                self.take()
                return "is not"
            return "is"
        valid = ", ".join(f"'{o}'" for o in OPERATORS)
        raise _error(f"Expecting operator but got '{token.text or '<EOF>'}'. "
                     f"The valid operators are {valid}.", token)

    def value_list(self) -> tuple[Value, ...]:
        if self.tok.kind != "(":
            raise _error(f"Expecting '(' but got '{self.tok.text}'.", self.tok)
        self.take()
        values = [self.value()]
        while self.tok.kind == ",":
            self.take()
            values.append(self.value())
        if self.tok.kind != ")":
            raise _error(f"Expecting ')' but got '{self.tok.text}'.", self.tok)
        self.take()
        return tuple(values)

    def value(self) -> Value:
        token = self.tok
        if token.kind == "string":
            self.take()
            return Value(token.text, quoted=True)
        if token.kind == "word" and token.text.lower() not in KEYWORDS:
            self.take()
            if self.tok.kind == "(":
                return self.function(token)
            return Value(token.text)
        raise _error("Expecting either a value, list or function but got "
                     f"'{token.text or '<EOF>'}'.", token)

    def function(self, name: Token) -> Value:
        depth = 0
        while True:
            token = self.take()
            depth += {"(": 1, ")": -1}.get(token.kind, 0)
            if token.kind == "eof":
                raise _error("Expecting ')' but got '<EOF>'.", token)
            if depth == 0:
                return Value(f"{name.text}()", function=True)

    def order_by(self) -> tuple[tuple[str, bool], ...]:
        self.take()
        if not self.tok.is_kw("by"):
            raise _error(f"Expecting 'by' but got '{self.tok.text}'.", self.tok)
        self.take()
        order = [self.sort_key()]
        while self.tok.kind == ",":
            self.take()
            order.append(self.sort_key())
        return tuple(order)

    def sort_key(self) -> tuple[str, bool]:
        token = self.tok
        if token.kind not in ("word", "string") or token.is_kw(*KEYWORDS):
            raise _error(f"Expecting a field name but got '{token.text or '<EOF>'}'.", token)
        self.take()
        descending = False
        if self.tok.is_kw("asc", "desc"):
            descending = self.take().text.lower() == "desc"
        return token.text, descending


def parse(text: str) -> Query:
    """Parse a JQL query; raises JqlError with Jira's message on a syntax error."""
    return _Parser(text).query()
