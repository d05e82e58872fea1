"""Serving endpoints (/serving) and a model's "Use model for inference" dialog: the endpoints the caller may see
with their state and the versions they serve; an endpoint's served entities, traffic split and how to query
it; and, from a model page, a ready-to-run batch or streaming notebook (.ipynb or .py) or a new endpoint that
follows an alias, a stage or a version. The serving and registry services check every permission."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from regista import __version__
from regista.errors import InvalidParameter, RegistaError
from regista.inference.errors import InferenceError
from regista.inference.notebook import MODES, build_notebook
from regista.server.http.deps import ReadCtx, WriteCtx, public_base_url
from regista.server.http.routing import OutsideTransaction, outside_transaction
from regista.server.registry.services import registered_models
from regista.server.serving.schemas.endpoints import (
    CreateServingEndpoint,
    EndpointCoreConfigInput,
    ServedEntityInput,
)
from regista.server.serving.services import endpoints
from regista.server.serving.services.gateway import ServingGateway
from regista.server.ui.api.forms import Form, form_data
from regista.server.ui.api.page_route import PageRoute
from regista.server.ui.api.rendering import redirect, render, url_part

router = APIRouter(route_class=PageRoute, include_in_schema=False)

SERVING = "/serving"


def endpoint_path(name: str) -> str:
    return f"{SERVING}/{url_part(name)}"


@router.get(SERVING)
def endpoints_page(request: Request, ctx: ReadCtx) -> Response:
    listed = sorted(endpoints.list_endpoints(ctx), key=lambda e: e["name"])
    return render(request, "serving/endpoints.html", endpoints=listed)


@router.get(SERVING + "/{name}")
def endpoint_page(ctx: ReadCtx, name: str) -> OutsideTransaction:
    return outside_transaction(_render_endpoint, endpoints.get_endpoint(ctx, name), None, None)


async def _render_endpoint(request: Request, endpoint: dict[str, Any], sent: str | None,
                           answer: dict[str, Any] | None) -> Response:
    """The endpoint page; its query form holds what was sent (or an example request built from the served
    model's signature, read from its files here, outside the transaction)."""
    serving: ServingGateway | None = request.app.state.serving
    if sent is None and serving is not None:
        try:
            example = await serving.example_request(endpoint["name"])
        except RegistaError:  # no supervisor answers right now: the form starts empty
            example = None
        sent = orjson.dumps(example, option=orjson.OPT_INDENT_2).decode() if example is not None else None
    may_query = endpoints.may_query(endpoint)
    return render(request, "serving/endpoint.html", endpoint=endpoint, server_url=public_base_url(request),
                  may_query=may_query, sent=sent or '{"dataframe_records": []}', answer=answer)


@router.post(SERVING + "/{name}/query")
def query_endpoint(ctx: ReadCtx, name: str) -> OutsideTransaction:
    """The query form: the request body is sent to the endpoint as the caller (CAN_QUERY, rate limits).
    The form is read after the permission check, outside the transaction, like the invocation itself."""
    endpoint_name, rate_limits = endpoints.authorize_query(ctx, name)
    return outside_transaction(_query, endpoints.get_endpoint(ctx, endpoint_name), rate_limits, ctx.principal.name)


async def _query(request: Request, endpoint: dict[str, Any], rate_limits: list[dict[str, Any]], user: str) -> Response:
    body = (await form_data(request)).required("request", "Request")
    serving: ServingGateway | None = request.app.state.serving
    if serving is None:
        answer = {"status": 503, "text": "Model serving is off in this server process (REGISTA_SERVING)."}
    else:
        try:
            reply = await serving.invoke(endpoint["name"], "application/json", body.encode(), user, rate_limits)
            answer = {"status": reply.status, "served": reply.served, "text": _pretty(reply.body)}
        except RegistaError as err:
            answer = {"status": err.http_status, "text": err.message}
    return await _render_endpoint(request, endpoint, body, answer)


def _pretty(data: bytes) -> str:
    try:
        return orjson.dumps(orjson.loads(data), option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONDecodeError:
        return data.decode("utf-8", "replace")


def version_reference(name: str, reference: str) -> tuple[str, str]:
    """(models:/ URI, entity_version) of what the dialog names: `@alias`, a stage, a version number or
    `latest` (a notebook only)."""
    text = reference.strip()
    if not text:
        raise InvalidParameter("Choose the version to use: @alias, a stage or a version number.")
    if text.startswith("@"):
        return f"models:/{name}{text}", text
    return f"models:/{name}/{text}", text


@router.get("/models/{name}/inference-notebook")
def inference_notebook(request: Request, ctx: ReadCtx, name: str, reference: str = "", mode: str = "batch",
                       file: str = "ipynb") -> Response:
    """The generated notebook as a download (the model must be readable by the caller)."""
    model = registered_models.get_registered_model(ctx, name)
    if file not in ("ipynb", "py"):
        raise InvalidParameter("file must be ipynb or py.")
    uri, _ = version_reference(model["name"], reference)
    try:
        built = build_notebook(uri, mode if mode in MODES else "", public_base_url(request),
                               regista_version=__version__)
    except InferenceError as err:
        raise InvalidParameter(str(err)) from None
    body = built.ipynb() if file == "ipynb" else built.script()
    filename = "".join(c if c.isalnum() or c in "-_" else "_" for c in model["name"]) + f"-{mode}.{file}"
    media = "application/x-ipynb+json" if file == "ipynb" else "text/x-python"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.post("/models/{name}/serving-endpoint")
def create_endpoint(request: Request, ctx: WriteCtx, form: Form, name: str) -> Response:
    """A serving endpoint with one served entity: this model at the chosen alias, stage or version."""
    model = registered_models.get_registered_model(ctx, name)
    _, version = version_reference(model["name"], form.required("reference", "Version to serve"))
    endpoint_name = form.required("endpoint_name", "Endpoint name")
    entity = ServedEntityInput(entity_name=model["name"], entity_version=version, workload_size="Small",
                               scale_to_zero_enabled=form.checked("scale_to_zero"))
    endpoints.create_endpoint(ctx, CreateServingEndpoint(
        name=endpoint_name, config=EndpointCoreConfigInput(served_entities=[entity])))
    return redirect(endpoint_path(endpoint_name),
                    flash=f"Endpoint {endpoint_name} created: it serves {model['name']} {version} once loaded.")
