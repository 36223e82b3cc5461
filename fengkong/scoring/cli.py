"""`fengkong scorecard`: build a scorecard from a table of cases, and watch its stability.

Both commands end their standard output with one JSON line; progress goes to standard error.
The heavy libraries (pandas, scikit-learn, optbinning, matplotlib) load only when a command runs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fengkong.core.errors import FengkongError

if TYPE_CHECKING:
    from fengkong.scoring.stability import Stability
    from fengkong.scoring.train import Trained

app = typer.Typer(help="Scorecards: build one from data, watch its stability.",
                  no_args_is_help=True)
out_console = Console()
err_console = Console(stderr=True)
STATUS_STYLE = {"stable": "green", "watch": "yellow", "alert": "red"}


def register(parent: typer.Typer) -> None:
    parent.add_typer(app, name="scorecard")


@contextmanager
def _clear_errors() -> Iterator[None]:
    """A bad input ends the command with its message and exit code 2, never a traceback."""
    try:
        yield
    except FengkongError as exc:
        err_console.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(2) from None


def _last_line(figures: dict[str, Any]) -> None:
    sys.stdout.flush()
    sys.stdout.write(json.dumps(figures) + "\n")
    sys.stdout.flush()


@app.command("train")
def train_command(
    data: Annotated[Path, typer.Option(help="The cases: CSV, or Parquet (.parquet).")],
    target: Annotated[str, typer.Option(help="The column holding the outcome.")],
    bad_value: Annotated[str | None, typer.Option(
        help="The target's value for a bad case (default: 'bad', 1, true or yes).")] = None,
    test_size: Annotated[float, typer.Option(help="Share of cases held out for the test.")
                         ] = 0.3,
    seed: Annotated[int, typer.Option(help="Seed of the stratified split.")] = 0,
    out: Annotated[Path | None, typer.Option(
        help="Directory for the scorecard and its report (default: scorecards/NAME).")] = None,
    name: Annotated[str | None, typer.Option(
        help="The scorecard's name (default: the data file's name).")] = None,
    pdo: Annotated[float, typer.Option(help="Points to double the odds of good.")] = 20.0,
    base_points: Annotated[float, typer.Option(help="The score at the base odds.")] = 600.0,
    base_odds: Annotated[float, typer.Option(help="Odds of good (good:bad) at base points.")
                         ] = 50.0,
    min_iv: Annotated[float, typer.Option(help="Least information value to keep a "
                                                "characteristic.")] = 0.02,
    max_correlation: Annotated[float, typer.Option(
        help="Most correlation between two kept characteristics' WoE.")] = 0.7,
) -> None:
    """Build a scorecard: optimal bins, IV selection and a logistic regression fitted on the
    training part, scaled into points; writes the document and a report."""
    with _clear_errors():
        from fengkong.scoring.dataset import read_table, sample
        from fengkong.scoring.model import Selection
        from fengkong.scoring.report import write_outputs
        from fengkong.scoring.scaling import Scaling
        from fengkong.scoring.train import STEPS, TrainOptions, train

        card_name = name or data.stem
        options = TrainOptions(name=card_name, test_size=test_size, seed=seed,
                               scaling=Scaling(base_points, base_odds, pdo),
                               selection=Selection(min_iv=min_iv,
                                                   max_correlation=max_correlation))
        with _progress() as progress:
            task = progress.add_task("read the data", total=len(STEPS) + 2)
            cases = sample(read_table(data), target, bad_value)
            progress.advance(task)

            def on_step(label: str) -> None:
                if label != STEPS[0]:
                    progress.advance(task)
                progress.update(task, description=label)

            trained = train(cases, options, on_step)
            progress.update(task, description="write the report", advance=1)
            files = write_outputs(trained, out or Path("scorecards") / card_name)
            progress.advance(task)
    _print_training(trained)
    out_console.print(f"scorecard: {files.scorecard}\nreport:    {files.html}\n"
                      f"chart:     {files.chart}")
    _last_line({**trained.summary(), "scorecard": str(files.scorecard),
                "report": str(files.html), "chart": str(files.chart)})


def _progress() -> Progress:
    return Progress(TextColumn("{task.description:<26}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console, transient=True)


def _print_training(trained: Trained) -> None:
    figures = Table(title=f"Scorecard {trained.document['name']}")
    for column in ("", "AUC", "KS", "Gini", "rows"):
        figures.add_column(column, justify="right")
    for part, s, rows in (("train", trained.train, trained.train_rows),
                          ("test", trained.test, trained.test_rows)):
        figures.add_row(part, f"{s.auc:.4f}", f"{s.ks:.4f}", f"{s.gini:.4f}", str(len(rows)))
    out_console.print(figures)
    ivs = Table(title="Characteristics by information value")
    for column, justify in (("feature", "left"), ("IV", "right"), ("bins", "right"),
                            ("kept", "center"), ("note", "left")):
        ivs.add_column(column, justify=justify)  # type: ignore[arg-type]
    for c in trained.model.candidates:
        ivs.add_row(c.feature, f"{c.iv:.4f}", str(c.bins), "[green]yes[/]" if c.selected
                    else "", c.note, style=None if c.selected else "dim")
    out_console.print(ivs)


@app.command("psi")
def psi_command(
    scorecard: Annotated[Path, typer.Option(help="The scorecard document (JSON or YAML).")],
    data: Annotated[Path, typer.Option(help="Live applications: CSV or Parquet, one row "
                                            "each with the scorecard's characteristics.")],
    score_column: Annotated[str | None, typer.Option(
        help="Take the scores from this column instead of scoring the rows.")] = None,
) -> None:
    """Stability of a scorecard on live data: PSI of the scores and of each characteristic
    against the development sample (stable < 0.1, watch < 0.25, alert from 0.25)."""
    with _clear_errors():
        from fengkong.scoring.dataset import read_table
        from fengkong.scoring.document import load_document
        from fengkong.scoring.stability import stability

        document = load_document(scorecard)
        result = stability(document, read_table(data), score_column)
    _print_stability(result)
    _last_line(result.as_json())


def _print_stability(result: Stability) -> None:
    from fengkong.scoring.stability import ALERT

    table = Table(title=f"Population stability over {result.rows} rows")
    for column, justify in (("distribution", "left"), ("PSI", "right"), ("status", "left"),
                            ("shift", "left"), ("largest move", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for shift in (result.score, *result.characteristics):
        style = STATUS_STYLE[shift.status]
        width = min(30, round(shift.psi / ALERT * 20))   # 20 cells = the alert level
        moves = [a - e for a, e in zip(shift.actual, shift.expected, strict=True)]
        at = max(range(len(moves)), key=lambda i: abs(moves[i]))
        table.add_row(shift.name, f"{shift.psi:.4f}", f"[{style}]{shift.status}[/]",
                      f"[{style}]{'█' * width}[/]" + ("▸" if width == 30 else ""),
                      f"{shift.labels[at]} {moves[at]:+.1%}")
    out_console.print(table)
    verdict = "[red]ALERT[/]: PSI 0.25 or more" if result.alert else "[green]no alert[/]"
    out_console.print(verdict)
