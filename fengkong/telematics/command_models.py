"""The table of commands queued for devices (engine stop and resume, position requests, free
text), each row holding the command's current state; its history is the audit trail.

Choices, stated once:
- A command is reached through its device (`scoped()` over a join on `devices`), so it
  follows the device when the device moves to another unit; it keeps `tenant_id` for the
  dispatcher and the audit chain.
- One open engine command per device is enforced by a partial unique index, so two requests
  racing each other cannot both queue one.
- `serial` is the platform serial of the frame that carried the command (the JT/T 808 reply
  names it); `server_flag` is the GT06 flag its reply echoes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.core.db import Base, IdColumn

_OPEN_ENGINE = ("kind IN ('engine_stop', 'engine_resume') "
                "AND state IN ('awaiting_approval', 'pending', 'sent')")


class DeviceCommand(Base):
    __tablename__ = "device_commands"
    __table_args__ = (
        Index("ix_device_commands_device", "device_id", "id"),
        Index("ix_device_commands_state_expires", "state", "expires_at"),
        Index("ix_device_commands_tenant_state", "tenant_id", "state"),
        Index("uq_device_commands_open_engine", "device_id", unique=True,
              sqlite_where=text(_OPEN_ENGINE), postgresql_where=text(_OPEN_ENGINE)),
    )

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    hold_reason: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str | None] = mapped_column(String(240))
    reason: Mapped[str | None] = mapped_column(String(500))
    # The loan an engine command concerns. A reference: the loan was checked at the request.
    loan_id: Mapped[str | None] = mapped_column(IdColumn)
    requested_by: Mapped[str] = mapped_column(IdColumn)   # user or API key id
    requested_at: Mapped[datetime]
    approved_by: Mapped[str | None] = mapped_column(IdColumn)
    approved_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(IdColumn)   # who rejected or cancelled
    closed_reason: Mapped[str | None] = mapped_column(String(500))
    serial: Mapped[int | None]
    server_flag: Mapped[int | None]
    sent_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    reply_text: Mapped[str | None] = mapped_column(String(1000))
    result: Mapped[int | None]          # JT/T 808 result code of the terminal's response
    expires_at: Mapped[datetime]
    updated_at: Mapped[datetime]
