"""`regista catalog sweep-uploads`: abandoned multipart upload sessions (expired, or unreadable and untouched
for the upload timeout) are removed from the artifact store at once; a live session stays."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time

from regista.server.catalog.services.uc_uploads import UPLOADS_ROOT, UploadSession


def session(root, expires_at: int | None, age_s: float = 0) -> str:
    token = secrets.token_urlsafe(32)
    folder = root / UPLOADS_ROOT / token
    folder.mkdir(parents=True)
    (folder / "1").write_bytes(b"part one")
    if expires_at is not None:
        (folder / "session.json").write_bytes(
            UploadSession(token, "_catalog/x/MLmodel", "/Models/c/s/m/1/MLmodel", "alice", expires_at).to_json())
    if age_s:
        past = time.time() - age_s
        for path in (*folder.iterdir(), folder):
            os.utime(path, (past, past))
    return token


def test_expired_and_stale_sessions_go_a_live_one_stays(tmp_path):
    root = tmp_path / "artifacts"
    now_ms = int(time.time() * 1000)
    expired = session(root, now_ms - 1000)
    stale = session(root, None, age_s=3600)  # a start that crashed before writing session.json
    live = session(root, now_ms + 3_600_000)
    fresh_unreadable = session(root, None)  # being started right now
    out = subprocess.run(
        [sys.executable, "-m", "regista.cli.main", "catalog", "sweep-uploads", "--artifacts-destination", str(root)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "REGISTA_UC_UPLOAD_TIMEOUT": "600"},
    )
    assert out.returncode == 0, out.stderr
    assert "removed 2 abandoned upload session(s)" in out.stdout
    left = sorted(p.name for p in (root / UPLOADS_ROOT).iterdir())
    assert left == sorted([live, fresh_unreadable])
    assert expired not in left and stale not in left
