"""Base class of every request message: lenient like protobuf's JSON parser, strict about types."""

from pydantic import BaseModel, ConfigDict


class Message(BaseModel):
    # Unknown fields are ignored (the clients send fields we do not use, e.g. run_uuid beside run_id);
    # int64 values may arrive as numbers or strings, and string ids may arrive as numbers.
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, populate_by_name=True)


class KeyValue(Message):
    key: str
    value: str | None = None
