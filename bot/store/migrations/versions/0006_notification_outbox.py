"""The notification outbox: e-mails to the study team waiting to be sent (bot.notifications).

The chat adds a row in the same transaction as the referral; `python -m bot notify` sends it.
A row names its kind and the referral it is about, never health data or contact details.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the notification_outbox table."""
    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("referral_pk", sa.Integer(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=60), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("digest_pk", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["referral_pk"], ["referral.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["digest_pk"], ["notification_outbox.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_outbox_referral_pk"), ["referral_pk"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notification_outbox_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_notification_outbox_digest_pk"), ["digest_pk"], unique=False
        )


def downgrade() -> None:
    """Drop the notification_outbox table."""
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_outbox_digest_pk"))
        batch_op.drop_index(batch_op.f("ix_notification_outbox_status"))
        batch_op.drop_index(batch_op.f("ix_notification_outbox_referral_pk"))
    op.drop_table("notification_outbox")
