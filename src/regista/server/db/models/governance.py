"""Workspace-registry governance on model versions: open transition requests, the activity log, comments."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from regista.server.db.base import Base

_VERSION_FK = (["registered_model_id", "version"], ["model_versions.registered_model_id", "model_versions.version"])


class TransitionRequest(Base):
    """An open request to move a version to a stage; approving, rejecting or cancelling removes it
    (the activity log keeps the history)."""

    __tablename__ = "transition_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    registered_model_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    to_stage: Mapped[str] = mapped_column(String(20))
    # The requester's name; a request is addressed by (version, stage, creator).
    creator: Mapped[str] = mapped_column(String(256))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    creation_time: Mapped[int] = mapped_column(BigInteger)
    # The requester asked that the versions already in the stage be archived (the web UI's checkbox; the
    # Databricks request API has no such field). The approver still decides.
    archive_existing_versions: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (
        ForeignKeyConstraint(*_VERSION_FK, ondelete="CASCADE"),
        UniqueConstraint("registered_model_id", "version", "to_stage", "creator"),
    )


class VersionActivity(Base):
    """One entry of a version's append-only activity log."""

    __tablename__ = "model_version_activities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    registered_model_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    activity_type: Mapped[str] = mapped_column(String(32))
    from_stage: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_stage: Mapped[str | None] = mapped_column(String(20), nullable=True)
    user_id: Mapped[str] = mapped_column(String(256))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    system_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    creation_time: Mapped[int] = mapped_column(BigInteger)
    last_updated_time: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        ForeignKeyConstraint(*_VERSION_FK, ondelete="CASCADE"),
        Index(None, "registered_model_id", "version", "id"),
    )


class VersionComment(Base):
    """A comment on a model version; only its author edits it."""

    __tablename__ = "model_version_comments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    registered_model_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[str] = mapped_column(String(256))
    comment: Mapped[str] = mapped_column(Text)
    creation_time: Mapped[int] = mapped_column(BigInteger)
    last_updated_time: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        ForeignKeyConstraint(*_VERSION_FK, ondelete="CASCADE"),
        Index(None, "registered_model_id", "version"),
    )
