"""Name normalisation shared by every signal: split camelCase/snake_case, expand abbreviations."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from mapper.propose.knowledge import abbreviations, vocabulary

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[^a-z0-9]+")
_DIGITS = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")
# Platform affixes that carry no meaning for matching: Salesforce __c, Odoo x_, Dataverse new_.
_AFFIXES = re.compile(r"(__c|__r)$|^(x_studio_|x_|new_|dent_|bw_)", re.I)


def ascii_fold(text: str) -> str:
    """`Café Número` -> `Cafe Numero` (accents dropped, other non-ASCII kept)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def tokens(name: str, strip_affixes: bool = True) -> tuple[str, ...]:
    """Lower-case word tokens of a name: `MailingPostalCode` -> (mailing, postal, code)."""
    text = ascii_fold(name.strip())
    parts: list[str] = []
    for chunk in re.split(r"[.\s/]+", text):
        if strip_affixes:
            chunk = _AFFIXES.sub("", chunk)
        chunk = _CAMEL.sub(" ", chunk).lower()
        chunk = _DIGITS.sub(" ", chunk)
        parts.extend(p for p in _SPLIT.split(chunk) if p)
    return tuple(parts)


@lru_cache(maxsize=65536)
def expanded(name: str, strip_affixes: bool = True) -> tuple[str, ...]:
    """Tokens with abbreviations expanded (`patdob` stays one token; `pat_dob` -> patient date of birth)."""
    table = abbreviations()
    out: list[str] = []
    for tok in tokens(name, strip_affixes):
        for part in segment(tok):
            out.extend(table.get(part, (part,)))
    return tuple(out)


@lru_cache(maxsize=65536)
def segment(token: str) -> tuple[str, ...]:
    """Split a run-together token into known words (`emailaddr` -> email, addr); unchanged when unsure."""
    vocab = vocabulary()
    if token in vocab or len(token) < 5 or token.isdigit():
        return (token,)
    n = len(token)
    # best[i]: fewest pieces covering token[:i] with known words (digits allowed as pieces).
    best: list[tuple[int, tuple[str, ...]] | None] = [None] * (n + 1)
    best[0] = (0, ())
    for i in range(1, n + 1):
        for j in range(max(0, i - 16), i):
            prev = best[j]
            piece = token[j:i]
            if prev is None or not (piece in vocab or piece.isdigit()):
                continue
            cand = (prev[0] + 1, prev[1] + (piece,))
            if best[i] is None or cand[0] < best[i][0]:  # type: ignore[index]
                best[i] = cand
    found = best[n]
    return found[1] if found is not None else (token,)


@lru_cache(maxsize=65536)
def key(name: str) -> str:
    """A comparable key: expanded tokens joined by `_`."""
    return "_".join(expanded(name))


@lru_cache(maxsize=65536)
def exact_key(name: str) -> str:
    """Like key() but keeping platform affixes: Odoo `create_date` and a custom `x_create_date` differ."""
    return "_".join(expanded(name, False))


def words(name: str) -> str:
    """Expanded tokens joined by spaces (what fuzzy matching and embeddings see)."""
    return " ".join(expanded(name))
