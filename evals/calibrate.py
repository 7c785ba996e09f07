"""Fit the scorer's feature weights and the isotonic calibration; write mapper/knowledge/calibration.json.

What is fitted on what (so nothing is fitted and reported on the same rows without saying so):
* The stored calibration is fitted on the robustness VARIANTS of every case (abbreviated, renamed,
  translated, description-less, values-less), never on the seed cases themselves.
* The reliability curve printed here is leave-one-case-out: for each case, weights and curve are
  re-fitted on the variants of the OTHER cases and applied to this case's seed rows.

Run: .venv/bin/python -m evals.calibrate evals/cases
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from evals.runner import Case, cold, find_cases, load_case
from evals.variants import variants_of
from mapper.propose import ProposerSettings, ScoreTable
from mapper.propose.calibration import DEFAULT_WEIGHTS, Calibration, fit_isotonic
from mapper.propose.proposer import check_schemas
from mapper.propose.scorer import combine

FEATURES = ("name", "embedding", "type", "knowledge", "template", "entity", "readonly")


@dataclass
class Prepared:
    """One case's feature matrices and labels."""

    case: Case
    feats: dict[str, NDArray[np.float64]]
    labels: NDArray[np.float64]
    """[source x target] 1 for a gold direct/relation target."""
    has_match: NDArray[np.bool_]
    """Per source row: gold has a direct/relation row."""
    no_match: NDArray[np.bool_]
    """Per source row: gold says custom/skip only."""
    skip_rule: NDArray[np.bool_]
    home: NDArray[np.bool_]
    """[source x target] True where the target is in an object the source entity lands in."""


def prepare(case: Case, settings: ProposerSettings) -> Prepared:
    """Feature matrices (calibration-free) and gold labels of one case."""
    source, destination = check_schemas(case.source, case.destination)
    table = ScoreTable.build(source, destination, case.destination_kind, settings)
    col = {(e.name, f.name): j for j, (e, f) in enumerate(table.tgt)}
    labels = np.zeros((len(table.src), len(table.tgt)))
    has_match = np.zeros(len(table.src), dtype=bool)
    no_match = np.zeros(len(table.src), dtype=bool)
    skip_rule = np.array([bool(table.skip_reason(i)) for i in range(len(table.src))], dtype=bool)
    home = np.ones((len(table.src), len(table.tgt)), dtype=bool)
    for i in range(len(table.src)):
        cols = table.home_columns(i)
        if cols is not None:
            home[i] = False
            home[i, cols] = True
    for i, (e, f) in enumerate(table.src):
        gold = case.gold_for(e.name, f.name)
        if not gold:
            continue
        direct = [g for g in gold if g.kind in ("direct", "relation")]
        if direct:
            has_match[i] = True
            for g in direct:
                j = col.get((g.tgt_ent, g.tgt_att))
                if j is not None:
                    labels[i, j] = 1.0
        else:
            no_match[i] = True
    return Prepared(case, table.feats, labels, has_match, no_match, skip_rule, home)


def _design(p: Prepared, per_row: int = 25) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Feature rows of the gold queries: every positive plus the `per_row` strongest negatives per query."""
    rows = np.flatnonzero(p.has_match | p.no_match)
    if not len(rows):
        return np.zeros((0, len(FEATURES) + 1)), np.zeros(0)
    shape = p.labels.shape
    mats = [p.feats.get(name, np.zeros(shape)) for name in FEATURES]
    hint = sum(mats[:-1])
    k = min(per_row, shape[1])
    pick = np.argpartition(-hint[rows], k - 1, axis=1)[:, :k] if k < shape[1] else np.tile(np.arange(shape[1]), (len(rows), 1))
    cells = {(int(r), int(c)) for r, cs in zip(rows, pick, strict=True) for c in cs}
    cells |= {(int(r), int(c)) for r, c in zip(*np.nonzero(p.labels), strict=True)}
    ri = np.array([r for r, _ in sorted(cells)], dtype=np.int64)
    ci = np.array([c for _, c in sorted(cells)], dtype=np.int64)
    cols = [m[ri, ci] for m in mats]
    cols.append((p.feats["type"][ri, ci] < 0.25).astype(float) if "type" in p.feats else np.zeros(len(ri)))
    return np.column_stack(cols), p.labels[ri, ci]


def fit_weights(prepared: Sequence[Prepared], iterations: int = 400) -> dict[str, float]:
    """Logistic regression (numpy gradient descent, class-balanced, L2) of gold on the features."""
    parts = [_design(p) for p in prepared]
    X = np.vstack([x for x, _ in parts])
    y = np.concatenate([t for _, t in parts])
    if not len(y) or y.sum() == 0:
        return dict(DEFAULT_WEIGHTS)
    pos_w = (len(y) - y.sum()) / max(y.sum(), 1.0)
    sample_w = np.where(y > 0, min(pos_w, 200.0), 1.0)
    sample_w /= sample_w.mean()
    w = np.array([DEFAULT_WEIGHTS[n] for n in FEATURES] + [DEFAULT_WEIGHTS["incompatible"]], dtype=np.float64) * 0.5
    b = -3.0
    lr = 0.5
    for _ in range(iterations):
        z = X @ w + b
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        g = (p - y) * sample_w
        w -= lr * (X.T @ g / len(y) + 1e-3 * w)
        b -= lr * g.mean()
    out = dict(DEFAULT_WEIGHTS)
    # A signal absent from the fit rows (templates in a cold fit) keeps its default weight.
    present = np.abs(X).sum(axis=0) > 0
    out.update({n: float(v) for n, v, seen in zip(FEATURES, w[: len(FEATURES)], present, strict=False) if seen})
    out["incompatible"] = float(w[-1])
    out["bias"] = float(b)
    return out


def fit_gap(prepared: Sequence[Prepared], weights: dict[str, float], iterations: int = 300) -> dict[str, float]:
    """Second stage: how much a candidate's lead over the rest of its row adds (logistic on z and gap).

    Fitted on the top candidates of every gold query, unweighted, so the output stays close to calibrated.
    """
    no_gap = Calibration(weights={**weights, "gap": 0.0})
    zs: list[NDArray[np.float64]] = []
    gaps: list[NDArray[np.float64]] = []
    ys: list[NDArray[np.float64]] = []
    for p in prepared:
        rows = np.flatnonzero(p.has_match | p.no_match)
        if not len(rows) or p.labels.shape[1] < 2:
            continue
        prob = np.clip(combine(p.feats, no_gap, frozenset())[rows], 1e-12, 1 - 1e-12)
        z = np.log(prob / (1 - prob))
        top2 = -np.sort(-z, axis=1)[:, :2]
        gap = np.clip(np.where(z >= top2[:, :1], z - top2[:, 1:2], z - top2[:, :1]), -4, 4)
        order = np.argsort(-z, axis=1, kind="stable")[:, :5]
        pick = np.take_along_axis
        zs.append(pick(z, order, axis=1).ravel())
        gaps.append(pick(gap, order, axis=1).ravel())
        ys.append(pick(p.labels[rows], order, axis=1).ravel())
    if not zs:
        return weights
    X = np.column_stack([np.concatenate(zs), np.concatenate(gaps)])
    y = np.concatenate(ys)
    a, c, d = 1.0, 0.0, 0.0
    for _ in range(iterations):
        t = a * X[:, 0] + c * X[:, 1] + d
        g = 1.0 / (1.0 + np.exp(-np.clip(t, -30, 30))) - y
        a -= 0.05 * float(g @ X[:, 0]) / len(y)
        c -= 0.05 * float(g @ X[:, 1]) / len(y)
        d -= 0.05 * float(g.mean())
    a = max(a, 0.05)
    out = {k: v * a if k in (*FEATURES, "incompatible") else v for k, v in weights.items()}
    out["bias"] = weights["bias"] * a + d
    # combine() computes the gap on the scaled score, so the gap weight is divided by the scale.
    out["gap"] = c / a
    return out


def _top_rows(p: Prepared, cal: Calibration, depth: int = 5) -> tuple[NDArray[np.float64], NDArray[np.float64], list[tuple[float, bool, bool]]]:
    """(raw, correct) for the top `depth` candidates of every gold query, and per query (best, right, is_match)."""
    raw = combine(p.feats, cal, frozenset())
    xs: list[float] = []
    ys: list[float] = []
    queries: list[tuple[float, bool, bool]] = []
    for i in np.flatnonzero(p.has_match | p.no_match):
        order = np.argsort(-raw[i], kind="stable")[:depth]
        xs.extend(raw[i, order].tolist())
        ys.extend(p.labels[i, order].tolist())
        if not p.skip_rule[i]:
            home = np.flatnonzero(p.home[i])
            best = float(raw[i, home].max()) if len(home) else -1.0
            queries.append((best, bool(p.labels[i, order[0]] > 0), bool(p.has_match[i])))
    return np.array(xs), np.array(ys), queries


def fit(prepared: Sequence[Prepared], method: str) -> Calibration:
    """Weights, isotonic curve and thresholds from prepared cases."""
    weights = fit_gap(prepared, fit_weights(prepared))
    base = Calibration(weights=weights, method=method)
    xs, ys, queries = [], [], []
    for p in prepared:
        x, y, q = _top_rows(p, base)
        xs.append(x)
        ys.append(y)
        queries.extend(q)
    kx, ky = fit_isotonic(np.concatenate(xs), np.concatenate(ys))
    cal = replace(base, knots_x=tuple(kx), knots_y=tuple(ky))
    return replace(cal, **_thresholds(cal, queries))


def _thresholds(cal: Calibration, queries: Sequence[tuple[float, bool, bool]]) -> dict[str, float]:
    """auto_accept: lowest score >= 0.9 whose accepted top-1s are >= 99% right; no_match: best match/no-match split."""
    if not queries:
        return {"auto_accept": 0.9, "no_match": 0.3}
    best = cal.apply(np.array([q[0] for q in queries]))
    right = np.array([q[1] for q in queries])
    is_match = np.array([q[2] for q in queries])
    auto = 0.99
    # Auto-accept must also read right to a person: never below a calibrated 0.9.
    for t in sorted({v for v in best.tolist() if v >= 0.9}):  # exact step values: rounding up would skip a step
        # Every proposal above t counts, custom/skip rows proposed as matches included (they are wrong).
        sel = best >= t
        if sel.sum() >= 10 and (right & is_match)[sel].mean() >= 0.99:
            auto = float(t)
            break
    no_match, best_acc = 0.3, -1.0
    for t in np.linspace(0.02, 0.8, 40):
        # Right decision: a match query above t whose top-1 is right, or a no-match query below t.
        acc = float(np.mean(np.where(is_match, (best >= t) & right, best < t)))
        if acc > best_acc:
            no_match, best_acc = float(t), acc
    return {"auto_accept": max(auto, no_match), "no_match": round(no_match, 4)}


def calibration_settings() -> ProposerSettings:
    """Cold settings (no templates) with an identity calibration: features only."""
    return cold(ProposerSettings(calibration=Calibration()))


def main(argv: Sequence[str]) -> int:
    """Fit on variants, write calibration.json, print the leave-one-case-out reliability table."""
    from evals.metrics import expected_calibration_error, reliability

    cases = [load_case(p) for p in find_cases([Path(a) for a in argv] or [Path("evals/cases")])]
    settings = calibration_settings()
    seeds = {c.name: prepare(c, settings) for c in cases}
    variants = {c.name: [prepare(v, settings) for v in variants_of(c)] for c in cases}
    everything = [p for c in cases for p in variants[c.name]]
    cal = fit(everything, "logistic + isotonic, fitted on the variants of every case")
    cal.save()
    print(f"calibration.json: auto_accept={cal.auto_accept} no_match={cal.no_match}")
    print("weights: " + ", ".join(f"{k}={v:.2f}" for k, v in sorted(cal.weights.items())))
    xs, ys = [], []
    for c in cases:
        others = [p for o in cases if o.name != c.name for p in variants[o.name]]
        loco = fit(others, "leave-one-case-out")
        x, y, _ = _top_rows(seeds[c.name], loco)
        xs.append(loco.apply(x))
        ys.append(y)
    x, y = np.concatenate(xs), np.concatenate(ys)
    print(f"leave-one-case-out reliability on seed cases (ECE {expected_calibration_error(x, y):.3f}):")
    for lo, hi, acc, n in reliability(x, y):
        print(f"  {lo:.1f}-{hi:.1f}: right {acc:.2f} of {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
