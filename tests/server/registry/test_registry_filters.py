"""Registry filter translation run against real databases: tag anti-joins, OR/parentheses, LIKE case,
prompt exclusion, order_by tie-breakers and refused clauses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, insert, select

from regista.errors import InvalidParameter
from regista.server.db.base import Base
from regista.server.db.engine import build_engine
from regista.server.db.models import ModelVersion, ModelVersionTag, RegisteredModel, RegisteredModelTag
from regista.server.registry.stores.model_versions_filter import model_versions_order_by, model_versions_where
from regista.server.registry.stores.registered_models_filter import (
    registered_models_order_by,
    registered_models_where,
)
from tests.fixtures.databases import database_url


@pytest.fixture(scope="module")
def engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with database_url(backend, tmp_path_factory.mktemp(f"filters-{backend}")) as url:
        eng = build_engine(url)
        Base.metadata.create_all(eng)
        with eng.begin() as conn:
            models = [("Alpha", 3), ("beta", 1), ("gamma", 0), ("prompt", 1)]
            for i, (name, versions) in enumerate(models, start=1):
                conn.execute(insert(RegisteredModel), {"id": i, "name": name, "creation_time": i,
                                                       "last_updated_time": 10 - i, "next_version": versions + 1})
                for v in range(1, versions + 1):
                    conn.execute(insert(ModelVersion), {
                        "registered_model_id": i, "version": v, "creation_time": v, "last_updated_time": v,
                        "source": f"s3://b/{name}/{v}", "run_id": f"run{v}", "current_stage": "None"})
            conn.execute(insert(RegisteredModelTag), [
                {"registered_model_id": 1, "key": "team", "value": "red"},
                {"registered_model_id": 2, "key": "team", "value": "Blue"},
                {"registered_model_id": 3, "key": "flag", "value": "on"},
                {"registered_model_id": 4, "key": "mlflow.prompt.is_prompt", "value": "true"},
            ])
            conn.execute(insert(ModelVersionTag), [
                {"registered_model_id": 1, "version": 1, "key": "k", "value": "a"},
                {"registered_model_id": 1, "version": 2, "key": "k", "value": "b"},
            ])
        yield eng
        eng.dispose()


def rm_names(engine: Engine, text: str | None, order_by: list[str] | None = None) -> list[str]:
    with engine.connect() as conn:
        where = registered_models_where(text, conn.dialect.name)
        stmt = select(RegisteredModel.name).where(where).order_by(*registered_models_order_by(order_by or []))
        return [r[0] for r in conn.execute(stmt)]


def versions(engine: Engine, text: str | None, order_by: list[str] | None = None) -> list[tuple[str, int]]:
    with engine.connect() as conn:
        where = model_versions_where(text, conn.dialect.name)
        stmt = (select(RegisteredModel.name, ModelVersion.version)
                .join(RegisteredModel, RegisteredModel.id == ModelVersion.registered_model_id)
                .where(where).order_by(*model_versions_order_by(order_by or [])))
        return [(r[0], r[1]) for r in conn.execute(stmt)]


class TestRegisteredModelsFilter:
    def test_no_filter_excludes_prompts_and_orders_by_name(self, engine):
        assert rm_names(engine, None) == ["Alpha", "beta", "gamma"]

    def test_tag_not_equals_is_an_anti_join(self, engine):
        assert rm_names(engine, "tags.team != 'red'") == ["beta", "gamma"]

    def test_client_prompt_clause_keeps_untagged_models(self, engine):
        assert rm_names(engine, "name LIKE '%a' AND tag.`mlflow.prompt.is_prompt` != 'true'") == ["Alpha", "beta", "gamma"]

    def test_asking_for_prompts_finds_them(self, engine):
        assert rm_names(engine, "tags.`mlflow.prompt.is_prompt` = 'true'") == ["prompt"]

    def test_like_is_case_sensitive_ilike_is_not(self, engine):
        assert rm_names(engine, "name LIKE 'a%'") == []
        assert rm_names(engine, "name ILIKE 'a%'") == ["Alpha"]
        assert rm_names(engine, "tags.team LIKE 'B%'") == ["beta"]
        assert rm_names(engine, "tags.team ILIKE 'b%'") == ["beta"]

    def test_like_treats_glob_characters_literally(self, engine):
        assert rm_names(engine, "name LIKE '*'") == []
        assert rm_names(engine, "name LIKE '_eta'") == ["beta"]

    def test_like_statement_compiled_once_answers_each_pattern(self, engine):
        # A LIKE filter compiles once per shape; every later pattern must still bind its own value.
        assert registered_models_where("name LIKE 'x%'", engine.dialect.name)._generate_cache_key() is not None
        for pattern, expected in [("A%", ["Alpha"]), ("b%", ["beta"]), ("%a", ["Alpha", "beta", "gamma"]),
                                  ("g_mma", ["gamma"]), ("A%", ["Alpha"])]:
            assert rm_names(engine, f"name LIKE '{pattern}'") == expected, pattern

    def test_or_with_parentheses(self, engine):
        assert rm_names(engine, "(tags.flag = 'on' OR tags.team = 'red') AND name != 'gamma'") == ["Alpha"]
        assert rm_names(engine, "name IN ('beta', 'gamma') OR tags.team = 'red'") == ["Alpha", "beta", "gamma"]

    def test_tag_is_null_and_is_not_null(self, engine):
        assert rm_names(engine, "tags.team IS NULL") == ["gamma"]
        assert rm_names(engine, "tags.team IS NOT NULL") == ["Alpha", "beta"]

    def test_not_in(self, engine):
        assert rm_names(engine, "name NOT IN ('Alpha')") == ["beta", "gamma"]

    def test_order_by_timestamp_then_name(self, engine):
        assert rm_names(engine, None, ["timestamp ASC"]) == ["gamma", "beta", "Alpha"]
        assert rm_names(engine, None, ["creation_timestamp DESC"]) == ["gamma", "beta", "Alpha"]

    @pytest.mark.parametrize("text", ["run_id = 'x'", "tags.a > '1'", "name > 'a'", "metrics.m = 1", "name = "])
    def test_refused_filters(self, engine, text):
        with pytest.raises(InvalidParameter):
            rm_names(engine, text)

    @pytest.mark.parametrize("order_by", [["version_number"], ["name", "name DESC"], ["name SIDEWAYS"]])
    def test_refused_order_by(self, order_by):
        with pytest.raises(InvalidParameter):
            registered_models_order_by(order_by)


class TestModelVersionsFilter:
    def test_default_order_is_last_updated_desc_then_name_then_version_desc(self, engine):
        assert versions(engine, None) == [("Alpha", 3), ("Alpha", 2), ("Alpha", 1), ("beta", 1)]

    def test_numeric_version_comparisons(self, engine):
        assert versions(engine, "name = 'Alpha' AND version_number >= 2") == [("Alpha", 3), ("Alpha", 2)]
        assert versions(engine, "version_number = '1'", ["name ASC"]) == [("Alpha", 1), ("beta", 1)]

    def test_tag_not_equals_keeps_untagged_versions(self, engine):
        assert versions(engine, "name = 'Alpha' AND tags.k != 'a'") == [("Alpha", 3), ("Alpha", 2)]

    def test_run_id_in_and_source_path(self, engine):
        assert versions(engine, "run_id IN ('run2', 'run3')") == [("Alpha", 3), ("Alpha", 2)]
        assert versions(engine, "source_path LIKE 's3://b/beta/%'") == [("beta", 1)]

    def test_or_across_models(self, engine):
        got = versions(engine, "(name = 'Alpha' AND version_number = 1) OR name = 'beta'", ["name ASC"])
        assert got == [("Alpha", 1), ("beta", 1)]

    def test_prompt_versions_are_excluded_unless_asked_for(self, engine):
        assert ("prompt", 1) not in versions(engine, None)

    @pytest.mark.parametrize("text", ["version_number > 1.5", "version_number LIKE '1'", "source_path IN ('x')",
                                      "status = 'READY'", "version_number > 'x'"])
    def test_refused_filters(self, engine, text):
        with pytest.raises(InvalidParameter):
            versions(engine, text)
