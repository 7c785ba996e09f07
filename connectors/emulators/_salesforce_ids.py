"""Salesforce record ids: 3-char key prefix + 12 base-62 chars, plus the 3-char case-safe suffix (18 chars)."""

from __future__ import annotations

import re
import sqlite3

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")
POD = "5g0"  # instance/pod characters after the key prefix, fixed for the emulator


def checksum(id15: str) -> str:
    """The 3-char suffix: one bit per uppercase letter in each 5-char chunk."""
    out = ""
    for chunk in range(3):
        bits = sum(1 << i for i, c in enumerate(id15[chunk * 5:chunk * 5 + 5]) if "A" <= c <= "Z")
        out += _SUFFIX[bits]
    return out


def to18(value: str) -> str | None:
    """The 18-char form of a 15- or 18-char id, or None when it is not a well-formed id."""
    if not _ID.match(value):
        return None
    head = value[:15]
    full = head + checksum(head)
    return full if len(value) == 15 or value[15:].upper() == full[15:] else None


class IdMint:
    """Issues ids per key prefix from a persistent counter."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        db.execute("CREATE TABLE IF NOT EXISTS id_counters (prefix TEXT PRIMARY KEY, n INTEGER)")
        self.api_user = self.fixed("005", 1)

    @staticmethod
    def base62(n: int, width: int) -> str:
        """`n` in base 62, left-padded with zeros to `width`."""
        digits = ""
        while n:
            n, r = divmod(n, 62)
            digits = _BASE62[r] + digits
        return digits.rjust(width, "0")

    def fixed(self, prefix: str, n: int) -> str:
        """The n-th id of a prefix (seeded records use small fixed numbers)."""
        head = prefix + POD + self.base62(n, 9)
        return head + checksum(head)

    def new(self, prefix: str) -> str:
        """The next id for `prefix` (counter starts above the seeded range)."""
        row = self.db.execute("INSERT INTO id_counters VALUES (?, 1000) ON CONFLICT(prefix) DO UPDATE SET n = n + 1 "
                              "RETURNING n", (prefix,)).fetchone()
        return self.fixed(prefix, int(row[0]))
