"""Route class that finishes a request's transaction in the handler's own worker thread."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute

from regista.server.services.context import Context


def _finishing_in_thread(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a sync handler so its transaction commits (or rolls back) before the worker thread returns.

    Without this, every request would need a second thread hop for the commit. The request dependency in
    deps.py still owns the transaction's lifetime: it rolls back whatever a handler left open.
    """

    @functools.wraps(endpoint)
    def handler(*args: Any, **kwargs: Any) -> Any:
        contexts = [v for v in kwargs.values() if isinstance(v, Context)]
        try:
            result = endpoint(*args, **kwargs)
        except BaseException:
            for ctx in contexts:
                ctx.uow.finish(commit=False)
            raise
        for ctx in contexts:
            ctx.uow.finish(commit=True)
        return result

    return handler


class TransactionalRoute(APIRoute):
    """APIRoute whose sync endpoints finish their unit of work in the same thread hop."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _finishing_in_thread(endpoint)
        super().__init__(path, endpoint, **kwargs)
