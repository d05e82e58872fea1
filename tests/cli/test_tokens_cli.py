"""`regista users create` and `regista tokens create`, run as real subprocesses against the database of a live
`--auth` server; the issued token is then used against that server."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid

import pytest
from databricks.sdk.errors import Unauthenticated

from tests.fixtures.identities import workspace_client

SECRET = re.compile(r"dapi[0-9a-f]{32}")


def regista(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "regista.cli.main", *args, "--backend-store-uri", database_url],
        capture_output=True, text=True, timeout=120,
    )


def issue(database_url: str, user: str, *extra: str) -> str:
    result = regista(database_url, "tokens", "create", "--user", user, *extra)
    assert result.returncode == 0, result.stderr
    # stdout carries the secret and nothing else, so `TOKEN=$(regista tokens create ...)` works.
    assert SECRET.fullmatch(result.stdout.strip()), result.stdout
    return result.stdout.strip()


class TestUsersCreate:
    def test_creates_a_user_that_a_cli_token_authenticates(self, auth_server, unique) -> None:
        name = f"cli-{unique}@example.com"
        created = regista(auth_server.database_url, "users", "create", name)
        assert created.returncode == 0, created.stderr
        user_id = created.stdout.strip()
        me = workspace_client(auth_server.url, issue(auth_server.database_url, name)).current_user.me()
        assert (me.id, me.user_name) == (user_id, name)
        assert "admins" not in [g.display for g in me.groups]

    def test_admin_flag_makes_an_admin(self, auth_server, unique) -> None:
        name = f"cli-admin-{unique}"
        assert regista(auth_server.database_url, "users", "create", name, "--admin").returncode == 0
        w = workspace_client(auth_server.url, issue(auth_server.database_url, name))
        # An admin-only call.
        assert w.groups.create(display_name=f"cli-made-{unique}").display_name == f"cli-made-{unique}"

    def test_existing_name_exits_1(self, auth_server, unique) -> None:
        name = f"cli-dup-{unique}"
        assert regista(auth_server.database_url, "users", "create", name).returncode == 0
        again = regista(auth_server.database_url, "users", "create", name)
        assert again.returncode == 1
        assert "already exists" in again.stderr


class TestTokensCreate:
    def test_for_a_service_principal_by_application_id(self, auth_server, identities) -> None:
        sp = identities.service_principal()
        me = workspace_client(auth_server.url, issue(auth_server.database_url, sp.name)).current_user.me()
        assert me.user_name == sp.name

    def test_comment_and_lifetime(self, auth_server, admin_workspace, identities, unique) -> None:
        user = identities.user()
        token = issue(auth_server.database_url, user.name, "--lifetime-seconds", "1", "--comment", f"c-{unique}")
        (info,) = [t for t in admin_workspace.token_management.list() if t.comment == f"c-{unique}"]
        assert info.owner_id == user.identity_id
        assert info.expiry_time == info.creation_time + 1000
        time.sleep(1.2)
        with pytest.raises(Unauthenticated):
            workspace_client(auth_server.url, token).current_user.me()

    def test_unknown_user_exits_1_with_a_message_and_no_secret(self, auth_server) -> None:
        result = regista(auth_server.database_url, "tokens", "create", "--user", f"nobody-{uuid.uuid4()}")
        assert result.returncode == 1
        assert result.stdout == ""
        assert "no user or service principal named" in result.stderr

    def test_deactivated_user_exits_1(self, auth_server, admin_workspace, identities) -> None:
        from databricks.sdk.service.iam import Patch, PatchOp

        user = identities.user()
        admin_workspace.users.patch(str(user.identity_id), operations=[
            Patch(op=PatchOp.REPLACE, path="active", value="false")])
        result = regista(auth_server.database_url, "tokens", "create", "--user", user.name)
        assert (result.returncode, result.stdout) == (1, "")

    def test_the_secret_is_never_written_to_the_server_log(self, auth_server, identities) -> None:
        token = issue(auth_server.database_url, identities.user().name)
        w = workspace_client(auth_server.url, token)
        w.current_user.me()
        created = w.tokens.create(comment="logged?")
        log = (auth_server.data_dir / "server.log").read_text(errors="replace")
        assert token not in log and created.token_value not in log
