"""Type and value-profile compatibility: an email column must not go to a phone field."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from mapper.schema import FIELD_TYPES, Field

_T = {t: i for i, t in enumerate(FIELD_TYPES)}

# Which normalised types can hold which (1 = natural, 0.6 = fine with a transform, 0.3 = lossy/odd, 0 = wrong).
_GOOD: dict[str, dict[str, float]] = {
    "string": {"string": 1, "text": 1, "enum": 0.7, "email": 0.5, "phone": 0.5, "url": 0.5, "reference": 0.4,
               "int": 0.3, "decimal": 0.3, "money": 0.3, "date": 0.3, "datetime": 0.3, "bool": 0.2, "json": 0.3},
    "text": {"text": 1, "string": 0.8, "json": 0.3, "enum": 0.2},
    "int": {"int": 1, "decimal": 0.9, "money": 0.6, "string": 0.6, "reference": 0.8, "enum": 0.6, "bool": 0.4},
    "decimal": {"decimal": 1, "money": 0.9, "int": 0.6, "string": 0.4},
    "money": {"money": 1, "decimal": 0.9, "int": 0.5, "string": 0.3},
    "bool": {"bool": 1, "enum": 0.6, "string": 0.4, "int": 0.4},
    "date": {"date": 1, "datetime": 0.9, "string": 0.4},
    "datetime": {"datetime": 1, "date": 0.8, "string": 0.4},
    "email": {"email": 1, "string": 0.7, "text": 0.4},
    "phone": {"phone": 1, "string": 0.7, "text": 0.3},
    "url": {"url": 1, "string": 0.7, "file": 0.5},
    "enum": {"enum": 1, "string": 0.8, "bool": 0.5, "int": 0.4, "reference": 0.4},
    "reference": {"reference": 1, "int": 0.6, "string": 0.5, "enum": 0.3},
    "json": {"json": 1, "text": 0.8, "string": 0.5},
    "file": {"file": 1, "url": 0.6},
}

_MATRIX = np.zeros((len(FIELD_TYPES), len(FIELD_TYPES)))
for _s, _row in _GOOD.items():
    for _t, _v in _row.items():
        _MATRIX[_T[_s], _T[_t]] = _v

# A dominant value pattern overrides a vague declared type (Dentrix stores phones in char columns).
_PATTERN_TYPE = {"email": "email", "phone": "phone", "e164": "phone", "date": "date", "datetime": "datetime",
                 "money": "money", "guid": "string", "url": "url", "bool": "bool", "cdt": "string"}


def effective_type(field: Field) -> str:
    """The declared type, sharpened by the value profile when a pattern dominates."""
    p = field.profile
    if p is not None and p.count > 0 and field.type in ("string", "text", "int", "enum"):
        pattern = p.dominant_pattern(0.7)
        if pattern in _PATTERN_TYPE:
            return _PATTERN_TYPE[pattern]
    return field.type


def type_matrix(sources: Sequence[Field], targets: Sequence[Field]) -> NDArray[np.float64]:
    """[source x target] compatibility in [0, 1]."""
    si = np.array([_T.get(effective_type(f), 0) for f in sources], dtype=np.int64)
    ti = np.array([_T.get(f.type, 0) for f in targets], dtype=np.int64)
    if not len(si) or not len(ti):
        return np.zeros((len(si), len(ti)))
    return _MATRIX[si[:, None], ti[None, :]]


def pattern_note(field: Field) -> str:
    """'values look like phone numbers' when a pattern dominates, else ''."""
    p = field.profile
    if p is None or p.count == 0:
        return ""
    pattern = p.dominant_pattern(0.7)
    if pattern is None:
        return ""
    nice = {"e164": "phone numbers", "phone": "phone numbers", "email": "email addresses", "date": "dates",
            "datetime": "timestamps", "money": "amounts", "cdt": "CDT codes", "tooth": "tooth numbers",
            "guid": "GUIDs", "int": "whole numbers", "bool": "yes/no flags", "url": "web addresses"}
    return f"values look like {nice.get(pattern, pattern)}"
