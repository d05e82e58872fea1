"""Personal access tokens through the unmodified databricks-sdk (w.tokens): create, list, delete, expiry."""

from __future__ import annotations

import time

import httpx
import pytest
from databricks.sdk.errors import InvalidParameterValue, NotFound, Unauthenticated

from tests.fixtures.identities import ADMIN_TOKEN, workspace_client
from tests.fixtures.wire import assert_error


class TestCreateToken:
    def test_returns_the_secret_once_with_its_info(self, auth_server, identities) -> None:
        caller = identities.user()
        w = workspace_client(auth_server.url, caller.token)
        before = int(time.time() * 1000)
        created = w.tokens.create(comment="ci", lifetime_seconds=3600)
        assert created.token_value.startswith("dapi") and len(created.token_value) == 36
        info = created.token_info
        assert info.comment == "ci"
        assert before - 1000 <= info.creation_time <= int(time.time() * 1000) + 1000
        assert info.expiry_time == info.creation_time + 3600 * 1000
        # The new token authenticates as its owner.
        assert workspace_client(auth_server.url, created.token_value).current_user.me().user_name == caller.name

    def test_without_lifetime_never_expires(self, admin_workspace) -> None:
        created = admin_workspace.tokens.create(comment="forever")
        assert created.token_info.expiry_time == -1
        admin_workspace.tokens.delete(created.token_info.token_id)

    def test_negative_lifetime_is_400(self, admin_workspace) -> None:
        with pytest.raises(InvalidParameterValue):
            admin_workspace.tokens.create(lifetime_seconds=-5)

    def test_without_token_is_401(self, auth_server) -> None:
        assert_error(httpx.post(f"{auth_server.url}/api/2.0/token/create", json={}), 401, "UNAUTHENTICATED")

    def test_expired_token_is_401(self, auth_server, identities) -> None:
        w = workspace_client(auth_server.url, identities.user().token)
        short = w.tokens.create(lifetime_seconds=1, comment="short")
        client = workspace_client(auth_server.url, short.token_value)
        client.current_user.me()
        time.sleep(1.2)
        with pytest.raises(Unauthenticated):
            client.current_user.me()
        # An expired token is no longer listed as valid.
        assert short.token_info.token_id not in [t.token_id for t in w.tokens.list()]

    def test_mlflow_client_authenticates_with_a_created_token(self, auth_server, identities, as_caller,
                                                              unique) -> None:
        w = workspace_client(auth_server.url, identities.user().token)
        client = as_caller(w.tokens.create(comment="mlflow").token_value)
        client.create_registered_model(f"pat-{unique}")
        assert client.get_registered_model(f"pat-{unique}").name == f"pat-{unique}"


class TestListTokens:
    def test_lists_only_the_callers_tokens_without_secrets(self, auth_server, identities) -> None:
        alice = workspace_client(auth_server.url, identities.user().token)
        bob = workspace_client(auth_server.url, identities.user().token)
        a1, a2 = alice.tokens.create(comment="a1"), alice.tokens.create(comment="a2")
        b1 = bob.tokens.create(comment="b1")
        listed = alice.tokens.list()
        ids = [t.token_id for t in listed]
        assert a1.token_info.token_id in ids and a2.token_info.token_id in ids
        assert b1.token_info.token_id not in ids
        raw = httpx.get(f"{auth_server.url}/api/2.0/token/list",
                        headers={"Authorization": f"Bearer {a1.token_value}"})
        assert a1.token_value not in raw.text and a2.token_value not in raw.text
        assert set(raw.json()["token_infos"][0]) <= {"token_id", "creation_time", "expiry_time", "comment"}

    def test_without_token_is_401(self, auth_server) -> None:
        assert_error(httpx.get(f"{auth_server.url}/api/2.0/token/list"), 401, "UNAUTHENTICATED")


class TestDeleteToken:
    def test_revoked_token_is_401_right_away(self, auth_server, identities) -> None:
        w = workspace_client(auth_server.url, identities.user().token)
        created = w.tokens.create(comment="revoke me")
        victim = workspace_client(auth_server.url, created.token_value)
        victim.current_user.me()
        w.tokens.delete(created.token_info.token_id)
        with pytest.raises(Unauthenticated):
            victim.current_user.me()
        assert created.token_info.token_id not in [t.token_id for t in w.tokens.list()]

    def test_a_token_may_revoke_itself(self, auth_server, identities) -> None:
        w = workspace_client(auth_server.url, identities.user().token)
        created = w.tokens.create()
        itself = workspace_client(auth_server.url, created.token_value)
        itself.tokens.delete(created.token_info.token_id)
        with pytest.raises(Unauthenticated):
            itself.tokens.list()

    def test_someone_elses_token_is_404_and_stays_valid(self, auth_server, identities) -> None:
        owner = workspace_client(auth_server.url, identities.user().token)
        created = owner.tokens.create()
        with pytest.raises(NotFound):
            workspace_client(auth_server.url, identities.user().token).tokens.delete(created.token_info.token_id)
        # Not even an admin deletes another's token through the personal API (token management does that).
        with pytest.raises(NotFound):
            workspace_client(auth_server.url, ADMIN_TOKEN).tokens.delete(created.token_info.token_id)
        workspace_client(auth_server.url, created.token_value).current_user.me()

    def test_unknown_token_is_404(self, admin_workspace) -> None:
        with pytest.raises(NotFound):
            admin_workspace.tokens.delete("no-such-token")

    def test_without_token_is_401(self, auth_server) -> None:
        r = httpx.post(f"{auth_server.url}/api/2.0/token/delete", json={"token_id": "x"})
        assert_error(r, 401, "UNAUTHENTICATED")
