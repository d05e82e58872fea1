"""`regista users create|list` and `regista tokens create|list|revoke`, run as real subprocesses against the
database of a live `--auth` server; issued tokens are then used against that server."""

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
        assert "No user or service principal named" in result.stderr

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


def tokens_of(database_url: str, *args: str) -> list[dict[str, str]]:
    """`regista tokens list` rows as dicts keyed by the header."""
    result = regista(database_url, "tokens", "list", *args)
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    names = header.split()
    return [dict(zip(names, row.split(None, len(names) - 1), strict=False)) for row in rows]


class TestTokensList:
    def test_a_users_tokens_with_comment_and_times_never_the_secret(self, auth_server, identities, unique) -> None:
        user = identities.user()
        secret = issue(auth_server.database_url, user.name, "--comment", f"ci-{unique}", "--lifetime-seconds", "3600")
        listed = regista(auth_server.database_url, "tokens", "list", "--user", user.name)
        assert secret not in listed.stdout
        rows = tokens_of(auth_server.database_url, "--user", user.name)
        # The factory's own token first (comment "test"), then the one issued here.
        assert [r["COMMENT"] for r in rows] == ["test", f"ci-{unique}"]
        mine = rows[1]
        assert mine["OWNER"] == user.name
        assert mine["EXPIRES"] != "never" and mine["CREATED"] < mine["EXPIRES"]
        assert rows[0]["EXPIRES"] == "never"

    def test_without_user_lists_every_owner(self, auth_server, identities) -> None:
        first, second = identities.user(), identities.service_principal()
        owners = {r["OWNER"] for r in tokens_of(auth_server.database_url)}
        assert {first.name, second.name} <= owners

    def test_unknown_user_exits_1(self, auth_server) -> None:
        result = regista(auth_server.database_url, "tokens", "list", "--user", f"nobody-{uuid.uuid4()}")
        assert (result.returncode, result.stdout) == (1, "")
        assert "No user or service principal named" in result.stderr


class TestTokensRevoke:
    def test_a_revoked_token_is_rejected_by_the_server(self, auth_server, identities, unique) -> None:
        user = identities.user()
        token = issue(auth_server.database_url, user.name, "--comment", f"revoke-{unique}")
        (row,) = [r for r in tokens_of(auth_server.database_url, "--user", user.name)
                  if r["COMMENT"] == f"revoke-{unique}"]
        revoked = regista(auth_server.database_url, "tokens", "revoke", row["TOKEN_ID"])
        assert revoked.returncode == 0, revoked.stderr
        assert row["TOKEN_ID"] not in [r["TOKEN_ID"] for r in tokens_of(auth_server.database_url)]
        with pytest.raises(Unauthenticated):
            workspace_client(auth_server.url, token).current_user.me()

    def test_a_token_in_use_stops_working_once_the_servers_cache_expires(self, auth_server, identities) -> None:
        user = identities.user()
        w = workspace_client(auth_server.url, user.token)
        assert w.current_user.me().user_name == user.name
        (row,) = tokens_of(auth_server.database_url, "--user", user.name)
        assert regista(auth_server.database_url, "tokens", "revoke", row["TOKEN_ID"]).returncode == 0
        time.sleep(2.5)  # another process revoked it: the server re-reads cached tokens after 2 s
        with pytest.raises(Unauthenticated):
            w.current_user.me()

    def test_unknown_token_exits_1_and_changes_nothing(self, auth_server) -> None:
        before = tokens_of(auth_server.database_url)
        result = regista(auth_server.database_url, "tokens", "revoke", uuid.uuid4().hex)
        assert result.returncode == 1
        assert "does not exist" in result.stderr
        assert tokens_of(auth_server.database_url) == before


class TestUsersList:
    def users(self, database_url: str) -> dict[str, list[str]]:
        result = regista(database_url, "users", "list")
        assert result.returncode == 0, result.stderr
        return {row.split()[0]: row.split()[1:] for row in result.stdout.splitlines()[1:]}

    def test_name_active_admin_and_groups(self, auth_server, admin_workspace, identities, unique) -> None:
        plain = f"plain-{unique}@example.com"
        boss = f"boss-{unique}@example.com"
        assert regista(auth_server.database_url, "users", "create", plain).returncode == 0
        assert regista(auth_server.database_url, "users", "create", boss, "--admin").returncode == 0
        users = self.users(auth_server.database_url)
        assert users[plain] == ["yes", "no"]
        assert users[boss] == ["yes", "yes", "admins"]
        assert users["admin"] == ["yes", "yes", "admins"]

    def test_admin_through_a_nested_group_and_deactivated(self, auth_server, admin_workspace, identities) -> None:
        from databricks.sdk.service.iam import Patch, PatchOp

        from tests.fixtures.identities import Caller

        (admins,) = admin_workspace.groups.list(filter='displayName eq "admins"')
        nested = identities.group(Caller("admins", int(admins.id), None, "group"))
        user = identities.user(nested)
        admin_workspace.users.patch(str(user.identity_id), operations=[
            Patch(op=PatchOp.REPLACE, path="active", value="false")])
        assert self.users(auth_server.database_url)[user.name] == ["no", "yes", nested.name]


class TestVersion:
    def test_version_flag_prints_the_package_version(self) -> None:
        from regista import __version__

        result = subprocess.run([sys.executable, "-m", "regista.cli.main", "--version"],
                                capture_output=True, text=True, timeout=60)
        assert (result.returncode, result.stdout) == (0, f"{__version__}\n")
