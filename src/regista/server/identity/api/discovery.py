"""The host-metadata document every databricks-sdk client fetches when it is constructed
(GET /.well-known/databricks-config, sent without credentials; open in http/authentication.py).

The SDK only fills in what the document names (account_id, workspace_id, cloud, an OIDC endpoint for
OAuth discovery). This server has none of these, so the document is empty: the SDK keeps its explicit
configuration (host + token), and no longer logs "Failed to automatically resolve config from host metadata"
as it does for a 404.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from regista.server.http.responses import ok

router = APIRouter()


@router.get("/.well-known/databricks-config", include_in_schema=False)
def databricks_config() -> Response:
    return ok()
