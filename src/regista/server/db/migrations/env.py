"""Alembic environment: one migration tree for SQLite (batch mode) and PostgreSQL.

regista runs migrations programmatically (regista.server.db.migrate) and hands over an open connection
in `config.attributes["connection"]`, inside a transaction it already holds. Developers can also point
the plain `alembic` command at a database by setting `sqlalchemy.url`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import regista.server.db.models  # noqa: F401  (registers every table on Base.metadata)
from regista.server.db.base import Base

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from regista.server.db.engine import build_engine

    engine = build_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
