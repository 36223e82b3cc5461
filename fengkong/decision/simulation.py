"""Simulation: a candidate strategy version run over historical cases beside the active one,
and what changes: approval rates, scores, expected against observed bad rates by band, the
swap set, processing time. Pure: cases in, a report out."""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fengkong.decision.engine import (
    DECISIONS,
    DecisionError,
    Strategy,
    coerce_inputs,
    decide_only,
)

TRUE_WORDS = {"1", "true", "yes", "bad", "y"}
FALSE_WORDS = {"0", "false", "no", "good", "n"}


@dataclass(frozen=True)
class Case:
    inputs: dict[str, Any]
    random_number: int
    bad: bool | None = None


@dataclass
class _Side:
    """What one strategy did over the cases; sides of several workers add up."""

    counts: dict[str, int]
    arms: dict[str, dict[str, int]]
    scores: list[float]
    errors: int = 0
    first_error: str | None = None
    seconds: float = 0.0

    @classmethod
    def empty(cls) -> _Side:
        return cls(dict.fromkeys(DECISIONS, 0), {}, [])

    def run(self, strategy: Strategy, case: Case) -> tuple[str | None, float | None]:
        started = time.perf_counter()
        try:
            values, bad = coerce_inputs(strategy, case.inputs)
            if bad:
                raise DecisionError(f"inputs.{bad[0][0]}", bad[0][2])
            decision, score, arm = decide_only(strategy, values, case.random_number)
        except DecisionError as exc:
            self.errors += 1
            self.first_error = self.first_error or str(exc)
            self.seconds += time.perf_counter() - started
            return None, None
        self.seconds += time.perf_counter() - started
        self.counts[decision] += 1
        per_arm = self.arms.get(arm)
        if per_arm is None:
            per_arm = self.arms[arm] = dict.fromkeys(DECISIONS, 0)
        per_arm[decision] += 1
        if score is not None:
            self.scores.append(score)
        return decision, score

    def add(self, other: _Side) -> None:
        for k, v in other.counts.items():
            self.counts[k] += v
        for arm, counts in other.arms.items():
            mine = self.arms.setdefault(arm, dict.fromkeys(DECISIONS, 0))
            for k, v in counts.items():
                mine[k] += v
        self.scores += other.scores
        self.errors += other.errors
        self.first_error = self.first_error or other.first_error
        self.seconds += other.seconds

    def summary(self, bands: list[tuple[float | None, float | None]]) -> dict[str, Any]:
        decided = sum(self.counts.values())

        def rate(k: str) -> float | None:
            return round(self.counts[k] / decided, 4) if decided else None
        return {
            "decided": decided, "errors": self.errors, "first_error": self.first_error,
            "approval_rate": rate("approve"), "refer_rate": rate("refer"),
            "decline_rate": rate("decline"),
            "mean_score": round(sum(self.scores) / len(self.scores), 2) if self.scores else None,
            "score_distribution": _histogram(self.scores, bands),
            "arms": {arm: {"decided": sum(c.values()), "approval_rate": round(
                c["approve"] / sum(c.values()), 4) if sum(c.values()) else None}
                for arm, c in sorted(self.arms.items())},
            "seconds": round(self.seconds, 3),
            "microseconds_per_case": round(self.seconds / max(decided + self.errors, 1) * 1e6,
                                           1),
        }


@dataclass
class _Run:
    """Both sides over a batch of cases, the swap set and the known outcomes."""

    cand: _Side
    base: _Side | None
    swap: dict[str, dict[str, int]]
    outcomes: list[tuple[float, bool]]
    cases: int = 0

    @classmethod
    def empty(cls, with_base: bool) -> _Run:
        return cls(_Side.empty(), _Side.empty() if with_base else None,
                   {b: dict.fromkeys(DECISIONS, 0) for b in DECISIONS}, [])

    def feed(self, candidate: Strategy, baseline: Strategy | None, case: Case) -> None:
        self.cases += 1
        decision, score = self.cand.run(candidate, case)
        if self.base is not None and baseline is not None:
            old, _ = self.base.run(baseline, case)
            if old is not None and decision is not None:
                self.swap[old][decision] += 1
        if score is not None and case.bad is not None:
            self.outcomes.append((score, case.bad))

    def add(self, other: _Run) -> None:
        self.cases += other.cases
        self.cand.add(other.cand)
        if self.base is not None and other.base is not None:
            self.base.add(other.base)
        for old, row in other.swap.items():
            for new, n in row.items():
                self.swap[old][new] += n
        self.outcomes += other.outcomes


def _histogram(scores: list[float], bands: list[tuple[float | None, float | None]]
               ) -> list[dict[str, Any]]:
    counts = [0] * len(bands)
    if bands:
        low = bands[0][0] or 0.0
        width = (bands[0][1] or 0.0) - low
        for score in scores:
            counts[min(max(int((score - low) // width), 0), len(bands) - 1)] += 1
    return [{"lower": lo, "upper": hi, "count": n} for (lo, hi), n in zip(bands, counts,
                                                                           strict=True)]


def _within(score: float, lo: float | None, hi: float | None) -> bool:
    return (lo is None or score >= lo) and (hi is None or score < hi)


def simulate(candidate: Strategy, baseline: Strategy | None, cases: Iterable[Case], *,
             band_width: float = 20, progress: Callable[[int], None] | None = None,
             workers: int = 1, chunk: int = 20_000) -> dict[str, Any]:
    """Run every case through the candidate (and the baseline); the comparison report.
    With `workers` > 1 the cases go in chunks to that many processes, each compiling the
    strategies' documents once."""
    started = time.perf_counter()
    if workers > 1:
        total = _parallel(candidate, baseline, cases, workers, chunk, progress)
    else:
        total = _Run.empty(baseline is not None)
        for case in cases:
            total.feed(candidate, baseline, case)
            if progress is not None and total.cases % 1000 == 0:
                progress(1000)
        if progress is not None:
            progress(total.cases % 1000)
    base = total.base if baseline is not None else None
    bands = _bands(total.cand.scores + (base.scores if base else []), band_width)
    return {
        "cases": total.cases, "seconds": round(time.perf_counter() - started, 3),
        "workers": max(workers, 1),
        "candidate": total.cand.summary(bands),
        "baseline": base.summary(bands) if base else None,
        "bad_rate_by_band": _bad_rates(candidate, total.outcomes, bands),
        "swap_set": total.swap if base else None,
        "swap_in": total.swap["decline"]["approve"] + total.swap["refer"]["approve"]
        if base else None,
        "swap_out": total.swap["approve"]["decline"] + total.swap["approve"]["refer"]
        if base else None,
    }


_WORKER: dict[str, Strategy | None] = {}


def _start_worker(candidate: dict[str, Any], baseline: dict[str, Any] | None) -> None:
    from fengkong.decision.document import compile_strategy

    _WORKER["candidate"] = compile_strategy(candidate)
    _WORKER["baseline"] = compile_strategy(baseline) if baseline is not None else None


def _run_chunk(cases: list[Case]) -> _Run:
    candidate, baseline = _WORKER["candidate"], _WORKER["baseline"]
    assert candidate is not None
    run = _Run.empty(baseline is not None)
    for case in cases:
        run.feed(candidate, baseline, case)
    return run


def _parallel(candidate: Strategy, baseline: Strategy | None, cases: Iterable[Case],
              workers: int, chunk: int, progress: Callable[[int], None] | None) -> _Run:
    total = _Run.empty(baseline is not None)
    docs = (candidate.document, baseline.document if baseline is not None else None)
    with ProcessPoolExecutor(workers, initializer=_start_worker, initargs=docs) as pool:
        pending: set[Future[_Run]] = set()
        for batch in _batches(cases, chunk):
            pending.add(pool.submit(_run_chunk, batch))
            if len(pending) >= workers * 2:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                _collect(done, total, progress)
        _collect(wait(pending)[0], total, progress)
    return total


def _collect(done: Iterable[Future[_Run]], total: _Run,
             progress: Callable[[int], None] | None) -> None:
    for future in done:
        part = future.result()
        total.add(part)
        if progress is not None:
            progress(part.cases)


def _batches(cases: Iterable[Case], size: int) -> Iterator[list[Case]]:
    batch: list[Case] = []
    for case in cases:
        batch.append(case)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _bands(scores: list[float], width: float) -> list[tuple[float | None, float | None]]:
    if not scores:
        return []
    low = math.floor(min(scores) / width) * width
    high = math.floor(max(scores) / width) * width + width
    edges = [low + i * width for i in range(int((high - low) / width) + 1)]
    return list(zip(edges, edges[1:], strict=False))  # type: ignore[arg-type]


def expected_bad_rate(strategy: Strategy, score: float) -> float | None:
    """The bad rate the primary scorecard's scaling promises at `score`: odds (good:bad) are
    base_odds at base_points and double every pdo points."""
    cards = strategy.document.get("scorecards") or []
    scaling = (cards[0].get("scorecard", {}).get("scaling") if cards else None) or {}
    try:
        points, odds, pdo = (float(scaling[k]) for k in ("base_points", "base_odds", "pdo"))
    except (KeyError, TypeError, ValueError):
        return None
    good_odds = odds * 2 ** ((score - points) / pdo)
    return 1 / (1 + good_odds)


def _bad_rates(strategy: Strategy, outcomes: list[tuple[float, bool]],
               bands: list[tuple[float | None, float | None]]) -> list[dict[str, Any]]:
    rows = []
    for lo, hi in bands:
        known = [bad for score, bad in outcomes if _within(score, lo, hi)]
        mid = None if lo is None or hi is None else (lo + hi) / 2
        expected = expected_bad_rate(strategy, mid) if mid is not None else None
        rows.append({"lower": lo, "upper": hi, "known_outcomes": len(known),
                     "expected_bad_rate": None if expected is None else round(expected, 4),
                     "observed_bad_rate": round(sum(known) / len(known), 4) if known else None})
    return rows


def read_csv(path: Path, strategy: Strategy, outcome: str = "bad",
             number_of: Callable[[str], int] | None = None) -> Iterator[Case]:
    """Cases from a CSV file: one column per input (empty = null), the outcome column
    (1/0, true/false, bad/good), and `random_number` or `subject_id` for the arm."""
    types = {name: spec.type for name, spec in strategy.inputs.items()}
    with path.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            inputs = {k: _cell(types[k], v, line, k) for k, v in row.items() if k in types}
            yield Case(inputs, _number(row, number_of, line), _outcome(row.get(outcome)))


def _cell(kind: str, text: str | None, line: int, column: str) -> Any:
    if text is None or text.strip() == "":
        return None
    text = text.strip()
    try:
        if kind == "number":
            value = float(text)
            return int(value) if value.is_integer() and "." not in text else value
        if kind == "boolean":
            if text.lower() in TRUE_WORDS or text.lower() in FALSE_WORDS:
                return text.lower() in TRUE_WORDS
            raise ValueError(text)
        return text
    except ValueError:
        raise ValueError(f"line {line}, column {column}: {text!r} is not a {kind}") from None


def _number(row: dict[str, str], number_of: Callable[[str], int] | None, line: int) -> int:
    raw = (row.get("random_number") or "").strip()
    if raw:
        value = int(raw)
        if not 0 <= value <= 999:
            raise ValueError(f"line {line}: random_number is 0 to 999")
        return value
    subject = (row.get("subject_id") or "").strip()
    if subject and number_of is not None:
        return number_of(subject)
    return (line * 7919) % 1000  # no subject: spread the rows evenly over the arms


def _outcome(text: str | None) -> bool | None:
    if text is None or not text.strip():
        return None
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None
