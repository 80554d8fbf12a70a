"""Answers keep how their English reason was composed, so the dashboard can translate it.

`answer.reason_i18n` is JSON (bot.rules.reason_tree): {"t": template, "p": params}, {"j": [...]}
or {"l": [...]}. Older rows have none and are shown with their English reason.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add answer.reason_i18n (JSON, may be null)."""
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason_i18n", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop answer.reason_i18n."""
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_column("reason_i18n")
