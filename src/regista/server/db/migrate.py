"""Schema migrations (Alembic): the revision check at start-up, upgrade to head, and the current revision.

Alembic is imported only when there is work to do: a server whose database is already at HEAD_REVISION
pays for one `SELECT version_num FROM alembic_version` at start, not for importing Alembic (~150 ms).
"""

from __future__ import annotations

import enum
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from regista.server.db.engine import WRITE_OPTION

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

log = logging.getLogger("regista.db")

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# The newest revision in migrations/versions; tests/server/db/test_migrations.py checks they agree.
HEAD_REVISION = "0009_traces"
VERSION_TABLE = "alembic_version"
# A table every regista schema has; tells "empty database" from "regista tables without a version".
MARKER_TABLE = "experiments"
# PostgreSQL advisory lock key held while migrating, so replicas starting together migrate one at a time.
_PG_LOCK_KEY = 0x5245_4749_5354_41  # "REGISTA"


class SchemaError(RuntimeError):
    """The database schema cannot be used by this regista (too new, unversioned, or not upgraded)."""


class SchemaState(enum.Enum):
    EMPTY = "empty"  # no regista tables: create everything
    CURRENT = "current"  # at HEAD_REVISION
    OUTDATED = "outdated"  # an older known revision: upgrade needed
    NEWER = "newer"  # a revision this regista does not know: written by a newer regista
    UNVERSIONED = "unversioned"  # regista tables but no alembic_version row (a pre-release database)


def current_revision(conn: Connection) -> str | None:
    """The revision recorded in the database, or None when it has no version table (or row)."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    row = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).first()
    return None if row is None else str(row[0])


def schema_state(conn: Connection) -> tuple[SchemaState, str | None]:
    revision = current_revision(conn)
    if revision == HEAD_REVISION:
        return SchemaState.CURRENT, revision
    if revision is None:
        has_tables = inspect(conn).has_table(MARKER_TABLE)
        return (SchemaState.UNVERSIONED if has_tables else SchemaState.EMPTY), None
    known = {rev.revision for rev in _script_directory().walk_revisions()}
    return (SchemaState.OUTDATED if revision in known else SchemaState.NEWER), revision


def ensure_schema(engine: Engine, *, auto_migrate: bool) -> None:
    """Start-up check: create an empty schema, upgrade an old one if allowed, refuse what cannot be used."""
    with engine.connect() as conn:
        state, revision = schema_state(conn)
    if state is SchemaState.CURRENT:
        return
    if state is SchemaState.NEWER:
        raise SchemaError(
            f"The database schema is at revision {revision!r}, which this regista does not know "
            f"(its newest is {HEAD_REVISION!r}): it was written by a newer regista. Upgrade regista."
        )
    if state is SchemaState.UNVERSIONED:
        raise SchemaError(
            "The database has regista tables but no schema version (alembic_version): it was created by "
            "a pre-release build. Start from a new database."
        )
    if state is SchemaState.OUTDATED and not auto_migrate:
        raise SchemaError(
            f"The database schema is at revision {revision!r} but this regista needs {HEAD_REVISION!r}. "
            "Back up the database, then run `regista db upgrade` (or start with auto-migration on)."
        )
    log.warning("migrating database schema from %s to %s", revision or "empty", HEAD_REVISION)
    upgrade_to_head(engine)


def upgrade_to_head(engine: Engine) -> str:
    """Apply every pending migration in one transaction (refusing a newer schema); returns the head."""
    from alembic import command

    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild a table by copying it and dropping the old one. With foreign keys
            # on, SQLite's DROP TABLE runs an implicit DELETE that fires ON DELETE CASCADE in the child
            # tables (data loss). The pragma only takes effect outside a transaction, so it is set on the
            # raw connection before BEGIN; integrity is checked with foreign_key_check before commit.
            _raw_sqlite(conn, "PRAGMA foreign_keys=OFF")
        try:
            # SQLite: BEGIN IMMEDIATE takes the write lock first, so two processes never migrate at once.
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                if not sqlite:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
                state, revision = schema_state(conn)
                if state is SchemaState.NEWER:
                    raise SchemaError(
                        f"The database schema is at revision {revision!r}, newer than this regista's "
                        f"{HEAD_REVISION!r}. Upgrade regista instead."
                    )
                if state is SchemaState.UNVERSIONED:
                    raise SchemaError(
                        "The database has regista tables but no schema version; refusing to migrate."
                    )
                if state is not SchemaState.CURRENT:
                    command.upgrade(alembic_config(conn), "head")
                    if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                        raise SchemaError("The migration left rows violating foreign keys; rolled back.")
        finally:
            if sqlite:
                _raw_sqlite(conn, "PRAGMA foreign_keys=ON")
    return HEAD_REVISION


def _raw_sqlite(conn: Connection, statement: str) -> None:
    """Run a statement on the DBAPI connection outside any transaction (autocommit: see db/engine.py)."""
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    dbapi.execute(statement)


def alembic_config(conn: Connection | None = None) -> Config:
    """A programmatic Alembic config (no alembic.ini) for the migrations shipped in the package."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    return cfg


def _script_directory() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def script_head() -> str | None:
    """The head revision of the shipped migration scripts (imports Alembic)."""
    return _script_directory().get_current_head()
