"""The calling principal every service method receives."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user or service principal, its groups (transitively) and whether it is an admin.

    `name` is what grants, activities and `user_id` fields show: a user's userName, a service principal's
    applicationId. `identity_id` is None only for principals that have no row (never with auth on).
    """

    name: str
    is_admin: bool = False
    kind: str = "user"
    identity_id: int | None = None
    # Every group the principal belongs to, directly or through nested groups (including "users").
    group_ids: tuple[int, ...] = ()

    @property
    def grantee_ids(self) -> tuple[int, ...]:
        """Identity ids whose grants apply to this principal: itself and all its groups."""
        own = () if self.identity_id is None else (self.identity_id,)
        return own + self.group_ids


# Without authentication every caller is this admin (the single-user embedded default).
ANONYMOUS_ADMIN = Principal(name="admin", is_admin=True)
