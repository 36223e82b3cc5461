"""Who a tracker is, from the device registry: what the gateway asks when a device speaks.

Synchronous on purpose: the asyncio gateway runs these calls in a thread executor, each on a
short session of its own (`Directory`), so a slow database never blocks the event loop and a
call never shares a transaction with anything else.

Identifiers are compared in one canonical form (`canonical_identifier`): a JT/T 808 terminal
phone arrives left-padded with zeros to 12 (2013) or 20 (2019) BCD digits, and is stored and
looked up without them, so "13912345678" registered by hand matches "013912345678" on the
wire.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from fengkong.core.clock import Clock
from fengkong.core.ids import new_id
from fengkong.telematics.models import Device, PendingDevice
from fengkong.telematics.position_store import dialect_insert

log = logging.getLogger(__name__)

PROTOCOLS = ("gt06", "jt808")
MAX_IDENTIFIER = 20
MAX_REMOTE = 64


@dataclass(frozen=True, slots=True)
class KnownDevice:
    """A registered tracker as a protocol session needs it."""

    tenant_id: str
    device_id: str
    identifier: str
    protocol: str
    model: str | None
    accept_bad_crc: bool
    timezone: str | None      # IANA name of the device clock's zone; None: protocol default


def canonical_identifier(protocol: str, identifier: str) -> str:
    """The form an identifier is stored and looked up in."""
    identifier = identifier.strip()
    if protocol == "jt808":
        return identifier.lstrip("0") or "0"
    return identifier


def lookup(session: Session, protocol: str, identifier: str) -> KnownDevice | None:
    """The registered device speaking as `identifier` over `protocol`, or None."""
    device = session.scalar(select(Device).where(
        Device.protocol == protocol,
        Device.identifier == canonical_identifier(protocol, identifier)))
    if device is None:
        return None
    return KnownDevice(tenant_id=device.tenant_id, device_id=device.id,
                       identifier=device.identifier, protocol=device.protocol,
                       model=device.model, accept_bad_crc=device.accept_bad_crc,
                       timezone=device.timezone)


def note_unknown(session: Session, protocol: str, identifier: str, remote: str,
                 at: datetime) -> None:
    """Count one more frame from an unregistered identifier (first seen, last seen, from
    where). Does nothing when the identifier was registered meanwhile or cannot be one."""
    identifier = canonical_identifier(protocol, identifier)
    if protocol not in PROTOCOLS or not identifier or len(identifier) > MAX_IDENTIFIER:
        log.info("unusable identifier not recorded", extra={"protocol": protocol})
        return
    if session.scalar(select(Device.id).where(Device.protocol == protocol,
                                              Device.identifier == identifier)):
        return
    stmt = dialect_insert(session, PendingDevice).values(
        id=new_id(), protocol=protocol, identifier=identifier, count=1, first_seen=at,
        last_seen=at, last_remote=remote[:MAX_REMOTE])
    session.execute(stmt.on_conflict_do_update(
        index_elements=["protocol", "identifier"],
        set_={"count": PendingDevice.count + 1, "last_seen": stmt.excluded.last_seen,
              "last_remote": stmt.excluded.last_remote}))


def forget_pending(session: Session, protocol: str, identifier: str) -> None:
    """The identifier is registered now: it is no longer pending."""
    session.execute(delete(PendingDevice).where(
        PendingDevice.protocol == protocol,
        PendingDevice.identifier == canonical_identifier(protocol, identifier)))


def issue_auth_code(session: Session, device_id: str) -> str:
    """A fresh JT/T 808 authentication code for the device, replacing any earlier one (a
    terminal registers again after a reset and must authenticate with the new code)."""
    code = secrets.token_hex(8).upper()
    session.execute(update(Device).where(Device.id == device_id).values(auth_code=code))
    return code


def check_auth_code(session: Session, device_id: str, code: str) -> bool:
    """Whether `code` is the one last issued to the device (compared in constant time)."""
    issued = session.scalar(select(Device.auth_code).where(Device.id == device_id))
    return issued is not None and hmac.compare_digest(issued.encode(), code.encode())


class Directory:
    """The functions above, each in a transaction of its own: what the gateway's adapter
    calls from its executor threads."""

    def __init__(self, session_factory: Callable[[], Session], clock: Clock) -> None:
        self._sessions = session_factory
        self._clock = clock

    def lookup(self, protocol: str, identifier: str) -> KnownDevice | None:
        with self._sessions() as session:
            return lookup(session, protocol, identifier)

    def note_unknown(self, protocol: str, identifier: str, remote: str) -> None:
        with self._sessions() as session, session.begin():
            note_unknown(session, protocol, identifier, remote, self._clock.now())

    def issue_auth_code(self, device_id: str) -> str:
        with self._sessions() as session, session.begin():
            return issue_auth_code(session, device_id)

    def check_auth_code(self, device_id: str, code: str) -> bool:
        with self._sessions() as session:
            return check_auth_code(session, device_id, code)
