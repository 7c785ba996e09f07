"""Name signal: fuzzy similarity of normalised, abbreviation-expanded names and labels (rapidfuzz)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz, process

from mapper.propose._text import words
from mapper.schema import Field


def _texts(field: Field) -> tuple[str, str]:
    name = words(field.name)
    label = words(field.label) if field.label else name
    return name, label


def name_matrix(sources: Sequence[Field], targets: Sequence[Field]) -> NDArray[np.float64]:
    """[source x target] similarity in [0, 1]: the best of name/label against name/label."""
    if not sources or not targets:
        return np.zeros((len(sources), len(targets)))
    src = [_texts(f) for f in sources]
    tgt = [_texts(f) for f in targets]
    best = np.zeros((len(sources), len(targets)), dtype=np.float64)
    for si in range(2):
        for ti in range(2):
            left = [s[si] for s in src]
            right = [t[ti] for t in tgt]
            # token_set_ratio rewards `mobile` vs `mobile phone`; ratio keeps `city` apart from `capacity`.
            m = process.cdist(left, right, scorer=fuzz.token_set_ratio, dtype=np.float32, workers=1)
            r = process.cdist(left, right, scorer=fuzz.ratio, dtype=np.float32, workers=1)
            np.maximum(best, 0.6 * m + 0.4 * r, out=best)
    return best / 100.0
