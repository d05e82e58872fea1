"""The RegistaError tree with MLflow error_code names and the one error_code -> HTTP status table."""

from __future__ import annotations

# Copied from mlflow/exceptions.py (ERROR_CODE_TO_HTTP_STATUS); the mlflow client reverses this table.
ERROR_CODE_TO_HTTP_STATUS: dict[str, int] = {
    "INVALID_PARAMETER_VALUE": 400,
    "RESOURCE_ALREADY_EXISTS": 400,
    "BAD_REQUEST": 400,
    "INVALID_STATE": 400,
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
    "DATA_LOSS": 500,
    "NOT_IMPLEMENTED": 501,
    "TEMPORARILY_UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}


class RegistaError(Exception):
    """Base error; subclasses fix the MLflow error_code, which fixes the HTTP status."""

    error_code = "INTERNAL_ERROR"

    def __init__(self, message: str, error_code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if error_code is not None:
            self.error_code = error_code

    @property
    def http_status(self) -> int:
        return ERROR_CODE_TO_HTTP_STATUS.get(self.error_code, 500)

    def to_json(self) -> dict[str, str]:
        return {"error_code": self.error_code, "message": self.message}


class InvalidParameter(RegistaError):
    error_code = "INVALID_PARAMETER_VALUE"


class RequestTooLarge(InvalidParameter):
    """A request body over the server's limit. 413, with INVALID_PARAMETER_VALUE: no MLflow error code means
    "too large", and both clients treat this one as final (REQUEST_LIMIT_EXCEEDED would be retried as a
    rate limit by the databricks-sdk)."""

    @property
    def http_status(self) -> int:
        return 413


class AlreadyExists(RegistaError):
    error_code = "RESOURCE_ALREADY_EXISTS"


class NotFound(RegistaError):
    error_code = "RESOURCE_DOES_NOT_EXIST"


class EndpointNotFound(RegistaError):
    error_code = "ENDPOINT_NOT_FOUND"


class PermissionDenied(RegistaError):
    error_code = "PERMISSION_DENIED"


class Unauthenticated(RegistaError):
    error_code = "UNAUTHENTICATED"


class NotImplementedFeature(RegistaError):
    error_code = "NOT_IMPLEMENTED"


class QuotaExceeded(RegistaError):
    error_code = "RESOURCE_EXHAUSTED"


class TemporarilyUnavailable(RegistaError):
    """Retryable: the mlflow client retries 503 with backoff (e.g. a SQLite lock timeout)."""

    error_code = "TEMPORARILY_UNAVAILABLE"
