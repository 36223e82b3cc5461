"""Driver-level bulk writes put down exactly what SQLAlchemy's own types would."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from fengkong.core.db import UTCDateTime
from fengkong.telematics.bulk_sql import converters, sqlite_time
from fengkong.telematics.models import StoredPosition

_DIALECT = sqlite.dialect()
_DATETIME = UTCDateTime()
_PROCESS = _DATETIME.dialect_impl(_DIALECT).bind_processor(_DIALECT)

zones = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
moments = st.datetimes(min_value=datetime(1971, 1, 2), max_value=datetime(2200, 1, 1),
                       timezones=zones | st.just(UTC))


@given(moments)
def test_a_datetime_is_the_text_sqlalchemy_writes_on_sqlite(value: datetime) -> None:
    assert _PROCESS is not None
    assert sqlite_time(value) == _PROCESS(value)


def test_a_naive_datetime_is_refused() -> None:
    try:
        sqlite_time(datetime(2026, 1, 1))
    except ValueError:
        return
    raise AssertionError("a naive datetime was written")


def test_each_column_of_positions_gets_its_converter() -> None:
    table = StoredPosition.__table__
    columns = ("id", "fix_time", "valid", "attributes")
    as_sqlite = converters(table, columns, "sqlite")   # type: ignore[arg-type]
    assert as_sqlite[0] is None and as_sqlite[2] is None
    assert as_sqlite[1] is sqlite_time
    convert_json = as_sqlite[3]
    assert convert_json is not None and convert_json({"a": 1}) == json.dumps({"a": 1})
    assert convert_json(None) is None
