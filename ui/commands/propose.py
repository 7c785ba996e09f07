"""propose and eval: field-map proposals into mapping.yaml, and the mapping-accuracy suite."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from executor.workspace import Workspace
from mapper.errors import ConfigError
from mapper.plan import fill_required, fold_links
from mapper.propose import ProposerSettings, load_calibration, propose
from mapper.propose.llm import unavailable as llm_unavailable
from mapper.schema import Schema
from mapper.spec import EntityMap, MappingSpec, merge_proposals
from ui._app import WorkspaceOption, command, console

LlmOption = Annotated[str | None, typer.Option("--llm", help="Re-rank the top candidates with this litellm model (schema metadata only).")]


def _bar(score: float, width: int = 10) -> str:
    filled = round(score * width)
    colour = "green" if score >= 0.9 else "yellow" if score >= 0.5 else "red"
    return f"[{colour}]{'█' * filled}{'░' * (width - filled)}[/] {score:.2f}"


def _entity_table(em: EntityMap) -> Table:
    title = f"{em.source} -> {em.target or 'skip'} ({em.kind}{', ' + em.decision.status if em.status != 'proposed' else ''})"
    table = Table(title=title, title_justify="left", caption=em.why, caption_justify="left")
    for col in ("Source field", "Proposed target", "Score", "Why"):
        table.add_column(col, overflow="fold")
    for fm in em.fields:
        target = fm.target or "skip"
        if fm.kind == "relation" and fm.lookup:
            target += f" (via {fm.lookup})"
        if fm.status != "proposed":
            target += f" [{fm.status}]"
        table.add_row(fm.key, target, _bar(fm.score) if fm.kind != "skip" else "", fm.why)
    return table


def _load_schemas(ws: Workspace) -> tuple[Schema, Schema]:
    if not ws.source_schema_path.exists():
        raise ConfigError("No source schema stored in this workspace yet.", hint="Run bridgework introspect first.")
    if not ws.destination_schema_path.exists():
        raise ConfigError("No destination schema stored in this workspace yet.", hint="Run bridgework describe first.")
    return Schema.load(ws.source_schema_path), Schema.load(ws.destination_schema_path)


@command("propose")
def propose_cmd(
    workspace: WorkspaceOption = None,
    llm: LlmOption = None,
) -> None:
    """Propose the field map (scores, explanations, alternatives) into mapping.yaml, keeping earlier decisions."""
    ws = Workspace.find(workspace)
    source, destination = _load_schemas(ws)
    model = llm or ws.settings.options.llm
    settings = ProposerSettings(cache_dir=ws.cache_dir, llm_model=model,
                                llm_masked_samples=ws.settings.options.llm_masked_samples)
    with console.status("Matching fields ...") as status:
        settings = replace(settings, progress=lambda message: status.update(message))
        spec = propose(source, destination, destination_kind=ws.settings.destination.kind, settings=settings)
        filled = fill_required(spec, source, destination, kind=ws.settings.destination.kind) + fold_links(spec, source)
    kept = 0
    if ws.mapping_path.exists():
        old = MappingSpec.load(ws.mapping_path)
        spec = merge_proposals(old, spec, source=source, destination=destination)
        kept = sum(1 for em in spec.entities for fm in em.fields if fm.status != "proposed")
    spec.save(ws.mapping_path)
    if model and llm_unavailable(model):
        console.print(f"[yellow]LLM {model} did not answer usably: kept the proposer's own ranking.[/]")
    for em in spec.entities:
        console.print(_entity_table(em))
    for line in filled:
        console.print(f"Left empty by the match, fill proposed: {line}")
    fields = [fm for em in spec.entities for fm in em.fields]
    strong = sum(1 for fm in fields if fm.status == "proposed" and fm.kind in ("direct", "relation")
                 and fm.score >= load_calibration().auto_accept)
    console.print(f"Wrote {ws.mapping_path}: {len(spec.entities)} entity maps, {len(fields)} field maps "
                  f"({kept} earlier decisions kept, {strong} strong proposals).")
    console.print(f"Next: bridgework review (or accept strong ones: bridgework confirm --min-score {load_calibration().auto_accept:.2f})")


@command("eval")
def eval_cmd(
    case_dirs: Annotated[list[Path], typer.Argument(help="Case folders, or folders of case folders.")],
    json_file: Annotated[Path | None, typer.Option("--json", help="Write ranked candidates and metrics to FILE.")] = None,
    no_templates: Annotated[bool, typer.Option("--no-templates", help="Only the cold run (no learned templates).")] = False,
    llm: LlmOption = None,
    report: Annotated[Path | None, typer.Option("--report", help="Folder for the reliability plot and JSON.")] = None,
) -> None:
    """Score the proposer on eval cases: HitRate@1/3/5, MRR, auto-accept, no-match, ablation, variants."""
    from evals.report import evaluate, print_report, save_plot, write_json

    with console.status("Evaluating ...") as status:
        result = evaluate(case_dirs, templates=not no_templates, llm=llm, progress=lambda m: status.update(m))
    print_report(result, console)
    if llm and llm_unavailable(llm):
        console.print(f"[yellow]LLM {llm} did not answer usably: the LLM run kept the proposer's own ranking.[/]")
    if json_file is not None:
        write_json(result, json_file)
        console.print(f"Ranked candidates: {json_file}")
    if report is not None:
        plot = save_plot(result, report)
        write_json(result, report / "eval.json")
        console.print(f"Reliability plot: {plot}")
