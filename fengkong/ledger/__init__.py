"""Ledger: the double-entry general ledger of each tenant, with a sub-ledger per loan.

What other contexts call (all in one unit of work; none of them commits):

    service.ensure_chart(uow, tenant_id) -> {code: LedgerAccount}
    service.post(uow, actor, *, tenant_id, entry_date, kind, lines: [Line], reference,
                 reverses=None, org_unit_id=None, audit=True) -> JournalEntry
    service.post_many(uow, actor, [Entry], *, tenant_id, audit=True) -> [entry id]
    service.reverse(uow, actor, entry_id, entry_date, *, reference=None, audit=True)
    queries.loan_balances(uow, tenant_id, loan_ids=None, *, as_of=None)
        -> {loan_id: {account_code: Decimal}}
    queries.check_balanced(uow, tenant_id) -> LedgerCheck
    queries.entry_lines(uow, entry_id) -> [EntryLine]   # account code, debit/credit in fen
    rules.disbursement / accrual / repayment / waiver / writeoff / recovery / refund -> [Line]

Account codes are in `chart` (PRINCIPAL_RECEIVABLE, …, `cash_code(channel)`).
"""

from fengkong.ledger.chart import AccountType, cash_code
from fengkong.ledger.posting import Entry, EntryKind, Line
from fengkong.ledger.rules import Parts

__all__ = ["AccountType", "Entry", "EntryKind", "Line", "Parts", "cash_code"]
