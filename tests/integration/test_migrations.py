"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from fengkong.core.migrate import current_revision, head_revision
from fengkong.schema import metadata


def test_the_migrated_database_matches_the_models_with_no_differences(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_the_migrated_database_is_at_the_head_revision(engine: Engine) -> None:
    assert head_revision() is not None
    assert current_revision(engine) == head_revision()
