"""The encryption of stored secrets: sealing and opening, plaintext from before encryption, key rotation,
a wrong or malformed key, and the key file created at first start."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor

import pytest

from regista.server.secret_box import (
    KEY_FILE_NAME,
    PREFIX,
    SecretBox,
    SecretKeyError,
    _key_file,
    new_key,
    secret_box,
)


def test_a_sealed_value_opens_and_does_not_show_the_plaintext() -> None:
    box = SecretBox([new_key().encode()])
    sealed = box.seal("hunter2-webhook-secret")
    assert sealed.startswith(PREFIX) and "hunter2" not in sealed
    assert box.open(sealed) == "hunter2-webhook-secret"
    # Each seal has its own IV: equal secrets do not give equal stored values.
    assert box.seal("hunter2-webhook-secret") != sealed


def test_plaintext_from_before_encryption_is_read_and_needs_sealing() -> None:
    box = SecretBox([new_key().encode()])
    assert box.open("legacy-plaintext") == "legacy-plaintext"
    assert box.needs_reseal("legacy-plaintext")
    assert not box.needs_reseal(box.seal("x"))


def test_rotation_opens_old_values_and_seals_with_the_first_key() -> None:
    old, new = new_key().encode(), new_key().encode()
    sealed_old = SecretBox([old]).seal("s3cret")
    rotating = SecretBox([new, old])
    assert rotating.open(sealed_old) == "s3cret"
    assert rotating.needs_reseal(sealed_old)
    resealed = rotating.seal(rotating.open(sealed_old))
    assert SecretBox([new]).open(resealed) == "s3cret"
    with pytest.raises(SecretKeyError):
        SecretBox([old]).open(resealed)


def test_a_value_no_key_opens_is_a_clear_error() -> None:
    sealed = SecretBox([new_key().encode()]).seal("s3cret")
    other = SecretBox([new_key().encode()])
    with pytest.raises(SecretKeyError, match="REGISTA_SECRET_KEYS"):
        other.open(sealed)
    with pytest.raises(SecretKeyError):
        other.needs_reseal(sealed)


def test_a_malformed_configured_key_is_refused(tmp_path) -> None:
    with pytest.raises(SecretKeyError, match="regista secrets new-key"):
        secret_box(("not-a-key",), tmp_path)


def test_the_key_file_is_created_owner_only_once_and_reused(tmp_path) -> None:
    # Eight racing first starts all end with one and the same key.
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: _key_file(tmp_path / KEY_FILE_NAME), range(8)))
    assert len(keys) == 1
    mode = stat.S_IMODE((tmp_path / KEY_FILE_NAME).stat().st_mode)
    assert mode == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE_NAME]
    box = SecretBox([keys.pop()])
    assert secret_box((), tmp_path).open(box.seal("x")) == "x"
