"""Webhooks (Databricks registry webhooks and MLflow webhooks), their deliveries and every delivery attempt."""

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from regista.server.db.base import Base


class Webhook(Base):
    """A subscription of an HTTP target (or a Databricks job) to registry events. `dialect` says which API
    created it and so which payload, events and signature it gets: "databricks" or "mlflow"."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    dialect: Mapped[str] = mapped_column(String(16))
    # MLflow webhooks have a name; Databricks ones do not.
    name: Mapped[str | None] = mapped_column(String(256), nullable=True)
    # Databricks: the model a per-model webhook watches (None: registry-wide).
    model_name: Mapped[str | None] = mapped_column(String(256), nullable=True)
    # JSON list of the subscribed event names, in the API's own spelling.
    events: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Write-only: never returned by any API.
    secret: Mapped[str | None] = mapped_column(Text, nullable=True)
    authorization: Mapped[str | None] = mapped_column(Text, nullable=True)
    enable_ssl_verification: Mapped[bool] = mapped_column(Boolean, default=True)
    job_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    workspace_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    access_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(256))
    creation_timestamp: Mapped[int] = mapped_column(BigInteger)
    last_updated_timestamp: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index(None, "dialect", "creation_timestamp"),)


class Delivery(Base):
    """One message to deliver: a webhook call or an e-mail, built from one outbox event (or a test/replay).
    Claimed by a dispatcher by pushing `next_attempt_at` past the attempt's deadline (a lease): a dispatcher
    killed mid-attempt leaves the row due again once the lease runs out, so nothing is lost."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # A random id, sent as X-MLflow-Delivery-Id, the same on every attempt (receivers deduplicate on it).
    delivery_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    channel: Mapped[str] = mapped_column(String(16))  # "webhook" or "email"
    webhook_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    recipient: Mapped[str | None] = mapped_column(String(320), nullable=True)
    outbox_event_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    event: Mapped[str] = mapped_column(String(64))
    # The exact body sent (webhooks: the JSON bytes that are signed; e-mail: {"subject", "body"}).
    payload: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))  # PENDING, SUCCEEDED, FAILED
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[int] = mapped_column(BigInteger)
    next_attempt_at: Mapped[int] = mapped_column(BigInteger)
    # Retries stop after this time (bounded delivery).
    give_up_at: Mapped[int] = mapped_column(BigInteger)
    last_attempt_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_latency_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivered_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        Index(None, "state", "next_attempt_at"),
        Index(None, "webhook_id", "id"),
    )


class DeliveryAttempt(Base):
    """One try of a delivery: when, the response code, how long it took, the error."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(Integer, index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[int] = mapped_column(BigInteger)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
