"""Serving endpoint permissions as a second principal: CAN_VIEW, CAN_QUERY, CAN_MANAGE (the creator's),
set and read through the databricks-sdk's serving_endpoints.*_permissions, checked on every call."""

from __future__ import annotations

import pytest
from databricks.sdk.errors import PermissionDenied
from databricks.sdk.service.serving import (
    ServingEndpointAccessControlRequest,
    ServingEndpointPermissionLevel,
)

from tests.fixtures.identities import workspace_client
from tests.server.serving.conftest import ROWS, create_endpoint, entity, invoke, split


@pytest.fixture(scope="module")
def shared_endpoint(serving_server, models):
    from tests.fixtures.identities import ADMIN_TOKEN

    ws = workspace_client(serving_server.url, ADMIN_TOKEN)
    ep = create_endpoint(ws, [entity(models.classifier, "1", "main")])
    yield ep
    ws.serving_endpoints.delete(ep.name)


def _grant(admin_ws, endpoint_id: str, user_name: str, level: str) -> None:
    admin_ws.serving_endpoints.update_permissions(endpoint_id, access_control_list=[
        ServingEndpointAccessControlRequest(user_name=user_name, permission_level=ServingEndpointPermissionLevel(level))
    ])


def _can(fn) -> bool:
    try:
        fn()
    except PermissionDenied:
        return False
    return True


class TestServingEndpointPermissions:
    def test_without_a_grant_nothing_is_visible(self, serving_server, serving_identities, shared_endpoint):
        user = serving_identities.user()
        ws = workspace_client(serving_server.url, user.token)
        assert not _can(lambda: ws.serving_endpoints.get(shared_endpoint.name))
        assert shared_endpoint.name not in [e.name for e in ws.serving_endpoints.list()]
        r = invoke(serving_server.url, shared_endpoint.name, split(ROWS[:1]), token=user.token)
        assert r.status_code == 403 and r.json()["error_code"] == "PERMISSION_DENIED"

    @pytest.mark.parametrize(("level", "view", "query", "manage"), [
        ("CAN_VIEW", True, False, False),
        ("CAN_QUERY", True, True, False),
        ("CAN_MANAGE", True, True, True),
    ])
    def test_each_level_allows_what_it_says(
        self, serving_server, serving_identities, admin_ws, shared_endpoint, level, view, query, manage
    ):
        user = serving_identities.user()
        _grant(admin_ws, shared_endpoint.id, user.name, level)
        ws = workspace_client(serving_server.url, user.token)
        assert _can(lambda: ws.serving_endpoints.get(shared_endpoint.name)) is view
        assert (shared_endpoint.name in [e.name for e in ws.serving_endpoints.list()]) is view
        assert _can(lambda: ws.serving_endpoints.export_metrics(shared_endpoint.name)) is view
        r = invoke(serving_server.url, shared_endpoint.name, split(ROWS[:1]), token=user.token)
        assert (r.status_code == 200) is query, r.text
        assert _can(lambda: ws.serving_endpoints.get_open_api(shared_endpoint.name)) is query
        assert _can(lambda: ws.serving_endpoints.logs(shared_endpoint.name, "main")) is manage
        assert _can(lambda: ws.serving_endpoints.get_permissions(shared_endpoint.id)) is manage
        if view:
            assert ws.serving_endpoints.get(shared_endpoint.name).permission_level.value == level

    def test_can_query_may_not_change_the_config_nor_delete(
        self, serving_server, serving_identities, admin_ws, shared_endpoint, models
    ):
        user = serving_identities.user()
        _grant(admin_ws, shared_endpoint.id, user.name, "CAN_QUERY")
        ws = workspace_client(serving_server.url, user.token)
        assert not _can(lambda: ws.serving_endpoints.update_config(
            shared_endpoint.name, served_entities=[entity(models.classifier, "2", "main")]))
        assert not _can(lambda: ws.serving_endpoints.delete(shared_endpoint.name))
        assert admin_ws.serving_endpoints.get(shared_endpoint.name).config.served_entities[0].entity_version == "1"

    def test_the_creator_manages_their_endpoint_and_it_is_in_the_acl(
        self, serving_server, serving_identities, admin_ws, models
    ):
        user = serving_identities.user()
        # Serving a model needs read access to it.
        model = admin_ws.model_registry.get_model(models.classifier).registered_model_databricks
        serving_identities.grant("registered-models", model.id, user, "CAN_READ")
        ws = workspace_client(serving_server.url, user.token)
        ep = create_endpoint(ws, [entity(models.classifier, "1", "mine")])
        acl = ws.serving_endpoints.get_permissions(ep.id)
        assert acl.object_id == f"/serving-endpoints/{ep.id}"
        levels = {(a.user_name or a.group_name): a.all_permissions[0].permission_level.value
                  for a in acl.access_control_list}
        assert levels[user.name] == "CAN_MANAGE"
        assert levels["admins"] == "CAN_MANAGE"
        assert invoke(serving_server.url, ep.name, split(ROWS[:1]), token=user.token).status_code == 200
        ws.serving_endpoints.delete(ep.name)

    def test_serving_a_model_needs_read_access_to_it(self, serving_server, serving_identities, models):
        user = serving_identities.user()
        ws = workspace_client(serving_server.url, user.token)
        assert not _can(lambda: create_endpoint(ws, [entity(models.classifier, "1")]))

    def test_permission_levels_of_an_endpoint(self, admin_ws, shared_endpoint):
        levels = admin_ws.serving_endpoints.get_permission_levels(shared_endpoint.id).permission_levels
        assert [lv.permission_level.value for lv in levels] == ["CAN_VIEW", "CAN_QUERY", "CAN_MANAGE"]

    def test_set_permissions_replaces_the_grants(self, serving_server, serving_identities, admin_ws, shared_endpoint):
        user = serving_identities.user()
        _grant(admin_ws, shared_endpoint.id, user.name, "CAN_QUERY")
        admin_ws.serving_endpoints.set_permissions(shared_endpoint.id, access_control_list=[])
        r = invoke(serving_server.url, shared_endpoint.name, split(ROWS[:1]), token=user.token)
        assert r.status_code == 403
