"""Properties of the balance rule over random entries (hypothesis)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fengkong.core.errors import InvalidInput
from fengkong.ledger.chart import default_accounts
from fengkong.ledger.posting import AccountTotal, Line, TrialBalance, check_lines, swapped

ACCOUNTS = {spec.code: spec for spec in default_accounts()}
codes = st.sampled_from(sorted(ACCOUNTS))
fen = st.integers(1, 10**12)


@st.composite
def balanced_lines(draw: st.DrawFn) -> list[Line]:
    """Random debits and credits split so that both sides add up to the same total."""
    debits = draw(st.lists(fen, min_size=1, max_size=6))
    total = sum(debits)
    cuts = sorted(draw(st.lists(st.integers(1, total - 1), max_size=5, unique=True))) \
        if total > 1 else []
    credits = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
    lines = [Line(draw(codes), debit=Decimal(d).scaleb(-2)) for d in debits]
    lines += [Line(draw(codes), credit=Decimal(c).scaleb(-2)) for c in credits]
    return draw(st.permutations(lines))


def trial_balance(entries: list[list[Line]]) -> TrialBalance:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for lines in entries:
        for x in check_lines(lines):
            totals[x.account_code][0] += x.debit
            totals[x.account_code][1] += x.credit
    return TrialBalance(None, [AccountTotal(code, ACCOUNTS[code].name, ACCOUNTS[code].type,
                                            d, c) for code, (d, c) in totals.items()])


@given(st.lists(balanced_lines(), max_size=20))
def test_any_list_of_balanced_entries_keeps_the_trial_balance_at_zero(
    entries: list[list[Line]]
) -> None:
    tb = trial_balance(entries)
    assert tb.balanced
    assert sum(r.debit - r.credit for r in tb.rows) == 0


@given(balanced_lines(), st.integers(-10**6, 10**6).filter(bool), st.data())
def test_an_entry_with_any_line_nudged_by_some_fen_is_refused(
    lines: list[Line], nudge: int, data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(lines) - 1))
    line = lines[i]
    amount = (line.debit or line.credit) + Decimal(nudge).scaleb(-2)
    side = "debit" if line.debit else "credit"
    bad = [*lines[:i], Line(line.account_code, **{side: amount}), *lines[i + 1:]]
    with pytest.raises(InvalidInput) as caught:
        check_lines(bad)
    assert caught.value.code == "unbalanced_entry"


@given(balanced_lines())
def test_an_entry_and_its_reversal_cancel_out_on_every_account(lines: list[Line]) -> None:
    checked = check_lines(lines)
    net: dict[str, int] = defaultdict(int)
    for x in [*checked, *swapped(checked)]:
        net[x.account_code] += x.debit - x.credit
    assert set(net.values()) == {0}
