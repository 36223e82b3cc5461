"""The default chart of accounts and the rules for accounts a tenant adds."""

from __future__ import annotations

import pytest

from fengkong.core.errors import InvalidInput
from fengkong.ledger import chart
from fengkong.ledger.chart import AccountType


def test_the_default_chart_has_every_account_the_loan_events_book() -> None:
    codes = {spec.code for spec in chart.default_accounts()}
    assert codes == {
        "principal_receivable", "interest_receivable", "fee_receivable", "penalty_receivable",
        "interest_income", "fee_income", "penalty_income", "funder_payable",
        "overpayment_liability", "writeoff_expense", "recovery_income", "suspense", "cash:bank"}


def test_receivables_and_cash_are_assets_and_income_is_income() -> None:
    types = {spec.code: spec.type for spec in chart.default_accounts()}
    assert types["principal_receivable"] is AccountType.ASSET
    assert types["cash:bank"] is AccountType.ASSET
    assert types["interest_income"] is AccountType.INCOME
    assert types["overpayment_liability"] is AccountType.LIABILITY
    assert types["writeoff_expense"] is AccountType.EXPENSE


def test_assets_and_expenses_grow_with_debits_the_rest_with_credits() -> None:
    assert [t for t in AccountType if t.debit_normal] == [AccountType.ASSET, AccountType.EXPENSE]


def test_a_payment_channel_gets_a_cash_account_of_its_own() -> None:
    spec = chart.cash_account("alipay")
    assert (spec.code, spec.type) == ("cash:alipay", AccountType.ASSET)
    assert chart.is_cash_code("cash:wechat_pay")
    assert not chart.is_cash_code("cash:")
    assert not chart.is_cash_code("suspense")


@pytest.mark.parametrize("channel", ["", "Bank", "a b", "bank:x", "x" * 41])
def test_a_channel_name_outside_the_pattern_is_refused(channel: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        chart.cash_code(channel)
    assert caught.value.code == "bad_format"


def test_a_tenant_may_add_an_account_with_a_lower_case_code() -> None:
    spec = chart.check_new_account("bank-charges", "Bank charges", AccountType.EXPENSE)
    assert spec == chart.AccountSpec("bank-charges", "Bank charges", AccountType.EXPENSE)


@pytest.mark.parametrize(("code", "type_", "field"), [
    ("Bank", AccountType.ASSET, "code"),
    ("-x", AccountType.ASSET, "code"),
    ("x" * 61, AccountType.ASSET, "code"),
    ("cash:", AccountType.ASSET, "code"),
    ("cash:Alipay", AccountType.ASSET, "code"),
    ("cash:wechat", AccountType.INCOME, "type"),
])
def test_an_added_account_outside_the_rules_is_refused_naming_the_field(
    code: str, type_: AccountType, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        chart.check_new_account(code, "x", type_)
    assert caught.value.field == field
