"""Dashboard security to ASVS level 2: TOTP, disabled accounts, login throttling, audit addresses.

- coordinator: `totp_secret` (base32; NULL = not enrolled, cannot sign in until
  `python -m bot reset-coordinator NAME --totp`), `totp_last_step` (the last accepted TOTP time
  step, so a code cannot be replayed), `disabled_at`. The hard-lockout columns `failed_logins` and
  `locked_until` go: throttling lives in `login_throttle` now.
- login_throttle: failure counters with backoff, keyed by a hash of the source address, the
  typed account name or a trusted-device cookie (bot.store.repository, `verify_login`).
- audit_event.source_address: where the request came from.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the TOTP and disabled columns, the throttle table and the audit source address."""
    with op.batch_alter_table("coordinator", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("disabled_at", sa.DateTime(), nullable=True))
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("locked_until")
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_address", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Undo upgrade(); the hard-lockout columns come back empty."""
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("source_address")
    op.drop_table("login_throttle")
    with op.batch_alter_table("coordinator", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch_op.drop_column("disabled_at")
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_secret")
