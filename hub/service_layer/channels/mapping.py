"""Channel lines to our SKUs: by a listing mapping (listing id, then channel SKU), by our own
SKU, then by GTIN (the SKU's barcode)."""

from __future__ import annotations

from dataclasses import dataclass

from hub.adapters.channel_repository import ChannelRepository
from hub.adapters.channels.base import ChannelLine


@dataclass(frozen=True)
class MappedLine:
    line: ChannelLine
    sku: str
    by: str  # listing | channel_sku | sku | gtin


def map_line(repo: ChannelRepository, channel: str, line: ChannelLine) -> MappedLine | None:
    if line.listing_id:
        sku = repo.listing_sku(channel, line.listing_id)
        if sku:
            return MappedLine(line, sku, "listing")
    if line.sku:
        sku = repo.listing_sku(channel, line.sku)
        if sku:
            return MappedLine(line, sku, "channel_sku")
        if repo.sku_exists(line.sku):
            return MappedLine(line, line.sku, "sku")
    if line.gtin:
        sku = repo.sku_by_gtin(line.gtin)
        if sku:
            return MappedLine(line, sku, "gtin")
    return None


def map_lines(repo: ChannelRepository, channel: str, lines: list[ChannelLine]
              ) -> tuple[list[MappedLine], list[str]]:
    """Mapped lines, and one reason per line that could not be mapped."""
    mapped, problems = [], []
    for line in lines:
        found = map_line(repo, channel, line)
        if found is None:
            keys = ", ".join(f"{name} {value!r}" for name, value in (
                ("sku", line.sku), ("gtin", line.gtin), ("listing", line.listing_id)) if value)
            problems.append(f"line {line.line_ref} ({keys or 'no key'}) matches no SKU")
        else:
            mapped.append(found)
    return mapped, problems
