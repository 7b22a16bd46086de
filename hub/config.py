"""Hub settings. Every setting has an environment variable FULFIL_<NAME>."""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FULFIL_", extra="ignore")

    database_url: str = Field(default="sqlite:///fulfil.sqlite",
                              description="SQLAlchemy URL; PostgreSQL: postgresql+psycopg://...")
    mqtt_url: str | None = Field(default=None,
                                 description="external broker; none starts the embedded one")
    embedded_broker_port: int = Field(default=1883, ge=0, le=65535)
    site: str = Field(default="default", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=0, le=65535)
    api_max_body_bytes: int = Field(
        default=8 * 1024 * 1024, ge=1024,
        description="larger request bodies are refused with 413 before they are read")
    bootstrap_api_key: str | None = Field(
        default=None, description="a key with every scope, created at start (ops bootstrap)")
    auto_migrate: bool = True
    command_ttl_s: float = Field(default=3600.0, gt=0, description="expiry of device commands")
    outbox_poll_s: float = Field(default=0.2, gt=0)
    packaging_g: float = Field(default=150.0, ge=0, description="default parcel packaging weight")
    weight_tolerance_g: float | None = Field(
        default=None, description="tolerance sent with pack jobs; none lets the bench decide")
    hub_id: str = "hub"
    share_group: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="run as one of several hub replicas: device events are split between the "
                    "replicas with this MQTT shared-subscription group ($share/<group>/...)")
    demo_mode: bool = Field(default=False, description="the dashboard opens without a key "
                            "for browsers on this machine (set by `fulfil-hub demo`)")
    layout_path: str | None = Field(
        default=None, description="warehouse layout YAML; none orders picks by pick_sequence")
    # --- sales channels and payments (hub/adapters/channels) ---
    shopify_webhook_secret: SecretStr | None = Field(
        default=None, description="Shopify app secret that signs webhooks")
    shopify_webhook_secret_previous: SecretStr | None = Field(
        default=None, description="the secret being rotated out; also accepted until removed")
    shopify_location_id: str = "0"
    shopify_base_url: str | None = Field(default=None,
                                         description="https://<shop>.myshopify.com")
    shopify_access_token: SecretStr | None = None
    woocommerce_base_url: str | None = None
    woocommerce_api_auth: SecretStr | None = Field(
        default=None, description="consumer key and secret as ck_...:cs_...")
    woocommerce_webhook_secret: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_webhook_secret_previous: SecretStr | None = None
    stripe_tolerance_s: float = Field(default=300.0, gt=0,
                                      description="max age of a Stripe-Signature timestamp")
    amazon_base_url: str = "https://sellingpartnerapi-eu.amazon.com"
    amazon_access_token: SecretStr | None = None
    amazon_marketplace_ids: str = Field(default="A1F83G8C2ARO7P",
                                        description="comma-separated marketplace ids")
    ebay_base_url: str = "https://api.ebay.com"
    ebay_access_token: SecretStr | None = None
    channel_poll_interval_s: float = Field(default=120.0, gt=0)
    channel_poll_overlap_s: float = Field(
        default=300.0, ge=0, description="each poll re-reads this much before the cursor")
    channel_first_poll_lookback_s: float = Field(
        default=86400.0, gt=0, description="how far back the first poll of a channel reads")
    channel_http_timeout_s: float = Field(default=20.0, gt=0)
    channel_max_retries: int = Field(default=5, ge=0)
    channel_backoff_s: float = Field(default=1.0, ge=0, description="first retry delay")
    courier_rates: str | None = Field(
        default=None, description="rate-card YAML (zones, services, overrides); none books "
                                  "everything with the built-in manual courier")
    couriers: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description='JSON: courier -> adapter options, e.g. '
        '{"royalmail": {"base_url": "https://api.parcel.royalmail.com/api/v1", "token": "..."}}')
    courier_timezone: str = Field(default="Europe/London",
                                  description="where courier cut-off times are read")
    courier_timeout_s: float = Field(default=10.0, gt=0)
    courier_booking_attempts: int = Field(default=3, ge=1, le=10)
    courier_ledger_url: str | None = Field(
        default=None, description="booking ledger database; default: the hub's (SQLite: a "
                                  "sibling file)")
    tracking_formats_dir: str | None = Field(
        default=None, description="folder of courier_tracking_number_format_*.json files: "
                                  "booked tracking numbers are checked against them")
    ship_from: dict[str, Any] = Field(default_factory=dict,
                                      description="JSON address parcels are collected from")
    # --- customer messages (hub/messages, hub/adapters/notifications/smtp.py) ---
    smtp_host: str | None = Field(default=None,
                                  description="SMTP server; none only logs customer messages")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_starttls: bool = Field(default=True, description="upgrade the connection (STARTTLS)")
    smtp_ssl: bool = Field(default=False, description="implicit TLS (port 465) instead")
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_s: float = Field(default=20.0, gt=0)
    smtp_ca_file: str | None = Field(
        default=None, description="CA bundle that signs the SMTP server's certificate (a "
                                  "private relay); none trusts the system's CAs")
    message_from: str = Field(default="Fulfil <orders@localhost>",
                              description="From: of customer messages")
    message_reply_to: str | None = None
    ops_email: str | None = Field(default=None,
                                  description="where internal notices (restock) are sent")
    shop_name: str = "Fulfil"
    message_templates_dir: str | None = Field(
        default=None, description="folder <channel>/<language>/<name>.{subject,txt,html}.j2 "
                                  "searched before the shipped templates")
    message_default_language: str = "en"
    channels_that_message: list[str] = Field(
        default_factory=list, description='JSON: channels that message their buyers themselves '
        '(e.g. ["amazon", "ebay"]); their orders get no e-mail from the hub')
    message_max_attempts: int = Field(default=8, ge=1,
                                      description="SMTP tries before a message is given up")
    message_backoff_s: float = Field(default=30.0, ge=0,
                                     description="first retry delay, doubled each time")
    message_backoff_max_s: float = Field(default=3600.0, ge=0)
    tracking_urls: dict[str, str] = Field(
        default_factory=dict, description='JSON: courier -> tracking page with '
        '{tracking_number}, e.g. {"manual": "https://shop.example/track/{tracking_number}"}')
    review_request_after_days: float = Field(
        default=7.0, ge=0, description="review requests go this long after delivery")
    review_request_window_days: float = Field(
        default=30.0, gt=0, description="deliveries older than after + window are not asked")
    review_url: str | None = Field(default=None,
                                   description="review page, with {order_ref} and {order_id}")
    # --- refunds (hub/service_layer/refunds.py) ---
    stripe_api_key: SecretStr | None = Field(
        default=None, description="secret key for refunds of orders paid through Stripe")
    stripe_api_base: str = "https://api.stripe.com"
    return_ship_to: dict[str, Any] = Field(
        default_factory=dict, description="JSON address returns are sent to; default ship_from")
