"""Legal custom field/object names per destination (reference/destinations.md §1.3, 2.3, 3.3, 4.3)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from typing import Literal, get_args

DestinationKind = Literal["twenty", "salesforce", "dynamics", "odoo"]
DESTINATION_KINDS: tuple[str, ...] = get_args(DestinationKind)

DEFAULT_PREFIX = "bw_"
"""Dataverse publisher prefix bridgework uses unless the workspace sets another."""

MAX_NAME_LENGTH: dict[str, int] = {
    "twenty": 63,  # V
    "odoo": 63,  # V
    "salesforce": 40,  # V: API name before the __c suffix
    "dynamics": 50,  # A: schema name length incl. prefix
}

_EXTERNAL_ID: dict[str, str] = {
    "twenty": "bwExternalId",
    "odoo": "x_bw_external_id",
    "salesforce": "BW_External_Id__c",
}

_LEGAL: dict[str, re.Pattern[str]] = {
    "twenty": re.compile(r"^[a-z][a-zA-Z0-9]{0,62}$"),
    "odoo": re.compile(r"^x_[a-z0-9_]{1,61}$"),
    "salesforce": re.compile(r"^[A-Za-z](?!.*__.*__c$)[A-Za-z0-9_]{0,39}(?<!_)__c$"),
    "dynamics": re.compile(r"^[a-z][a-z0-9]*_[a-z0-9_]{1,48}$"),
}

_GRAPHQL_RESERVED = frozenset({"TRUE", "FALSE", "NULL"})


def words(text: str) -> list[str]:
    """Split a label or a source name into words: "PatientChartNo_2" -> [Patient, Chart, No, 2]."""
    ascii_text = unicodedata.normalize("NFKD", text.replace("ß", "ss")).encode("ascii", "ignore").decode("ascii")
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])", " ", ascii_text)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def _check_kind(kind: str) -> None:
    if kind not in DESTINATION_KINDS:
        raise ValueError(f"unknown destination kind {kind!r}; use one of {', '.join(DESTINATION_KINDS)}")


def _cut(name: str, limit: int, sep: str) -> str:
    return name[:limit].rstrip("_") if sep == "_" else name[:limit]


def _base(kind: str, label: str, prefix: str) -> tuple[str, str, str, int]:
    """(stem, suffix, separator for collisions, max stem length)."""
    parts = words(label) or ["field"]
    if kind == "twenty":
        stem = parts[0].lower() + "".join(p[:1].upper() + p[1:].lower() for p in parts[1:])
        if not stem[0].isalpha():
            stem = "f" + stem[:1].upper() + stem[1:]
        return stem, "", "", MAX_NAME_LENGTH["twenty"]
    if kind == "odoo":
        stem = "x_" + "_".join(p.lower() for p in parts)
        return stem, "", "_", MAX_NAME_LENGTH["odoo"]
    if kind == "salesforce":
        stem = "_".join(p[:1].upper() + p[1:] for p in parts)
        if not stem[0].isalpha():
            stem = "X" + stem
        return stem, "__c", "_", MAX_NAME_LENGTH["salesforce"]
    stem = prefix.lower() + "".join(p.lower() for p in parts)
    return stem, "", "", MAX_NAME_LENGTH["dynamics"]


def custom_field_name(
    kind: str,
    label: str,
    *,
    taken: Collection[str] = (),
    prefix: str = DEFAULT_PREFIX,
    max_length: int | None = None,
) -> str:
    """A legal, deterministic custom field name for `label`; suffixed 2, 3, ... when it collides with `taken`.

    Twenty `chartNumber`, Odoo `x_chart_number`, Salesforce `Chart_Number__c`, Dataverse `bw_chartnumber`.
    Collisions compare case-insensitively (Dataverse logical names and Salesforce API names do).
    """
    _check_kind(kind)
    stem, suffix, sep, limit = _base(kind, label, prefix)
    limit = min(limit, max_length - len(suffix)) if max_length is not None else limit
    used = {t.lower() for t in taken}
    candidate = _cut(stem, limit, sep) + suffix
    n = 2
    while candidate.lower() in used:
        tail = f"{sep}{n}"
        candidate = _cut(stem, limit - len(tail), sep) + tail + suffix
        n += 1
    return candidate


def custom_object_name(kind: str, label: str, *, taken: Collection[str] = (), prefix: str = DEFAULT_PREFIX) -> str:
    """A legal custom object name: Twenty `ledgerEntry`, Odoo `x_ledger_entry`, `Ledger_Entry__c`, `bw_ledgerentry`."""
    return custom_field_name(kind, label, taken=taken, prefix=prefix)


def external_id_field(kind: str, *, prefix: str = DEFAULT_PREFIX) -> str:
    """The field that carries bridgework's external id on every object it writes."""
    _check_kind(kind)
    return _EXTERNAL_ID.get(kind) or f"{prefix.lower()}externalid"


def check_custom_name(kind: str, name: str, *, prefix: str = DEFAULT_PREFIX) -> str | None:
    """Why `name` is not a legal custom name for `kind` (None when it is), with the legal spelling."""
    _check_kind(kind)
    legal = _LEGAL[kind].match(name) is not None
    if kind == "dynamics":
        legal = legal and name.startswith(prefix.lower())
    if kind == "twenty" and name.endswith("__c"):
        legal = False
    if legal:
        return None
    return f"'{name}' is not a legal {kind} custom name (try '{custom_field_name(kind, name, prefix=prefix)}')"


def enum_value(label: str, *, taken: Collection[str] = ()) -> str:
    """An enum-safe option value for Twenty SELECT/MULTI_SELECT: "Penicillin allergy" -> PENICILLIN_ALLERGY."""
    stem = "_".join(w.upper() for w in words(label)) or "OPTION"
    if not stem[0].isalpha() or stem in _GRAPHQL_RESERVED:
        stem = "OPTION_" + stem
    stem = stem[:63]
    used = set(taken)
    candidate, n = stem, 2
    while candidate in used:
        candidate = f"{stem[: 63 - len(str(n)) - 1]}_{n}"
        n += 1
    return candidate



def _bridgework_field(kind: str, words_: str, prefix: str) -> str:
    """A field bridgework itself owns: `bw` first so it sorts together and never clashes with a practice's own."""
    _check_kind(kind)
    if kind == "dynamics":
        return prefix.lower() + words_.replace(" ", "")
    if kind == "salesforce":
        return "BW_" + custom_field_name(kind, words_)
    return custom_field_name(kind, "bw " + words_)


def original_created_field(kind: str, *, prefix: str = DEFAULT_PREFIX) -> str:
    """The custom datetime field holding a record's original creation time where the destination drops it."""
    return _bridgework_field(kind, "original created at", prefix)


def original_updated_field(kind: str, *, prefix: str = DEFAULT_PREFIX) -> str:
    """The custom datetime field holding a record's original last-modified time."""
    return _bridgework_field(kind, "original updated at", prefix)
