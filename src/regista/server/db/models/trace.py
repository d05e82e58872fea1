"""MLflow 3 GenAI traces: trace info, its tags and metadata, assessments, and spans received over OTLP."""

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from regista.server.db.base import Base


class Trace(Base):
    __tablename__ = "traces"

    trace_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.experiment_id", ondelete="CASCADE"))
    client_request_id: Mapped[str | None] = mapped_column(String(250), nullable=True)
    request_time: Mapped[int] = mapped_column(BigInteger)
    execution_duration: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    state: Mapped[str] = mapped_column(String(32))
    request_preview: Mapped[str | None] = mapped_column(Text, nullable=True)
    response_preview: Mapped[str | None] = mapped_column(Text, nullable=True)

    # Searches list one experiment's traces newest first; deletes by age scan the same index.
    __table_args__ = (Index(None, "experiment_id", "request_time"),)


class TraceTag(Base):
    __tablename__ = "trace_tags"

    trace_id: Mapped[str] = mapped_column(ForeignKey("traces.trace_id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index(None, "key"),)


class TraceMetadata(Base):
    __tablename__ = "trace_metadata"

    trace_id: Mapped[str] = mapped_column(ForeignKey("traces.trace_id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index(None, "key"),)


class Assessment(Base):
    __tablename__ = "assessments"

    assessment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    trace_id: Mapped[str] = mapped_column(ForeignKey("traces.trace_id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(250))
    # "feedback" or "expectation"; `value` is the JSON of the google.protobuf.Value it carries.
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_type: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str | None] = mapped_column(String(250), nullable=True)
    span_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    rationale: Mapped[str | None] = mapped_column(Text, nullable=True)
    overrides: Mapped[str | None] = mapped_column(String(64), nullable=True)
    valid: Mapped[bool] = mapped_column(Boolean)
    meta: Mapped[str | None] = mapped_column(Text, nullable=True)
    create_time: Mapped[int] = mapped_column(BigInteger)
    last_update_time: Mapped[int] = mapped_column(BigInteger)


class TraceSpan(Base):
    """A span received at /v1/traces, kept as MLflow's span JSON; not tied to a trace row, since spans
    arrive before the client registers the trace (and OpenTelemetry SDKs never register one)."""

    __tablename__ = "trace_spans"

    trace_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    span_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
                                               index=True)
    name: Mapped[str] = mapped_column(Text)
    start_time_ns: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[str] = mapped_column(Text)


class TraceRunLink(Base):
    """A trace linked to a run after the fact (LinkTracesToRun), besides the run it was created in."""

    __tablename__ = "trace_run_links"

    trace_id: Mapped[str] = mapped_column(ForeignKey("traces.trace_id", ondelete="CASCADE"), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
