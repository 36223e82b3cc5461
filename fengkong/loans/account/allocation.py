"""Allocation orders: which parts of which installments a payment reaches, and in what order.

An order is a sequence of `Rule`s. A rule reaches the installments whose due date is, relative
to the value date, `past_due` (before it), `due` (on it) or `in_advance` (after it), oldest
first (in advance: the next installment first), and pays the `parts` it names:

- one part per rule — Fineract's advanced payment allocation, the data-driven order of the
  12 rules {past_due, due, in_advance} × {penalty, fee, interest, principal}: a rule pays its
  part on every installment it reaches before the next rule starts (vertical);
- several parts — Fineract's legacy strategies: one installment's parts are all paid, in
  order, before the next installment is touched (horizontal).

Presets, after Fineract's processors:

- `penalties_fees_interest_principal` (mifos-standard-strategy, the default): installment by
  installment, oldest first, penalty → fee → interest → principal.
- `interest_principal_penalties_fees` (interest-principal-penalties-fees-order-strategy):
  installment by installment, interest → principal → penalty → fee.
- `rbi` (rbi-india-strategy): penalty, fee and interest of every installment due by the
  value date (oldest first, installment by installment), then their principal oldest first;
  installments not yet due are then paid penalty → fee → interest → principal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal, cast, get_args

from fengkong.core.errors import InvalidInput
from fengkong.loans.account.types import PARTS, InstallmentState, Part

When = Literal["past_due", "due", "in_advance"]
WHENS: tuple[When, ...] = get_args(When)
DUE_BY = ("past_due", "due")


@dataclass(frozen=True, slots=True)
class Rule:
    when: tuple[When, ...]
    parts: tuple[Part, ...]

    def __str__(self) -> str:
        return f"{'+'.join(self.when)}.{','.join(self.parts)}"


_ALL: tuple[When, ...] = ("past_due", "due", "in_advance")
_DUE: tuple[When, ...] = ("past_due", "due")
PRESETS: dict[str, tuple[Rule, ...]] = {
    "penalties_fees_interest_principal": (
        Rule(_ALL, ("penalty", "fee", "interest", "principal")),),
    "interest_principal_penalties_fees": (
        Rule(_ALL, ("interest", "principal", "penalty", "fee")),),
    "rbi": (
        Rule(_DUE, ("penalty", "fee", "interest")),
        Rule(_DUE, ("principal",)),
        Rule(("in_advance",), ("penalty", "fee", "interest", "principal")),
    ),
}
# Pays whatever is owed on installments due by the value date, in any order.
EVERYTHING_DUE = (Rule(_DUE, ("penalty", "fee", "interest", "principal")),)


def allocation_order(allocation: str | Sequence[str]) -> tuple[Rule, ...]:
    """A preset's rules, or the rules named `when.part` in the given order."""
    if isinstance(allocation, str):
        if allocation not in PRESETS:
            raise InvalidInput(f"allocation is one of {sorted(PRESETS)} or a list of rules",
                               code="invalid_choice", field="allocation")
        return PRESETS[allocation]
    rules = []
    for i, name in enumerate(allocation):
        when, _, part = name.partition(".")
        if when not in WHENS or part not in PARTS:
            raise InvalidInput(f"{name!r} is not <past_due|due|in_advance>.<penalty|fee|"
                               "interest|principal>", code="invalid_choice",
                               field=f"allocation.{i}")
        rules.append(Rule((cast(When, when),), (cast(Part, part),)))
    if not rules:
        raise InvalidInput("an allocation order names at least one rule",
                           code="incomplete_rules", field="allocation")
    return tuple(rules)


def due_only(rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
    """The same order restricted to installments due by the value date (what a prepayment
    clears before it reduces principal)."""
    kept = []
    for rule in rules:
        when = tuple(w for w in rule.when if w in DUE_BY)
        if when:
            kept.append(Rule(when, rule.parts))
    return tuple(kept)


def timing(due_date: date, value_date: date) -> When:
    if due_date < value_date:
        return "past_due"
    return "due" if due_date == value_date else "in_advance"


Paid = dict[int, dict[Part, Decimal]]


def allocate(rows: Sequence[InstallmentState], amount: Decimal, value_date: date,
             rules: tuple[Rule, ...], paid: Paid | None = None) -> tuple[Decimal, Paid]:
    """Pay `amount` into `rows` (in due-date order) by `rules`; returns what is left over and
    what each installment received, by number and part (added to `paid` when given)."""
    paid = {} if paid is None else paid
    left = amount
    for rule in rules:
        for row in rows:
            if timing(row.due_date, value_date) not in rule.when:
                continue
            for part in rule.parts:
                if not left:
                    return left, paid
                take = min(row.owed(part), left)
                if take > 0:
                    row.add(f"{part}_paid", take)
                    left -= take
                    bucket = paid.setdefault(row.number, {})
                    bucket[part] = bucket.get(part, Decimal(0)) + take
    return left, paid
