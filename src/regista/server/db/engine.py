"""Engine construction: URL normalisation, SQLite pragmas and write-lock-up-front transactions."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

# Execution option a connection carries when its transaction will write (see begin_transaction).
WRITE_OPTION = "regista_write"


def normalize_url(url: str) -> str:
    """Accept both postgresql:// and postgresql+psycopg2:// spellings; we ship psycopg 3 only."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("psycopg2", "psycopg"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def build_engine(url: str, *, busy_timeout_s: float = 30.0, pool_size: int = 16) -> Engine:
    """Create the engine for `url` with the pragmas and transaction behaviour regista relies on."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, busy_timeout_s)
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False)


def _sqlite_engine(url: str, busy_timeout_s: float) -> Engine:
    engine = create_engine(
        url,
        connect_args={"timeout": busy_timeout_s, "check_same_thread": False},
        pool_size=16,
        max_overflow=16,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take over BEGIN from pysqlite so writers can take the lock up front (BEGIN IMMEDIATE):
        # a deferred writer that upgrades its lock mid-transaction can fail with SQLITE_BUSY at once.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL survives a process crash (kill -9); only an OS crash can drop the last commits.
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        # 8 MiB of page cache per pooled connection: enough for the hot indexes, while a pool of busy
        # connections cannot grow the process by gigabytes (the OS page cache holds the rest).
        cur.execute("PRAGMA cache_size=-8192")
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def write_transaction(engine: Engine) -> AbstractContextManager[Connection]:
    """`engine.begin()` for a transaction that writes outside a request (start-up, background sweeps): on
    SQLite it takes the write lock at BEGIN (IMMEDIATE), waiting up to the busy timeout. A deferred
    transaction that reads first and then writes fails at once with "database is locked" when another
    process wrote meanwhile (SQLite cannot wait there without risking a deadlock)."""
    return engine.execution_options(**{WRITE_OPTION: True}).begin()
