"""serving: serving endpoints

Revision ID: 0006_serving
Revises: 0005_events
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_serving"
down_revision: str | None = "0005_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "serving_endpoints",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("creator", sa.String(length=256), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("creation_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("config", sa.Text(), nullable=True),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("pending_config", sa.Text(), nullable=True),
        sa.Column("pending_since", sa.BigInteger(), nullable=True),
        sa.Column("ready", sa.String(length=16), nullable=False),
        sa.Column("config_update", sa.String(length=16), nullable=False),
        sa.Column("served", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("secrets", sa.Text(), nullable=True),
        sa.Column("rate_limits", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_serving_endpoints")),
        sa.UniqueConstraint("name", name=op.f("uq_serving_endpoints_name")),
    )
    op.create_table(
        "serving_usage",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("endpoint_id", sa.String(length=32), nullable=False),
        sa.Column("served_entity", sa.String(length=128), nullable=False),
        sa.Column("principal", sa.String(length=256), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=True),
        sa.Column("completion_tokens", sa.Integer(), nullable=True),
        sa.Column("total_tokens", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_serving_usage")),
    )
    op.create_index(
        op.f("ix_serving_usage_endpoint_id_timestamp"), "serving_usage", ["endpoint_id", "timestamp"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_serving_usage_endpoint_id_timestamp"), table_name="serving_usage")
    op.drop_table("serving_usage")
    op.drop_table("serving_endpoints")
