"""`fengkong strategy`: check strategy documents and simulate them on history from the
command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fengkong.decision.document import check, compile_strategy
from fengkong.decision.engine import Strategy
from fengkong.decision.simulation import read_csv, simulate
from fengkong.decision.strategy_service import read_document

strategy_app = typer.Typer(help="Decision strategies.", no_args_is_help=True)
console = Console(stderr=True)


def _load(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc.strerror}") from None
    return read_document(text)


@strategy_app.command("validate")
def validate(document: Annotated[Path, typer.Argument(help="strategy document (JSON/YAML)")]
             ) -> None:
    """Check a strategy document; exits 1 and lists each problem's JSON path if bad."""
    problems = check(_load(document))
    if not problems:
        typer.echo("valid")
        return
    table = Table("path", "code", "message", title=f"{len(problems)} problem(s)")
    for p in problems:
        table.add_row(p["path"], p["code"], p["message"])
    console.print(table)
    raise typer.Exit(1)


def _active(tenant: str, like: Strategy) -> Strategy | None:
    from fengkong.bootstrap import bootstrap
    from fengkong.core.config import load_settings
    from fengkong.decision import strategy_service
    from fengkong.org import service

    container = bootstrap(load_settings())
    with container.uow() as uow:
        found = service.tenant_by_code(uow, tenant)
        version = strategy_service.active_version(uow, found.id, like.stage, like.product)
        return strategy_service.compiled(version) if version is not None else None


@strategy_app.command("simulate")
def simulate_command(
    document: Annotated[Path, typer.Argument(help="the candidate strategy (JSON/YAML)")],
    cases: Annotated[Path, typer.Option(help="CSV of historical cases: one column per input, "
                                        "an outcome column, random_number or subject_id")],
    baseline: Annotated[Path | None, typer.Option(
        help="the strategy to compare with (a document)")] = None,
    tenant: Annotated[str | None, typer.Option(
        help="compare with this tenant's active version of the same stage and product")
    ] = None,
    outcome: Annotated[str, typer.Option(help="the outcome column (1/true/bad = bad)")] = "bad",
) -> None:
    """Run a strategy over historical cases beside a baseline; prints a summary, then the
    full report as one JSON line."""
    candidate = compile_strategy(_load(document))
    base = compile_strategy(_load(baseline)) if baseline is not None else (
        _active(tenant, candidate) if tenant else None)
    try:
        with cases.open(encoding="utf-8") as handle:
            total = max(sum(1 for _ in handle) - 1, 0)
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {cases}: {exc.strerror}") from None
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("simulating", total=total)
        try:
            report = simulate(candidate, base, read_csv(cases, candidate, outcome),
                              progress=lambda k: bar.advance(task, k))
        except ValueError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from None
    _print(report)
    typer.echo(json.dumps(report, default=str))


def _print(report: dict[str, Any]) -> None:
    table = Table("", "candidate", "baseline", title=f"{report['cases']:,} cases, "
                  f"{report['seconds']:.2f} s")
    cand, base = report["candidate"], report["baseline"] or {}
    for key in ("approval_rate", "refer_rate", "decline_rate", "mean_score", "errors",
                "microseconds_per_case"):
        table.add_row(key.replace("_", " "), str(cand.get(key)), str(base.get(key, "-")))
    if report["swap_set"] is not None:
        table.add_row("swap in / swap out", str(report["swap_in"]), str(report["swap_out"]))
    console.print(table)
