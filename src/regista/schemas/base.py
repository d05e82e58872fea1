"""Base class of every request message: lenient like protobuf's JSON parser about fields, strict about types."""

from pydantic import BaseModel, ConfigDict


class Message(BaseModel):
    # Unknown fields are ignored (the clients send fields we do not use, e.g. run_uuid beside run_id).
    # Types are MLflow's: a number where a string belongs ({"name": 123}) is a 400, not coerced; integer
    # fields take numbers or strings of ASCII digits (schemas/numbers.py Int64 / Int32).
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class KeyValue(Message):
    key: str
    value: str | None = None
