"""MLflow 3 evaluation datasets: the dataset, its tags, the experiments it is linked to and its records."""

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from regista.server.db.base import Base


class EvaluationDataset(Base):
    """`schema` and `profile` are JSON the server derives from the records; `owner_identity_id` is who created
    it (the permission rule for a dataset linked to no experiment), never shown on the wire."""

    __tablename__ = "evaluation_datasets"

    dataset_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    schema: Mapped[str | None] = mapped_column(Text, nullable=True)
    profile: Mapped[str | None] = mapped_column(Text, nullable=True)
    digest: Mapped[str] = mapped_column(String(64))
    created_time: Mapped[int] = mapped_column(BigInteger)
    last_update_time: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    last_updated_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    owner_identity_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (Index(None, "created_time"), Index(None, "name"))


class EvaluationDatasetTag(Base):
    __tablename__ = "evaluation_dataset_tags"

    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("evaluation_datasets.dataset_id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class EvaluationDatasetExperiment(Base):
    """A dataset's link to an experiment (many to many)."""

    __tablename__ = "evaluation_dataset_experiments"

    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("evaluation_datasets.dataset_id", ondelete="CASCADE"), primary_key=True
    )
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.experiment_id", ondelete="CASCADE"), primary_key=True
    )

    __table_args__ = (Index(None, "experiment_id"),)


class EvaluationDatasetRecord(Base):
    """One record; `input_hash` (SHA-256 of its canonical inputs JSON) makes an upsert of the same inputs an
    update. inputs/outputs/expectations/tags/source are JSON."""

    __tablename__ = "evaluation_dataset_records"

    dataset_record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("evaluation_datasets.dataset_id", ondelete="CASCADE"))
    input_hash: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[str] = mapped_column(Text)
    outputs: Mapped[str | None] = mapped_column(Text, nullable=True)
    expectations: Mapped[str | None] = mapped_column(Text, nullable=True)
    tags: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    source_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_time: Mapped[int] = mapped_column(BigInteger)
    last_update_time: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    last_updated_by: Mapped[str | None] = mapped_column(String(255), nullable=True)

    __table_args__ = (
        UniqueConstraint("dataset_id", "input_hash"),
        Index(None, "dataset_id", "created_time", "dataset_record_id"),
    )
