"""The balance rule: an entry balances to the fen, each line on one side, or it is refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fengkong.core.errors import InvalidInput
from fengkong.ledger.chart import AccountType
from fengkong.ledger.posting import (
    AccountTotal,
    Entry,
    EntryKind,
    FenLine,
    Line,
    TrialBalance,
    check_entry,
    check_lines,
    normal_balance,
    swapped,
    to_fen,
)

D = Decimal
DAY = date(2026, 1, 5)


def refused(lines: list[Line]) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        check_lines(lines)
    return caught.value


def test_a_balanced_entry_is_converted_to_fen() -> None:
    lines = check_lines([Line("cash:bank", debit=D("100.10")),
                         Line("principal_receivable", credit=D("90")),
                         Line("interest_receivable", credit=D("10.1"), loan_id="L1")])
    assert lines == [FenLine("cash:bank", 10010, 0), FenLine("principal_receivable", 0, 9000),
                     FenLine("interest_receivable", 0, 1010, "L1")]


def test_an_entry_off_by_one_fen_is_refused_naming_the_difference() -> None:
    err = refused([Line("a", debit=D("10.00")), Line("b", credit=D("9.99"))])
    assert (err.code, err.field) == ("unbalanced_entry", "lines")
    assert "0.01" in err.detail


@pytest.mark.parametrize(("line", "field"), [
    (Line("b", debit=D("1"), credit=D("1")), "lines.1.credit"),
    (Line("b"), "lines.1.debit"),
    (Line("b", credit=D("-1")), "lines.1.credit"),
    (Line("b", credit=D("1.001")), "lines.1.credit"),
    (Line("b", debit=D("NaN")), "lines.1.debit"),
    (Line("b", credit=D("Infinity")), "lines.1.credit"),
])
def test_a_line_that_is_not_one_positive_side_in_fen_is_refused(line: Line, field: str) -> None:
    err = refused([Line("a", debit=D("1")), line])
    assert (err.code, err.field) == ("unbalanced_entry", field)


def test_trailing_zeros_beyond_the_fen_are_not_extra_decimals() -> None:
    assert to_fen(D("1.2300"), "x") == 123
    assert to_fen(D("1E+3"), "x") == 100000


def test_an_entry_needs_a_debit_and_a_credit() -> None:
    assert refused([]).field == "lines"
    assert refused([Line("a", debit=D("0"))]).code == "unbalanced_entry"


def test_an_absurdly_large_line_is_out_of_range() -> None:
    err = refused([Line("a", debit=D("1e15")), Line("b", credit=D("1e15"))])
    assert (err.code, err.field) == ("out_of_range", "lines.0.debit")


def test_only_a_reversal_names_the_entry_it_reverses() -> None:
    lines = [Line("a", debit=D(1)), Line("b", credit=D(1))]
    with pytest.raises(InvalidInput) as caught:
        check_entry(Entry(DAY, EntryKind.MANUAL, lines, "ref", reverses="E1"))
    assert caught.value.field == "kind"
    with pytest.raises(InvalidInput):
        check_entry(Entry(DAY, EntryKind.REVERSAL, lines, "ref"))
    assert check_entry(Entry(DAY, "reversal", lines, "ref", reverses="E1")).kind \
        is EntryKind.REVERSAL


def test_an_unknown_kind_or_missing_reference_is_refused_with_the_batch_position() -> None:
    lines = [Line("a", debit=D(1)), Line("b", credit=D(1))]
    with pytest.raises(InvalidInput) as caught:
        check_entry(Entry(DAY, "gift", lines, "ref"), "entries.3.")
    assert (caught.value.code, caught.value.field) == ("invalid_choice", "entries.3.kind")
    with pytest.raises(InvalidInput) as caught:
        check_entry(Entry(DAY, "manual", lines, ""), "entries.0.")
    assert caught.value.field == "entries.0.reference"


def test_a_reversal_swaps_every_side() -> None:
    lines = [FenLine("a", 500, 0, "L1", "U1"), FenLine("b", 0, 500, None, "U2")]
    assert swapped(lines) == [FenLine("a", 0, 500, "L1", "U1"), FenLine("b", 500, 0, None, "U2")]
    assert swapped(swapped(lines)) == lines


def test_balances_read_in_the_accounts_own_direction() -> None:
    assert normal_balance(AccountType.ASSET, 700, 200) == 500
    assert normal_balance(AccountType.EXPENSE, 700, 200) == 500
    assert normal_balance(AccountType.INCOME, 200, 700) == 500
    assert normal_balance(AccountType.LIABILITY, 0, 300) == 300


def test_a_trial_balance_sums_debits_and_credits_over_its_rows() -> None:
    tb = TrialBalance(DAY, [AccountTotal("cash:bank", "Cash", AccountType.ASSET, 1000, 400),
                            AccountTotal("fee_income", "Fees", AccountType.INCOME, 0, 600)])
    assert (tb.debit, tb.credit, tb.balanced) == (1000, 1000, True)
    assert [r.balance for r in tb.rows] == [600, 600]
