"""The SOQL subset bridgework sends: SELECT fields|COUNT() FROM X [WHERE ...] [ORDER BY ...] [LIMIT n] [OFFSET n].

WHERE takes AND/OR/NOT, parentheses, =, !=, <>, <, <=, >, >=, [NOT] IN (...), LIKE, with string, number,
boolean, null and date/datetime literals. Text comparisons ignore case, as SOQL's do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from connectors.emulators._salesforce_objects import SalesforceError

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<string>'(?:[^'\\]|\\.)*')
    | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
    | (?P<date>\d{4}-\d{2}-\d{2})
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<op><=|>=|!=|<>|=|<|>)
    | (?P<punct>[(),])
    | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""", re.X)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\",
            "%": "\\%", "_": "\\_"}
_RESERVED = frozenset({"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "LIMIT", "OFFSET",
                       "NULL", "TRUE", "FALSE", "ASC", "DESC", "NULLS"})
Expr = tuple[Any, ...]


def located(text: str, position: int, code: str, message: str) -> SalesforceError:
    """An error with the query echoed and a caret under `position`, as Salesforce words SOQL errors."""
    return SalesforceError(code, f"\n{text}\n{' ' * position}^\nERROR at Row:1:Column:{position + 1}\n{message}")


def word_at(text: str, word: str) -> int:
    """Where `word` first appears in the query as a whole word (0 when it does not)."""
    match = re.search(rf"(?<![\w.]){re.escape(word)}(?![\w])", text, re.I)
    return match.start() if match else 0


@dataclass
class Query:
    """A parsed SOQL query."""

    obj: str
    text: str = ""
    fields: list[str] = field(default_factory=list)
    count: bool = False
    where: Expr | None = None
    order: list[tuple[str, bool]] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0


def _unescape(text: str) -> str:
    # \% and \_ stay escaped (they only mean something inside LIKE patterns).
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def _tokens(text: str) -> list[tuple[str, Any, int]]:
    out: list[tuple[str, Any, int]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            start = len(text) - len(text[pos:].lstrip())
            raise located(text, start, "MALFORMED_QUERY", f"unexpected token: '{text[start:].split()[0][:20]}'")
        kind = match.lastgroup or ""
        raw = match.group(kind)
        value: Any = raw
        if kind == "string":
            value = _unescape(raw)
        elif kind == "datetime":
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(timezone.utc)
            value, kind = moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000"), "string"
        elif kind == "date":
            kind = "string"
        elif kind == "number":
            value = float(raw) if "." in raw else int(raw)
        out.append((kind, value, match.start(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text.rstrip()
        self.tokens = _tokens(self.text)
        self.i = 0

    def fail(self, message: str | None = None) -> SalesforceError:
        """MALFORMED_QUERY at the current token."""
        if self.i >= len(self.tokens):
            return located(self.text, len(self.text), "MALFORMED_QUERY", message or "unexpected end of query")
        _, value, position = self.tokens[self.i]
        return located(self.text, position, "MALFORMED_QUERY", message or f"unexpected token: '{value}'")

    def peek(self, word: str | None = None) -> bool:
        if self.i >= len(self.tokens):
            return False
        kind, value, _ = self.tokens[self.i]
        if word is None:
            return True
        return (kind == "word" and str(value).upper() == word) or (kind in ("punct", "op") and value == word)

    def take(self, word: str | None = None) -> tuple[str, Any]:
        if self.i >= len(self.tokens) or (word is not None and not self.peek(word)):
            raise self.fail()
        kind, value, _ = self.tokens[self.i]
        self.i += 1
        return kind, value

    def name(self) -> str:
        if self.i < len(self.tokens) and (self.tokens[self.i][0] != "word"
                                          or str(self.tokens[self.i][1]).upper() in _RESERVED):
            raise self.fail()
        return str(self.take()[1])

    def query(self) -> Query:
        self.take("SELECT")
        q = Query(obj="", text=self.text)
        if self.peek("COUNT"):
            self.take()
            self.take("(")
            self.take(")")
            q.count = True
        else:
            q.fields.append(self.name())
            while self.peek(","):
                self.take()
                q.fields.append(self.name())
        self.take("FROM")
        q.obj = self.name()
        if self.peek("WHERE"):
            self.take()
            q.where = self.disjunction()
        if self.peek("ORDER"):
            self.take()
            self.take("BY")
            while True:
                name = self.name()
                desc = False
                if self.peek("ASC") or self.peek("DESC"):
                    desc = str(self.take()[1]).upper() == "DESC"
                if self.peek("NULLS"):
                    self.take()
                    self.take()
                q.order.append((name, desc))
                if not self.peek(","):
                    break
                self.take()
        for word in ("LIMIT", "OFFSET"):
            if self.peek(word):
                self.take()
                if self.i >= len(self.tokens) or not isinstance(self.tokens[self.i][1], int):
                    raise self.fail()
                setattr(q, word.lower(), self.take()[1])
        if self.peek():
            raise self.fail()
        return q

    def disjunction(self) -> Expr:
        parts = [self.conjunction()]
        while self.peek("OR"):
            self.take()
            parts.append(self.conjunction())
        return ("or", parts) if len(parts) > 1 else parts[0]

    def conjunction(self) -> Expr:
        parts = [self.factor()]
        while self.peek("AND"):
            self.take()
            parts.append(self.factor())
        return ("and", parts) if len(parts) > 1 else parts[0]

    def factor(self) -> Expr:
        if self.peek("NOT"):
            self.take()
            return ("not", self.factor())
        if self.peek("("):
            self.take()
            inner = self.disjunction()
            self.take(")")
            return inner
        name = self.name()
        if self.peek("NOT") or self.peek("IN"):
            negated = self.peek("NOT")
            if negated:
                self.take()
            self.take("IN")
            self.take("(")
            values = [self.literal()]
            while self.peek(","):
                self.take()
                values.append(self.literal())
            self.take(")")
            return ("in", name, values, negated)
        if self.peek("LIKE"):
            self.take()
            if self.i < len(self.tokens) and self.tokens[self.i][0] != "string":
                raise self.fail()
            return ("like", name, self.literal())
        if self.i < len(self.tokens) and self.tokens[self.i][0] != "op":
            raise self.fail()
        op = self.take()[1]
        return ("cmp", name, "!=" if op == "<>" else op, self.literal())

    def literal(self) -> Any:
        if self.i >= len(self.tokens):
            raise self.fail()
        kind, value, _ = self.tokens[self.i]
        if kind in ("string", "number"):
            self.i += 1
            return value
        if kind == "word" and str(value).upper() in ("TRUE", "FALSE", "NULL"):
            self.i += 1
            return {"TRUE": True, "FALSE": False, "NULL": None}[str(value).upper()]
        raise self.fail()


def parse(text: str) -> Query:
    """Parse a SOQL query; MALFORMED_QUERY when it is outside the subset."""
    return _Parser(text).query()


def like_regex(pattern: str) -> re.Pattern[str]:
    """A LIKE pattern (% any run, _ one char, backslash escapes) as a case-insensitive regex."""
    out = ""
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out += re.escape(pattern[i + 1])
            i += 2
            continue
        out += ".*" if c == "%" else "." if c == "_" else re.escape(c)
        i += 1
    return re.compile(f"^{out}$", re.I | re.S)


def _fold(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _compare(have: Any, op: str, want: Any) -> bool:
    have, want = _fold(have), _fold(want)
    if op == "=":
        return bool(have == want)
    if op == "!=":
        return bool(have != want)
    if have is None or want is None:
        return False
    try:
        return bool({"<": have < want, "<=": have <= want, ">": have > want, ">=": have >= want}[op])
    except TypeError:
        return False


def matches(expr: Expr | None, get: Callable[[str], Any]) -> bool:
    """True when the record (read through `get`) satisfies the WHERE expression."""
    if expr is None:
        return True
    kind = expr[0]
    if kind == "and":
        return all(matches(e, get) for e in expr[1])
    if kind == "or":
        return any(matches(e, get) for e in expr[1])
    if kind == "not":
        return not matches(expr[1], get)
    if kind == "in":
        have = _fold(get(expr[1]))
        found = any(have == _fold(v) for v in expr[2])
        return found != expr[3]
    if kind == "like":
        have = get(expr[1])
        return isinstance(have, str) and like_regex(expr[2]).match(have) is not None
    return _compare(get(expr[1]), expr[2], expr[3])


def field_names(expr: Expr | None) -> list[str]:
    """Every field name the WHERE expression mentions."""
    if expr is None:
        return []
    if expr[0] in ("and", "or"):
        return [n for e in expr[1] for n in field_names(e)]
    if expr[0] == "not":
        return field_names(expr[1])
    return [expr[1]]


def index_terms(expr: Expr | None) -> list[Expr]:
    """The top-level AND terms an index can answer: field = 'x', field IN (...), field LIKE 'x%'."""
    if expr is None:
        return []
    terms = expr[1] if expr[0] == "and" else [expr]
    return [t for t in terms if (t[0] == "in" and not t[3]) or (t[0] == "cmp" and t[2] == "=") or t[0] == "like"]
