"""The orphan sweep against a real database (SQLite and PostgreSQL) and a local artifact store: what is
removed, and what a sweep must leave alone."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import insert

from regista.server.db.engine import build_engine
from regista.server.db.models import ModelVersion, RegisteredModel
from regista.server.db.setup import prepare_database
from regista.server.registry.services.registry_storage import ORPHAN_GRACE_S, sweep_orphan_copies
from regista.server.storage.repository import ArtifactRepository
from tests.fixtures.databases import database_url

REFERENCED, DIR_ORPHAN, FILE_ORPHAN = "a" * 32, "b" * 32, "c" * 32


def _store(root: Path) -> ArtifactRepository:
    repo = ArtifactRepository(str(root))
    repo.write_bytes(f"_registry/{REFERENCED}/MLmodel", b"m")
    repo.write_bytes(f"_registry/{DIR_ORPHAN}/sub/w.bin", b"w")
    repo.write_bytes(f"_registry/{FILE_ORPHAN}", b"one file")
    repo.write_bytes("_registry/README", b"not a copy: never touched")
    return repo


def test_unreferenced_copies_older_than_the_grace_period_are_removed(backend: str, tmp_path: Path) -> None:
    with database_url(backend, tmp_path) as url:
        engine = build_engine(url)
        try:
            prepare_database(engine, "mlflow-artifacts:/{experiment_id}", auto_migrate=True)
            with engine.begin() as conn:
                rm_id = conn.execute(insert(RegisteredModel).values(
                    name="m", creation_time=0, last_updated_time=0, next_version=2)).inserted_primary_key[0]
                conn.execute(insert(ModelVersion).values(
                    registered_model_id=rm_id, version=1, creation_time=0, last_updated_time=0, source="s",
                    current_stage="None", status="READY", storage_location=f"mlflow-artifacts:/_registry/{REFERENCED}"))
            repo = _store(tmp_path / "artifacts")
            # Everything was just written: within the grace period nothing is an orphan yet.
            assert sweep_orphan_copies(engine, repo) == 0
            later = time.time() + ORPHAN_GRACE_S + 60
            assert sweep_orphan_copies(engine, repo, now=later) == 2
            left = sorted(p.name for p in (tmp_path / "artifacts" / "_registry").iterdir())
            assert left == ["README", REFERENCED]
            assert sweep_orphan_copies(engine, repo, now=later) == 0
        finally:
            engine.dispose()
