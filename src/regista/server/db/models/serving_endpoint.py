"""Serving endpoints: their configuration (served entities, traffic), state and the versions they serve."""

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from regista.server.db.base import Base


class ServingEndpoint(Base):
    """One endpoint of the Databricks serving-endpoints API. `config` is the configuration being served,
    `pending_config` the one being rolled out (both JSON, in the API's own field names); `served` is what
    the supervisor last deployed per served entity (JSON: concrete version, deployment state, message)."""

    __tablename__ = "serving_endpoints"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    creator: Mapped[str] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    creation_timestamp: Mapped[int] = mapped_column(BigInteger)
    last_updated_timestamp: Mapped[int] = mapped_column(BigInteger)
    config: Mapped[str | None] = mapped_column(Text, nullable=True)
    config_version: Mapped[int] = mapped_column(Integer)
    pending_config: Mapped[str | None] = mapped_column(Text, nullable=True)
    pending_since: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    ready: Mapped[str] = mapped_column(String(16))
    config_update: Mapped[str] = mapped_column(String(16))
    served: Mapped[str] = mapped_column(Text)
    tags: Mapped[str] = mapped_column(Text)
