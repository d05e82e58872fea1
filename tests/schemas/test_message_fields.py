"""Every integer a request message accepts goes through the one bounded parser (schemas/numbers.py)."""

from __future__ import annotations

import importlib
import pkgutil
import typing
from typing import Any

import pytest

import regista.server
from regista.schemas.base import Message


def _messages() -> list[type[Message]]:
    # Wire models live in each domain's schemas/ package (regista.server.<domain>.schemas).
    for info in pkgutil.walk_packages(regista.server.__path__, "regista.server."):
        if ".schemas." in info.name:
            importlib.import_module(info.name)
    found: list[type[Message]] = []
    todo = list(Message.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def _bare_ints(annotation: Any) -> bool:
    """Whether `annotation` admits a plain `int` that skipped Int32/Int64 (which are Annotated[int, ...])."""
    if annotation is int:
        return True
    if typing.get_origin(annotation) is typing.Annotated:
        return False
    return any(_bare_ints(arg) for arg in typing.get_args(annotation))


MESSAGES = _messages()


def test_the_walk_finds_the_messages() -> None:
    names = {cls.__name__ for cls in MESSAGES}
    assert {"GetMetricHistory", "ListRegisteredModels", "MetricIn"} <= names


@pytest.mark.parametrize("model", MESSAGES, ids=lambda c: f"{c.__module__.rsplit('.', 1)[-1]}.{c.__name__}")
def test_integer_fields_are_bounded(model: type[Message]) -> None:
    unbounded = []
    for name, field in model.model_fields.items():
        if field.annotation is int:
            # A required Int32/Int64 field: pydantic moves the Annotated metadata onto the FieldInfo.
            bounded = any(type(m).__name__ == "Ge" for m in field.metadata)
            if not bounded:
                unbounded.append(name)
        elif _bare_ints(field.annotation):
            unbounded.append(name)
    assert unbounded == [], f"use schemas.numbers.Int32/Int64 for {unbounded}"
