"""The RegistaError tree with MLflow error_code names and the one error_code -> HTTP status table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# MLflow's table (mlflow/exceptions.py ERROR_CODE_TO_HTTP_STATUS, checked by tests/server/http/test_error_map.py);
# the mlflow client reverses it.
ERROR_CODE_TO_HTTP_STATUS: dict[str, int] = {
    "INVALID_PARAMETER_VALUE": 400,
    "RESOURCE_ALREADY_EXISTS": 400,
    "BAD_REQUEST": 400,
    "UNAUTHENTICATED": 401,
    "CUSTOMER_UNAUTHORIZED": 401,
    "PERMISSION_DENIED": 403,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "NOT_FOUND": 404,
    "ENDPOINT_NOT_FOUND": 404,
    "ABORTED": 409,
    "ALREADY_EXISTS": 409,
    "RESOURCE_CONFLICT": 409,
    "REQUEST_LIMIT_EXCEEDED": 429,
    "RESOURCE_EXHAUSTED": 429,
    "CANCELLED": 499,
    "INTERNAL_ERROR": 500,
    "INVALID_STATE": 500,
    "DATA_LOSS": 500,
    "NOT_IMPLEMENTED": 501,
    "TEMPORARILY_UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}


class RegistaError(Exception):
    """Base error; subclasses fix the MLflow error_code, which fixes the HTTP status through the table.

    Every error response the server sends is rendered from one of these (http/error_handlers.py), the
    authentication middleware's and the protocol's included."""

    error_code = "INTERNAL_ERROR"
    # Only where HTTP has a more precise status than MLflow's table gives the error_code (413, 414, 405).
    status_override: int | None = None
    # Extra response headers the status calls for (Allow on a 405).
    headers: Mapping[str, str] | None = None

    def __init__(self, message: str, error_code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if error_code is not None:
            self.error_code = error_code

    @property
    def http_status(self) -> int:
        if self.status_override is not None:
            return self.status_override
        return ERROR_CODE_TO_HTTP_STATUS.get(self.error_code, 500)

    def to_json(self) -> dict[str, str]:
        return {"error_code": self.error_code, "message": self.message}


class InternalError(RegistaError):
    """The server's own failure (an unexpected exception, a database error no request caused)."""

    error_code = "INTERNAL_ERROR"


class InvalidParameter(RegistaError):
    error_code = "INVALID_PARAMETER_VALUE"


class BadRequest(RegistaError):
    """A request malformed below the level of its parameters (unparseable HTTP, a missing query part)."""

    error_code = "BAD_REQUEST"


class RequestTooLarge(InvalidParameter):
    """A request body over the server's limit. 413, with INVALID_PARAMETER_VALUE: no MLflow error code means
    "too large", and both clients treat this one as final (REQUEST_LIMIT_EXCEEDED would be retried as a
    rate limit by the databricks-sdk)."""

    status_override = 413


class UrlTooLong(InvalidParameter):
    """A request target longer than the HTTP parser takes (http/protocol.py); 414, final like a 413."""

    status_override = 414


class AlreadyExists(RegistaError):
    error_code = "RESOURCE_ALREADY_EXISTS"


class NotFound(RegistaError):
    """A resource that does not exist. Each kind's message is built once, next to the store that reads it,
    in MLflow's wording where MLflow has one (e.g. registry/stores/model_versions.not_found)."""

    error_code = "RESOURCE_DOES_NOT_EXIST"


class EndpointNotFound(RegistaError):
    """No route at this path. The mlflow client falls back to older routes on this code."""

    error_code = "ENDPOINT_NOT_FOUND"

    def __init__(self, message: str = "No API endpoint at this path.") -> None:
        super().__init__(message)


class MethodNotAllowed(EndpointNotFound):
    """A known path asked with a method it does not serve.

    The official MLflow server answers 405 in HTML (Flask); we keep the status and HTTP's Allow header, in
    the JSON envelope. ENDPOINT_NOT_FOUND because an endpoint is a method and a path: it is what Databricks
    answers for a wrong method, and the code on which the mlflow client's multi-method calls
    (rest_utils.call_endpoints, e.g. get-latest-versions POST then GET) move on to the next method."""

    status_override = 405

    def __init__(self, allowed: Iterable[str]) -> None:
        super().__init__("Method not allowed for this endpoint.")
        self.headers = {"Allow": ", ".join(sorted(allowed))}


class PermissionDenied(RegistaError):
    error_code = "PERMISSION_DENIED"


class Unauthenticated(RegistaError):
    error_code = "UNAUTHENTICATED"


class NotImplementedFeature(RegistaError):
    error_code = "NOT_IMPLEMENTED"


class TemporarilyUnavailable(RegistaError):
    """Retryable: the mlflow client retries 503 with backoff (e.g. a SQLite lock timeout)."""

    error_code = "TEMPORARILY_UNAVAILABLE"


class ResourceConflict(RegistaError):
    """The resource is busy with another change (a serving endpoint's config update in progress)."""

    error_code = "RESOURCE_CONFLICT"


class RequestLimitExceeded(RegistaError):
    """Too many requests at once (a serving endpoint's concurrency limit); 429, retried by the clients."""

    error_code = "REQUEST_LIMIT_EXCEEDED"


class DeadlineExceeded(RegistaError):
    """A request ran past its time limit (a serving endpoint's per-request timeout); 504."""

    error_code = "DEADLINE_EXCEEDED"
