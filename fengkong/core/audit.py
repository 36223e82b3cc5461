"""The audit chain, pure: each record's hash covers its fields and the hash before it.

Altering, inserting or deleting a stored record breaks the chain at that record, which is
how `fengkong audit verify` finds it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64

# The fields a record's hash covers, in order.
HASHED_FIELDS = (
    "chain", "seq", "id", "tenant_id", "actor_id", "actor_name", "org_unit_id", "action",
    "entity_type", "entity_id", "changes", "purpose", "request_id", "client_addr", "outcome",
    "created_at", "prev_hash",
)


def canonical_changes(changes: dict[str, Any] | None) -> str | None:
    """The stored text of a record's changed fields: sorted keys, so the hash is stable."""
    if changes is None:
        return None
    return json.dumps(changes, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_hash(fields: dict[str, Any]) -> str:
    parts = []
    for name in HASHED_FIELDS:
        value = fields.get(name)
        parts.append(_timestamp(value) if isinstance(value, datetime) else value)
    blob = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class Break:
    chain: str
    seq: int
    record_id: str | None
    reason: str


def find_break(
    chain: str,
    records: Iterable[dict[str, Any]],
    head: tuple[int, str] | None,
) -> Break | None:
    """The first place where a chain's records (ordered by seq) stop agreeing with each other."""
    expected_seq, prev = 1, GENESIS
    for rec in records:
        if rec["seq"] != expected_seq:
            return Break(chain, rec["seq"], rec["id"],
                         f"sequence jumps from {expected_seq - 1} to {rec['seq']}")
        if rec["prev_hash"] != prev:
            return Break(chain, rec["seq"], rec["id"], "does not link to the record before it")
        if record_hash(rec) != rec["hash"]:
            return Break(chain, rec["seq"], rec["id"], "content does not match its hash")
        prev, expected_seq = rec["hash"], expected_seq + 1
    last_seq = expected_seq - 1
    if head is not None and (head[0] != last_seq or head[1] != prev):
        return Break(chain, head[0], None,
                     f"chain head says {head[0]} records but {last_seq} are intact")
    return None


def iter_breaks(chains: Iterable[tuple[str, Iterator[dict[str, Any]], tuple[int, str] | None]]
                ) -> Iterator[Break]:
    for chain, records, head in chains:
        brk = find_break(chain, records, head)
        if brk is not None:
            yield brk
