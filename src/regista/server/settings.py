"""Server settings; the only place that reads REGISTA_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATA_DIR = "regista-data"
DEFAULT_MAX_REQUEST_BODY_BYTES = 32 << 20  # 32 MiB


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def is_loopback(host: str) -> bool:
    """Whether `host` only accepts connections from this machine."""
    if host in ("localhost", "::1") or host.startswith("127."):
        return True
    return False


def _default_data_dir() -> Path:
    return Path(os.environ.get("REGISTA_DATA_DIR", DEFAULT_DATA_DIR)).resolve()


@dataclass(frozen=True)
class Settings:
    """Everything the app factory needs; tests build one per server."""

    host: str = "127.0.0.1"
    port: int = 5000
    data_dir: Path = field(default_factory=_default_data_dir)
    backend_store_uri: str | None = None
    artifacts_destination: str | None = None
    workers: int = 1
    # Apply pending migrations at start (the embedded default); when false an old schema is refused.
    auto_migrate: bool = True
    # Seconds a SQLite writer waits for the lock in all (REGISTA_SQLITE_BUSY_TIMEOUT) before the request
    # fails with a retryable 503.
    sqlite_busy_timeout_s: float = 30.0
    # Require a token on every request. None means "automatic": on unless the server listens on loopback only.
    auth: bool | None = None
    # The built-in admin's token (set or replaced at start when given).
    admin_token: str | None = field(default=None, repr=False)
    # The operator's explicit opt-out that lets a server without authentication listen beyond loopback.
    allow_unauthenticated_remote: bool = False
    # One structured line per request on stderr (see server/api/access_log.py).
    access_log: bool = True
    # Level of regista's own loggers (the access log writes at INFO).
    log_level: str = "INFO"
    # JSON request bodies above this many bytes are refused with 413 (artifact uploads are not capped).
    max_request_body_bytes: int = DEFAULT_MAX_REQUEST_BODY_BYTES
    # Unity Catalog models: at most this many aliases per model (REGISTA_UC_ALIAS_LIMIT).
    uc_alias_limit: int = 10
    # Unity Catalog versions never finalized are removed after this many seconds (REGISTA_UC_PENDING_TIMEOUT).
    uc_pending_timeout_s: float = 86400.0

    @property
    def auth_enabled(self) -> bool:
        return self.auth if self.auth is not None else not is_loopback(self.host)

    @property
    def database_url(self) -> str:
        return self.backend_store_uri or f"sqlite:///{self.data_dir / 'regista.db'}"

    @property
    def artifact_root(self) -> str:
        return self.artifacts_destination or str(self.data_dir / "artifacts")

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Settings from REGISTA_* variables, with explicit (non-None) overrides winning."""
        env: dict[str, object] = {}
        if "REGISTA_HOST" in os.environ:
            env["host"] = os.environ["REGISTA_HOST"]
        if "REGISTA_PORT" in os.environ:
            env["port"] = int(os.environ["REGISTA_PORT"])
        if "REGISTA_BACKEND_STORE_URI" in os.environ:
            env["backend_store_uri"] = os.environ["REGISTA_BACKEND_STORE_URI"]
        if "REGISTA_ARTIFACTS_DESTINATION" in os.environ:
            env["artifacts_destination"] = os.environ["REGISTA_ARTIFACTS_DESTINATION"]
        if "REGISTA_WORKERS" in os.environ:
            env["workers"] = int(os.environ["REGISTA_WORKERS"])
        if "REGISTA_SQLITE_BUSY_TIMEOUT" in os.environ:
            env["sqlite_busy_timeout_s"] = float(os.environ["REGISTA_SQLITE_BUSY_TIMEOUT"])
        if "REGISTA_AUTO_MIGRATE" in os.environ:
            env["auto_migrate"] = _flag(os.environ["REGISTA_AUTO_MIGRATE"])
        if os.environ.get("REGISTA_AUTH"):
            env["auth"] = _flag(os.environ["REGISTA_AUTH"])
        if os.environ.get("REGISTA_ADMIN_TOKEN"):
            env["admin_token"] = os.environ["REGISTA_ADMIN_TOKEN"]
        if "REGISTA_ALLOW_UNAUTHENTICATED_REMOTE" in os.environ:
            env["allow_unauthenticated_remote"] = _flag(os.environ["REGISTA_ALLOW_UNAUTHENTICATED_REMOTE"])
        if "REGISTA_ACCESS_LOG" in os.environ:
            env["access_log"] = _flag(os.environ["REGISTA_ACCESS_LOG"])
        if os.environ.get("REGISTA_LOG_LEVEL"):
            env["log_level"] = os.environ["REGISTA_LOG_LEVEL"].strip().upper()
        if os.environ.get("REGISTA_MAX_REQUEST_BODY_BYTES"):
            env["max_request_body_bytes"] = int(os.environ["REGISTA_MAX_REQUEST_BODY_BYTES"])
        if os.environ.get("REGISTA_UC_ALIAS_LIMIT"):
            env["uc_alias_limit"] = int(os.environ["REGISTA_UC_ALIAS_LIMIT"])
        if os.environ.get("REGISTA_UC_PENDING_TIMEOUT"):
            env["uc_pending_timeout_s"] = float(os.environ["REGISTA_UC_PENDING_TIMEOUT"])
        env.update({k: v for k, v in overrides.items() if v is not None})
        if "data_dir" in env:
            env["data_dir"] = Path(str(env["data_dir"])).resolve()
        return cls(**env)  # type: ignore[arg-type]  # one dict of mixed values, each converted above
