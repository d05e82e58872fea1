"""Model version and its tags."""

from sqlalchemy import BigInteger, ForeignKey, ForeignKeyConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from regista.server.db.base import Base


class ModelVersion(Base):
    __tablename__ = "model_versions"

    registered_model_id: Mapped[int] = mapped_column(
        ForeignKey("registered_models.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    creation_time: Mapped[int] = mapped_column(BigInteger)
    last_updated_time: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    current_stage: Mapped[str] = mapped_column(String(20), default="None")
    source: Mapped[str] = mapped_column(Text)
    run_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    run_link: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="READY")
    status_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Where the registry's own copy of the files lives (mlflow-artifacts:/... URI); served by get-download-uri.
    storage_location: Mapped[str | None] = mapped_column(Text, nullable=True)
    model_id: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (
        # latest_versions: the highest version per stage of one model is an index seek.
        Index(None, "registered_model_id", "current_stage", "version"),
        Index(None, "run_id"),
        # search_model_versions orders by last_updated_time DESC by default.
        Index(None, "last_updated_time"),
        # The artifact proxy finds which version owns a registry copy (_registry/<uuid>) to check access.
        Index(None, "storage_location"),
    )


class ModelVersionTag(Base):
    __tablename__ = "model_version_tags"

    registered_model_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        ForeignKeyConstraint(
            ["registered_model_id", "version"],
            ["model_versions.registered_model_id", "model_versions.version"],
            ondelete="CASCADE",
        ),
    )
