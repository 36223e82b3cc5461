"""Quote benchmark: loan schedules per second, fengkong's Decimal engine against numpy-financial.

The peer computes the same loans' annuity schedules (`pmt` + `ipmt` + `ppmt`, rounded to the
fen), in the same run, best of a few rounds each.

    python -m benchmarks.quote [--size 2000] [--rounds 3] [--seed 1]

The loans are random but realistic: 5,000 to 500,000 yuan at 4 to 24 %, 6 to 60 monthly
installments, mixed amortizations, some with upfront and monthly fees, broken first periods,
grace and installment multiples. The peer computes annuities only and states no APR, so
fengkong is also timed on those same loans as plain annuities.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import numpy_financial as npf
from rich.console import Console
from rich.table import Table

from benchmarks._harness import emit
from fengkong.loans import LoanTerms, parse_terms, quote, quote_to_dict

AMORTIZATIONS = (["equal_installments"] * 35 + ["equal_principal"] * 20 + ["flat"] * 20
                 + ["balloon"] * 12 + ["interest_only"] * 8 + ["bullet"] * 5)


def main() -> None:
    args = _parse()
    rng = random.Random(args.seed)
    mixed = [_random_terms(rng) for _ in range(args.size)]
    terms = [parse_terms(data) for data in mixed]
    annuities = [parse_terms(_as_annuity(data)) for data in mixed]

    def engine() -> None:
        for t in terms:
            quote(t)

    def api_shape() -> None:
        for data in mixed:
            quote_to_dict(quote(parse_terms(data)))

    def engine_annuities() -> None:
        for t in annuities:
            quote(t)

    def peer() -> None:
        for t in annuities:
            _numpy_financial_schedule(t)

    engine_annuities()   # warm both sides up
    peer()
    timings = {
        "engine": _best(engine, args.rounds),
        "api_shape": _best(api_shape, args.rounds),
        "engine_annuities": _best(engine_annuities, args.rounds),
        "peer": _best(peer, args.rounds),
    }
    _report(args.size, timings)


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quote", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=2000, help="quotes (default 2000)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds per measurement; the best counts (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args()
    if args.size < 1 or args.rounds < 1:
        parser.error("need --size >= 1 and --rounds >= 1")
    return args


def _random_terms(rng: random.Random) -> dict[str, Any]:
    principal = Decimal(rng.randrange(5_000, 500_000) * 100).scaleb(-2)
    amortization = rng.choice(AMORTIZATIONS)
    term = rng.randrange(6, 61)
    disbursed = date(2024, 1, 1) + timedelta(days=rng.randrange(730))
    data: dict[str, Any] = {
        "principal": str(principal),
        "annual_rate": str(Decimal(rng.randrange(400, 2400)).scaleb(-2)),
        "term": term,
        "amortization": amortization,
        "disbursement_date": disbursed.isoformat(),
        "days_in_year": rng.choice(["actual", "360", "365"]),
    }
    if amortization == "balloon":
        data["balloon_amount"] = str((principal * rng.randrange(10, 40) / 100).quantize(1))
    if rng.random() < 0.2 and amortization != "bullet":
        data["first_repayment_date"] = (disbursed + timedelta(days=rng.randrange(10, 50))
                                        ).isoformat()
    if rng.random() < 0.1 and amortization != "bullet":
        data["grace_on_principal"] = rng.randrange(1, 4)
    if rng.random() < 0.2:
        data["installment_multiple"] = "1"
    fees: dict[str, Any] = {}
    if rng.random() < 0.3:
        fees["upfront"] = {"percent": str(rng.randrange(1, 5)),
                           "mode": rng.choice(["deducted", "financed"])}
    if rng.random() < 0.4:
        fees["per_installment"] = str(rng.choice([30, 50, 80, 120]))   # GPS service fee
    if fees:
        data["fees"] = fees
    return data


def _as_annuity(data: dict[str, Any]) -> dict[str, Any]:
    """The same loan as a plain monthly annuity: what numpy-financial computes."""
    keep = ("principal", "annual_rate", "term", "disbursement_date")
    return {key: data[key] for key in keep} | {"days_in_year": "360", "days_in_month": "30"}


def _numpy_financial_schedule(terms: LoanTerms) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Installment, interest and principal per period, rounded to the fen half-even, the last
    principal taking the residue: the peer's version of the same schedule."""
    rate, n, pv = float(terms.annual_rate) / 1200, terms.term, float(terms.principal)
    periods = np.arange(1, n + 1)
    payment = np.round(-npf.pmt(rate, n, pv), 2)
    interest = np.round(-npf.ipmt(rate, periods, n, pv), 2)
    principal = np.round(-npf.ppmt(rate, periods, n, pv), 2)
    principal[-1] = round(pv - principal[:-1].sum(), 2)
    return np.full(n, payment), interest, pv - np.cumsum(principal)


def _best(run: Callable[[], None], rounds: int) -> float:
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - started)
    return min(seconds)


def _report(size: int, timings: dict[str, float]) -> None:
    rates = {name: size / seconds for name, seconds in timings.items()}
    table = Table(title=f"Loan quotes: {size} loans, 6–60 monthly installments (best round)")
    for column in ("what", "work per loan", "seconds", "quotes/s"):
        table.add_column(column, justify="right" if column in ("seconds", "quotes/s") else "left")
    rows = [
        ("fengkong quote", "mixed amortizations, fees, dates, APR (IRR)", "engine"),
        ("fengkong, API shape", "parse_terms + quote + quote_to_dict", "api_shape"),
        ("fengkong quote", "same loans as annuities, APR (IRR)", "engine_annuities"),
        ("numpy-financial", "pmt + ipmt + ppmt, rounded; no dates, no APR", "peer"),
    ]
    for what, work, key in rows:
        table.add_row(what, work, f"{timings[key]:.3f}", f"{rates[key]:,.0f}")
    Console().print(table)
    emit({"benchmark": "quote", "quotes": size, "seconds": round(timings["engine"], 4),
          "quotes_per_second": round(rates["engine"], 1),
          "api_shape_quotes_per_second": round(rates["api_shape"], 1),
          "annuity_quotes_per_second": round(rates["engine_annuities"], 1),
          "peer": "numpy-financial", "peer_quotes_per_second": round(rates["peer"], 1)})


if __name__ == "__main__":
    main()
