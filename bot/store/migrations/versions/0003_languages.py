"""Languages: the coordinator's dashboard language and the language a patient was screened in.

Both default to English ("en"), so every existing row reads as it did before.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add coordinator.language and screening.language (String(8), default "en")."""
    with op.batch_alter_table("coordinator", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), nullable=False, server_default="en")
        )
    with op.batch_alter_table("screening", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), nullable=False, server_default="en")
        )


def downgrade() -> None:
    """Drop both language columns."""
    with op.batch_alter_table("screening", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("coordinator", schema=None) as batch_op:
        batch_op.drop_column("language")
