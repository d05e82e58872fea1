"""The prompt-engineering UI's create-promptlab-run: one finished run holding the prompt template, the
model route and its parameters, the evaluation table, and a pyfunc model that sends the prompt to that route
through MLflow's deployments gateway (the files MLflow's promptlab flavor writes).

Needs CAN_EDIT on the experiment (creating a run there). The model's text files are written as JSON, which
YAML readers (mlflow's Model.load, the web UI) parse as YAML.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from regista.errors import InvalidParameter
from regista.server.clock import now_ms
from regista.server.context import Context
from regista.server.storage.uris import store_path
from regista.server.tracking.schemas.runs import CreatePromptlabRun
from regista.server.tracking.services import runs
from regista.server.tracking.services.tracking_validation import MAX_PARAM_VAL_LENGTH, validate_param

_REQUIRED = ("experiment_id", "prompt_template", "prompt_parameters", "model_route", "model_input",
             "mlflow_version")
EVAL_TABLE = "eval_results_table.json"


def _pairs(items: list[Any]) -> list[tuple[str, str]]:
    return [(str(p.key), "" if p.value is None else str(p.value)) for p in items]


def create_promptlab_run(ctx: Context, req: CreatePromptlabRun) -> dict[str, Any]:
    for field in _REQUIRED:
        if not getattr(req, field):
            raise InvalidParameter(f"CreatePromptlabRun request must specify {field}.")
    prompt_params, model_params = _pairs(req.prompt_parameters), _pairs(req.model_parameters)
    params = [*model_params, ("model_route", str(req.model_route)), ("prompt_template", str(req.prompt_template))]
    for i, (key, value) in enumerate(params):
        validate_param(key, value, f"params[{i}]")
    run = runs.create_run(ctx, req.experiment_id, req.user_id or "unknown", req.run_name, req.start_time,
                          [(t.key, t.value) for t in req.tags])
    run_id, artifact_uri = run["info"]["run_id"], run["info"]["artifact_uri"]
    runs.write_params(ctx, run_id, [(k, runs.clip(v, MAX_PARAM_VAL_LENGTH)) for k, v in params])
    runs.write_tags(ctx, run_id, [
        ("mlflow.loggedArtifacts", json.dumps([{"path": EVAL_TABLE, "type": "table"}])),
        ("mlflow.runSourceType", "PROMPT_ENGINEERING"),
    ])
    files = _artifact_files(req, run_id, prompt_params, model_params)
    root = store_path(artifact_uri)
    status = "FINISHED"
    try:
        if root is None:
            raise OSError(f"{artifact_uri} is not stored by this server")
        for name, text in files.items():
            ctx.artifacts.write_bytes(f"{root}/{name}", text.encode())
    except OSError:
        # As MLflow: the run stays, marked FAILED, when its files cannot be written.
        status = "FAILED"
    runs.update_run(ctx, run_id, status, now_ms(), None)
    ctx.record("run.promptlab_created", {"run_id": run_id, "status": status})
    return runs.get_run(ctx, run_id)


def _artifact_files(
    req: CreatePromptlabRun, run_id: str, prompt_params: list[tuple[str, str]], model_params: list[tuple[str, str]]
) -> dict[str, str]:
    """{artifact path: text}: the evaluation table and the model directory."""
    output_params = _pairs(req.model_output_parameters)
    table = {
        "columns": [k for k, _ in prompt_params] + ["prompt", "output"] + [k for k, _ in output_params],
        "data": [[v for _, v in prompt_params] + [req.model_input, req.model_output] + [v for _, v in output_params]],
    }
    requirement = f"mlflow[gateway]=={req.mlflow_version}"
    example = {"inputs": [v for _, v in prompt_params]}
    return {
        EVAL_TABLE: json.dumps(table),
        "model/MLmodel": _dump(_mlmodel(run_id, [k for k, _ in prompt_params], str(req.mlflow_version))),
        "model/parameters.yaml": _dump({
            "model_parameters": dict(model_params),
            "model_route": req.model_route,
            "prompt_parameters": dict(prompt_params),
            "prompt_template": req.prompt_template,
        }),
        "model/input_example.json": json.dumps(example),
        "model/serving_input_example.json": json.dumps({"inputs": example}, indent=2),
        "model/requirements.txt": requirement,
        "model/python_env.yaml": _dump({"build_dependencies": ["pip", "setuptools", "wheel"],
                                        "dependencies": ["-r requirements.txt"]}),
        "model/conda.yaml": _dump({"channels": ["conda-forge"], "dependencies": ["pip", {"pip": [requirement]}],
                                   "name": "mlflow-env"}),
    }


def _mlmodel(run_id: str, input_names: list[str], mlflow_version: str) -> dict[str, Any]:
    column = [{"type": "string", "name": n, "required": True} for n in input_names]
    return {
        "artifact_path": "model",
        "flavors": {"python_function": {
            "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
            "loader_module": "mlflow.prompt.promptlab_model",
            "parameters_path": "parameters.yaml",
        }},
        "mlflow_version": mlflow_version,
        "model_uuid": uuid.uuid4().hex,
        "run_id": run_id,
        "saved_input_example_info": {"artifact_path": "input_example.json",
                                     "serving_input_path": "serving_input_example.json", "type": "json_object"},
        "signature": {"inputs": json.dumps(column),
                      "outputs": json.dumps([{"type": "string", "name": "output", "required": True}])},
        "utc_time_created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
    }


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2) + "\n"
