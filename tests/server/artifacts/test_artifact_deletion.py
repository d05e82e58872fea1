"""Deleting through the mlflow-artifacts proxy is a write on the experiment that owns the path: a caller
without CAN_EDIT gets 403 PERMISSION_DENIED and nothing is deleted or recorded; an editor's deletion removes
the files and records one `artifact.deleted` event in the outbox (read from the server's database)."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import text

from tests.fixtures.identities import IdentityFactory
from tests.fixtures.wire import assert_error
from tests.server.registry.registry_permission_helpers import Api, admin_api, caller_api

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def experiment(auth_server) -> str:  # type: ignore[no-untyped-def]
    """An admin's experiment holding <id>/data/a.txt and <id>/data/b.txt."""
    admin = admin_api(auth_server.url)
    eid = admin.ok("POST", "/experiments/create", {"name": f"del-{uuid.uuid4().hex[:10]}"})["experiment_id"]
    for name in ("a.txt", "b.txt"):
        r = admin.http.put(f"{ARTIFACTS}/{eid}/data/{name}", content=name.encode())
        assert r.status_code == 200, r.text
    return str(eid)


def as_user(identities: IdentityFactory, url: str, experiment: str, level: str | None) -> tuple[Api, str]:
    user = identities.user()
    if level is not None:
        identities.grant("experiments", experiment, user, level)
    return caller_api(url, user.token), user.name


def deletion_events(identities: IdentityFactory, experiment: str) -> list[tuple[str, dict[str, str]]]:
    """(principal, payload) of the artifact.deleted events about paths of `experiment`, oldest first."""
    with identities.engine.connect() as conn:
        found = conn.execute(text(
            "SELECT principal, payload FROM outbox_events WHERE event_type = 'artifact.deleted' ORDER BY id"
        ))
        events = [(r.principal, json.loads(r.payload)) for r in found]
    return [(who, p) for who, p in events if p["path"].split("/", 1)[0] == experiment]


def stored(url: str, path: str) -> int:
    return admin_api(url).http.get(f"{ARTIFACTS}/{path}").status_code


class TestDeleteArtifactPermissions:
    @pytest.mark.parametrize("level", [None, "CAN_READ"])
    def test_a_caller_without_can_edit_gets_403_and_nothing_changes(
        self, auth_server, identities: IdentityFactory, experiment: str, level: str | None
    ) -> None:
        api, _ = as_user(identities, auth_server.url, experiment, level)

        for path in (f"{experiment}/data/a.txt", f"{experiment}/data"):
            assert_error(api.http.delete(f"{ARTIFACTS}/{path}"), 403, "PERMISSION_DENIED")

        assert stored(auth_server.url, f"{experiment}/data/a.txt") == 200
        assert stored(auth_server.url, f"{experiment}/data/b.txt") == 200
        assert deletion_events(identities, experiment) == []

    def test_an_editor_deletes_the_file_and_the_deletion_is_recorded(
        self, auth_server, identities: IdentityFactory, experiment: str
    ) -> None:
        api, name = as_user(identities, auth_server.url, experiment, "CAN_EDIT")

        assert api.http.delete(f"{ARTIFACTS}/{experiment}/data/a.txt").status_code == 200

        assert stored(auth_server.url, f"{experiment}/data/a.txt") == 404
        assert stored(auth_server.url, f"{experiment}/data/b.txt") == 200
        assert deletion_events(identities, experiment) == [(name, {"path": f"{experiment}/data/a.txt"})]

    def test_deleting_a_directory_removes_it_whole_with_one_event(
        self, auth_server, identities: IdentityFactory, experiment: str
    ) -> None:
        api, name = as_user(identities, auth_server.url, experiment, "CAN_EDIT")

        assert api.http.delete(f"{ARTIFACTS}/{experiment}/data").status_code == 200

        listing = admin_api(auth_server.url).ok("GET", ARTIFACTS, params={"path": f"{experiment}/data"})
        assert listing == {}
        assert deletion_events(identities, experiment) == [(name, {"path": f"{experiment}/data"})]

    def test_an_editor_of_another_experiment_gets_403(
        self, auth_server, identities: IdentityFactory, experiment: str
    ) -> None:
        admin = admin_api(auth_server.url)
        other = admin.ok("POST", "/experiments/create", {"name": f"other-{uuid.uuid4().hex[:10]}"})
        api, _ = as_user(identities, auth_server.url, str(other["experiment_id"]), "CAN_EDIT")

        assert_error(api.http.delete(f"{ARTIFACTS}/{experiment}/data/a.txt"), 403, "PERMISSION_DENIED")

        assert stored(auth_server.url, f"{experiment}/data/a.txt") == 200
        assert deletion_events(identities, experiment) == []
