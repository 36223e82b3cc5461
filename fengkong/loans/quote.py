"""A quote: the schedule of a loan with its totals and disclosed annual rates."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from fengkong.loans.apr import AnnualRates, annual_rates
from fengkong.loans.calendar import first_period_is_whole, periods_per_year
from fengkong.loans.schedule import Installment, installments
from fengkong.loans.terms import DECIMALS, LoanTerms


@dataclass(frozen=True, slots=True)
class Quote:
    terms: LoanTerms
    installments: tuple[Installment, ...]
    rates: AnnualRates

    @property
    def apr(self) -> Decimal | None:
        """Nominal annual IRR of the borrower's cash flows, in percent (see `loans.apr`);
        None beyond 10^15 %."""
        return self.rates.apr

    @property
    def effective_annual_rate(self) -> Decimal | None:
        """(1 + periodic IRR)^(periods a year) − 1, in percent; None beyond 10^15 %."""
        return self.rates.effective_annual_rate

    @property
    def principal(self) -> Decimal:
        return self._money(self.terms.principal)

    @property
    def disbursed_amount(self) -> Decimal:
        return self._money(self.terms.disbursed_amount)

    @property
    def upfront_fee(self) -> Decimal:
        return self.terms.upfront_fee

    @property
    def financed_principal(self) -> Decimal:
        return self._money(self.terms.financed_principal)

    @property
    def total_principal(self) -> Decimal:
        return self._sum("principal")

    @property
    def total_interest(self) -> Decimal:
        return self._sum("interest")

    @property
    def total_fees(self) -> Decimal:
        """Fees paid with the installments; the upfront fee is reported on its own."""
        return self._sum("fees")

    @property
    def total_repayment(self) -> Decimal:
        return self._sum("total")

    def _sum(self, column: str) -> Decimal:
        with localcontext(DECIMALS):
            return self._money(sum((getattr(row, column) for row in self.installments),
                                   Decimal(0)))

    def _money(self, amount: Decimal) -> Decimal:
        return amount.quantize(Decimal(1).scaleb(-self.terms.digits), context=DECIMALS)


def quote(terms: LoanTerms) -> Quote:
    rows = installments(terms)
    return Quote(terms, rows, _rates(terms, rows))


def quote_to_dict(q: Quote) -> dict[str, Any]:
    """The JSON shape of a quote: money as decimal strings, dates in ISO 8601."""
    return {
        "principal": _text(q.principal),
        "financed_principal": _text(q.financed_principal),
        "upfront_fee": _text(q.upfront_fee),
        "disbursed_amount": _text(q.disbursed_amount),
        "installments": [
            {
                "number": row.number,
                "due_date": row.due_date.isoformat(),
                "principal": _text(row.principal),
                "interest": _text(row.interest),
                "fees": _text(row.fees),
                "total": _text(row.total),
                "balance": _text(row.balance),
            }
            for row in q.installments
        ],
        "total_principal": _text(q.total_principal),
        "total_interest": _text(q.total_interest),
        "total_fees": _text(q.total_fees),
        "total_repayment": _text(q.total_repayment),
        "apr": _rate_text(q.apr),
        "effective_annual_rate": _rate_text(q.effective_annual_rate),
        "apr_method": q.rates.method,
    }


def _rates(terms: LoanTerms, rows: tuple[Installment, ...]) -> AnnualRates:
    per_year = periods_per_year(terms.frequency)
    if terms.frequency.unit != "days" and first_period_is_whole(terms):
        # A bullet's single installment falls due at the end of the whole term.
        first = terms.term - len(rows) + 1
        times = [float(k) for k in range(first, terms.term + 1)]
        method = "periodic_irr"
    else:
        scale = float(per_year) / 365
        times = [(row.due_date - terms.disbursement_date).days * scale for row in rows]
        method = "xirr"
    return annual_rates(terms.disbursed_amount, times, [row.total for row in rows], per_year,
                        method)


def _text(amount: Decimal) -> str:
    return f"{amount:f}"


def _rate_text(rate: Decimal | None) -> str | None:
    return None if rate is None else _text(rate)
