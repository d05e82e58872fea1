"""Schema migrations (Alembic): upgrade to head, check the schema is current."""

from __future__ import annotations

from sqlalchemy import Engine

from regista.server.db.base import Base
import regista.server.db.models  # noqa: F401  (registers every table)


def upgrade_to_head(engine: Engine) -> None:
    """Create every table that does not exist yet."""
    Base.metadata.create_all(engine)
