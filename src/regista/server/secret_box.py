"""Encryption at rest of the secrets regista stores (webhook secrets and authorization values, serving
providers' credentials) with a server-managed key; several keys allow rotation.

Keys: REGISTA_SECRET_KEYS (comma-separated Fernet keys; the first encrypts, every one decrypts) or, when
unset, the key file `<data dir>/secret.key`, created (mode 0600) at first start. Several servers sharing one
PostgreSQL database must share the keys (REGISTA_SECRET_KEYS, or the same key file).

A stored value is `fernet:<token>` (AES-128-CBC + HMAC-SHA256, with its own timestamp and IV). A value
without that prefix is plaintext written before encryption existed: still readable, and sealed by
`needs_reseal` passes (at start and by `regista secrets rotate`).
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

PREFIX = "fernet:"
KEY_FILE_NAME = "secret.key"


class SecretKeyError(RuntimeError):
    """The configured keys cannot open a stored secret (a lost or wrong key): start-up refuses to go on."""


class SecretBox:
    """Seals and opens stored secrets with the server's keys (the first key seals)."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("A secret box needs at least one key.")
        self._primary = Fernet(keys[0])
        self._all = MultiFernet([Fernet(k) for k in keys])

    def seal(self, plaintext: str) -> str:
        return PREFIX + self._primary.encrypt(plaintext.encode()).decode()

    def open(self, stored: str) -> str:
        """The plaintext of a stored value (a legacy plaintext value is returned as it is)."""
        if not stored.startswith(PREFIX):
            return stored
        try:
            return self._all.decrypt(stored[len(PREFIX):].encode()).decode()
        except InvalidToken:
            raise SecretKeyError(
                "A stored secret cannot be decrypted with the configured keys (REGISTA_SECRET_KEYS or the "
                "data folder's secret.key): restore the key it was written with, or list it after the new one."
            ) from None

    def seal_optional(self, plaintext: str | None) -> str | None:
        return None if plaintext is None else self.seal(plaintext)

    def open_optional(self, stored: str | None) -> str | None:
        return None if stored is None else self.open(stored)

    def needs_reseal(self, stored: str) -> bool:
        """Whether `stored` is plaintext or sealed with a key other than the first (raises SecretKeyError
        when no key opens it)."""
        if not stored.startswith(PREFIX):
            return True
        token = stored[len(PREFIX):].encode()
        try:
            self._primary.decrypt(token)
            return False
        except InvalidToken:
            self.open(stored)
            return True


def new_key() -> str:
    """A fresh key, in the form REGISTA_SECRET_KEYS takes."""
    return Fernet.generate_key().decode()


def _key_file(path: Path) -> bytes:
    """The key in `path`, created with a new key (owner-only permissions) if the file does not exist."""
    if not path.exists():
        # Written whole to a private temporary file, then linked into place: of two processes starting at
        # once, one link wins and both read the same complete key.
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # owner-only (0600)
        tmp = Path(tmp_name)
        with os.fdopen(fd, "wb") as handle:
            handle.write(new_key().encode())
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_bytes().strip()


@functools.cache
def secret_box(keys: tuple[str, ...], data_dir: Path) -> SecretBox:
    """The box for a server's settings (`settings.secret_keys`, `settings.data_dir`); one per process."""
    if keys:
        try:
            return SecretBox([k.strip().encode() for k in keys])
        except ValueError:
            raise SecretKeyError(
                "REGISTA_SECRET_KEYS holds a value that is not a key (32 url-safe base64-encoded bytes); "
                "make one with `regista secrets new-key`."
            ) from None
    data_dir.mkdir(parents=True, exist_ok=True)
    return SecretBox([_key_file(data_dir / KEY_FILE_NAME)])
