"""Many-row writes at the driver: statements compiled by SQLAlchemy once, rows converted to
what the driver takes in one tight loop, handed to the DBAPI cursor without SQLAlchemy's
per-value bind processing (which cost more than the database's own work on a batch).

The values written are exactly what SQLAlchemy's types would write (`UTCDateTime`, JSON,
booleans), so rows written here and rows written through the ORM compare and read alike:
- SQLite: a UTC datetime as SQLAlchemy's DATETIME text, `YYYY-MM-DD HH:MM:SS.ffffff` (the
  unique key (device_id, fix_time) compares this text); JSON as `json.dumps` text.
- PostgreSQL: one array per column unnested by the server (a statement of constant text the
  driver prepares once); aware datetimes and `Json` as psycopg adapts them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from psycopg.types.json import Json
from sqlalchemy import Boolean, DateTime, Table, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.types import JSON, TypeDecorator, TypeEngine

SQLITE_MAX_VARIABLES = 32_766          # SQLite >= 3.32


def sqlite_time(value: datetime | None) -> str | None:
    """A datetime as SQLAlchemy's SQLite DATETIME stores it (naive UTC, microseconds always)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given where UTC is required")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # "YYYY-MM-DD HH:MM:SS.ffffff+00:00" without its zone: isoformat is C, an f-string is not
    return value.isoformat(" ", "microseconds")[:26]


def _sqlite_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _pg_json(value: Any) -> Json | None:
    return None if value is None else Json(value)


def _pg_time(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("naive datetime given where UTC is required")
    return value


def _kind(type_: TypeEngine[Any]) -> str:
    impl = type_.impl if isinstance(type_, TypeDecorator) else type_
    if isinstance(impl, DateTime):
        return "time"
    if isinstance(impl, JSON):
        return "json"
    if isinstance(impl, Boolean):
        return "bool"
    return "plain"


def converters(table: Table, columns: Sequence[str], dialect: str
               ) -> list[Callable[[Any], Any] | None]:
    """Per column, the function turning a Python value into the driver's (None: as is)."""
    out: list[Callable[[Any], Any] | None] = []
    for column in columns:
        kind = _kind(table.c[column].type)
        if kind == "time":
            out.append(sqlite_time if dialect == "sqlite" else _pg_time)
        elif kind == "json":
            out.append(_sqlite_json if dialect == "sqlite" else _pg_json)
        else:
            out.append(None)
    return out


def unnest_insert(table: Table, columns: Sequence[str]) -> Any:
    """PostgreSQL: INSERT ... SELECT unnest(:col::type[]) ... (one array per column)."""
    source = select(*(func.unnest(bindparam(c, type_=postgresql.ARRAY(table.c[c].type)))
                      .label(c) for c in columns))
    return postgresql.insert(table).from_select(list(columns), source)


class BulkWriter:
    """One many-row statement over `columns` of `table`, for one dialect.

        writer = BulkWriter(table, columns, "sqlite", build)   # build(insert) -> statement
        rows = writer.run(session, [row_dict, ...])            # RETURNING rows, if any
    `build` adds ON CONFLICT / RETURNING to the dialect's INSERT (on PostgreSQL the unnest
    form, elsewhere a single-row VALUES that is repeated per row)."""

    def __init__(self, table: Table, columns: Sequence[str], dialect: str,
                 build: Callable[[Any], Any], *, returning: bool) -> None:
        self.columns = tuple(columns)
        self.dialect = dialect
        self.returning = returning
        self.convert = converters(table, self.columns, dialect)
        if dialect == "postgresql":
            stmt = build(unnest_insert(table, self.columns))
            self.sql = str(stmt.compile(dialect=postgresql.dialect()))
            return
        if dialect != "sqlite":
            raise ValueError(f"no bulk writes for {dialect}")
        stmt = build(sqlite.insert(table).values({c: bindparam(c) for c in self.columns}))
        compiled = stmt.compile(dialect=sqlite.dialect())
        order = compiled.positiontup or []
        if sorted(order) != sorted(self.columns):
            raise ValueError(f"the statement binds {order}, not the columns {self.columns}")
        self.order = [self.columns.index(name) for name in order]
        sql = str(compiled)
        head, sep, tail = sql.partition(" VALUES (")
        values, _, self.tail = tail.partition(")")
        self.head, self.row_sql = head + sep[:-1], "(" + values + ")"

    def run(self, session: Session, rows: Sequence[dict[str, Any]]) -> list[Any]:
        if not rows:
            return []
        connection = session.connection()
        if self.dialect == "postgresql":
            params = {c: self._column(c, f, rows) for c, f in zip(self.columns, self.convert,
                                                                   strict=True)}
            result = connection.exec_driver_sql(self.sql, params)
            return list(result.scalars()) if self.returning else []
        tuples = self._tuples(rows)
        if not self.returning:
            connection.exec_driver_sql(self.head + " " + self.row_sql + self.tail, tuples)
            return []
        # RETURNING needs one statement: many rows of VALUES, under SQLite's variable limit
        out: list[Any] = []
        per = max(1, SQLITE_MAX_VARIABLES // len(self.columns))
        for start in range(0, len(tuples), per):
            chunk = tuples[start:start + per]
            sql = self.head + " " + ", ".join([self.row_sql] * len(chunk)) + self.tail
            flat = [value for row in chunk for value in row]
            out += connection.exec_driver_sql(sql, tuple(flat)).scalars().all()
        return out

    @staticmethod
    def _column(name: str, convert: Callable[[Any], Any] | None,
                rows: Sequence[dict[str, Any]]) -> list[Any]:
        if convert is None:
            return [row[name] for row in rows]
        return [convert(row[name]) for row in rows]

    def _tuples(self, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
        columns = [self.columns[i] for i in self.order]
        convert = [self.convert[i] for i in self.order]
        pairs = list(zip(columns, convert, strict=True))
        return [tuple(row[c] if f is None else f(row[c]) for c, f in pairs) for row in rows]
