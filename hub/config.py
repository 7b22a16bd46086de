"""Hub settings. Every setting has an environment variable FULFIL_<NAME>."""

from __future__ import annotations

from pydantic import Field
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
    bootstrap_api_key: str | None = Field(
        default=None, description="a key with every scope, created at start (ops bootstrap)")
    auto_migrate: bool = True
    command_ttl_s: float = Field(default=3600.0, gt=0, description="expiry of device commands")
    outbox_poll_s: float = Field(default=0.2, gt=0)
    packaging_g: float = Field(default=150.0, ge=0, description="default parcel packaging weight")
    weight_tolerance_g: float | None = Field(
        default=None, description="tolerance sent with pack jobs; none lets the bench decide")
    hub_id: str = "hub"
    demo_mode: bool = Field(default=False, description="the dashboard opens without a key "
                            "for browsers on this machine (set by `fulfil-hub demo`)")
    layout_path: str | None = Field(
        default=None, description="warehouse layout YAML; none orders picks by pick_sequence")
