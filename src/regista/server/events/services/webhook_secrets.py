"""Webhook secrets at rest: re-encrypting them with the server's first key (after a key rotation, or
plaintext rows written before encryption existed)."""

from __future__ import annotations

from regista.server.context import Context
from regista.server.events.stores import webhooks as store

_SEALED = ("secret", "authorization", "access_token")


def reseal_secrets(ctx: Context) -> int:
    """Re-encrypt every webhook secret not sealed with the first key; how many webhooks changed. Raises
    SecretKeyError when a stored value opens with none of the keys."""
    box = ctx.settings.secret_box
    changed = 0
    for row in store.webhooks_with_secrets(ctx.conn):
        values = {
            column: box.seal(box.open(getattr(row, column)))
            for column in _SEALED
            if getattr(row, column) is not None and box.needs_reseal(getattr(row, column))
        }
        if values:
            store.update_webhook(ctx.conn, row.id, values)
            changed += 1
    return changed
