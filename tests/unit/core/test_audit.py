"""The audit hash chain: a stable record hash, and every kind of tampering found where it is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fengkong.core.audit import (
    GENESIS,
    HASHED_FIELDS,
    Break,
    canonical_changes,
    find_break,
    iter_breaks,
    record_hash,
)

START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
CHAIN = "tenant-1"


def append(records: list[dict[str, Any]], chain: str = CHAIN, **fields: Any) -> dict[str, Any]:
    """Append a correctly linked record the way the audit service does."""
    seq = len(records) + 1
    rec: dict[str, Any] = {
        "chain": chain, "seq": seq, "id": f"rec-{seq:03d}", "tenant_id": chain,
        "actor_id": "user-1", "actor_name": "demo.admin", "org_unit_id": "unit-1",
        "action": "org.unit_created", "entity_type": "org_unit", "entity_id": f"unit-{seq}",
        "changes": canonical_changes({"name": f"Unit {seq}"}), "purpose": None,
        "request_id": f"req-{seq}", "client_addr": "10.0.0.1", "outcome": "ok",
        "created_at": START + timedelta(seconds=seq),
        "prev_hash": records[-1]["hash"] if records else GENESIS,
    }
    rec.update(fields)
    rec["hash"] = record_hash(rec)
    records.append(rec)
    return rec


def make_chain(length: int = 5) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for _ in range(length):
        append(records)
    return records


def head_of(records: list[dict[str, Any]]) -> tuple[int, str]:
    return records[-1]["seq"], records[-1]["hash"]


# Values a stored audit field can take.
field_values = st.one_of(st.none(), st.text(max_size=40), st.integers(-10**9, 10**9),
                         st.datetimes(timezones=st.just(UTC)))
records_st = st.fixed_dictionaries({name: field_values for name in HASHED_FIELDS})


@given(records_st)
def test_a_record_hash_is_a_sha256_hex_digest_that_depends_only_on_its_fields(
    rec: dict[str, Any],
) -> None:
    digest = record_hash(rec)
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert record_hash(dict(rec)) == digest
    assert record_hash({**rec, "hash": "anything", "not_hashed": 1}) == digest


@given(records_st, st.sampled_from(HASHED_FIELDS), field_values)
def test_changing_any_hashed_field_changes_the_hash(
    rec: dict[str, Any], name: str, new_value: Any
) -> None:
    assume(new_value != rec[name] or type(new_value) is not type(rec[name]))
    assert record_hash({**rec, name: new_value}) != record_hash(rec)


@given(records_st, st.integers(min_value=1, max_value=10**6))
def test_moving_the_time_by_a_microsecond_or_more_changes_the_hash(
    rec: dict[str, Any], micros: int
) -> None:
    rec["created_at"] = START
    later = {**rec, "created_at": START + timedelta(microseconds=micros)}
    assert record_hash(later) != record_hash(rec)


def test_the_field_order_of_the_given_mapping_does_not_matter() -> None:
    rec = make_chain(1)[0]
    assert record_hash(dict(reversed(list(rec.items())))) == rec["hash"]


def test_canonical_changes_sorts_keys_and_drops_whitespace() -> None:
    text = canonical_changes({"zeta": 1, "alpha": {"b": 2, "a": "上海"}})
    assert text == '{"alpha":{"a":"上海","b":2},"zeta":1}'


@given(st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=8))
def test_canonical_changes_is_the_same_whatever_order_the_keys_came_in(
    changes: dict[str, Any],
) -> None:
    reordered = dict(reversed(list(changes.items())))
    assert canonical_changes(reordered) == canonical_changes(changes)


def test_canonical_changes_of_nothing_is_nothing() -> None:
    assert canonical_changes(None) is None


def test_canonical_changes_writes_dates_and_decimals_as_text() -> None:
    assert canonical_changes({"at": START, "amount": Decimal("1.50")}) == (
        '{"amount":"1.50","at":"2026-01-05 01:00:00+00:00"}')


def test_an_intact_chain_has_no_break() -> None:
    records = make_chain(6)
    assert find_break(CHAIN, records, head_of(records)) is None


def test_an_empty_chain_with_no_head_has_no_break() -> None:
    assert find_break(CHAIN, [], None) is None
    assert find_break(CHAIN, [], (0, GENESIS)) is None


@pytest.mark.parametrize(("name", "value"), [
    ("action", "org.user_deleted"),
    ("actor_id", "user-2"),
    ("changes", canonical_changes({"name": "Forged"})),
    ("outcome", "denied"),
    ("created_at", START + timedelta(days=1)),
    ("purpose", "collections"),
])
def test_altering_a_field_of_a_stored_record_breaks_the_chain_at_that_record(
    name: str, value: Any
) -> None:
    records = make_chain(6)
    records[2][name] = value
    brk = find_break(CHAIN, records, head_of(records))
    assert brk == Break(CHAIN, 3, "rec-003", "content does not match its hash")


def test_an_altered_record_with_a_recomputed_hash_breaks_the_link_of_the_next() -> None:
    records = make_chain(6)
    records[2]["action"] = "org.user_deleted"
    records[2]["hash"] = record_hash(records[2])
    brk = find_break(CHAIN, records, head_of(records))
    assert brk is not None
    assert (brk.seq, brk.record_id) == (4, "rec-004")
    assert "link" in brk.reason


def test_deleting_a_record_is_reported_at_the_record_after_the_gap() -> None:
    records = make_chain(6)
    del records[2]
    brk = find_break(CHAIN, records, head_of(records))
    assert brk is not None
    assert (brk.seq, brk.record_id) == (4, "rec-004")
    assert brk.reason == "sequence jumps from 2 to 4"


def test_deleting_the_first_record_is_reported_at_the_new_first() -> None:
    records = make_chain(3)
    del records[0]
    brk = find_break(CHAIN, records, head_of(records))
    assert brk is not None
    assert (brk.seq, brk.record_id) == (2, "rec-002")
    assert "from 0 to 2" in brk.reason


def test_inserting_a_record_and_renumbering_the_rest_breaks_the_link_after_it() -> None:
    records = make_chain(5)
    forged: list[dict[str, Any]] = records[:2]
    append(forged, id="forged", action="org.user_created")
    rest = records[2:]
    for rec in rest:
        rec["seq"] += 1
    tampered = forged + rest
    brk = find_break(CHAIN, tampered, head_of(tampered))
    assert brk is not None
    assert (brk.seq, brk.record_id) == (4, "rec-003")
    assert brk.reason == "does not link to the record before it"


def test_inserting_a_record_under_an_existing_seq_is_reported() -> None:
    records = make_chain(5)
    forged = records[:2]
    append(forged, id="forged")
    tampered = forged + records[2:]
    brk = find_break(CHAIN, tampered, head_of(tampered))
    assert brk is not None
    assert (brk.seq, brk.record_id) == (3, "rec-003")
    assert "sequence jumps" in brk.reason


def test_swapping_two_records_is_reported_where_the_order_goes_wrong() -> None:
    records = make_chain(5)
    records[1], records[2] = records[2], records[1]
    brk = find_break(CHAIN, records, head_of(make_chain(5)))
    assert brk is not None
    assert (brk.seq, brk.record_id) == (3, "rec-003")
    assert brk.reason == "sequence jumps from 1 to 3"


def test_swapping_two_records_and_their_seqs_breaks_the_link() -> None:
    records = make_chain(5)
    records[1], records[2] = records[2], records[1]
    records[1]["seq"], records[2]["seq"] = 2, 3
    brk = find_break(CHAIN, records, None)
    assert brk is not None
    assert (brk.seq, brk.record_id) == (2, "rec-003")
    assert brk.reason == "does not link to the record before it"


def test_deleting_the_tail_is_caught_by_the_chain_head() -> None:
    records = make_chain(6)
    head = head_of(records)
    del records[-2:]
    assert find_break(CHAIN, records, None) is None  # the records alone look fine
    brk = find_break(CHAIN, records, head)
    assert brk == Break(CHAIN, 6, None, "chain head says 6 records but 4 are intact")


def test_a_head_with_the_right_count_but_another_hash_is_a_break() -> None:
    records = make_chain(3)
    brk = find_break(CHAIN, records, (3, "f" * 64))
    assert brk is not None
    assert (brk.seq, brk.record_id) == (3, None)


def test_a_head_left_behind_by_an_extra_record_is_a_break() -> None:
    records = make_chain(4)
    head = head_of(records)
    append(records)
    brk = find_break(CHAIN, records, head)
    assert brk is not None
    assert brk.seq == 4
    assert "5 are intact" in brk.reason


def test_only_the_first_break_of_a_chain_is_reported() -> None:
    records = make_chain(6)
    records[1]["action"] = "x"
    records[4]["action"] = "y"
    brk = find_break(CHAIN, records, head_of(records))
    assert brk is not None
    assert brk.seq == 2


def test_iter_breaks_names_only_the_broken_chains() -> None:
    good = make_chain(3)
    bad: list[dict[str, Any]] = []
    for _ in range(3):
        append(bad, chain="tenant-2")
    bad[0]["outcome"] = "denied"
    breaks = list(iter_breaks([
        (CHAIN, iter(good), head_of(good)),
        ("tenant-2", iter(bad), head_of(bad)),
    ]))
    assert [(b.chain, b.seq) for b in breaks] == [("tenant-2", 1)]
