"""CSV import with row-level errors; webhook signature checks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub.adapters.channels import signatures
from hub.adapters.channels.csv_import import COLUMNS, TEMPLATE, parse_csv
from hub.errors import Unauthorized


def test_the_template_itself_imports() -> None:
    result = parse_csv(TEMPLATE)
    assert result.errors == []
    (order,) = result.orders
    assert order.channel_ref == "PH-1001" and order.lines[0].sku == "MUG"
    assert order.total == Decimal("20.95")  # 2 x 8.50 + 3.95


def test_bad_rows_reject_their_order_only_and_name_the_row() -> None:
    header = ",".join(COLUMNS)
    rows = [
        "A-1,MUG,,2,8.50,GBP,Ada,,1 Road,,Leeds,,LS1 1AA,GB,,,paid,0",
        "A-1,TEE,,x,1.00,GBP,Ada,,1 Road,,Leeds,,LS1 1AA,GB,,,paid,0",
        "B-2,,5012345678917,1,12.00,GBP,Bob,,2 Lane,,York,,YO1 1AA,United Kingdom,,,paid,0",
        ",MUG,,1,1.00,GBP,Cy,,3 St,,Hull,,HU1 1AA,GB,,,paid,0",
        "C-3,MUG,,1,1.00,GBP,Di,,4 St,,Bath,,BA1 1AA,ZZ,,,paid,0",
    ]
    result = parse_csv("\n".join([header, *rows]) + "\n")
    assert [order.channel_ref for order in result.orders] == ["B-2"]
    assert result.orders[0].lines[0].gtin == "5012345678917"
    assert result.orders[0].ship_to["country"] == "GB"
    assert [(e.row, e.order_ref) for e in result.errors] == [(3, "A-1"), (5, None), (6, "C-3")]
    assert "not a whole quantity" in result.errors[0].reason
    assert "ISO 3166" in result.errors[2].reason


def test_shopify_style_signature_with_rotation() -> None:
    body = b'{"id": 1}'
    header = signatures.sign_base64("old", body)
    signatures.verify_base64(body, header, ["new", "old"], "X-Shopify-Hmac-Sha256")
    for bad_body, bad_header, secrets in [(b'{"id": 2}', header, ["old"]),
                                          (body, header, ["other"]),
                                          (body, None, ["old"]), (body, header, [])]:
        with pytest.raises(Unauthorized):
            signatures.verify_base64(bad_body, bad_header, secrets, "X-Shopify-Hmac-Sha256")


def test_stripe_signature_and_tolerance() -> None:
    body = b'{"type": "payment_intent.succeeded"}'
    header = signatures.sign_stripe("whsec_1", body, 1_700_000_000)
    assert signatures.verify_stripe(body, header, ["whsec_1"], now=1_700_000_299) == 1_700_000_000
    with pytest.raises(Unauthorized, match="more than 300 s"):
        signatures.verify_stripe(body, header, ["whsec_1"], now=1_700_000_301)
    with pytest.raises(Unauthorized, match="does not match"):
        signatures.verify_stripe(body + b" ", header, ["whsec_1"], now=1_700_000_000)
    with pytest.raises(Unauthorized, match="t= and v1="):
        signatures.verify_stripe(body, "t=1700000000", ["whsec_1"], now=1_700_000_000)
