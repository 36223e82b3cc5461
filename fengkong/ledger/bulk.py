"""Writing many rows in one go: COPY on PostgreSQL, one executemany on SQLite."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from fengkong.core.db import Base


def insert_rows(session: Session, model: type[Base], columns: Sequence[str],
                rows: Sequence[Sequence[Any]]) -> None:
    """Insert `rows` (values in `columns` order) inside the session's transaction. Values must
    be what the driver takes as is: str, int, date, aware datetime or None."""
    if not rows:
        return
    table = cast(Table, model.__table__)
    if session.get_bind().dialect.name == "postgresql":
        # COPY streams every row in one command: several times faster than executemany.
        driver = session.connection().connection.driver_connection
        assert driver is not None, "a live psycopg connection"
        with driver.cursor().copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    session.connection().execute(insert(table),
                                 [dict(zip(columns, row, strict=True)) for row in rows])
