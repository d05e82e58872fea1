"""Signatures receivers verify: Databricks' hex HMAC-SHA256 of the body, MLflow's
`v1,<base64 HMAC-SHA256 of "{delivery_id}.{timestamp}.{body}">`."""

from __future__ import annotations

import base64
import hashlib
import hmac


def databricks_signature(secret: str, body: bytes) -> str:
    """X-Databricks-Signature: lowercase hex HMAC-SHA256 of the raw body, keyed with the secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def mlflow_signature(secret: str, delivery_id: str, timestamp: str, body: bytes) -> str:
    """X-MLflow-Signature, as mlflow/webhooks/delivery.py signs and its receivers check."""
    signed = delivery_id.encode() + b"." + timestamp.encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()
