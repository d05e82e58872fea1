"""Unity Catalog securables (catalogs, schemas, UC registered models and their versions), their privileges,
lineage and the append-only audit log. Kept apart from the workspace registry's tables on purpose: a UC
model `c.s.m` and a workspace model named "c.s.m" are different objects."""

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from regista.server.db.base import Base


class UcCatalog(Base):
    __tablename__ = "uc_catalogs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The owning identity (user, service principal or group); None only for the built-in admin without auth.
    owner_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str | None] = mapped_column(String(256), nullable=True)
    updated_at: Mapped[int] = mapped_column(BigInteger)
    updated_by: Mapped[str | None] = mapped_column(String(256), nullable=True)


class UcSchema(Base):
    __tablename__ = "uc_schemas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    catalog_id: Mapped[int] = mapped_column(ForeignKey("uc_catalogs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    owner_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str | None] = mapped_column(String(256), nullable=True)
    updated_at: Mapped[int] = mapped_column(BigInteger)
    updated_by: Mapped[str | None] = mapped_column(String(256), nullable=True)

    __table_args__ = (UniqueConstraint("catalog_id", "name"),)


class UcModel(Base):
    __tablename__ = "uc_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    schema_id: Mapped[int] = mapped_column(ForeignKey("uc_schemas.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    owner_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str | None] = mapped_column(String(256), nullable=True)
    updated_at: Mapped[int] = mapped_column(BigInteger)
    updated_by: Mapped[str | None] = mapped_column(String(256), nullable=True)
    # Next version number; bumped atomically, never decreased (deleted numbers are never reused).
    next_version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (UniqueConstraint("schema_id", "name"), Index(None, "updated_at"))


class UcModelVersion(Base):
    __tablename__ = "uc_model_versions"

    model_id: Mapped[int] = mapped_column(ForeignKey("uc_models.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    run_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # PENDING_REGISTRATION until finalize, then READY.
    status: Mapped[str] = mapped_column(String(24))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The version's files: a canonical path of the artifact store (`_catalog/<32 hex>`).
    storage_path: Mapped[str] = mapped_column(String(64))
    logged_model_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str | None] = mapped_column(String(256), nullable=True)
    updated_at: Mapped[int] = mapped_column(BigInteger)
    updated_by: Mapped[str | None] = mapped_column(String(256), nullable=True)

    __table_args__ = (Index(None, "status", "created_at"), Index(None, "run_id"))


class UcModelTag(Base):
    __tablename__ = "uc_model_tags"

    model_id: Mapped[int] = mapped_column(ForeignKey("uc_models.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text, nullable=True)


class UcModelVersionTag(Base):
    __tablename__ = "uc_model_version_tags"

    model_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        ForeignKeyConstraint(
            ["model_id", "version"], ["uc_model_versions.model_id", "uc_model_versions.version"], ondelete="CASCADE"
        ),
    )


class UcModelAlias(Base):
    __tablename__ = "uc_model_aliases"

    model_id: Mapped[int] = mapped_column(ForeignKey("uc_models.id", ondelete="CASCADE"), primary_key=True)
    alias: Mapped[str] = mapped_column(String(255), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class UcGrant(Base):
    """One identity holding one privilege on one securable, e.g. ("schema", 4, 7, "USE_SCHEMA")."""

    __tablename__ = "uc_grants"

    # "catalog", "schema" or "function" (a registered model, as Databricks names it for grants).
    securable_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    securable_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"), primary_key=True)
    privilege: Mapped[str] = mapped_column(String(32), primary_key=True)

    __table_args__ = (Index(None, "identity_id", "securable_type", "privilege"),)


class UcVersionLineage(Base):
    """A dataset or table the run behind a version read (mlflow.log_input), recorded at registration."""

    __tablename__ = "uc_version_lineage"

    model_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The table / dataset name the lineage is queried by (a Delta table's name for table sources).
    name: Mapped[str] = mapped_column(String(500), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    context: Mapped[str | None] = mapped_column(String(250), nullable=True)

    __table_args__ = (
        ForeignKeyConstraint(
            ["model_id", "version"], ["uc_model_versions.model_id", "uc_model_versions.version"], ondelete="CASCADE"
        ),
        Index(None, "name"),
    )


class UcAuditEntry(Base):
    """One change or access decision: never updated or deleted by the server."""

    __tablename__ = "uc_audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    time: Mapped[int] = mapped_column(BigInteger)
    principal: Mapped[str] = mapped_column(String(256))
    action: Mapped[str] = mapped_column(String(64))
    securable_type: Mapped[str] = mapped_column(String(16))
    full_name: Mapped[str] = mapped_column(String(800))
    # "ALLOWED" (a change that was made) or "DENIED".
    result: Mapped[str] = mapped_column(String(8))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index(None, "full_name"), Index(None, "principal"))
