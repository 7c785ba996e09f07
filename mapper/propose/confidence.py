"""Second-stage confidence: how likely each of a row's top candidates is right, from what the first-stage
logistic cannot express (the lead over the rest of the row AND over the rest of the column, whether the
knowledge hit is unique, how names and meanings agree, how much of the source entity matches at all).

A small boosted tree ensemble (fitted by `python -m evals.calibrate` on the robustness variants, stored in
calibration.json, evaluated here with numpy alone) scores the top `depth` candidates of every row; an
isotonic curve turns its output into a probability.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

FEATURES: tuple[str, ...] = ("z", "rgap", "cgap", "kn", "kc", "kcc", "name", "emb", "typ", "ent", "ngap", "egap",
                             "size", "dens", "ro")
"""Per-candidate inputs, see `features()`."""


def lead(m: NDArray[np.float64], cap: float = 6.0) -> NDArray[np.float64]:
    """Per cell: its lead over the best other cell of its row (negative: behind the row's best), clipped;
    the full `cap` when the row has no other cell."""
    if m.shape[1] < 2:
        return np.full(m.shape, cap)
    top2 = -np.sort(-m, axis=1)[:, :2]
    out: NDArray[np.float64] = np.clip(np.where(m >= top2[:, :1], m - top2[:, 1:2], m - top2[:, :1]), -cap, cap)
    return out


def top_columns(raw: NDArray[np.float64], depth: int) -> NDArray[np.int64]:
    """[rows x depth] the columns of each row's best first-stage scores, best first (ties: lower column)."""
    k = min(depth, raw.shape[1])
    out: NDArray[np.int64] = np.argsort(-raw, axis=1, kind="stable")[:, :k].astype(np.int64)
    return out


def features(raw: NDArray[np.float64], feats: Mapping[str, NDArray[np.float64]], groups: NDArray[np.int64],
             cells: NDArray[np.int64]) -> NDArray[np.float64]:
    """[rows x depth x FEATURES] the inputs of the cells `cells` ([rows x depth] column indices).

    raw: first-stage scores in (0, 1); feats: the signal matrices; groups: source entity index per row.
    """
    n, m = raw.shape
    zero = np.zeros((n, m))
    p = np.clip(raw, 1e-9, 1 - 1e-9)
    z = np.log(p / (1 - p))
    kn = feats.get("knowledge", zero)
    name, emb = feats.get("name", zero), feats.get("embedding", zero)
    row_best = z.max(axis=1) if m else np.zeros(n)
    size = np.zeros(n)
    dens = np.zeros(n)
    for g in np.unique(groups):
        rows = groups == g
        size[rows] = rows.sum()
        dens[rows] = float(np.mean(row_best[rows] > 0))
    r = np.arange(n)[:, None]

    def at(mat: NDArray[np.float64]) -> NDArray[np.float64]:
        out: NDArray[np.float64] = mat[r, cells]
        return out

    def per_row(v: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.broadcast_to(v[:, None], cells.shape)

    cols = {
        "z": np.clip(at(z), -10, 10), "rgap": at(lead(z)), "cgap": at(lead(z.T).T), "kn": at(kn),
        "kc": per_row(kn.sum(axis=1)), "kcc": kn.sum(axis=0)[cells], "name": at(name), "emb": at(emb),
        "typ": at(feats.get("type", np.ones((n, m)))), "ent": at(feats.get("entity", zero)),
        "ngap": at(lead(name)), "egap": at(lead(emb)), "size": per_row(size), "dens": per_row(dens),
        "ro": at(feats.get("readonly", zero)),
    }
    return np.stack([np.asarray(cols[f], dtype=np.float64) for f in FEATURES], axis=-1)


@dataclass(frozen=True, eq=False)
class Booster:
    """Boosted regression trees (sum of leaf values + baseline = log-odds), as plain arrays (compared by identity)."""

    features: tuple[str, ...]
    baseline: float
    feature: NDArray[np.int64]
    """[trees x nodes] split feature (leaves: 0)."""
    threshold: NDArray[np.float64]
    left: NDArray[np.int64]
    right: NDArray[np.int64]
    leaf: NDArray[np.bool_]
    value: NDArray[np.float64]
    missing_left: NDArray[np.bool_]
    n_nodes: tuple[int, ...]
    """Nodes per tree (the arrays are padded to the largest)."""
    depth: int = 5
    """How many first-stage candidates per row it re-scores."""

    def predict(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Log-odds for rows of `x` ([n x features])."""
        n, t = x.shape[0], self.feature.shape[0]
        if n == 0:
            return np.zeros(0)
        trees = np.arange(t)[None, :]
        node = np.zeros((n, t), dtype=np.int64)
        rows = np.arange(n)[:, None]
        for _ in range(self.feature.shape[1]):
            done = self.leaf[trees, node]
            if done.all():
                break
            v = x[rows, self.feature[trees, node]]
            go_left = np.where(np.isnan(v), self.missing_left[trees, node], v <= self.threshold[trees, node])
            node = np.where(done, node, np.where(go_left, self.left[trees, node], self.right[trees, node]))
        out: NDArray[np.float64] = np.asarray(self.baseline + self.value[trees, node].sum(axis=1), dtype=np.float64)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: one list per tree and array (floats at full precision: a rounded threshold moves a split)."""
        sizes = self.n_nodes

        def rows(a: NDArray[Any], cast: type) -> list[list[Any]]:
            return [[cast(v) for v in a[i, :s]] for i, s in enumerate(sizes)]

        return {"features": list(self.features), "baseline": self.baseline, "depth": self.depth,
                "feature": rows(self.feature, int), "threshold": rows(self.threshold, float),
                "left": rows(self.left, int), "right": rows(self.right, int),
                "leaf": rows(self.leaf.astype(np.int64), int), "value": rows(self.value, float),
                "missing_left": rows(self.missing_left.astype(np.int64), int)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Booster:
        """Inverse of to_dict (trees padded to one width; padding nodes are never reached)."""
        trees: Sequence[Sequence[int]] = data["feature"]
        width = max((len(t) for t in trees), default=1)

        def pad(key: str, dtype: Any, fill: Any) -> NDArray[Any]:
            out = np.full((len(trees), width), fill, dtype=dtype)
            for i, row in enumerate(data[key]):
                out[i, : len(row)] = row
            return out

        return cls(features=tuple(str(f) for f in data["features"]), baseline=float(data["baseline"]),
                   feature=pad("feature", np.int64, 0), threshold=pad("threshold", np.float64, 0.0),
                   left=pad("left", np.int64, -1), right=pad("right", np.int64, -1),
                   leaf=pad("leaf", np.int64, 1).astype(bool), value=pad("value", np.float64, 0.0),
                   missing_left=pad("missing_left", np.int64, 1).astype(bool),
                   n_nodes=tuple(len(t) for t in trees), depth=int(data.get("depth", 5)))


PROMOTE = 0.5
RESCORE_FROM = 0.2
"""First-stage probability from which the second stage re-scores a candidate."""
"""The second stage may lift a candidate above a first-stage better one only when it holds it more likely
right than not; below that the first-stage order stands (its scores are capped along that order)."""


def refine(raw: NDArray[np.float64], base: NDArray[np.float64], feats: Mapping[str, NDArray[np.float64]],
           groups: NDArray[np.int64], booster: Booster, curve: tuple[Sequence[float], Sequence[float]]) -> NDArray[np.float64]:
    """Calibrated scores: the booster's (through `curve`) for each row's top candidates; every other cell keeps
    its first-stage probability `base`, capped at the row's lowest re-scored candidate so it stays below them."""
    if raw.size == 0:
        return base
    cells = top_columns(raw, booster.depth)
    x = features(raw, feats, groups, cells)
    logit = booster.predict(x.reshape(-1, x.shape[-1])).reshape(cells.shape)
    s2 = np.interp(logit, np.asarray(curve[0]), np.asarray(curve[1]))
    # Only candidates the first stage finds plausible are re-scored: far below that the trees see schemas
    # unlike any they were fitted on (a lone date column lifted onto an event's end), and are not trusted.
    first = np.take_along_axis(base, cells, axis=1)
    s2 = np.where(first >= RESCORE_FROM, s2, first)
    for k in range(1, s2.shape[1]):
        # A doubtful candidate never outranks one the first stage put before it.
        s2[:, k] = np.where(s2[:, k] >= PROMOTE, s2[:, k], np.minimum(s2[:, k], s2[:, :k].min(axis=1)))
    out: NDArray[np.float64] = np.minimum(base, s2.min(axis=1, keepdims=True))
    np.put_along_axis(out, cells, s2, axis=1)
    return out
