"""Webhook signatures, checked on the raw body before it is parsed.

Shopify and WooCommerce send base64(HMAC-SHA256(secret, body)); Stripe sends
``t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`` and a timestamp tolerance bounds
replays. Several secrets may be valid at once (rotation). Comparisons are constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

from hub.errors import Unauthorized


def _digest(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def sign_base64(secret: str, body: bytes) -> str:
    return base64.b64encode(_digest(secret, body)).decode()


def verify_base64(body: bytes, header: str | None, secrets: Iterable[str],
                  header_name: str) -> None:
    """Raise Unauthorized unless ``header`` is the signature of ``body`` under a secret."""
    if not header:
        raise Unauthorized(f"the {header_name} header is missing")
    usable = [secret for secret in secrets if secret]
    if not usable:
        raise Unauthorized(f"no secret is configured to check {header_name}")
    presented = header.strip().encode()
    if not any(hmac.compare_digest(sign_base64(secret, body).encode(), presented)
               for secret in usable):
        raise Unauthorized(f"the {header_name} signature does not match the body")


def sign_stripe(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_stripe(body: bytes, header: str | None, secrets: Iterable[str], now: float,
                  tolerance_s: float = 300.0) -> int:
    """Check a Stripe-Signature header; returns its timestamp."""
    if not header:
        raise Unauthorized("the Stripe-Signature header is missing")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise Unauthorized("the Stripe-Signature timestamp is not a number") from None
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise Unauthorized("the Stripe-Signature header needs t= and v1=")
    if abs(now - timestamp) > tolerance_s:
        raise Unauthorized(f"the Stripe-Signature timestamp is more than {tolerance_s:.0f} s "
                           "from now")
    usable = [secret for secret in secrets if secret]
    if not usable:
        raise Unauthorized("no Stripe webhook secret is configured")
    signed = f"{timestamp}.".encode() + body
    for secret in usable:
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        if any(hmac.compare_digest(expected, sig) for sig in signatures):
            return timestamp
    raise Unauthorized("the Stripe-Signature does not match the body")
