"""governance: a transition request remembers whether its requester asked to archive the stage's versions

Revision ID: 0007_request_archive
Revises: 0006_serving
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_request_archive"
down_revision: str | None = "0006_serving"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("transition_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("archive_existing_versions", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("transition_requests", schema=None) as batch_op:
        batch_op.drop_column("archive_existing_versions")
