"""The channel port: a channel's order payload in, one canonical channel order out; tracking
and stock levels back out as the request the channel's API expects.

Channel payloads are parsed with ``json.loads(..., parse_float=Decimal)`` and every amount is
read from its string, so money stays exact; ids are kept as strings (Shopify ids exceed 2^53).
"""

from __future__ import annotations

import functools
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import pycountry

from hub.errors import InvalidInput

PAID, PENDING, FAILED, REFUNDED = "paid", "pending", "failed", "refunded"

# Names channels send that are not ISO 3166 short names.
COUNTRY_ALIASES = {"UK": "GB", "GREAT BRITAIN": "GB", "ENGLAND": "GB", "SCOTLAND": "GB",
                   "WALES": "GB", "NORTHERN IRELAND": "GB", "USA": "US", "EL": "GR"}


class ChannelPayloadError(InvalidInput):
    """A channel payload that cannot be read as an order; the reason names the field."""


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ChannelPayloadError(
                f"amounts in two currencies cannot be added: {self.currency} and "
                f"{other.currency}")
        return Money(self.amount + other.amount, self.currency)


@dataclass(frozen=True)
class ChannelLine:
    """One order line as the channel sent it, with every key it can be mapped by."""

    line_ref: str  # the channel's line id (needed to push tracking per line)
    qty: int
    unit_price: Decimal
    line_total: Decimal
    sku: str | None = None  # the seller SKU on the channel
    gtin: str | None = None
    listing_id: str | None = None  # Shopify variant, Woo product/variation, ASIN, eBay item
    title: str | None = None


@dataclass(frozen=True)
class ChannelOrder:
    """A channel order in canonical form, before its lines are mapped to our SKUs."""

    channel: str
    channel_ref: str
    lines: list[ChannelLine]
    ship_to: dict[str, Any]
    currency: str
    total: Decimal
    payment_status: str
    customer_email: str | None = None
    display_ref: str | None = None  # "#1001" on Shopify
    updated_at: datetime | None = None
    service_level: str = "standard"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Tracking:
    carrier: str
    tracking_number: str
    service: str | None = None
    url: str | None = None
    shipped_at: datetime | None = None
    lines: list[tuple[str, int]] = field(default_factory=list)  # (line_ref, qty)


@dataclass(frozen=True)
class ChannelRequest:
    """An HTTP request to a channel's API, relative to its base URL."""

    method: str
    path: str
    body: dict[str, Any]


class ChannelHttpPort(Protocol):
    timeout_s: float

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                json: Any = None) -> Any: ...


class ChannelAdapter(ABC):
    """One sales channel. Parsing is pure; pushes are described, then sent by a connector.

    ``parse_order`` of every adapter raises only ChannelPayloadError: a payload of a shape the
    adapter does not expect (a list where an object belongs, a number for a list) is wrapped
    into one, so it is quarantined with a reason rather than failing the request.
    """

    name: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        parse = cls.__dict__.get("parse_order")
        if parse is not None and not getattr(parse, "_payload_errors_only", False):
            cls.parse_order = _payload_errors_only(parse)  # type: ignore[method-assign]

    @abstractmethod
    def parse_order(self, payload: dict[str, Any]) -> ChannelOrder:
        """The channel's order JSON (already decoded) as a canonical channel order."""

    @abstractmethod
    def tracking_request(self, order: ChannelOrder, tracking: Tracking) -> ChannelRequest:
        """The request that tells the channel the order shipped, with its tracking."""

    @abstractmethod
    def stock_request(self, levels: dict[str, int]) -> ChannelRequest:
        """The request that sets available-to-sell per channel listing key."""

    def send_stock(self, http: ChannelHttpPort, levels: dict[str, int]) -> None:
        """Send the stock levels; channels needing more than one call override this."""
        request = self.stock_request(levels)
        http.request(request.method, request.path, json=request.body)


# --- helpers shared by the adapters --------------------------------------------------------

UNEXPECTED_SHAPE = (AttributeError, TypeError, KeyError, IndexError, ValueError,
                    ArithmeticError)


def _payload_errors_only(parse: Any) -> Any:
    @functools.wraps(parse)
    def parse_order(self: ChannelAdapter, payload: dict[str, Any]) -> ChannelOrder:
        try:
            order: ChannelOrder = parse(self, payload)
        except ChannelPayloadError:
            raise
        except UNEXPECTED_SHAPE as exc:
            raise ChannelPayloadError(f"the {self.name} order has an unexpected shape "
                                      f"({type(exc).__name__}: {exc})"[:500]) from exc
        return order

    parse_order._payload_errors_only = True  # type: ignore[attr-defined]
    return parse_order


def load_json(raw: bytes | str) -> Any:
    """Decode channel JSON keeping decimals exact (floats become Decimal)."""
    try:
        return json.loads(raw, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ChannelPayloadError(f"the body is not JSON: {exc}") from None


def need(data: Any, *path: str | int) -> Any:
    """The value at ``path`` in nested JSON, or a clear error naming the missing field."""
    current = data
    for i, key in enumerate(path):
        try:
            current = current[key]
        except (KeyError, IndexError, TypeError):
            where = ".".join(str(p) for p in path[: i + 1])
            raise ChannelPayloadError(f"missing field {where}") from None
    if current is None:
        raise ChannelPayloadError(f"field {'.'.join(str(p) for p in path)} is null")
    return current


def decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, float):  # never through binary floating point
        value = repr(value)
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ChannelPayloadError(f"{where}: {value!r} is not an amount") from None
    if not result.is_finite():
        raise ChannelPayloadError(f"{where}: {value!r} is not an amount")
    return result


def quantity(value: Any, where: str) -> int:
    try:
        qty = int(str(value))
    except ValueError:
        raise ChannelPayloadError(f"{where}: {value!r} is not a whole quantity") from None
    if qty < 1:
        raise ChannelPayloadError(f"{where}: quantity must be at least 1, got {qty}")
    return qty


def currency(value: Any, where: str) -> str:
    code = str(value or "").strip().upper()
    if pycountry.currencies.get(alpha_3=code) is None:
        raise ChannelPayloadError(f"{where}: {value!r} is not an ISO 4217 currency")
    return code


def country(code: Any, name: Any = None, where: str = "country") -> str:
    """ISO 3166-1 alpha-2 from a code or, failing that, a country name."""
    for candidate in (code, name):
        text = str(candidate or "").strip()
        if not text:
            continue
        upper = text.upper()
        if upper in COUNTRY_ALIASES:
            return COUNTRY_ALIASES[upper]
        found = (pycountry.countries.get(alpha_2=upper) if len(upper) == 2
                 else pycountry.countries.get(alpha_3=upper) if len(upper) == 3 else None)
        if found is None:
            try:
                found = pycountry.countries.lookup(text)
            except LookupError:
                found = None
        if found is not None:
            return str(found.alpha_2)
    raise ChannelPayloadError(f"{where}: {code or name!r} is not an ISO 3166 country")


def text(value: Any) -> str | None:
    """A stripped string, or None for null/empty."""
    if value is None:
        return None
    result = str(value).strip()
    return result or None


def address(*, name: Any, line1: Any, city: Any, country_code: Any, country_name: Any = None,
            line2: Any = None, company: Any = None, region: Any = None, postcode: Any = None,
            phone: Any = None, where: str = "ship_to") -> dict[str, Any]:
    """A canonical address dict (the keys of the API's Address, plus region)."""
    result = {"name": text(name), "company": text(company), "line1": text(line1),
              "line2": text(line2), "city": text(city), "region": text(region),
              "postcode": text(postcode),
              "country": country(country_code, country_name, f"{where}.country"),
              "phone": text(phone)}
    for required in ("name", "line1", "city"):
        if not result[required]:
            raise ChannelPayloadError(f"{where}.{required} is missing")
    return {key: value for key, value in result.items() if value is not None}


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ChannelPayloadError(f"{value!r} is not an ISO 8601 time") from None
