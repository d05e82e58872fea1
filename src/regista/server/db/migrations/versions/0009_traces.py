"""traces: MLflow 3 GenAI traces, their tags and metadata, assessments and OTLP spans

Revision ID: 0009_traces
Revises: 0008_datasets
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_traces"
down_revision: str | None = "0008_datasets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "traces",
        sa.Column("trace_id", sa.String(length=64), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("client_request_id", sa.String(length=250), nullable=True),
        sa.Column("request_time", sa.BigInteger(), nullable=False),
        sa.Column("execution_duration", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("request_preview", sa.Text(), nullable=True),
        sa.Column("response_preview", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["experiment_id"], ["experiments.experiment_id"],
                                name=op.f("fk_traces_experiment_id_experiments"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("trace_id", name=op.f("pk_traces")),
    )
    op.create_index(op.f("ix_traces_experiment_id_request_time"), "traces", ["experiment_id", "request_time"],
                    unique=False)
    for table in ("trace_tags", "trace_metadata"):
        op.create_table(
            table,
            sa.Column("trace_id", sa.String(length=64), nullable=False),
            sa.Column("key", sa.String(length=250), nullable=False),
            sa.Column("value", sa.Text(), nullable=False),
            sa.ForeignKeyConstraint(["trace_id"], ["traces.trace_id"], name=op.f(f"fk_{table}_trace_id_traces"),
                                    ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("trace_id", "key", name=op.f(f"pk_{table}")),
        )
        op.create_index(op.f(f"ix_{table}_key"), table, ["key"], unique=False)
    op.create_table(
        "assessments",
        sa.Column("assessment_id", sa.String(length=64), nullable=False),
        sa.Column("trace_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=250), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("source_type", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=250), nullable=True),
        sa.Column("span_id", sa.String(length=64), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.Column("overrides", sa.String(length=64), nullable=True),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("meta", sa.Text(), nullable=True),
        sa.Column("create_time", sa.BigInteger(), nullable=False),
        sa.Column("last_update_time", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["trace_id"], ["traces.trace_id"], name=op.f("fk_assessments_trace_id_traces"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("assessment_id", name=op.f("pk_assessments")),
    )
    op.create_index(op.f("ix_assessments_trace_id"), "assessments", ["trace_id"], unique=False)
    op.create_table(
        "trace_run_links",
        sa.Column("trace_id", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["trace_id"], ["traces.trace_id"], name=op.f("fk_trace_run_links_trace_id_traces"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("trace_id", "run_id", name=op.f("pk_trace_run_links")),
    )
    op.create_index(op.f("ix_trace_run_links_run_id"), "trace_run_links", ["run_id"], unique=False)
    op.create_table(
        "trace_spans",
        sa.Column("trace_id", sa.String(length=64), nullable=False),
        sa.Column("span_id", sa.String(length=32), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("start_time_ns", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["experiment_id"], ["experiments.experiment_id"],
                                name=op.f("fk_trace_spans_experiment_id_experiments"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("trace_id", "span_id", name=op.f("pk_trace_spans")),
    )
    op.create_index(op.f("ix_trace_spans_experiment_id"), "trace_spans", ["experiment_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_trace_spans_experiment_id"), table_name="trace_spans")
    op.drop_table("trace_spans")
    op.drop_index(op.f("ix_trace_run_links_run_id"), table_name="trace_run_links")
    op.drop_table("trace_run_links")
    op.drop_index(op.f("ix_assessments_trace_id"), table_name="assessments")
    op.drop_table("assessments")
    for table in ("trace_metadata", "trace_tags"):
        op.drop_index(op.f(f"ix_{table}_key"), table_name=table)
        op.drop_table(table)
    op.drop_index(op.f("ix_traces_experiment_id_request_time"), table_name="traces")
    op.drop_table("traces")
