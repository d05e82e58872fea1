"""Sending one e-mail over SMTP as --smtp-url says: smtp:// (optionally ?starttls=true), smtps:// (TLS from
the first byte), user:password@ for AUTH."""

from __future__ import annotations

import smtplib
import ssl
import time
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from regista.server.events.services.sender import Outcome


def _flag(values: dict[str, list[str]], key: str) -> bool:
    return values.get(key, ["false"])[-1].lower() in ("1", "true", "yes", "on")


def send_email(smtp_url: str, sender: str, recipient: str, subject: str, body: str, timeout_s: float) -> Outcome:
    """Deliver one message; connection problems and 4xx SMTP replies are retryable, 5xx ones are final."""
    parts = urlsplit(smtp_url)
    query = parse_qs(parts.query)
    message = EmailMessage()
    message["From"] = query.get("from", [sender])[-1]
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content(body)
    started = time.monotonic()
    host = parts.hostname or "localhost"
    try:
        client: smtplib.SMTP
        if parts.scheme == "smtps":
            client = smtplib.SMTP_SSL(host, parts.port or 465, timeout=timeout_s, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, parts.port or 25, timeout=timeout_s)
        with client:
            if parts.scheme != "smtps" and _flag(query, "starttls"):
                client.starttls(context=ssl.create_default_context())
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)
    except smtplib.SMTPResponseException as err:
        retry = 400 <= err.smtp_code < 500
        return Outcome(err.smtp_code, "", _ms(started), f"SMTP {err.smtp_code}: {err.smtp_error!r}", retry)
    except (smtplib.SMTPException, OSError) as err:
        return Outcome(None, "", _ms(started), f"{type(err).__name__}: {err}", retryable=True)
    return Outcome(250, "", _ms(started), None, retryable=False)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
