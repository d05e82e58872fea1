"""Metric history rows and the latest value per (run, key), which search and Run.data read."""

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from regista.server.db.base import Base


class Metric(Base):
    """One logged point. The primary key makes re-logging an identical row a no-op (log_model re-sends them)."""

    __tablename__ = "metrics"

    run_uuid: Mapped[str] = mapped_column(
        ForeignKey("runs.run_uuid", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    step: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    timestamp: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # NaN is stored as value 0 with is_nan true: PostgreSQL orders NaN above every number, SQLite stores NULL.
    value: Mapped[float] = mapped_column(Float, primary_key=True)
    is_nan: Mapped[bool] = mapped_column(Boolean, primary_key=True, default=False)
    model_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    dataset_name: Mapped[str | None] = mapped_column(String(500), nullable=True)
    dataset_digest: Mapped[str | None] = mapped_column(String(36), nullable=True)


class LatestMetric(Base):
    """Latest value per (run, key) by (step, timestamp, value), maintained on every insert."""

    __tablename__ = "latest_metrics"

    run_uuid: Mapped[str] = mapped_column(
        ForeignKey("runs.run_uuid", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    step: Mapped[int] = mapped_column(BigInteger)
    is_nan: Mapped[bool] = mapped_column(Boolean, default=False)

    # Serves `metrics.k > x ORDER BY metrics.k` without scanning every run.
    __table_args__ = (Index(None, "key", "value"),)
