"""The posting rules of loan events book balanced entries on the right accounts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fengkong.ledger import rules
from fengkong.ledger.posting import Line, check_lines
from fengkong.ledger.rules import Parts

D = Decimal


def sides(lines: list[Line]) -> dict[str, tuple[str, str]]:
    check_lines(lines)  # every rule books a balanced entry
    return {x.account_code: (f"{x.debit}", f"{x.credit}") for x in lines}


def test_a_disbursement_net_of_an_upfront_fee_books_the_fee_as_income() -> None:
    lines = rules.disbursement(D("100000.00"), channel="bank", loan_id="L1",
                               deducted_fee=D("1000.00"))
    assert sides(lines) == {"principal_receivable": ("100000.00", "0"),
                            "cash:bank": ("0", "99000.00"), "fee_income": ("0", "1000.00")}
    assert {x.loan_id for x in lines} == {"L1"}


def test_an_accrual_moves_each_component_from_income_to_its_receivable() -> None:
    lines = rules.accrual(Parts(interest=D("12.50"), penalty=D("0.40")))
    assert sides(lines) == {"interest_receivable": ("12.50", "0"),
                            "interest_income": ("0", "12.50"),
                            "penalty_receivable": ("0.40", "0"),
                            "penalty_income": ("0", "0.40")}


def test_a_repayment_credits_each_component_and_holds_the_excess() -> None:
    parts = Parts(principal=D("800"), interest=D("150"), fee=D("30"), penalty=D("5"))
    lines = rules.repayment(parts, channel="alipay", overpayment=D("15"), org_unit_id="U1")
    assert sides(lines) == {"cash:alipay": ("1000", "0"), "principal_receivable": ("0", "800"),
                            "interest_receivable": ("0", "150"), "fee_receivable": ("0", "30"),
                            "penalty_receivable": ("0", "5"),
                            "overpayment_liability": ("0", "15")}
    assert {x.org_unit_id for x in lines} == {"U1"}


def test_a_waiver_undoes_the_accrual_of_what_is_waived() -> None:
    assert sides(rules.waiver(Parts(fee=D("30")))) == {"fee_income": ("30", "0"),
                                                       "fee_receivable": ("0", "30")}
    with pytest.raises(ValueError):
        rules.waiver(Parts(principal=D("1")))


def test_a_writeoff_clears_principal_and_receivables_to_the_loss_account() -> None:
    lines = rules.writeoff(Parts(principal=D("5000"), interest=D("120")))
    assert sides(lines) == {"writeoff_expense": ("5120", "0"),
                            "principal_receivable": ("0", "5000"),
                            "interest_receivable": ("0", "120")}


def test_recoveries_and_refunds_move_cash() -> None:
    assert sides(rules.recovery(D("700"), channel="bank")) == {
        "cash:bank": ("700", "0"), "recovery_income": ("0", "700")}
    assert sides(rules.refund(D("15"), channel="bank")) == {
        "overpayment_liability": ("15", "0"), "cash:bank": ("0", "15")}


def test_zero_components_book_no_line() -> None:
    assert rules.accrual(Parts()) == []
    assert len(rules.repayment(Parts(principal=D("1")), channel="bank")) == 2
