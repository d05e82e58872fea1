"""Parsing `models:/` references: every form the mlflow client accepts for registered models, and the
mistakes named in words a user can act on."""

from __future__ import annotations

import pytest

from regista.inference.errors import InferenceError
from regista.inference.model_uri import ModelReference, ResolvedModel, parse_model_uri


@pytest.mark.parametrize(("uri", "expected"), [
    ("models:/churn@champion", ModelReference("churn", "alias", "champion")),
    ("models:/churn/3", ModelReference("churn", "version", "3")),
    ("models:/churn/007", ModelReference("churn", "version", "7")),
    ("models:/churn/Production", ModelReference("churn", "stage", "Production")),
    ("models:/churn/staging", ModelReference("churn", "stage", "Staging")),
    ("models:/churn/latest", ModelReference("churn", "latest", "")),
    ("models:/my model/2", ModelReference("my model", "version", "2")),
    ("models:/prod.team.churn@v2-candidate", ModelReference("prod.team.churn", "alias", "v2-candidate")),
])
def test_forms(uri: str, expected: ModelReference) -> None:
    assert parse_model_uri(uri) == expected


@pytest.mark.parametrize(("uri", "message"), [
    ("runs:/abc/model", "is not a registered model URI"),
    ("churn@champion", "is not a registered model URI"),
    ("models:/churn", "expected models:/<name>@<alias>"),
    ("models:/@champion", "expected models:/<name>@<alias>"),
    ("models:/churn@", "expected models:/<name>@<alias>"),
    ("models:/a/b/3", "expected models:/<name>@<alias>"),
    ("models:/churn/0", "versions start at 1"),
    ("models:/churn/３", "is neither a version number"),  # a full-width digit is not a version
    ("models:/churn/gold", "is neither a version number, a stage"),
])
def test_mistakes(uri: str, message: str) -> None:
    with pytest.raises(InferenceError, match=message.replace("(", r"\(")):
        parse_model_uri(uri)


def test_a_resolved_alias_loads_the_pinned_version() -> None:
    ref = parse_model_uri("models:/churn@champion")
    assert (ref.uri, ResolvedModel(ref, "4").uri) == ("models:/churn@champion", "models:/churn/4")
