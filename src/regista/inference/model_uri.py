"""`models:/` URIs: parse a version, alias, stage or `latest` reference, and resolve it to one concrete version."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any, Literal

from regista.inference.errors import InferenceError

# MLflow's stage names, matched case-insensitively as the mlflow client does.
STAGES = {"none": "None", "staging": "Staging", "production": "Production", "archived": "Archived"}

Kind = Literal["version", "alias", "stage", "latest"]


@dataclass(frozen=True)
class ModelReference:
    """What a `models:/` URI names: a registered model and a version, alias, stage or `latest`."""

    name: str
    kind: Kind
    # The version number, alias name or canonical stage name; "" for latest.
    value: str

    def describe(self) -> str:
        if self.kind == "version":
            return f"version {self.value} of {self.name!r}"
        if self.kind == "alias":
            return f"alias @{self.value} of {self.name!r}"
        if self.kind == "stage":
            return f"the latest {self.value} version of {self.name!r}"
        return f"the latest version of {self.name!r}"

    @property
    def uri(self) -> str:
        if self.kind == "alias":
            return f"models:/{self.name}@{self.value}"
        if self.kind == "latest":
            return f"models:/{self.name}/latest"
        return f"models:/{self.name}/{self.value}"


@dataclass(frozen=True)
class ResolvedModel:
    """A reference resolved against the registry at one moment: the concrete version it pointed to."""

    reference: ModelReference
    version: str

    @property
    def uri(self) -> str:
        """The pinned URI to load: what scored the data, even if the alias or stage moves meanwhile."""
        return f"models:/{self.reference.name}/{self.version}"


_ALIAS = re.compile(r"[A-Za-z0-9_\-]+")


def parse_model_uri(uri: str) -> ModelReference:
    """`models:/name@alias`, `models:/name/3`, `models:/name/Production` or `models:/name/latest`."""
    if not uri.startswith("models:/"):
        raise InferenceError(
            f"model URI {uri!r} is not a registered model URI: use models:/<name>@<alias>, "
            "models:/<name>/<version> or models:/<name>/<stage>"
        )
    rest = uri[len("models:/"):].strip("/")
    if "@" in rest:
        name, _, alias = rest.rpartition("@")
        if not name or "/" in name or not _ALIAS.fullmatch(alias):
            raise InferenceError(f"model URI {uri!r}: expected models:/<name>@<alias>")
        return ModelReference(name, "alias", alias)
    name, _, tail = rest.rpartition("/")
    if not name or "/" in name or not tail:
        raise InferenceError(
            f"model URI {uri!r}: expected models:/<name>@<alias>, models:/<name>/<version> or "
            "models:/<name>/<stage>"
        )
    if tail.isascii() and tail.isdigit():
        if int(tail) < 1:
            raise InferenceError(f"model URI {uri!r}: versions start at 1")
        return ModelReference(name, "version", str(int(tail)))
    if tail.lower() == "latest":
        return ModelReference(name, "latest", "")
    stage = STAGES.get(tail.lower())
    if stage is None:
        raise InferenceError(
            f"model URI {uri!r}: {tail!r} is neither a version number, a stage ({', '.join(STAGES.values())}) "
            "nor 'latest'; an alias is written models:/<name>@<alias>"
        )
    return ModelReference(name, "stage", stage)


def resolve(client: Any, ref: ModelReference) -> ResolvedModel:
    """The version `ref` names now, asked of the registry through `client` (an `mlflow.MlflowClient`).

    Raises InferenceError naming what is missing: the model, the version, the alias or the stage."""
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(ref.name)
    except MlflowException as err:
        if err.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise InferenceError(f"no registered model named {ref.name!r}") from None
        raise InferenceError(_registry_error(err)) from None
    try:
        if ref.kind == "version":
            return ResolvedModel(ref, str(client.get_model_version(ref.name, ref.value).version))
        if ref.kind == "alias":
            return ResolvedModel(ref, str(client.get_model_version_by_alias(ref.name, ref.value).version))
        stages = [ref.value] if ref.kind == "stage" else None
        with warnings.catch_warnings():
            # Stages are deprecated in MLflow; resolving one is still what the user asked for.
            warnings.simplefilter("ignore", FutureWarning)
            versions = client.get_latest_versions(ref.name, stages=stages)
    except MlflowException as err:
        # MLflow answers a missing alias with INVALID_PARAMETER_VALUE (the alias itself was checked above).
        if err.error_code == "RESOURCE_DOES_NOT_EXIST" or (
            ref.kind == "alias" and err.error_code == "INVALID_PARAMETER_VALUE"
        ):
            what = f"alias @{ref.value}" if ref.kind == "alias" else f"version {ref.value}"
            raise InferenceError(f"registered model {ref.name!r} has no {what}") from None
        raise InferenceError(_registry_error(err)) from None
    if not versions:
        where = f" in stage {ref.value}" if ref.kind == "stage" else ""
        raise InferenceError(f"registered model {ref.name!r} has no version{where}")
    return ResolvedModel(ref, str(max(int(v.version) for v in versions)))


def _registry_error(err: Any) -> str:
    if err.error_code == "PERMISSION_DENIED":
        return f"permission denied by the tracking server: {err.message}"
    if err.error_code == "UNAUTHENTICATED":
        return f"the tracking server refused the credentials (set MLFLOW_TRACKING_TOKEN): {err.message}"
    # Also what the client raises when the server cannot be reached at all (after its retries).
    return f"the tracking server call failed ({err.error_code}): {err.message}"
