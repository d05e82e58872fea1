"""Run, its params and its tags."""

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from regista.server.db.base import Base


class Run(Base):
    __tablename__ = "runs"

    run_uuid: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(250), default="")
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.experiment_id"))
    user_id: Mapped[str] = mapped_column(String(256), default="")
    status: Mapped[str] = mapped_column(String(20), default="RUNNING")
    start_time: Mapped[int] = mapped_column(BigInteger)
    end_time: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    lifecycle_stage: Mapped[str] = mapped_column(String(20), default="active")
    artifact_uri: Mapped[str] = mapped_column(String(2000))
    deleted_time: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (Index(None, "experiment_id", "start_time"),)


class Param(Base):
    __tablename__ = "params"

    run_uuid: Mapped[str] = mapped_column(
        ForeignKey("runs.run_uuid", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index(None, "key", "value"),)


class RunTag(Base):
    __tablename__ = "run_tags"

    run_uuid: Mapped[str] = mapped_column(
        ForeignKey("runs.run_uuid", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index(None, "key"),)
