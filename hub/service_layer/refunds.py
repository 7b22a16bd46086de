"""Refunds through the payment adapter: a Stripe refund when the order was paid through
Stripe (idempotent per refund id), otherwise recorded as manual (paid back by the team or
the marketplace)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import httpx

from hub import errors
from hub.config import Settings
from hub.domain.timeline import TimelineEvent


@dataclass(frozen=True)
class RefundResult:
    method: str  # stripe | manual
    provider_ref: str | None


def stripe_payment(timeline: list[TimelineEvent]) -> str | None:
    """The Stripe payment intent the order was paid with, if it was."""
    for event in timeline:
        if event.name == "payment_confirmed" and event.actor == "gateway:stripe":
            ref = event.details.get("provider_ref")
            return str(ref) if ref else None
    return None


def refund(settings: Settings, refund_id: str, amount: Decimal, currency: str,
           timeline: list[TimelineEvent]) -> RefundResult:
    intent = stripe_payment(timeline)
    if intent is None:
        return RefundResult("manual", None)
    if settings.stripe_api_key is None:
        raise errors.ConfigError("the order was paid through Stripe but no stripe_api_key "
                                 "is set to refund it")
    minor = int((amount * 100).to_integral_value())
    try:
        response = httpx.post(
            f"{settings.stripe_api_base.rstrip('/')}/v1/refunds",
            data={"payment_intent": intent, "amount": str(minor),
                  "metadata[refund_id]": refund_id, "metadata[currency]": currency.lower()},
            headers={"Authorization": f"Bearer {settings.stripe_api_key.get_secret_value()}",
                     "Idempotency-Key": refund_id},
            timeout=settings.channel_http_timeout_s)
    except httpx.HTTPError as exc:
        raise errors.Conflict(f"Stripe could not be reached for the refund: {exc}") from None
    if response.status_code >= 400:
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text[:200]
        raise errors.Conflict(f"Stripe refused the refund ({response.status_code}): {message}")
    return RefundResult("stripe", str(response.json().get("id")))
