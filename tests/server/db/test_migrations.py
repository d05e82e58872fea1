"""Schema migrations on SQLite and PostgreSQL: upgrade, one head, no drift from the ORM, start-up refusals."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, insert, inspect, select, text

import regista.server.db.models  # noqa: F401  (registers every table)
from regista.server.db import migrate
from regista.server.db.base import Base
from regista.server.db.engine import build_engine
from regista.server.db.migrate import (
    HEAD_REVISION,
    SchemaError,
    SchemaState,
    current_revision,
    ensure_schema,
    schema_state,
    upgrade_to_head,
)
from regista.server.db.models import Experiment, Param, Run
from regista.server.db.setup import prepare_database
from tests.fixtures.databases import database_url
from tests.fixtures.live_server import start_server

ARTIFACT_URI = "mlflow-artifacts:/{experiment_id}"


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    with database_url(backend, tmp_path) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = build_engine(db_url)
    yield eng
    eng.dispose()


def stamp(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "regista.cli.main", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )


class TestScriptDirectory:
    def test_exactly_one_head(self) -> None:
        heads = ScriptDirectory.from_config(migrate.alembic_config()).get_heads()
        assert len(heads) == 1

    def test_head_constant_matches_the_scripts(self) -> None:
        # The start-up fast path compares the database with HEAD_REVISION without loading Alembic.
        assert migrate.script_head() == HEAD_REVISION

    def test_migrations_sit_inside_the_package(self) -> None:
        # pyproject ships server/db/migrations/**/* as package data; the tree must live there.
        import regista

        package_dir = Path(regista.__file__).parent
        assert migrate.MIGRATIONS_DIR.is_relative_to(package_dir)
        assert (migrate.MIGRATIONS_DIR / "env.py").is_file()
        assert (migrate.MIGRATIONS_DIR / "script.py.mako").is_file()


class TestUpgradeToHead:
    def test_empty_database_reaches_head_with_every_table(self, engine: Engine) -> None:
        assert upgrade_to_head(engine) == HEAD_REVISION
        with engine.connect() as conn:
            assert current_revision(conn) == HEAD_REVISION
            tables = set(inspect(conn).get_table_names())
        assert set(Base.metadata.tables) <= tables

    def test_upgrade_is_idempotent(self, engine: Engine) -> None:
        upgrade_to_head(engine)
        upgrade_to_head(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1

    def test_migrations_match_the_orm_models(self, engine: Engine) -> None:
        upgrade_to_head(engine)
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
        assert diff == [], f"migrations and ORM models differ; regenerate the revision: {diff}"

    def test_a_newer_schema_is_not_touched(self, engine: Engine) -> None:
        upgrade_to_head(engine)
        stamp(engine, "ffffnewer")
        with pytest.raises(SchemaError, match="newer"):
            upgrade_to_head(engine)
        with engine.connect() as conn:
            assert current_revision(conn) == "ffffnewer"


class TestStartupCheck:
    def test_empty_database_is_created_and_seeded(self, engine: Engine) -> None:
        prepare_database(engine, ARTIFACT_URI, auto_migrate=False)
        with engine.connect() as conn:
            assert schema_state(conn) == (SchemaState.CURRENT, HEAD_REVISION)
            name = conn.execute(select(Experiment.name).where(Experiment.experiment_id == 0)).scalar()
        assert name == "Default"

    def test_current_schema_needs_no_alembic(self, engine: Engine) -> None:
        upgrade_to_head(engine)
        code = textwrap.dedent(f"""
            import sys
            from regista.server.db.engine import build_engine
            from regista.server.db.setup import prepare_database
            prepare_database(build_engine({str(engine.url.render_as_string(hide_password=False))!r}),
                             {ARTIFACT_URI!r}, auto_migrate=False)
            assert "alembic" not in sys.modules, "alembic imported on the start-up fast path"
        """)
        subprocess.run([sys.executable, "-c", code], check=True, timeout=60)

    def test_newer_revision_is_refused(self, engine: Engine) -> None:
        upgrade_to_head(engine)
        stamp(engine, "ffffnewer")
        with pytest.raises(SchemaError, match="newer regista"):
            ensure_schema(engine, auto_migrate=True)

    def test_unversioned_regista_tables_are_refused(self, engine: Engine) -> None:
        Base.metadata.create_all(engine)
        with pytest.raises(SchemaError, match="no schema version"):
            ensure_schema(engine, auto_migrate=True)

    def test_server_refuses_to_start_on_a_newer_schema(
        self, engine: Engine, db_url: str, backend: str, tmp_path: Path
    ) -> None:
        upgrade_to_head(engine)
        stamp(engine, "ffffnewer")
        with pytest.raises(RuntimeError, match="newer regista"):
            start_server(backend, db_url, tmp_path / "srv")


def add_next_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upgrade_body: str) -> str:
    """Point regista at the shipped tree plus one more revision, as the next release would ship it."""
    tree = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, tree, ignore=shutil.ignore_patterns("__pycache__"))
    body = textwrap.indent(textwrap.dedent(upgrade_body).strip(), "    ")
    source = (
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f"revision = '9999'\ndown_revision = {HEAD_REVISION!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
        f"def upgrade():\n{body}\n"
    )
    (tree / "versions" / "9999_next.py").write_text(source)
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", tree)
    monkeypatch.setattr(migrate, "HEAD_REVISION", "9999")
    return "9999"


@pytest.fixture
def two_revision_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return add_next_revision(
        tmp_path,
        monkeypatch,
        'op.create_table("next_release_table", sa.Column("id", sa.Integer, primary_key=True))',
    )


class TestOutdatedSchema:
    def test_refused_without_auto_migrate_with_the_command_to_run(
        self, engine: Engine, two_revision_tree: str
    ) -> None:
        with engine.begin() as conn:
            from alembic import command

            command.upgrade(migrate.alembic_config(conn), HEAD_REVISION)
        with pytest.raises(SchemaError, match="regista db upgrade"):
            ensure_schema(engine, auto_migrate=False)
        with engine.connect() as conn:
            assert current_revision(conn) == HEAD_REVISION

    def test_upgraded_with_auto_migrate(self, engine: Engine, two_revision_tree: str) -> None:
        with engine.begin() as conn:
            from alembic import command

            command.upgrade(migrate.alembic_config(conn), HEAD_REVISION)
        ensure_schema(engine, auto_migrate=True)
        with engine.connect() as conn:
            assert current_revision(conn) == two_revision_tree
            assert inspect(conn).has_table("next_release_table")


class TestTableRebuild:
    def test_rebuilding_a_parent_table_keeps_child_rows(
        self, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # SQLite batch mode copies the table and drops the old one; with foreign keys on, that DROP
        # would cascade-delete the params of every run.
        prepare_database(engine, ARTIFACT_URI, auto_migrate=False)
        with engine.begin() as conn:
            conn.execute(
                insert(Run),
                {
                    "run_uuid": "r" * 32,
                    "experiment_id": 0,
                    "start_time": 1,
                    "artifact_uri": "mlflow-artifacts:/0/r",
                },
            )
            conn.execute(insert(Param), {"run_uuid": "r" * 32, "key": "k", "value": "v"})
        add_next_revision(
            tmp_path,
            monkeypatch,
            """
            recreate = "always" if op.get_bind().dialect.name == "sqlite" else "auto"
            with op.batch_alter_table("runs", recreate=recreate) as batch:
                batch.add_column(sa.Column("extra", sa.String(10), nullable=True))
            """,
        )
        upgrade_to_head(engine)
        with engine.connect() as conn:
            assert current_revision(conn) == "9999"
            assert "extra" in {c["name"] for c in inspect(conn).get_columns("runs")}
            assert conn.execute(select(Param.value)).scalars().all() == ["v"]
            if engine.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


class TestDbCommands:
    def test_upgrade_then_current(self, db_url: str) -> None:
        before = run_cli("db", "current", "--backend-store-uri", db_url)
        if db_url.startswith("sqlite"):
            # No file yet: refused rather than created (tests/cli/test_database_resolution.py).
            assert before.returncode == 1 and "no regista database at" in before.stderr
        else:
            assert before.returncode == 0 and "state: empty" in before.stdout
        up = run_cli("db", "upgrade", "--backend-store-uri", db_url, "--create")
        assert up.returncode == 0, up.stderr
        after = run_cli("db", "current", "--backend-store-uri", db_url)
        assert f"revision: {HEAD_REVISION}" in after.stdout and "state: current" in after.stdout

    def test_upgrade_refuses_a_newer_schema(self, engine: Engine, db_url: str) -> None:
        upgrade_to_head(engine)
        stamp(engine, "ffffnewer")
        up = run_cli("db", "upgrade", "--backend-store-uri", db_url)
        assert up.returncode == 1 and "newer" in up.stderr
        current = run_cli("db", "current", "--backend-store-uri", db_url)
        assert current.returncode == 1 and "state: newer" in current.stdout
