"""Reading an HTML form post (application/x-www-form-urlencoded): the `Form` dependency."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import Depends
from starlette.requests import Request

from regista.errors import InvalidParameter
from regista.server.http.parsing import read_capped

MAX_FORM_BYTES = 1 << 20


class FormData:
    """The fields of a posted form; every value is a string, as the browser sent it."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[0] if values else default

    def required(self, name: str, label: str | None = None) -> str:
        value = self.get(name).strip()
        if not value:
            raise InvalidParameter(f"{label or name} is required.")
        return value

    def optional(self, name: str) -> str | None:
        value = self.get(name).strip()
        return value or None

    def checked(self, name: str) -> bool:
        return self.get(name) in ("on", "true", "1")

    def all(self, name: str) -> list[str]:
        return list(self.fields.get(name, []))


async def form_data(request: Request) -> FormData:
    body = await read_capped(request, MAX_FORM_BYTES, InvalidParameter("The form is too large."))
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=2000)
    except (UnicodeDecodeError, ValueError):
        raise InvalidParameter("The form could not be read.") from None
    return FormData(fields)


Form = Annotated[FormData, Depends(form_data)]
