"""Fit the scorer's feature weights and the isotonic calibration; write mapper/knowledge/calibration.json.

What is fitted on what (so nothing is fitted and reported on the same rows without saying so):
* The stored calibration is fitted on the robustness VARIANTS of every case (abbreviated, renamed,
  translated, description-less, values-less), never on the seed cases themselves.
* Stage 1: logistic weights over the signals (they rank every cell) and an isotonic curve.
  Stage 2: a boosted tree ensemble (sklearn HistGradientBoosting, fixed seed, no early stopping) re-scores
  each row's top candidates from features the logistic cannot express (mapper/propose/confidence.py);
  its isotonic curve and the auto-accept / no-match thresholds are fitted on OUT-OF-FOLD outputs (folds
  by case), so the curve is not drawn through rows the trees were fitted on.
* With --held-out the reliability and auto-accept numbers printed for the seed cases are held out by case:
  the cases are split in FOLDS groups; for each group everything (weights, trees, curves, thresholds) is
  re-fitted on the variants of the OTHER groups' cases only and applied to the group's seed rows.

Run: .venv/bin/python -m evals.calibrate evals/cases [--held-out]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from evals.runner import Case, cold, find_cases, load_case
from evals.variants import variants_of
from mapper.propose import ProposerSettings, ScoreTable
from mapper.propose.calibration import DEFAULT_WEIGHTS, Calibration, fit_isotonic
from mapper.propose.confidence import FEATURES as STAGE2_FEATURES
from mapper.propose.confidence import Booster, features, top_columns
from mapper.propose.proposer import check_schemas
from mapper.propose.scorer import combine, source_groups

DEPTH = 5
"""Top candidates per row the second stage re-scores."""
FOLDS = 4

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
    groups: NDArray[np.int64]
    """Source entity index per row."""


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
    return Prepared(case, table.feats, labels, has_match, no_match, skip_rule, home, source_groups(source, table.src))


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


Query = tuple[float, float, bool, bool]
"""Per gold query: (best score where its entity lands, top-1 score, top-1 right, gold has a match)."""


def _queries(p: Prepared, score: NDArray[np.float64], raw: NDArray[np.float64]) -> list[Query]:
    """What the runner sees per gold query (skip-rule rows are decided 'skip' and never accepted)."""
    out: list[Query] = []
    for i in np.flatnonzero(p.has_match | p.no_match):
        if p.skip_rule[i]:
            continue
        top = int(np.lexsort((-raw[i], -np.round(score[i], 9)))[0])
        home = np.flatnonzero(p.home[i])
        best = float(score[i, home].max()) if len(home) else -1.0
        out.append((best, float(score[i, top]), bool(p.labels[i, top] > 0), bool(p.has_match[i])))
    return out


def _top_rows(p: Prepared, cal: Calibration, depth: int = 5) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(raw, correct) for the top `depth` first-stage candidates of every gold query."""
    raw = combine(p.feats, cal, frozenset())
    rows = np.flatnonzero(p.has_match | p.no_match)
    cells = top_columns(raw[rows], depth)
    return np.take_along_axis(raw[rows], cells, axis=1).ravel(), np.take_along_axis(p.labels[rows], cells, axis=1).ravel()


def _stage2_rows(p: Prepared, cal: Calibration) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Second-stage inputs and labels of the top DEPTH candidates of every gold query."""
    raw = combine(p.feats, cal, frozenset())
    cells = top_columns(raw, DEPTH)
    rows = np.flatnonzero(p.has_match | p.no_match)
    x = features(raw, p.feats, p.groups, cells)[rows]
    y = np.take_along_axis(p.labels, cells, axis=1)[rows]
    return x.reshape(-1, x.shape[-1]), y.ravel()


def fit_booster(prepared: Sequence[Prepared], cal: Calibration) -> Booster:
    """Boosted trees on the second-stage rows (deterministic: fixed seed, no early stopping)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    parts = [_stage2_rows(p, cal) for p in prepared]
    x = np.vstack([a for a, _ in parts])
    y = np.concatenate([b for _, b in parts])
    model = HistGradientBoostingClassifier(max_iter=80, learning_rate=0.1, max_leaf_nodes=15, min_samples_leaf=40,
                                           l2_regularization=1.0, early_stopping=False, random_state=0).fit(x, y)
    return booster_from_sklearn(model, STAGE2_FEATURES, DEPTH)


def booster_from_sklearn(model: Any, names: Sequence[str], depth: int) -> Booster:
    """The trees of a fitted binary HistGradientBoostingClassifier as a numpy-only Booster."""
    trees = [t[0].nodes for t in model._predictors]
    width = max(len(t) for t in trees)

    def pad(key: str, dtype: type, fill: float) -> NDArray[Any]:
        out = np.full((len(trees), width), fill, dtype=dtype)
        for i, t in enumerate(trees):
            out[i, : len(t)] = t[key]
        return out

    return Booster(features=tuple(names), baseline=float(np.ravel(model._baseline_prediction)[0]),
                   feature=pad("feature_idx", np.int64, 0), threshold=pad("num_threshold", np.float64, 0.0),
                   left=pad("left", np.int64, 0), right=pad("right", np.int64, 0),
                   leaf=pad("is_leaf", np.int64, 1).astype(bool), value=pad("value", np.float64, 0.0),
                   missing_left=pad("missing_go_to_left", np.int64, 1).astype(bool),
                   n_nodes=tuple(len(t) for t in trees), depth=depth)


def _stage1(prepared: Sequence[Prepared], method: str) -> Calibration:
    """Logistic weights and their isotonic curve."""
    weights = fit_gap(prepared, fit_weights(prepared))
    base = Calibration(weights=weights, method=method)
    parts = [_top_rows(p, base) for p in prepared]
    kx, ky = fit_isotonic(np.concatenate([x for x, _ in parts]), np.concatenate([y for _, y in parts]))
    return replace(base, knots_x=tuple(kx), knots_y=tuple(ky))


def _scores(p: Prepared, cal: Calibration) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(calibrated score, raw) of every cell, as the product computes them."""
    raw = combine(p.feats, cal, frozenset())
    return cal.scores(raw, p.feats, p.groups), raw


def fit(prepared: Sequence[Prepared], method: str, stage2: bool = True) -> Calibration:
    """Weights, curves and thresholds from prepared cases."""
    cal = _stage1(prepared, method)
    if stage2 and prepared:
        # Out-of-fold booster outputs (folds by case) for the curve and the thresholds.
        names = sorted({p.case.name for p in prepared})
        folds = [set(names[k::FOLDS]) for k in range(FOLDS)] if len(names) >= FOLDS else [{n} for n in names]
        held: list[tuple[Prepared, Booster]] = []
        for fold in folds:
            train = [p for p in prepared if p.case.name not in fold]
            if not train:
                continue
            booster = fit_booster(train, cal)
            held.extend((p, booster) for p in prepared if p.case.name in fold)
        xs, ys = [], []
        for p, booster in held:
            x, y = _stage2_rows(p, cal)
            xs.append(booster.predict(x))
            ys.append(y)
        kx, ky = fit_isotonic(np.concatenate(xs), np.concatenate(ys))
        queries = [q for p, booster in held
                   for q in _queries(p, *_scores(p, replace(cal, booster=booster, booster_knots_x=tuple(kx),
                                                            booster_knots_y=tuple(ky))))]
        cal = replace(cal, booster=fit_booster(prepared, cal), booster_knots_x=tuple(kx), booster_knots_y=tuple(ky),
                      method=method + "; boosted second stage, out-of-fold curve")
    else:
        queries = [q for p in prepared for q in _queries(p, *_scores(p, cal))]
    return replace(cal, **_thresholds(queries))


def _thresholds(queries: Sequence[Query]) -> dict[str, float]:
    """no_match: best match/no-match split; auto_accept: lowest score >= 0.9 whose accepted top-1s are >= 99% right."""
    if not queries:
        return {"auto_accept": 0.9, "no_match": 0.3}
    best = np.array([q[0] for q in queries])
    top = np.array([q[1] for q in queries])
    right = np.array([q[2] for q in queries])
    is_match = np.array([q[3] for q in queries])
    no_match, best_acc = 0.3, -1.0
    for t in np.linspace(0.02, 0.8, 40):
        # Right decision: a match query above t whose top-1 is right, or a no-match query below t.
        acc = float(np.mean(np.where(is_match, (best >= t) & right, best < t)))
        if acc > best_acc:
            no_match, best_acc = float(t), acc
    no_match = round(no_match, 4)
    proposed = best >= no_match
    auto = 0.99
    # Auto-accept must also read right to a person: never below a calibrated 0.9.
    for t in sorted({v for v in top[proposed].tolist() if v >= 0.9}):  # exact step values
        # Every proposal above t counts, custom/skip rows proposed as matches included (they are wrong).
        sel = proposed & (top >= t)
        if sel.sum() >= 10 and (right & is_match)[sel].mean() >= 0.99:
            auto = float(t)
            break
    return {"auto_accept": max(auto, no_match), "no_match": no_match}


def calibration_settings() -> ProposerSettings:
    """Cold settings (no templates) with an identity calibration: features only."""
    return cold(ProposerSettings(calibration=Calibration()))


def _top5(p: Prepared, score: NDArray[np.float64], raw: NDArray[np.float64]) -> tuple[list[float], list[float]]:
    """(score, correct) of the top 5 candidates of every gold query in the product's order."""
    xs: list[float] = []
    ys: list[float] = []
    for i in np.flatnonzero(p.has_match | p.no_match):
        order = np.lexsort((-raw[i], -np.round(score[i], 9)))[:5]
        xs.extend(score[i, order].tolist())
        ys.extend(p.labels[i, order].tolist())
    return xs, ys


def _accept(queries: Sequence[Query], cal: Calibration) -> tuple[int, int, int, int]:
    """(accepted, accepted and right, accepted match queries, match queries) at cal's thresholds."""
    acc = [q for q in queries if q[0] >= cal.no_match and q[1] >= cal.auto_accept]
    return (len(acc), sum(1 for q in acc if q[2] and q[3]), sum(1 for q in acc if q[3]),
            sum(1 for q in queries if q[3]))


def main(argv: Sequence[str]) -> int:
    """Fit on variants, write calibration.json; with --held-out print held-out seed numbers."""
    from evals.metrics import expected_calibration_error, reliability

    held = "--held-out" in argv
    paths = [Path(a) for a in argv if not a.startswith("--")] or [Path("evals/cases")]
    cases = [load_case(p) for p in find_cases(paths)]
    settings = calibration_settings()
    variants = {c.name: [prepare(v, settings) for v in variants_of(c)] for c in cases}
    everything = [p for c in cases for p in variants[c.name]]
    cal = fit(everything, "logistic + isotonic, fitted on the variants of every case")
    cal.save()
    print(f"calibration.json: auto_accept={cal.auto_accept} no_match={cal.no_match}")
    print("weights: " + ", ".join(f"{k}={v:.2f}" for k, v in sorted(cal.weights.items())))
    if not held:
        return 0
    seeds = {c.name: prepare(c, settings) for c in cases}
    xs: list[float] = []
    ys: list[float] = []
    total = [0, 0, 0, 0]
    names = sorted(seeds)
    for fold in ([names[k::FOLDS] for k in range(FOLDS)] if len(names) > FOLDS else [[n] for n in names]):
        # Everything re-fitted without ANY variant of the held-out cases, then applied to their seed rows.
        held_out = fit([p for n in names if n not in fold for p in variants[n]], "held out")
        for name in fold:
            score, raw = _scores(seeds[name], held_out)
            x, y = _top5(seeds[name], score, raw)
            xs.extend(x)
            ys.extend(y)
            counts = _accept(_queries(seeds[name], score, raw), held_out)
            total = [a + b for a, b in zip(total, counts, strict=True)]
            print(f"  {name}: auto_accept {held_out.auto_accept:.3f}, precision {counts[1] / max(counts[0], 1):.3f} "
                  f"at coverage {counts[2] / max(counts[3], 1):.0%} ({counts[0]} accepted)", flush=True)
    print(f"held-out auto-accept on seed cases: precision {total[1] / max(total[0], 1):.3f} at coverage "
          f"{total[2] / max(total[3], 1):.0%} of {total[3]} match queries (custom/skip rows accepted count as wrong)")
    x, y = np.array(xs), np.array(ys)
    print(f"held-out reliability on seed cases, top-5 (ECE {expected_calibration_error(x, y):.3f}):")
    for lo, hi, acc, n in reliability(x, y):
        print(f"  {lo:.1f}-{hi:.1f}: right {acc:.2f} of {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
