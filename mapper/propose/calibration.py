"""Calibration: raw combined scores -> probabilities that a candidate is right (isotonic, numpy only).

Two stages: the logistic `weights` rank every cell and `knots_*` calibrate them; when a `booster` is stored,
it re-scores each row's top candidates (mapper/propose/confidence.py) and `booster_knots_*` calibrate that.
The fitted calibration lives in mapper/knowledge/calibration.json, written by `python -m evals.calibrate`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mapper.propose.confidence import Booster, refine
from mapper.propose.knowledge import KNOWLEDGE_DIR

CALIBRATION_PATH = KNOWLEDGE_DIR / "calibration.json"

# Feature weights of the combined raw score before calibration (overridden by calibration.json).
DEFAULT_WEIGHTS: dict[str, float] = {
    "bias": -6.0, "name": 3.0, "embedding": 3.0, "type": 1.5, "knowledge": 4.0, "template": 4.0,
    "entity": 2.0, "incompatible": -3.0, "readonly": -1.0, "gap": 2.0,
}


def fit_isotonic(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[list[float], list[float]]:
    """Pool-adjacent-violators: a non-decreasing step curve through (x, y); returns knots (x, y)."""
    if len(x) == 0:
        return [0.0, 1.0], [0.0, 1.0]
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order].astype(np.float64)
    blocks: list[list[float]] = []  # [sum_y, weight, x_min, x_max]
    for xi, yi in zip(xs, ys, strict=True):
        blocks.append([float(yi), 1.0, float(xi), float(xi)])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, w, lo, hi = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += w
            blocks[-1][3] = hi
    steps: list[tuple[float, float, float]] = []  # (x_low, x_high, p), equal neighbours merged
    for s, w, lo, hi in blocks:
        # Never a flat 0 or 1: a few rows cannot prove certainty.
        p = round(min(max(s / w, 0.005), 0.995), 4)
        if steps and steps[-1][2] == p:
            steps[-1] = (steps[-1][0], hi, p)
        else:
            steps.append((lo, hi, p))
    kx = [round(v, 6) for lo, hi, _ in steps for v in (lo, hi)]
    ky = [p for _, _, p in steps for _ in (0, 1)]
    return kx, ky


@dataclass(frozen=True, slots=True)
class Calibration:
    """Feature weights, the isotonic curve and the two decision thresholds."""

    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    knots_x: tuple[float, ...] = ()
    knots_y: tuple[float, ...] = ()
    auto_accept: float = 0.9
    """Calibrated score at or above which a proposal may be accepted without review."""
    no_match: float = 0.3
    """Below this best score the proposal is 'create a custom field' instead of a weak match."""
    method: str = "default"
    booster: Booster | None = None
    """Second stage over each row's top candidates (None: the first-stage curve scores every cell)."""
    booster_knots_x: tuple[float, ...] = ()
    booster_knots_y: tuple[float, ...] = ()

    def apply(self, raw: NDArray[np.float64]) -> NDArray[np.float64]:
        """First-stage probabilities for raw scores (identity when no curve was fitted)."""
        if not self.knots_x:
            return np.clip(raw, 0.0, 1.0)
        out: NDArray[np.float64] = np.interp(raw, np.array(self.knots_x), np.array(self.knots_y))
        return out

    def scores(self, raw: NDArray[np.float64], feats: dict[str, NDArray[np.float64]],
               groups: NDArray[np.int64]) -> NDArray[np.float64]:
        """Calibrated scores of a [source x target] table: first stage, then the booster when there is one.

        groups: the source entity index of every row."""
        base = self.apply(raw)
        if self.booster is None or not self.booster_knots_x or raw.size == 0:
            return base
        return refine(raw, base, feats, groups, self.booster, (self.booster_knots_x, self.booster_knots_y))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        out: dict[str, Any] = {"method": self.method, "weights": self.weights, "knots_x": list(self.knots_x),
                               "knots_y": list(self.knots_y), "auto_accept": self.auto_accept, "no_match": self.no_match}
        if self.booster is not None:
            out.update(booster_knots_x=list(self.booster_knots_x), booster_knots_y=list(self.booster_knots_y),
                       booster=self.booster.to_dict())
        return out

    def save(self, path: Path = CALIBRATION_PATH) -> None:
        """Write the calibration file."""
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")


@lru_cache(maxsize=4)
def load_calibration(path: Path = CALIBRATION_PATH) -> Calibration:
    """The stored calibration, or defaults when the file is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        booster = Booster.from_dict(data["booster"]) if data.get("booster") else None
        return Calibration(
            weights={**DEFAULT_WEIGHTS, **{str(k): float(v) for k, v in data.get("weights", {}).items()}},
            knots_x=tuple(float(v) for v in data.get("knots_x", ())),
            knots_y=tuple(float(v) for v in data.get("knots_y", ())),
            auto_accept=float(data.get("auto_accept", 0.9)),
            no_match=float(data.get("no_match", 0.3)),
            method=str(data.get("method", "stored")),
            booster=booster,
            booster_knots_x=tuple(float(v) for v in data.get("booster_knots_x", ())),
            booster_knots_y=tuple(float(v) for v in data.get("booster_knots_y", ())),
        )
    except (OSError, ValueError, TypeError, AttributeError, KeyError):
        return Calibration()
