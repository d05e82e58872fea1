"""Comments on model versions with the unmodified databricks-sdk: who may comment, edit and delete, the
caller's available_actions, validation, and the NEW_COMMENT activity."""

from __future__ import annotations

import pytest
from databricks.sdk.errors import DatabricksError

from tests.fixtures.wire import assert_error
from tests.server.governance.governance_helpers import Person, Registry


@pytest.fixture(scope="module")
def reg(auth_server, identities):
    registry = Registry(auth_server.url, identities)
    yield registry
    registry.close()


@pytest.fixture(scope="module")
def people(reg) -> dict[str, Person]:
    return {role: reg.person() for role in ("author", "reader", "production", "manager", "stranger")}


@pytest.fixture(scope="module")
def model(reg, people) -> str:
    """One model for the module: comments never collide (each test creates its own)."""
    name, rm_id = reg.model("cm", versions=1)
    levels = {"author": "CAN_READ", "reader": "CAN_READ", "production": "CAN_MANAGE_PRODUCTION_VERSIONS",
              "manager": "CAN_MANAGE"}
    for role, level in levels.items():
        reg.grant(rm_id, people[role], level)
    return name


def actions(comment) -> list[str]:
    return sorted(a.value for a in comment.available_actions or [])


class TestCreateComment:
    def test_a_reader_comments_and_may_edit_and_delete_it(self, people, model):
        author = people["author"]
        created = author.sdk.model_registry.create_comment(model, "1", "accuracy 0.93 on holdout").comment
        assert created.id and created.user_id == author.name
        assert created.comment == "accuracy 0.93 on holdout"
        assert created.creation_timestamp == created.last_updated_timestamp > 0
        assert actions(created) == ["DELETE_COMMENT", "EDIT_COMMENT"]

    def test_the_comment_is_a_new_comment_activity(self, reg, people, model):
        people["reader"].sdk.model_registry.create_comment(model, "1", "looks good")
        last = reg.activities(model, "1")[-1]
        assert (last["activity_type"], last["user_id"], last["comment"]) == (
            "NEW_COMMENT", people["reader"].name, "looks good")

    def test_a_caller_without_permission_gets_403(self, reg, people, model):
        before = len(reg.activities(model, "1"))
        with pytest.raises(DatabricksError) as err:
            people["stranger"].sdk.model_registry.create_comment(model, "1", "hi")
        assert err.value.error_code == "PERMISSION_DENIED"
        assert len(reg.activities(model, "1")) == before

    @pytest.mark.parametrize(
        "body,status,code",
        [
            ({"version": "1", "comment": ""}, 400, "INVALID_PARAMETER_VALUE"),
            ({"version": "1"}, 400, "INVALID_PARAMETER_VALUE"),
            ({"version": "1", "comment": "c" * 65536}, 400, "INVALID_PARAMETER_VALUE"),
            ({"version": "7", "comment": "c"}, 404, "RESOURCE_DOES_NOT_EXIST"),
        ],
        ids=["empty", "missing", "too-long", "unknown-version"],
    )
    def test_bad_input_changes_nothing(self, reg, people, model, body, status, code):
        before = len(reg.activities(model, "1"))
        r = reg.call("POST", "/comments/create", {"name": model, **body}, token=people["author"].token)
        assert_error(r, status, code)
        assert len(reg.activities(model, "1")) == before


class TestUpdateComment:
    def test_the_author_edits(self, reg, people, model):
        sdk = people["author"].sdk.model_registry
        created = sdk.create_comment(model, "1", "first draft").comment
        updated = sdk.update_comment(created.id, "second draft").comment
        assert (updated.id, updated.comment, updated.user_id) == (created.id, "second draft", created.user_id)
        assert updated.creation_timestamp == created.creation_timestamp
        assert updated.last_updated_timestamp >= created.last_updated_timestamp
        assert actions(updated) == ["DELETE_COMMENT", "EDIT_COMMENT"]

    def test_editing_leaves_the_activity_log_as_it_was(self, reg, people, model):
        sdk = people["author"].sdk.model_registry
        created = sdk.create_comment(model, "1", "as posted").comment
        log = reg.activities(model, "1")
        sdk.update_comment(created.id, "edited")
        assert reg.activities(model, "1") == log

    @pytest.mark.parametrize("role", ["reader", "manager"])
    def test_nobody_else_edits_not_even_a_manager(self, reg, people, model, role):
        created = people["author"].sdk.model_registry.create_comment(model, "1", "mine").comment
        r = reg.call("PATCH", "/comments/update", {"id": created.id, "comment": "yours"}, token=people[role].token)
        assert_error(r, 403, "PERMISSION_DENIED")
        again = reg.call("PATCH", "/comments/update", {"id": created.id, "comment": "mine"},
                         token=people["author"].token).json()["comment"]
        assert again["comment"] == "mine"

    def test_unknown_id_is_404_and_empty_text_is_400(self, reg, people, model):
        token = people["author"].token
        assert_error(reg.call("PATCH", "/comments/update", {"id": "nope", "comment": "x"}, token=token),
                     404, "RESOURCE_DOES_NOT_EXIST")
        created = people["author"].sdk.model_registry.create_comment(model, "1", "keep me").comment
        assert_error(reg.call("PATCH", "/comments/update", {"id": created.id, "comment": ""}, token=token),
                     400, "INVALID_PARAMETER_VALUE")


class TestDeleteComment:
    @pytest.mark.parametrize("role", ["author", "manager"])
    def test_the_author_or_a_manager_deletes(self, reg, people, model, role):
        created = people["author"].sdk.model_registry.create_comment(model, "1", "to delete").comment
        people[role].sdk.model_registry.delete_comment(created.id)
        r = reg.call("DELETE", "/comments/delete", params={"id": created.id}, token=people["author"].token)
        assert_error(r, 404, "RESOURCE_DOES_NOT_EXIST")

    @pytest.mark.parametrize("role", ["reader", "production", "stranger"])
    def test_others_get_403_and_the_comment_stays(self, reg, people, model, role):
        created = people["author"].sdk.model_registry.create_comment(model, "1", "stays").comment
        r = reg.call("DELETE", "/comments/delete", params={"id": created.id}, token=people[role].token)
        assert_error(r, 403, "PERMISSION_DENIED")
        # Still there: its author can edit it.
        people["author"].sdk.model_registry.update_comment(created.id, "stays")

    def test_a_managers_own_comment_offers_edit_and_delete(self, people, model):
        created = people["manager"].sdk.model_registry.create_comment(model, "1", "manager note").comment
        assert actions(created) == ["DELETE_COMMENT", "EDIT_COMMENT"]

    def test_deleting_keeps_the_new_comment_activity(self, reg, people, model):
        sdk = people["author"].sdk.model_registry
        created = sdk.create_comment(model, "1", "short-lived").comment
        sdk.delete_comment(created.id)
        assert any(a["activity_type"] == "NEW_COMMENT" and a["comment"] == "short-lived"
                   for a in reg.activities(model, "1"))
