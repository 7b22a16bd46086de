"""Tracking page links for the shipping messages, per courier; overridable in settings."""

from __future__ import annotations

from urllib.parse import quote

DEFAULT_TRACKING_URLS = {
    "royalmail": "https://www.royalmail.com/track-your-item#/tracking-results/{tracking_number}",
    "dhl": "https://www.dhl.com/gb-en/home/tracking.html?tracking-id={tracking_number}",
    "dpd": "https://track.dpd.co.uk/parcels/{tracking_number}",
    "ups": "https://www.ups.com/track?tracknum={tracking_number}",
    "easypost": "https://track.easypost.com/{tracking_number}",
}


def tracking_url(courier: str, tracking_number: str,
                 configured: dict[str, str] | None = None) -> str | None:
    """The courier's public tracking page, or None when no page is known (own van)."""
    pattern = {**DEFAULT_TRACKING_URLS, **(configured or {})}.get(courier)
    if not pattern:
        return None
    return pattern.format(tracking_number=quote(tracking_number, safe=""))


COURIER_NAMES = {"royalmail": "Royal Mail", "dhl": "DHL", "dpd": "DPD", "ups": "UPS",
                 "easypost": "EasyPost", "manual": "our own delivery van"}


def courier_name(courier: str) -> str:
    return COURIER_NAMES.get(courier, courier)
