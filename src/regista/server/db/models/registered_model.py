"""Registered model, its tags and its aliases."""

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from regista.server.db.base import Base


class RegisteredModel(Base):
    __tablename__ = "registered_models"

    # A surrogate key so that rename touches one row; the wire identity is the unique name.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(256), unique=True)
    creation_time: Mapped[int] = mapped_column(BigInteger)
    last_updated_time: Mapped[int] = mapped_column(BigInteger, index=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    # Next version number to hand out; bumped atomically (UPDATE ... RETURNING) so concurrent creates
    # never collide, and never decreased so deleted numbers are never reused.
    next_version: Mapped[int] = mapped_column(Integer, default=1)


class RegisteredModelTag(Base):
    __tablename__ = "registered_model_tags"

    registered_model_id: Mapped[int] = mapped_column(
        ForeignKey("registered_models.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text, nullable=True)


class RegisteredModelAlias(Base):
    __tablename__ = "registered_model_aliases"

    registered_model_id: Mapped[int] = mapped_column(
        ForeignKey("registered_models.id", ondelete="CASCADE"), primary_key=True
    )
    alias: Mapped[str] = mapped_column(String(255), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
