"""Serving endpoints: their configuration (served entities, traffic), state and the versions they serve."""

from sqlalchemy import BigInteger, Index, Integer, String, Text
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
    # Write-only: external-model credentials per served entity (JSON), never returned by any API.
    secrets: Mapped[str | None] = mapped_column(Text, nullable=True)
    # JSON list of {calls, key: user|endpoint, renewal_period: minute} (the rate-limits API).
    rate_limits: Mapped[str | None] = mapped_column(Text, nullable=True)


class ServingUsage(Base):
    """One call to an external-model served entity: who, when, how long, how many tokens (usage reports)."""

    __tablename__ = "serving_usage"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[str] = mapped_column(String(32))
    served_entity: Mapped[str] = mapped_column(String(128))
    principal: Mapped[str] = mapped_column(String(256))
    timestamp: Mapped[int] = mapped_column(BigInteger)
    status_code: Mapped[int] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    prompt_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    completion_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    total_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (Index(None, "endpoint_id", "timestamp"),)
