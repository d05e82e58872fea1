"""datasets: MLflow 3 evaluation datasets, their tags, experiment links and records

Revision ID: 0008_datasets
Revises: 0007_request_archive
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_datasets"
down_revision: str | None = "0007_request_archive"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evaluation_datasets",
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("schema", sa.Text(), nullable=True),
        sa.Column("profile", sa.Text(), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("last_update_time", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.Column("last_updated_by", sa.String(length=255), nullable=True),
        sa.Column("owner_identity_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("dataset_id", name=op.f("pk_evaluation_datasets")),
    )
    op.create_index(op.f("ix_evaluation_datasets_created_time"), "evaluation_datasets", ["created_time"])
    op.create_index(op.f("ix_evaluation_datasets_name"), "evaluation_datasets", ["name"])
    op.create_table(
        "evaluation_dataset_tags",
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["evaluation_datasets.dataset_id"],
            name=op.f("fk_evaluation_dataset_tags_dataset_id_evaluation_datasets"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dataset_id", "key", name=op.f("pk_evaluation_dataset_tags")),
    )
    op.create_table(
        "evaluation_dataset_experiments",
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["evaluation_datasets.dataset_id"],
            name=op.f("fk_evaluation_dataset_experiments_dataset_id_evaluation_datasets"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["experiment_id"], ["experiments.experiment_id"],
            name=op.f("fk_evaluation_dataset_experiments_experiment_id_experiments"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dataset_id", "experiment_id", name=op.f("pk_evaluation_dataset_experiments")),
    )
    op.create_index(
        op.f("ix_evaluation_dataset_experiments_experiment_id"), "evaluation_dataset_experiments", ["experiment_id"]
    )
    op.create_table(
        "evaluation_dataset_records",
        sa.Column("dataset_record_id", sa.String(length=36), nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("input_hash", sa.String(length=64), nullable=False),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("outputs", sa.Text(), nullable=True),
        sa.Column("expectations", sa.Text(), nullable=True),
        sa.Column("tags", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("source_id", sa.String(length=255), nullable=True),
        sa.Column("source_type", sa.String(length=32), nullable=True),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("last_update_time", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.Column("last_updated_by", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["evaluation_datasets.dataset_id"],
            name=op.f("fk_evaluation_dataset_records_dataset_id_evaluation_datasets"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dataset_record_id", name=op.f("pk_evaluation_dataset_records")),
        sa.UniqueConstraint("dataset_id", "input_hash", name=op.f("uq_evaluation_dataset_records_dataset_id_input_hash")),
    )
    op.create_index(
        op.f("ix_evaluation_dataset_records_dataset_id_created_time_dataset_record_id"),
        "evaluation_dataset_records",
        ["dataset_id", "created_time", "dataset_record_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_evaluation_dataset_records_dataset_id_created_time_dataset_record_id"),
        table_name="evaluation_dataset_records",
    )
    op.drop_table("evaluation_dataset_records")
    op.drop_index(op.f("ix_evaluation_dataset_experiments_experiment_id"), table_name="evaluation_dataset_experiments")
    op.drop_table("evaluation_dataset_experiments")
    op.drop_table("evaluation_dataset_tags")
    op.drop_index(op.f("ix_evaluation_datasets_name"), table_name="evaluation_datasets")
    op.drop_index(op.f("ix_evaluation_datasets_created_time"), table_name="evaluation_datasets")
    op.drop_table("evaluation_datasets")
