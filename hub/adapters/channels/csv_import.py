"""CSV import of orders (phone orders, spreadsheets): one row per line, rows with the same
order_ref form one order. Every row is checked; an order with a bad row is rejected with the
row numbers and reasons, the other orders in the file go through."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hub.adapters.channels.base import (
    PAID,
    PENDING,
    ChannelLine,
    ChannelOrder,
    ChannelPayloadError,
    address,
    currency,
    decimal,
    quantity,
    text,
)

COLUMNS = ["order_ref", "sku", "gtin", "qty", "unit_price", "currency", "name", "company",
           "line1", "line2", "city", "region", "postcode", "country", "phone", "email",
           "payment_status", "shipping"]
REQUIRED = {"order_ref", "qty", "name", "line1", "city", "country"}
TEMPLATE = ",".join(COLUMNS) + "\n" + (
    "PH-1001,MUG,,2,8.50,GBP,Ada Lovelace,,12 St James's Square,,London,,SW1Y 4JH,GB,,"
    "ada@example.com,paid,3.95\n")


@dataclass(frozen=True)
class RowError:
    row: int  # 1 = the header; the first data row is 2, as a spreadsheet shows it
    order_ref: str | None
    reason: str


@dataclass
class CsvResult:
    orders: list[ChannelOrder]
    errors: list[RowError]


def parse_csv(content: str, channel: str = "csv") -> CsvResult:
    try:
        return _parse_csv(content, channel)
    except csv.Error as exc:  # e.g. a field over the csv module's size limit
        raise ChannelPayloadError(f"the CSV cannot be read: {exc}") from None


def _parse_csv(content: str, channel: str) -> CsvResult:
    # newline="": the csv module reads line ends itself, so a CR inside a field is kept
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff"), newline=""))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = sorted(REQUIRED - set(header))
    if missing:
        raise ChannelPayloadError(f"the CSV header lacks column(s): {', '.join(missing)}; "
                                  f"the template is: {','.join(COLUMNS)}")
    unknown = sorted(set(header) - set(COLUMNS))
    if unknown:
        raise ChannelPayloadError(f"the CSV header has unknown column(s): {', '.join(unknown)}")
    groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    errors: list[RowError] = []
    for number, row in enumerate(reader, start=2):
        row = {key.strip(): (value or "").strip() for key, value in row.items() if key}
        ref = row.get("order_ref") or ""
        if not ref:
            errors.append(RowError(number, None, "order_ref is empty"))
            continue
        groups.setdefault(ref, []).append((number, row))
    orders = []
    for ref, rows in groups.items():
        order, row_errors = _order(channel, ref, rows)
        errors.extend(row_errors)
        if order is not None:
            orders.append(order)
    return CsvResult(orders, sorted(errors, key=lambda error: error.row))


def _order(channel: str, ref: str, rows: list[tuple[int, dict[str, Any]]]
           ) -> tuple[ChannelOrder | None, list[RowError]]:
    errors: list[RowError] = []
    lines: list[ChannelLine] = []
    first = rows[0][1]
    money = first.get("currency") or "GBP"
    for number, row in rows:
        try:
            if not (row.get("sku") or row.get("gtin")):
                raise ChannelPayloadError("each row needs a sku or a gtin")
            qty = quantity(row.get("qty"), "qty")
            price = decimal(row.get("unit_price") or "0", "unit_price")
            if price < 0:
                raise ChannelPayloadError("unit_price: must not be negative")
            if (row.get("currency") or money) != money:
                raise ChannelPayloadError(f"currency differs from the order's {money}")
            lines.append(ChannelLine(line_ref=str(number), qty=qty, unit_price=price,
                                     line_total=price * qty, sku=text(row.get("sku")),
                                     gtin=text(row.get("gtin"))))
        except ChannelPayloadError as exc:
            errors.append(RowError(number, ref, exc.detail))
    number = rows[0][0]
    try:
        money = currency(money, "currency")
        ship_to = address(name=first.get("name"), company=first.get("company"),
                          line1=first.get("line1"), line2=first.get("line2"),
                          city=first.get("city"), region=first.get("region"),
                          postcode=first.get("postcode"), country_code=first.get("country"),
                          phone=first.get("phone"), where="address")
        status = (first.get("payment_status") or PENDING).lower()
        if status not in (PAID, PENDING):
            raise ChannelPayloadError("payment_status must be paid or pending")
        shipping = decimal(first.get("shipping") or "0", "shipping")
    except ChannelPayloadError as exc:
        errors.append(RowError(number, ref, exc.detail))
    if errors:
        return None, errors
    total = sum((line.line_total for line in lines), Decimal("0")) + shipping
    return ChannelOrder(channel=channel, channel_ref=ref, lines=lines, ship_to=ship_to,
                        currency=money, total=total, payment_status=status,
                        customer_email=text(first.get("email"))), []
