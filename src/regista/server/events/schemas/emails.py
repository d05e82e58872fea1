"""The text of notification e-mails: subject and body naming the model, version, event and actor, with a
link to the version's page in the web UI."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

# Outbox event -> the notification's event type (the daily cap counts per type).
EMAIL_EVENTS = {
    "model_version.created": "MODEL_VERSION_CREATED",
    "transition_request.created": "TRANSITION_REQUEST_CREATED",
    "model_version.transitioned": "MODEL_VERSION_TRANSITIONED_STAGE",
    "comment.created": "COMMENT_CREATED",
}
_WHAT = {
    "MODEL_VERSION_CREATED": "New version",
    "TRANSITION_REQUEST_CREATED": "Transition requested",
    "MODEL_VERSION_TRANSITIONED_STAGE": "Stage transition",
    "COMMENT_CREATED": "New comment",
}


def version_link(base_url: str, model: str, version: str) -> str:
    return f"{base_url}/#/models/{quote(model, safe='')}/versions/{quote(version, safe='')}"


def _sentence(kind: str, actor: str, model: str, version: str, data: dict[str, Any]) -> str:
    if kind == "MODEL_VERSION_CREATED":
        return f"{actor} created version {version} of registered model '{model}'."
    if kind == "TRANSITION_REQUEST_CREATED":
        return (f"{actor} requested a transition of registered model '{model}' version {version} from "
                f"{data.get('from_stage')} to {data.get('to_stage')}.")
    if kind == "MODEL_VERSION_TRANSITIONED_STAGE":
        return (f"{actor} transitioned registered model '{model}' version {version} from {data.get('from_stage')} "
                f"to {data.get('to_stage')}.")
    return f"{actor} commented on registered model '{model}' version {version}:\n\n{data.get('comment') or ''}"


def notification_email(kind: str, actor: str, data: dict[str, Any], base_url: str) -> dict[str, str]:
    model, version = str(data.get("name")), str(data.get("version"))
    subject = f"[regista] {_WHAT[kind]}: {model} version {version}"
    body = f"{_sentence(kind, actor, model, version, data)}\n\n{version_link(base_url, model, version)}\n"
    return {"subject": subject, "body": body}


def limit_reached_email(kind: str, data: dict[str, Any], limit: int, base_url: str) -> dict[str, str]:
    model = str(data.get("name"))
    subject = f"[regista] Daily limit reached: {_WHAT[kind].lower()} e-mails about {model}"
    body = (f"You have received {limit} e-mails today about '{_WHAT[kind].lower()}' events on registered model "
            f"'{model}'. No more of them will be sent today.\n\n{base_url}/#/models/{quote(model, safe='')}\n")
    return {"subject": subject, "body": body}
