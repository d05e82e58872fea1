"""Datasets (per experiment, by name and digest) and the runs that used them as inputs."""

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from regista.server.db.base import Base


class Dataset(Base):
    __tablename__ = "datasets"

    dataset_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.experiment_id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(500))
    digest: Mapped[str] = mapped_column(String(36))
    source_type: Mapped[str] = mapped_column(String(36))
    source: Mapped[str] = mapped_column(Text)
    schema: Mapped[str | None] = mapped_column(Text, nullable=True)
    profile: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (UniqueConstraint("experiment_id", "name", "digest"),)


class RunDatasetInput(Base):
    """A dataset used by a run; `tags` is the input's tag list as JSON (e.g. mlflow.data.context)."""

    __tablename__ = "run_dataset_inputs"

    run_uuid: Mapped[str] = mapped_column(
        ForeignKey("runs.run_uuid", ondelete="CASCADE"), primary_key=True
    )
    dataset_uuid: Mapped[str] = mapped_column(
        ForeignKey("datasets.dataset_uuid", ondelete="CASCADE"), primary_key=True
    )
    tags: Mapped[str] = mapped_column(Text, default="[]")
    position: Mapped[int] = mapped_column(Integer, default=0)
    # The input's mlflow.data.context tag (e.g. "training"), copied out of `tags` for datasets.context filters.
    context: Mapped[str | None] = mapped_column(String(500), nullable=True)

    __table_args__ = (Index(None, "dataset_uuid"),)
