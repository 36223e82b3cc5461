"""Use cases that write the ledger: the chart of accounts, posting, manual entries, reversal.

`post`, `post_many` and `reverse` are the booking step of other contexts' use cases: they check
no permission (the calling use case has checked its own) and write an audit record per entry
unless the caller passes `audit=False` because its own use case is audited.
`create_account`, `post_manual` and `reverse_manual` are the ledger's own use cases behind the
API: they check `ledger.manage`, the caller's data scope, and always write the audit record.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select

from fengkong.core import audit_service as audit
from fengkong.core.audit_service import SystemActor
from fengkong.core.errors import Conflict, InvalidInput, NotFound
from fengkong.core.ids import new_id
from fengkong.core.money import from_minor
from fengkong.core.uow import UnitOfWork
from fengkong.ledger.accounts import accounts_of, ensure_chart, insert_accounts
from fengkong.ledger.bulk import insert_rows
from fengkong.ledger.chart import AccountType, cash_account, check_new_account, is_cash_code
from fengkong.ledger.models import JournalEntry, JournalLine, LedgerAccount
from fengkong.ledger.posting import CheckedEntry, Entry, EntryKind, FenLine, Line, check_entry
from fengkong.ledger.queries import entry_lines
from fengkong.org.models import OrgUnit
from fengkong.org.scoping import Principal, reaches_unit, scoped

Actor = Principal | SystemActor

__all__ = ["Actor", "create_account", "ensure_chart", "list_accounts", "post", "post_many",
           "post_manual", "reverse", "reverse_manual"]

# --- the chart of accounts -----------------------------------------------------------------


def list_accounts(uow: UnitOfWork, principal: Principal) -> list[LedgerAccount]:
    principal.scope_for("ledger.read")
    return sorted(ensure_chart(uow, principal.tenant_id).values(), key=lambda a: a.code)


def create_account(uow: UnitOfWork, principal: Principal, *, code: str, name: str,
                   type: AccountType | str) -> LedgerAccount:
    """An account the tenant adds to its chart."""
    principal.scope_for("ledger.manage")
    try:
        type_ = AccountType(type)
    except ValueError:
        raise InvalidInput(f"unknown account type {type!r}", code="invalid_choice",
                           field="type") from None
    spec = check_new_account(code, name, type_)
    if spec.code in ensure_chart(uow, principal.tenant_id):
        raise Conflict(f"account {code} exists", code="duplicate_code", field="code")
    account = LedgerAccount(id=new_id(), tenant_id=principal.tenant_id, code=spec.code,
                            name=spec.name, type=spec.type.value, builtin=False,
                            created_at=uow.clock.now())
    uow.session.add(account)
    uow.session.flush()
    audit.record(uow, principal, "ledger.account_created", entity_type="ledger_account",
                 entity_id=account.id, changes={"code": code, "name": name, "type": type_})
    return account


# --- posting -------------------------------------------------------------------------------


def post(uow: UnitOfWork, actor: Actor, *, tenant_id: str, entry_date: date,
         kind: EntryKind | str, lines: Sequence[Line], reference: str,
         reverses: str | None = None, org_unit_id: str | None = None,
         audit: bool = True) -> JournalEntry:
    """Book one balanced entry, or refuse it with InvalidInput("unbalanced_entry") naming the
    line at fault (`lines.N.debit`). The entry's unit is `org_unit_id`, else the unit all its
    lines share, else the tenant's root; a line without a unit takes the entry's. Accounts
    `cash:<channel>` are made on demand; any other unknown code is `unknown_account`."""
    entry = Entry(entry_date, kind, lines, reference, reverses, org_unit_id)
    (entry_id,) = _post(uow, actor, tenant_id, [check_entry(entry)], [""], audit)
    return uow.session.get_one(JournalEntry, entry_id)


def post_many(uow: UnitOfWork, actor: Actor, entries: Sequence[Entry], *, tenant_id: str,
              audit: bool = True) -> list[str]:
    """Book many entries of one tenant at once: one bulk write for the entries and one for all
    their lines (COPY on PostgreSQL, executemany on SQLite). Every entry is checked first; one
    bad entry refuses the batch, naming it (`entries.N.lines.M.debit`)."""
    prefixes = [f"entries.{i}." for i in range(len(entries))]
    checked = [check_entry(e, p) for e, p in zip(entries, prefixes, strict=True)]
    return _post(uow, actor, tenant_id, checked, prefixes, audit)


def _post(uow: UnitOfWork, actor: Actor, tenant_id: str, entries: list[CheckedEntry],
          prefixes: list[str], audit_each: bool) -> list[str]:
    if not entries:
        return []
    account_ids = _account_ids(uow, tenant_id, entries, prefixes)
    units = _entry_units(uow, tenant_id, entries, prefixes)
    _check_originals(uow, tenant_id, entries, prefixes)
    now = uow.clock.now()
    entry_rows: list[tuple[Any, ...]] = []
    line_rows: list[tuple[Any, ...]] = []
    for entry, unit in zip(entries, units, strict=True):
        entry_id = new_id()
        entry_rows.append((entry_id, tenant_id, unit, entry.entry_date, entry.kind.value,
                           entry.reference, entry.reverses, actor.actor_id, now))
        line_rows += [(entry_id, n, tenant_id, x.org_unit_id or unit,
                       account_ids[x.account_code], x.loan_id, entry.entry_date, x.debit,
                       x.credit) for n, x in enumerate(entry.lines, 1)]
    uow.session.flush()
    insert_rows(uow.session, JournalEntry, ENTRY_COLUMNS, entry_rows)
    insert_rows(uow.session, JournalLine, LINE_COLUMNS, line_rows)
    if audit_each:
        for entry, row in zip(entries, entry_rows, strict=True):
            _audit_entry(uow, actor, tenant_id, row[0], entry)
    return [row[0] for row in entry_rows]


ENTRY_COLUMNS = ("id", "tenant_id", "org_unit_id", "entry_date", "kind", "reference",
                 "reverses_id", "created_by", "created_at")
LINE_COLUMNS = ("entry_id", "line_no", "tenant_id", "org_unit_id", "account_id", "loan_id",
                "entry_date", "debit", "credit")


def _account_ids(uow: UnitOfWork, tenant_id: str, entries: list[CheckedEntry],
                 prefixes: list[str]) -> dict[str, str]:
    accounts = ensure_chart(uow, tenant_id)
    wanted = {x.account_code for e in entries for x in e.lines}
    new_cash = sorted(c for c in wanted - accounts.keys() if is_cash_code(c))
    if new_cash:
        insert_accounts(uow, tenant_id, [cash_account(c.split(":", 1)[1]) for c in new_cash])
        accounts = accounts_of(uow, tenant_id)
    for entry, prefix in zip(entries, prefixes, strict=True):
        _check_known(entry.lines, accounts.keys(), prefix)
    return {code: accounts[code].id for code in wanted}


def _check_known(lines: Sequence[FenLine | Line], known: Container[str], prefix: str) -> None:
    for n, x in enumerate(lines):
        if x.account_code not in known:
            raise InvalidInput(f"no account {x.account_code} in the chart",
                               code="unknown_account", field=f"{prefix}lines.{n}.account_code")


def _entry_units(uow: UnitOfWork, tenant_id: str, entries: list[CheckedEntry],
                 prefixes: list[str]) -> list[str]:
    """Each entry's unit, after checking every unit named belongs to the tenant."""
    named = {e.org_unit_id for e in entries} | {x.org_unit_id for e in entries
                                                 for x in e.lines}
    named.discard(None)
    known = set(uow.session.scalars(select(OrgUnit.id).where(
        OrgUnit.tenant_id == tenant_id, OrgUnit.id.in_(named)))) if named else set()
    root: str | None = None
    units = []
    for entry, prefix in zip(entries, prefixes, strict=True):
        if entry.org_unit_id is not None and entry.org_unit_id not in known:
            raise InvalidInput(f"no org unit {entry.org_unit_id}", code="unknown_reference",
                               field=f"{prefix}org_unit_id")
        for n, x in enumerate(entry.lines):
            if x.org_unit_id is not None and x.org_unit_id not in known:
                raise InvalidInput(f"no org unit {x.org_unit_id}", code="unknown_reference",
                                   field=f"{prefix}lines.{n}.org_unit_id")
        shared = {x.org_unit_id for x in entry.lines}
        unit = entry.org_unit_id or (shared.pop() if len(shared) == 1 else None)
        if unit is None:
            root = root or _root_unit(uow, tenant_id)
            unit = root
        units.append(unit)
    return units


def _root_unit(uow: UnitOfWork, tenant_id: str) -> str:
    return uow.session.scalars(select(OrgUnit.id).where(
        OrgUnit.tenant_id == tenant_id, OrgUnit.parent_id.is_(None))).one()


def _check_originals(uow: UnitOfWork, tenant_id: str, entries: list[CheckedEntry],
                     prefixes: list[str]) -> None:
    """Reversals point at an entry of the tenant that no other reversal points at."""
    wanted = {e.reverses: p for e, p in zip(entries, prefixes, strict=True) if e.reverses}
    if not wanted:
        return
    found = set(uow.session.scalars(select(JournalEntry.id).where(
        JournalEntry.tenant_id == tenant_id, JournalEntry.id.in_(wanted))))
    taken = set(uow.session.scalars(select(JournalEntry.reverses_id).where(
        JournalEntry.reverses_id.in_(wanted))))
    seen: set[str] = set()
    for entry, prefix in zip(entries, prefixes, strict=True):
        if entry.reverses is None:
            continue
        if entry.reverses not in found:
            raise InvalidInput(f"no journal entry {entry.reverses}", code="unknown_reference",
                               field=f"{prefix}reverses")
        if entry.reverses in taken or entry.reverses in seen:
            raise Conflict(f"journal entry {entry.reverses} is already reversed",
                           code="already_reversed", entity="journal_entry",
                           entity_id=entry.reverses)
        seen.add(entry.reverses)


def _audit_entry(uow: UnitOfWork, actor: Actor, tenant_id: str, entry_id: str,
                 entry: CheckedEntry) -> None:
    action = "ledger.entry_reversed" if entry.reverses else "ledger.entry_posted"
    audit.record(uow, actor, action, entity_type="journal_entry", entity_id=entry_id,
                 tenant_id=tenant_id, changes={
                     "kind": entry.kind.value, "entry_date": entry.entry_date.isoformat(),
                     "reference": entry.reference, "reverses": entry.reverses,
                     "lines": [{"account": x.account_code, "debit": x.debit,
                                "credit": x.credit, "loan_id": x.loan_id,
                                "org_unit_id": x.org_unit_id} for x in entry.lines]})


# --- reversal ------------------------------------------------------------------------------


def reverse(uow: UnitOfWork, actor: Actor, entry_id: str, entry_date: date, *,
            reference: str | None = None, audit: bool = True) -> JournalEntry:
    """A new entry with every side swapped, pointing at `entry_id` (of the actor's tenant).
    Refused for an entry already reversed (`already_reversed`), for a reversal, and for a
    date before the original's."""
    tenant_id = actor.tenant_id
    if tenant_id is None:
        raise ValueError("a reversal is made within a tenant: give the actor its tenant_id")
    original = uow.session.scalar(select(JournalEntry).where(
        JournalEntry.id == entry_id, JournalEntry.tenant_id == tenant_id).with_for_update())
    if original is None:
        raise NotFound("journal entry", entry_id)
    if original.kind == EntryKind.REVERSAL:
        raise Conflict("a reversal is not reversed; post a new entry instead",
                       code="reversal_not_reversible", entity="journal_entry",
                       entity_id=entry_id)
    if entry_date < original.entry_date:
        raise InvalidInput(f"a reversal is dated on or after the entry it reverses "
                           f"({original.entry_date})", code="before_original",
                           field="entry_date")
    lines = [Line(x.account_code, from_minor(x.credit), from_minor(x.debit), x.loan_id,
                  x.org_unit_id) for x in entry_lines(uow, entry_id)]
    return post(uow, actor, tenant_id=tenant_id, entry_date=entry_date,
                kind=EntryKind.REVERSAL, lines=lines,
                reference=reference or f"reversal of {original.reference}"[:120],
                reverses=entry_id, org_unit_id=original.org_unit_id, audit=audit)


# --- the ledger's own use cases --------------------------------------------------------------


def post_manual(uow: UnitOfWork, principal: Principal, *, entry_date: date, reference: str,
                lines: Sequence[Line], org_unit_id: str | None = None) -> JournalEntry:
    """A manual entry by finance: accounts must exist, every unit named must lie within the
    caller's scope, and loan sub-ledgers are left to the loans context."""
    principal.scope_for("ledger.manage")
    unit = org_unit_id or principal.org_unit_id
    _check_reachable(uow, principal, [("org_unit_id", unit)] + [
        (f"lines.{n}.org_unit_id", x.org_unit_id) for n, x in enumerate(lines)
        if x.org_unit_id is not None])
    for n, x in enumerate(lines):
        if x.loan_id is not None:
            raise InvalidInput("manual entries do not touch a loan's sub-ledger",
                               code="not_allowed", field=f"lines.{n}.loan_id")
    check_entry(Entry(entry_date, EntryKind.MANUAL, lines, reference))
    _check_known(lines, ensure_chart(uow, principal.tenant_id).keys(), "")
    return post(uow, principal, tenant_id=principal.tenant_id, entry_date=entry_date,
                kind=EntryKind.MANUAL, lines=lines, reference=reference, org_unit_id=unit)


def reverse_manual(uow: UnitOfWork, principal: Principal, entry_id: str, entry_date: date, *,
                   reference: str | None = None) -> JournalEntry:
    """Reverse a manual entry within the caller's scope. Entries booked by a loan's
    transactions are reversed with that transaction, so the sub-ledger stays in step."""
    entry = uow.session.scalar(scoped(select(JournalEntry), JournalEntry, principal,
                                      "ledger.manage").where(JournalEntry.id == entry_id))
    if entry is None:
        raise NotFound("journal entry", entry_id)
    if entry.kind != EntryKind.MANUAL:
        raise Conflict(f"a {entry.kind} entry is reversed with the transaction that booked it",
                       code="not_manual_entry", entity="journal_entry", entity_id=entry_id)
    return reverse(uow, principal, entry_id, entry_date, reference=reference)


def _check_reachable(uow: UnitOfWork, principal: Principal,
                     named: list[tuple[str, str]]) -> None:
    ids = {unit for _, unit in named}
    units = {u.id: u for u in uow.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))}
    for field, unit_id in named:
        unit = units.get(unit_id)
        if unit is None or not reaches_unit(principal, "ledger.manage", unit):
            raise InvalidInput(f"no org unit {unit_id} that you may use",
                               code="unknown_reference", field=field)
