"""Server settings; the only place that reads REGISTA_* environment variables."""

from __future__ import annotations

import math
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from regista.server.secret_box import SecretBox, secret_box

DEFAULT_DATA_DIR = "regista-data"
DEFAULT_MAX_REQUEST_BODY_BYTES = 32 << 20  # 32 MiB
# Where model workers run (REGISTA_SERVING_ENV_MANAGER), as `mlflow models serve --env-manager` names them.
SERVING_ENV_MANAGERS = ("local", "virtualenv", "uv")


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhd]?)$")
_UNIT_S = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
# A bound on durations (100 years): larger values are surely a typo, and they overflow time arithmetic.
MAX_DURATION_S = 100 * 365 * 86400.0


def parse_duration(value: str) -> float:
    """Seconds from `3600`, `90s`, `30m`, `12h` or `7d` (the one parser of user-given durations); ValueError
    with the accepted forms otherwise."""
    match = _DURATION.match(value.strip().lower())
    seconds = float(match.group(1)) * _UNIT_S[match.group(2)] if match else math.nan
    if not 0 <= seconds <= MAX_DURATION_S:
        raise ValueError(f"invalid duration {value!r}: a number of seconds, or a number followed by s, m, h or d "
                         f"(e.g. 3600, 12h, 7d), at most {MAX_DURATION_S / 86400:.0f} days")
    return seconds


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
    # Multipart upload sessions of Unity Catalog files expire after this many seconds, and are then removed
    # with their parts by the server's periodic sweep (REGISTA_UC_UPLOAD_TIMEOUT).
    uc_upload_timeout_s: float = 86400.0
    # Webhook targets on loopback, private, link-local or metadata addresses, and plain http://, are refused
    # unless this is on (REGISTA_WEBHOOK_ALLOW_PRIVATE): for receivers inside a trusted network.
    webhook_allow_private: bool = False
    # Seconds one webhook call may take (REGISTA_WEBHOOK_TIMEOUT).
    webhook_timeout_s: float = 30.0
    # Seconds after which a delivery that keeps failing is given up (REGISTA_WEBHOOK_RETRY_WINDOW).
    webhook_retry_window_s: float = 6 * 3600.0
    # Run the event dispatcher in this server process (REGISTA_EVENTS_DISPATCHER; off: another process does).
    events_dispatcher: bool = True
    # Seconds between two looks at the outbox and the due deliveries when idle (REGISTA_EVENTS_POLL_INTERVAL);
    # this process's own commits wake the dispatcher at once.
    events_poll_interval_s: float = 1.0
    # Seconds dispatched events, finished deliveries (the delivery log) and e-mail counts are kept
    # (REGISTA_EVENTS_RETENTION; default 30 days; 0 keeps them forever). Pending deliveries are always kept.
    events_retention_s: float = 30 * 86400.0
    # SMTP server for e-mail notifications (REGISTA_SMTP_URL): smtp://user:pass@host:587?starttls=true,
    # smtps://host:465, smtp://host:25. None: no e-mail is sent.
    smtp_url: str | None = field(default=None, repr=False)
    # The From address of notification e-mails (REGISTA_SMTP_FROM).
    smtp_from: str = "regista@localhost"
    # The server-wide switch for registry e-mail notifications (REGISTA_EMAIL_NOTIFICATIONS).
    email_notifications: bool = True
    # E-mails per user, model, event type and day before one "daily limit reached" mail
    # (REGISTA_EMAIL_DAILY_LIMIT).
    email_daily_limit: int = 20
    # The address users reach the server at, for links in e-mails (REGISTA_PUBLIC_URL).
    public_url: str | None = None
    # Model serving (server/serving): run the supervisor of model workers in this process (REGISTA_SERVING).
    serving: bool = True
    # Seconds between two looks at the endpoints, to follow aliases and stages (REGISTA_SERVING_POLL_INTERVAL).
    serving_poll_interval_s: float = 1.0
    # Seconds one invocation may take before a 504 (REGISTA_SERVING_REQUEST_TIMEOUT; Databricks: 297).
    serving_request_timeout_s: float = 297.0
    # Largest invocation body (REGISTA_SERVING_MAX_REQUEST_BYTES; Databricks: 16 MB).
    serving_max_request_bytes: int = 16 << 20
    # Idle seconds after which a scale-to-zero served entity's worker stops (REGISTA_SERVING_SCALE_TO_ZERO_AFTER).
    serving_scale_to_zero_after_s: float = 1800.0
    # Seconds a model may take to load in its worker (REGISTA_SERVING_LOAD_TIMEOUT).
    serving_load_timeout_s: float = 300.0
    # External-model endpoints may call providers on private or loopback addresses (REGISTA_SERVING_ALLOW_PRIVATE):
    # for a locally served open model inside a trusted network.
    serving_allow_private: bool = False
    # The interpreter that runs model workers (REGISTA_SERVING_PYTHON; it needs mlflow: regista[serving]).
    serving_python: str = sys.executable
    # Keys that encrypt stored secrets (REGISTA_SECRET_KEYS, comma-separated; the first encrypts, all decrypt).
    # Empty: the data folder's secret.key, created at first start (see server/secret_box.py).
    secret_keys: tuple[str, ...] = field(default=(), repr=False)
    # Where model workers run (REGISTA_SERVING_ENV_MANAGER): `local`, the serving interpreter's environment;
    # `virtualenv` (stdlib venv + pip) or `uv`, an environment built from the model's own requirements and
    # cached under data_dir/serving/envs (see regista/environments/builder.py).
    serving_env_manager: str = "local"
    # Seconds one environment build may take before the served entity fails (REGISTA_SERVING_ENV_BUILD_TIMEOUT).
    serving_env_build_timeout_s: float = 1800.0
    # uv may download the Python a model asks for when this machine has none (REGISTA_SERVING_ENV_PYTHON_DOWNLOADS;
    # off: an environment is only built on a Python already installed here).
    serving_env_python_downloads: bool = False
    # Model environments that no worker used for this long are removed by the supervisor, at start and then
    # periodically (REGISTA_SERVING_ENV_RETENTION, seconds or 12h / 7d; default 7 days; 0 never removes them).
    serving_env_retention_s: float = 7 * 86400.0

    @property
    def auth_enabled(self) -> bool:
        return self.auth if self.auth is not None else not is_loopback(self.host)

    @property
    def database_url(self) -> str:
        return self.backend_store_uri or f"sqlite:///{self.data_dir / 'regista.db'}"

    @property
    def artifact_root(self) -> str:
        return self.artifacts_destination or str(self.data_dir / "artifacts")

    @property
    def base_url(self) -> str:
        """Where users reach the server (links in e-mails)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def secret_box(self) -> SecretBox:
        """Encrypts and decrypts the secrets this server stores (one box per process and key set)."""
        return secret_box(self.secret_keys, self.data_dir)

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
        if os.environ.get("REGISTA_SECRET_KEYS"):
            env["secret_keys"] = tuple(k.strip() for k in os.environ["REGISTA_SECRET_KEYS"].split(",") if k.strip())
        if os.environ.get("REGISTA_UC_UPLOAD_TIMEOUT"):
            env["uc_upload_timeout_s"] = float(os.environ["REGISTA_UC_UPLOAD_TIMEOUT"])
        env.update(_events_from_env())
        env.update(_serving_from_env())
        env.update({k: v for k, v in overrides.items() if v is not None})
        if "data_dir" in env:
            env["data_dir"] = Path(str(env["data_dir"])).resolve()
        return cls(**env)  # type: ignore[arg-type]  # one dict of mixed values, each converted above


def _events_from_env() -> dict[str, object]:
    """The events domain's settings (webhooks, dispatcher, e-mail)."""
    env: dict[str, object] = {}
    if "REGISTA_WEBHOOK_ALLOW_PRIVATE" in os.environ:
        env["webhook_allow_private"] = _flag(os.environ["REGISTA_WEBHOOK_ALLOW_PRIVATE"])
    if os.environ.get("REGISTA_WEBHOOK_TIMEOUT"):
        env["webhook_timeout_s"] = float(os.environ["REGISTA_WEBHOOK_TIMEOUT"])
    if os.environ.get("REGISTA_WEBHOOK_RETRY_WINDOW"):
        env["webhook_retry_window_s"] = float(os.environ["REGISTA_WEBHOOK_RETRY_WINDOW"])
    if "REGISTA_EVENTS_DISPATCHER" in os.environ:
        env["events_dispatcher"] = _flag(os.environ["REGISTA_EVENTS_DISPATCHER"])
    if os.environ.get("REGISTA_EVENTS_POLL_INTERVAL"):
        env["events_poll_interval_s"] = float(os.environ["REGISTA_EVENTS_POLL_INTERVAL"])
    if os.environ.get("REGISTA_EVENTS_RETENTION"):
        env["events_retention_s"] = float(os.environ["REGISTA_EVENTS_RETENTION"])
    if os.environ.get("REGISTA_SMTP_URL"):
        env["smtp_url"] = os.environ["REGISTA_SMTP_URL"]
    if os.environ.get("REGISTA_SMTP_FROM"):
        env["smtp_from"] = os.environ["REGISTA_SMTP_FROM"]
    if "REGISTA_EMAIL_NOTIFICATIONS" in os.environ:
        env["email_notifications"] = _flag(os.environ["REGISTA_EMAIL_NOTIFICATIONS"])
    if os.environ.get("REGISTA_EMAIL_DAILY_LIMIT"):
        env["email_daily_limit"] = int(os.environ["REGISTA_EMAIL_DAILY_LIMIT"])
    if os.environ.get("REGISTA_PUBLIC_URL"):
        env["public_url"] = os.environ["REGISTA_PUBLIC_URL"]
    return env


def _serving_from_env() -> dict[str, object]:
    """The serving domain's settings (model workers, invocation limits)."""
    env: dict[str, object] = {}
    if "REGISTA_SERVING" in os.environ:
        env["serving"] = _flag(os.environ["REGISTA_SERVING"])
    if "REGISTA_SERVING_ALLOW_PRIVATE" in os.environ:
        env["serving_allow_private"] = _flag(os.environ["REGISTA_SERVING_ALLOW_PRIVATE"])
    floats = {
        "REGISTA_SERVING_POLL_INTERVAL": "serving_poll_interval_s",
        "REGISTA_SERVING_REQUEST_TIMEOUT": "serving_request_timeout_s",
        "REGISTA_SERVING_SCALE_TO_ZERO_AFTER": "serving_scale_to_zero_after_s",
        "REGISTA_SERVING_LOAD_TIMEOUT": "serving_load_timeout_s",
        "REGISTA_SERVING_ENV_BUILD_TIMEOUT": "serving_env_build_timeout_s",
    }
    for var, name in floats.items():
        if os.environ.get(var):
            env[name] = float(os.environ[var])
    if os.environ.get("REGISTA_SERVING_MAX_REQUEST_BYTES"):
        env["serving_max_request_bytes"] = int(os.environ["REGISTA_SERVING_MAX_REQUEST_BYTES"])
    if os.environ.get("REGISTA_SERVING_PYTHON"):
        env["serving_python"] = os.environ["REGISTA_SERVING_PYTHON"]
    if os.environ.get("REGISTA_SERVING_ENV_MANAGER"):
        env["serving_env_manager"] = os.environ["REGISTA_SERVING_ENV_MANAGER"].strip().lower()
    if os.environ.get("REGISTA_SERVING_ENV_RETENTION"):
        try:
            env["serving_env_retention_s"] = parse_duration(os.environ["REGISTA_SERVING_ENV_RETENTION"])
        except ValueError as err:
            raise ValueError(f"REGISTA_SERVING_ENV_RETENTION: {err}") from None
    if "REGISTA_SERVING_ENV_PYTHON_DOWNLOADS" in os.environ:
        env["serving_env_python_downloads"] = _flag(os.environ["REGISTA_SERVING_ENV_PYTHON_DOWNLOADS"])
    return env
