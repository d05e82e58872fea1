"""Developer tool: autogenerate a migration from the ORM models (`python -m tests.server.db.make_revision`).

    python -m tests.server.db.make_revision "add webhooks"   # next revision on top of the current head
    python -m tests.server.db.make_revision --initial        # rewrite the single initial revision (pre-release)

Revisions are generated against a fresh SQLite database brought to the current head; the naming
convention keeps the generated names identical on PostgreSQL. Update HEAD_REVISION in db/migrate.py.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from regista.server.db.engine import build_engine
from regista.server.db.migrate import MIGRATIONS_DIR, alembic_config


def make_revision(message: str, initial: bool) -> Path:
    versions = MIGRATIONS_DIR / "versions"
    if initial:
        for old in versions.glob("*.py"):
            old.unlink()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    rev_id = "0001" if head is None else f"{int(head) + 1:04d}"
    with tempfile.TemporaryDirectory() as tmp:
        engine = build_engine(f"sqlite:///{tmp}/gen.db")
        with engine.begin() as conn:
            cfg = alembic_config(conn)
            if head is not None:
                command.upgrade(cfg, "head")
            script = command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)
        engine.dispose()
    assert script is not None and not isinstance(script, list)
    path = Path(script.path)
    if ruff := shutil.which("ruff"):
        subprocess.run([ruff, "format", "-q", str(path)], check=False)
    print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    print(f"set HEAD_REVISION = {rev_id!r} in src/regista/server/db/migrate.py")
    return path


if __name__ == "__main__":
    args = sys.argv[1:]
    is_initial = "--initial" in args
    words = [a for a in args if a != "--initial"]
    make_revision(" ".join(words) or ("initial schema" if is_initial else "schema change"), is_initial)
