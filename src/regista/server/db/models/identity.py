"""Identities (users, service principals, groups), group membership and personal access tokens."""

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from regista.server.db.base import Base

# The values of Identity.kind.
USER, SERVICE_PRINCIPAL, GROUP = "user", "service_principal", "group"


class Identity(Base):
    """A user, a service principal or a group: one table, so grants and memberships have one foreign key."""

    __tablename__ = "identities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # USER, SERVICE_PRINCIPAL or GROUP.
    kind: Mapped[str] = mapped_column(String(20))
    # The name grants and responses use: a user's userName, a service principal's applicationId,
    # a group's displayName.
    name: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str | None] = mapped_column(String(256), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    external_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    creation_time: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("kind", "name"),)


class GroupMember(Base):
    """Direct membership of a user, service principal or (nested) group in a group."""

    __tablename__ = "group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"), primary_key=True)

    __table_args__ = (Index(None, "member_id"),)


class AccessToken(Base):
    """A personal access token; only the SHA-256 of the secret is stored."""

    __tablename__ = "access_tokens"

    token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    comment: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    creation_time: Mapped[int] = mapped_column(BigInteger)
    # Epoch ms; -1 means the token never expires (the Databricks convention).
    expiry_time: Mapped[int] = mapped_column(BigInteger, default=-1)
    # Who issued it (differs from the owner for on-behalf-of tokens).
    created_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
