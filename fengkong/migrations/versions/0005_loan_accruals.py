"""loan accruals

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 03:26:58.360727
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fengkong.core.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("interest_accrued_fen", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("fee_accrued_fen", sa.BigInteger(), nullable=False, server_default="0")
        )



def downgrade() -> None:
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.drop_column("fee_accrued_fen")
        batch_op.drop_column("interest_accrued_fen")

