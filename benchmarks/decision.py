"""Decision benchmark: fengkong's engine beside GoRules ZEN (zen-engine) in the same run.

1. The 10-row first-hit table over four inputs from the decisioning notes, evaluated from
   Python: fengkong checks the inputs and records its trace (rows hit, outputs); ZEN through
   its fastest path (static loader, `engine.evaluate`), without and with its trace.
2. A full application strategy: 30 knock-out and refer rules, 4 derived variables, a 10-row
   pricing table, a 10-characteristic scorecard with reason codes, a segmentation tree and
   two arms, with the full trace (goal: 20,000 decisions/s on one core).
3. Simulation: `--size` random historical cases (default 1,000,000) through a candidate
   and the champion strategy, with the comparison report (goal: 60 s).
4. The HTTP decision API: the real server with the demo strategies, `--http-requests`
   decisions offered at `--rate` per second (open loop), its p50/p99 beside `GET /healthz`
   at the same rate (0 requests skips it).

    python -m benchmarks.decision [--size 1000000] [--seconds 2] [--repeats 3]
                                  [--rate 200] [--http-requests 2000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import zen
from rich.console import Console
from rich.table import Table

from benchmarks._decision_http import measure
from benchmarks._harness import emit, progress
from benchmarks._strategies import (
    application_case,
    application_cases,
    application_strategy,
    table_cases,
    table_jdm,
    table_strategy,
)
from fengkong.decision.document import compile_strategy
from fengkong.decision.engine import coerce_inputs, evaluate
from fengkong.decision.simulation import Case, simulate


def _rate(fn: Callable[[Any], Any], inputs: list[Any], seconds: float, repeats: int) -> float:
    rates = []
    for _ in range(repeats):
        n, started = 0, time.perf_counter()
        while True:
            for item in inputs:
                fn(item)
            n += len(inputs)
            elapsed = time.perf_counter() - started
            if elapsed >= seconds:
                break
        rates.append(n / elapsed)
    return statistics.median(rates)


def _table(seconds: float, repeats: int) -> dict[str, float]:
    strategy = compile_strategy(table_strategy())
    cases = table_cases(1000)
    nested = [{"applicant": c} for c in cases]
    engine = zen.ZenEngine({"loader": {"type": "static", "content": {"policy.json": table_jdm()}}})

    def ours(case: dict[str, Any]) -> Any:
        values, bad = coerce_inputs(strategy, case)
        return evaluate(strategy, values, 0)

    for case, wrapped in zip(cases[:200], nested[:200], strict=True):  # same answers
        mine = ours(case).outputs
        theirs = engine.evaluate("policy.json", wrapped)["result"]
        assert (mine["decision"].upper(), mine["reason_code"]) == (
            theirs["decision"], theirs["reasonCode"]), (case, mine, theirs)
    return {
        "fengkong": _rate(ours, cases, seconds, repeats),
        "zen": _rate(lambda c: engine.evaluate("policy.json", c), nested, seconds, repeats),
        "zen_trace": _rate(lambda c: engine.evaluate("policy.json", c, {"trace": True}),
                           nested, seconds, repeats),
    }


def _strategy(seconds: float, repeats: int) -> float:
    strategy = compile_strategy(application_strategy())
    cases = application_cases(2000)
    numbers = [random.Random(i).randrange(1000) for i in range(len(cases))]
    pairs = list(zip(cases, numbers, strict=True))

    def decide(pair: tuple[dict[str, Any], int]) -> Any:
        values, bad = coerce_inputs(strategy, pair[0])
        return evaluate(strategy, values, pair[1])
    return _rate(decide, pairs, seconds, repeats)


def _candidate() -> dict[str, Any]:
    doc = application_strategy()
    doc["name"] = "bench_application_candidate"
    doc["tree"]["branches"][0]["when"] = "score < 480"
    doc["tree"]["branches"][1]["when"] = "score < 505"
    return doc


def _simulation(size: int, workers: int) -> dict[str, Any]:
    """`size` cases drawn from a pool of 20,000 generated applicants (so that generating
    them is not what is timed), each with its own random number and outcome."""
    candidate, champion = compile_strategy(_candidate()), compile_strategy(
        application_strategy())
    rnd = random.Random(11)
    pool = [application_case(rnd) for _ in range(min(size, 20_000))]

    def cases() -> Iterator[Case]:
        for i in range(size):
            yield Case(pool[i % len(pool)], (i * 7919) % 1000, i % 10 == 0)
    with progress() as bar:
        task = bar.add_task("simulation", total=size)
        started = time.perf_counter()
        report = simulate(candidate, champion, cases(), workers=workers,
                          progress=lambda k: bar.advance(task, k))
        report["wall_seconds"] = time.perf_counter() - started
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1_000_000, help="simulated cases")
    parser.add_argument("--seconds", type=float, default=2.0, help="per timed round")
    parser.add_argument("--repeats", type=int, default=3, help="rounds (median kept)")
    parser.add_argument("--workers", type=int, default=1, help="simulation processes")
    parser.add_argument("--rate", type=float, default=200.0, help="HTTP requests per second")
    parser.add_argument("--http-requests", type=int, default=2000,
                        help="HTTP decisions to send (0: skip the HTTP part)")
    args = parser.parse_args()
    http = measure(args.rate, args.http_requests) if args.http_requests > 0 else None
    table = _table(args.seconds, args.repeats)
    full = _strategy(args.seconds, args.repeats)
    sim = _simulation(args.size, args.workers)
    out = Table(title="Decision engine (median of rounds; same inputs for both engines)")
    for column in ("what", "engine", "per second"):
        out.add_column(column, justify="right" if column == "per second" else "left")
    out.add_row("10-row first-hit table, 4 inputs", "fengkong (inputs checked, trace)",
                f"{table['fengkong']:,.0f}")
    out.add_row("", "zen-engine static loader", f"{table['zen']:,.0f}")
    out.add_row("", "zen-engine static loader, trace", f"{table['zen_trace']:,.0f}")
    out.add_row("application strategy (30 rules, table, 10-char scorecard, tree)",
                "fengkong (trace)", f"{full:,.0f}")
    out.add_row(f"simulation, {args.size:,} cases x 2 strategies", "fengkong",
                f"{args.size / sim['wall_seconds']:,.0f}")
    if http is not None:
        for name, lat in (("POST /api/v1/decisions/application", http["decisions"]),
                          ("GET /healthz (floor)", http["healthz"])):
            out.add_row(f"HTTP at {args.rate:.0f}/s offered: {name}",
                        f"p50 {lat.ms(50):.1f} ms, p99 {lat.ms(99):.1f} ms",
                        f"{lat.rate:,.0f}")
    Console().print(out)
    Console().print(f"simulation: {sim['wall_seconds']:.1f} s ({args.workers} process(es); "
                    f"engine {sim['candidate']['seconds'] + sim['baseline']['seconds']:.1f} s"
                    f" of it); approval "
                    f"{sim['baseline']['approval_rate']} -> {sim['candidate']['approval_rate']}"
                    f"; swap in {sim['swap_in']}, swap out {sim['swap_out']}")
    emit({"benchmark": "decision",
          "table_evaluations_per_second": round(table["fengkong"]),
          "zen_table_evaluations_per_second": round(table["zen"]),
          "zen_table_trace_evaluations_per_second": round(table["zen_trace"]),
          "strategy_decisions_per_second": round(full),
          "simulation_cases": args.size,
          "simulation_seconds": round(sim["wall_seconds"], 2),
          "simulation_workers": args.workers,
          **({"http_rate_offered": args.rate,
              "http_decision_p50_ms": round(http["decisions"].ms(50), 1),
              "http_decision_p99_ms": round(http["decisions"].ms(99), 1),
              "http_healthz_p99_ms": round(http["healthz"].ms(99), 1)} if http else {}),
          "peer": f"zen-engine {getattr(zen, '__version__', '')}".strip()})


if __name__ == "__main__":
    main()
