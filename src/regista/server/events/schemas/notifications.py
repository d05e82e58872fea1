"""Request messages of the e-mail notification settings (the Databricks UI's internal API, plus the
user-level setter it lacks)."""

from __future__ import annotations

from regista.schemas.base import Message

# Model-level values (Databricks UI ModelView): all activity / versions I follow / muted.
MODEL_LEVELS = ("ALL_EVENTS", "DEFAULT", "UNSUBSCRIBED")
# User-level values: every registry e-mail on or off.
USER_LEVELS = ("SUBSCRIBED", "UNSUBSCRIBED")


class SetSubscriptionStatus(Message):
    model_name: str
    subscription_type: str


class GetSubscriptionStatus(Message):
    model_name: str


class SetUserLevelSubscriptionStatus(Message):
    subscription_type: str
