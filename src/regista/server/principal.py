"""The calling principal every service method receives."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user or service principal name, and whether it is an admin."""

    name: str
    is_admin: bool = False
    kind: str = "user"


# Without authentication every caller is this admin (the single-user embedded default).
ANONYMOUS_ADMIN = Principal(name="admin", is_admin=True)
