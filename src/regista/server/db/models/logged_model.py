"""MLflow 3 logged models with their params, tags and metrics, and the run input/output links to them."""

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from regista.server.db.base import Base


class LoggedModel(Base):
    __tablename__ = "logged_models"

    model_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.experiment_id"))
    name: Mapped[str] = mapped_column(String(500))
    artifact_location: Mapped[str] = mapped_column(String(2000))
    creation_timestamp_ms: Mapped[int] = mapped_column(BigInteger)
    last_updated_timestamp_ms: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(40), default="LOGGED_MODEL_PENDING")
    lifecycle_stage: Mapped[str] = mapped_column(String(20), default="active")
    model_type: Mapped[str | None] = mapped_column(String(500), nullable=True)
    source_run_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    status_message: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        Index(None, "experiment_id", "creation_timestamp_ms"),
        Index(None, "source_run_id"),
    )


class LoggedModelParam(Base):
    __tablename__ = "logged_model_params"

    model_id: Mapped[str] = mapped_column(
        ForeignKey("logged_models.model_id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class LoggedModelTag(Base):
    __tablename__ = "logged_model_tags"

    model_id: Mapped[str] = mapped_column(
        ForeignKey("logged_models.model_id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class LoggedModelMetric(Base):
    """A run metric point logged with this model_id."""

    __tablename__ = "logged_model_metrics"

    model_id: Mapped[str] = mapped_column(
        ForeignKey("logged_models.model_id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    step: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    timestamp: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    value: Mapped[float] = mapped_column(Float, primary_key=True)
    is_nan: Mapped[bool] = mapped_column(Boolean, primary_key=True, default=False)
    run_id: Mapped[str] = mapped_column(String(32))
    dataset_name: Mapped[str | None] = mapped_column(String(500), nullable=True)
    dataset_digest: Mapped[str | None] = mapped_column(String(36), nullable=True)


class RunModelInput(Base):
    __tablename__ = "run_model_inputs"

    run_uuid: Mapped[str] = mapped_column(
        ForeignKey("runs.run_uuid", ondelete="CASCADE"), primary_key=True
    )
    model_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class RunModelOutput(Base):
    __tablename__ = "run_model_outputs"

    run_uuid: Mapped[str] = mapped_column(
        ForeignKey("runs.run_uuid", ondelete="CASCADE"), primary_key=True
    )
    model_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    step: Mapped[int] = mapped_column(BigInteger, default=0)
