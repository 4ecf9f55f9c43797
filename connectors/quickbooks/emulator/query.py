"""The QBO query language subset, parsed with a tokenizer and a recursive-descent parser.

    SELECT * | COUNT(*) FROM Entity
      [WHERE field op value [AND field op value ...]]
      [ORDERBY field [ASC|DESC] [, ...]] [STARTPOSITION n] [MAXRESULTS n]

Strings are single-quoted with backslash escapes (`'O\\'Brien'`). Because values come out of
the tokenizer as whole tokens, an unescaped quote or an `OR 1=1` cannot change the meaning
of a query: it is a parse error (400 QueryParserError), as on QBO.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ml_connector.connectors.quickbooks.emulator import errors

KEYWORDS = {"SELECT", "FROM", "WHERE", "AND", "IN", "LIKE", "ORDERBY", "ASC", "DESC",
            "STARTPOSITION", "MAXRESULTS", "COUNT", "TRUE", "FALSE"}
COMPARISONS = ("<=", ">=", "=", "<", ">")
PUNCTUATION = ("(", ")", ",", "*")


@dataclass(frozen=True)
class Token:
    kind: str  # "keyword", "ident", "string", "number", "op", "punct", "end"
    text: str
    value: Any
    column: int


@dataclass(frozen=True)
class Condition:
    field: str
    op: str  # one of COMPARISONS, "IN", "LIKE"
    values: tuple[Any, ...]


@dataclass
class Query:
    entity: str
    count: bool = False
    where: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    start: int = 1
    max_results: int | None = None


def tokenize(text: str) -> list[Token]:
    """Split a statement into tokens; any character outside the grammar is an error."""
    tokens, pos = [], 0
    while pos < len(text):
        char = text[pos]
        if char.isspace():
            pos += 1
        elif char == "'":
            value, end = _string(text, pos)
            tokens.append(Token("string", text[pos:end], value, pos + 1))
            pos = end
        elif char.isdigit() or (char == "-" and text[pos + 1:pos + 2].isdigit()):
            end = _scan(text, pos + 1, lambda c: c.isdigit() or c == ".")
            tokens.append(Token("number", text[pos:end], _number(text[pos:end], pos), pos + 1))
            pos = end
        elif char.isalpha() or char == "_":
            end = _scan(text, pos, lambda c: c.isalnum() or c in "_.")
            word = text[pos:end]
            kind = "keyword" if word.upper() in KEYWORDS else "ident"
            tokens.append(Token(kind, word, word.upper() if kind == "keyword" else word, pos + 1))
            pos = end
        else:
            pos = _symbol(text, pos, tokens)
    tokens.append(Token("end", "<EOF>", None, len(text) + 1))
    return tokens


def _symbol(text: str, pos: int, tokens: list[Token]) -> int:
    for op in COMPARISONS:
        if text.startswith(op, pos):
            tokens.append(Token("op", op, op, pos + 1))
            return pos + len(op)
    if text[pos] in PUNCTUATION:
        tokens.append(Token("punct", text[pos], text[pos], pos + 1))
        return pos + 1
    raise errors.query_parser_error(f"Encountered \"{text[pos]}\" at line 1, column {pos + 1}.")


def _scan(text: str, pos: int, accept: Any) -> int:
    while pos < len(text) and accept(text[pos]):
        pos += 1
    return pos


def _string(text: str, start: int) -> tuple[str, int]:
    """A quoted literal; a backslash takes the next character literally."""
    chars, pos = [], start + 1
    while pos < len(text):
        char = text[pos]
        if char == "\\" and pos + 1 < len(text):
            chars.append(text[pos + 1])
            pos += 2
        elif char == "'":
            return "".join(chars), pos + 1
        else:
            chars.append(char)
            pos += 1
    raise errors.query_parser_error(f"Lexical error at line 1, column {start + 1}: "
                                    "unterminated string literal.")


def _number(text: str, pos: int) -> Decimal:
    if text.count(".") > 1 or text.endswith("."):
        raise errors.query_parser_error(f"Encountered \"{text}\" at line 1, column {pos + 1}.")
    return Decimal(text)


class _Parser:
    def __init__(self, tokens: list[Token]):
        self.tokens, self.index = tokens, 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.current
        self.index += 1
        return token

    def accept(self, kind: str, text: str | None = None) -> Token | None:
        token = self.current
        if token.kind == kind and (text is None or token.value == text):
            return self.advance()
        return None

    def expect(self, kind: str, text: str | None = None, what: str = "") -> Token:
        token = self.accept(kind, text)
        if token is None:
            found = self.current
            raise errors.query_parser_error(
                f"Encountered \"{found.text}\" at line 1, column {found.column}. "
                f"Was expecting: {what or text or kind}")
        return token


def parse(text: str) -> Query:
    """Parse a statement, or raise the 400 QueryParserError QBO answers."""
    parser = _Parser(tokenize(text))
    parser.expect("keyword", "SELECT")
    count = _projection(parser)
    parser.expect("keyword", "FROM")
    query = Query(entity=parser.expect("ident", what="an entity name").value, count=count)
    if parser.accept("keyword", "WHERE"):
        query.where.append(_condition(parser))
        while parser.accept("keyword", "AND"):
            query.where.append(_condition(parser))
    if parser.accept("keyword", "ORDERBY"):
        query.order.append(_order(parser))
        while parser.accept("punct", ","):
            query.order.append(_order(parser))
    if parser.accept("keyword", "STARTPOSITION"):
        query.start = _integer(parser)
    if parser.accept("keyword", "MAXRESULTS"):
        query.max_results = _integer(parser)
    parser.expect("end", what="end of statement")
    return query


def _projection(parser: _Parser) -> bool:
    if parser.accept("keyword", "COUNT"):
        parser.expect("punct", "(")
        parser.expect("punct", "*")
        parser.expect("punct", ")")
        return True
    if not parser.accept("punct", "*"):
        parser.expect("ident", what="* or a property name")
    while parser.accept("punct", ","):
        parser.expect("ident", what="a property name")
    return False


def _condition(parser: _Parser) -> Condition:
    name = parser.expect("ident", what="a property name").value
    if parser.accept("keyword", "IN"):
        parser.expect("punct", "(")
        values = [_value(parser)]
        while parser.accept("punct", ","):
            values.append(_value(parser))
        parser.expect("punct", ")")
        return Condition(name, "IN", tuple(values))
    if parser.accept("keyword", "LIKE"):
        return Condition(name, "LIKE", (parser.expect("string", what="a quoted pattern").value,))
    op = parser.expect("op", what="one of = < > <= >= IN LIKE").value
    return Condition(name, op, (_value(parser),))


def _value(parser: _Parser) -> Any:
    token = parser.current
    if token.kind in ("string", "number"):
        return parser.advance().value
    if token.kind == "keyword" and token.value in ("TRUE", "FALSE"):
        return parser.advance().value == "TRUE"
    raise errors.query_parser_error(f"Encountered \"{token.text}\" at line 1, column "
                                    f"{token.column}. Was expecting: a value")


def _order(parser: _Parser) -> tuple[str, bool]:
    name = parser.expect("ident", what="a property name").value
    if parser.accept("keyword", "DESC"):
        return name, True
    parser.accept("keyword", "ASC")
    return name, False


def _integer(parser: _Parser) -> int:
    token = parser.expect("number", what="a whole number")
    if token.value != token.value.to_integral_value():
        raise errors.query_parser_error(f"Encountered \"{token.text}\" at line 1, column "
                                        f"{token.column}. Was expecting: a whole number")
    return int(token.value)
