"""`bridgework eval`: cold / warm / variants / ablation runs over eval cases, a Rich table, the --json
file (shape fixed in ARCHITECTURE.md) and a reliability plot per run."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from evals.metrics import Metrics, expected_calibration_error, labelled_candidates, reliability, score
from evals.runner import Case, Query, cold, find_cases, load_case, run_case, warm_templates
from evals.variants import VARIANTS, make_variant
from mapper.propose import SIGNALS, ProposerSettings, load_calibration

Results = list[tuple[Case, list[Query]]]


@dataclass
class EvalReport:
    """Every run of one `bridgework eval`."""

    cases: list[Case]
    primary: Results
    primary_label: str
    cold: Results
    warm: Results | None
    variants: dict[str, Results] = field(default_factory=dict)
    ablation: dict[str, Metrics] = field(default_factory=dict)
    auto_accept: float = 0.9

    def metrics(self, results: Results) -> Metrics:
        """Metrics of one run over all its cases."""
        return score(results, self.auto_accept)

    def to_json(self) -> dict[str, Any]:
        """ARCHITECTURE.md's --json shape (primary run), plus a summary block."""
        cases = []
        for case, queries in self.primary:
            m = score([(case, queries)], self.auto_accept).as_dict()
            cases.append({
                "case": case.name,
                "metrics": {k: m[k] for k in ("hit@1", "hit@3", "hit@5", "mrr")},
                "queries": [{"src_ent": q.src_ent, "src_att": q.src_att, "decision": q.decision,
                             "candidates": [{"tgt_ent": c.tgt_ent, "tgt_att": c.tgt_att, "score": c.score}
                                            for c in q.candidates[:20]]} for q in queries],
            })
        summary: dict[str, Any] = {"run": self.primary_label, "cold": self.metrics(self.cold).as_dict()}
        if self.warm is not None:
            summary["warm_leave_one_case_out"] = self.metrics(self.warm).as_dict()
        summary["variants_cold"] = {v: self.metrics(r).as_dict() for v, r in self.variants.items()}
        summary["ablation_cold_hit@1"] = {s: round(m.hit1, 4) for s, m in self.ablation.items()}
        return {"cases": cases, "summary": summary}


def evaluate(paths: Sequence[Path], *, templates: bool = True, llm: str | None = None,
             variants: bool = True, ablation: bool = True,
             progress: Callable[[str], None] | None = None) -> EvalReport:
    """Run every configured pass over the cases under `paths`."""
    say = progress or (lambda _m: None)
    cases = [load_case(p) for p in find_cases(paths)]
    base = cold(ProposerSettings())
    say("cold run over the seed cases ...")
    cold_results = [(c, run_case(c, base)) for c in cases]
    warm_results = None
    if templates:
        say("warm run (templates from the other cases' gold) ...")
        warm_results = [(c, run_case(c, replace(ProposerSettings(), templates=warm_templates(c, cases)))) for c in cases]
    primary, label = (warm_results, "warm (leave-one-case-out templates)") if warm_results is not None else (cold_results, "cold (no templates)")
    if llm:
        say(f"LLM re-ranked run ({llm}) ...")
        chosen = replace(ProposerSettings(), llm_model=llm)
        primary = [(c, run_case(c, replace(chosen, templates=warm_templates(c, cases)) if templates else cold(chosen)))
                   for c in cases]
        label += f" + LLM {llm}"
    report = EvalReport(cases, primary, label, cold_results, warm_results, auto_accept=load_calibration().auto_accept)
    if variants:
        for v in VARIANTS:
            say(f"variant: {v} ...")
            report.variants[v] = [(vc, run_case(vc, base)) for vc in (make_variant(c, v) for c in cases)]
    if ablation:
        for s in SIGNALS:
            if s == "template":
                continue
            say(f"ablation: without {s} ...")
            settings = replace(base, disabled=base.disabled | {s})
            report.ablation[s] = score([(c, run_case(c, settings)) for c in cases], report.auto_accept)
    return report


def _row(table: Table, name: str, m: Metrics, note: str = "") -> None:
    table.add_row(name, str(m.n_match), f"{m.hit1:.3f}", f"{m.hit3:.3f}", f"{m.hit5:.3f}", f"{m.mrr:.3f}",
                  f"{m.auto_precision:.3f} ({m.auto_precision_match_rows:.3f}) @ {m.auto_coverage:.0%}",
                  f"{m.nomatch_correct:.3f} ({m.n_nomatch})", note)


def print_report(report: EvalReport, console: Console) -> None:
    """The Rich summary table."""
    t = Table(title=f"Mapping accuracy (auto-accept at calibrated score >= {report.auto_accept:.2f})", title_justify="left")
    for col in ("Run", "Queries", "Hit@1", "Hit@3", "Hit@5", "MRR", "Auto-accept prec. (match rows) @ cov.", "No-match right", "Note"):
        t.add_column(col)
    for case, queries in report.cold:
        _row(t, f"cold: {case.name}", score([(case, queries)], report.auto_accept))
    _row(t, "cold: all seed cases", report.metrics(report.cold), "no templates")
    if report.warm is not None:
        _row(t, "warm: all seed cases", report.metrics(report.warm), "templates from the OTHER cases' gold (leave-one-case-out)")
    if report.primary is not report.warm and report.primary is not report.cold:
        _row(t, "primary", report.metrics(report.primary), report.primary_label)
    for v, results in report.variants.items():
        _row(t, f"variant: {v}", report.metrics(results), "cold")
    if report.variants:
        allv = [r for results in report.variants.values() for r in results]
        _row(t, "variants: all", report.metrics(allv), "cold")
    console.print(t)
    if report.ablation:
        a = Table(title="Per-signal ablation (cold, seed cases)", title_justify="left")
        for col in ("Without", "Hit@1", "Δ Hit@1", "MRR"):
            a.add_column(col)
        full = report.metrics(report.cold)
        for s, m in report.ablation.items():
            a.add_row(s, f"{m.hit1:.3f}", f"{m.hit1 - full.hit1:+.3f}", f"{m.mrr:.3f}")
        console.print(a)
    x, y = labelled_candidates(report.cold)
    note = ""
    if report.variants:
        vx, vy = labelled_candidates([r for results in report.variants.values() for r in results])
        note = f"; variants (fitted on them) ECE {expected_calibration_error(vx, vy):.3f}"
    r = Table(title=f"Reliability, cold seed runs, top-5 candidates (ECE {expected_calibration_error(x, y):.3f}); "
                    f"calibration fitted on the variants, not on these rows{note}", title_justify="left")
    for col in ("Score bin", "Right", "Candidates"):
        r.add_column(col)
    for lo, hi, acc, n in reliability(x, y):
        r.add_row(f"{lo:.1f}-{hi:.1f}", f"{acc:.2f}", str(n))
    console.print(r)


def save_plot(report: EvalReport, folder: Path) -> Path:
    """reliability.png: observed accuracy per score bin, cold seed runs and cold variants."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    runs = [("seed cases (cold)", report.cold)]
    if report.variants:
        runs.append(("variants (cold; the calibration was fitted on these)", [r for results in report.variants.values() for r in results]))
    for label, results in runs:
        x, y = labelled_candidates(results)
        bins = reliability(x, y)
        if bins:
            mids = [float(np.mean(x[(x >= lo) & (x <= hi)])) for lo, hi, _, _ in bins]
            ax.plot(mids, [acc for _, _, acc, _ in bins], marker="o", label=f"{label}, ECE {expected_calibration_error(x, y):.3f}")
    ax.set_xlabel("calibrated score")
    ax.set_ylabel("share right")
    ax.set_title("Proposer reliability (top-5 candidates)")
    ax.legend(loc="upper left", fontsize=8)
    path = folder / "reliability.png"
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write_json(report: EvalReport, path: Path) -> None:
    """The --json file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.to_json(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
