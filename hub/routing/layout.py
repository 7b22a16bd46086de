"""Warehouse layout: blocks of parallel aisles, cross-aisles, bays, levels, depot, pick zones.

Geometry (metres): aisle ``i`` runs along y at x = ``i * aisle_spacing_m``. Cross-aisles run
along x: the front one at y = 0, one between each pair of blocks, the back one after the last
block. Bays are numbered from 1 at the front, continuously through the blocks; bay ``k`` of an
aisle faces both sides (odd and even faces share the walking position). A location code is
``<aisle>-<bay>-<level>``, e.g. ``A01-02-A``: aisle A01, bay 2, level A. The depot sits on the
front cross-aisle at the head of one aisle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hub.errors import InvalidInput, NotFound

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

CODE_PATTERN = re.compile(r"^(?P<aisle>[A-Z]{1,3}\d{1,3})-(?P<bay>\d{1,4})-(?P<level>[A-Z])$")


class BlockedSegment(BaseModel):
    """A stretch of an aisle that cannot be walked (pallet lane, pillar): between two bays."""

    model_config = ConfigDict(extra="forbid")
    aisle: str
    from_bay: int = Field(ge=1)
    to_bay: int = Field(ge=1)


class LayoutConfig(BaseModel):
    """The YAML form of a layout; validated with a reason per field."""

    model_config = ConfigDict(extra="forbid")
    aisles: int = Field(ge=1, le=999, description="number of parallel aisles")
    aisle_prefix: str = Field(default="A", pattern=r"^[A-Z]{1,3}$")
    blocks: int = Field(default=1, ge=1, le=50, description="blocks split by cross-aisles")
    bays_per_block: int = Field(ge=1, le=999, description="bays along one side of a block")
    levels: int = Field(default=1, ge=1, le=26, description="levels A, B, C ...")
    aisle_spacing_m: float = Field(default=3.0, gt=0, description="centre to centre")
    bay_width_m: float = Field(default=1.0, gt=0)
    cross_aisle_width_m: float = Field(default=2.0, gt=0)
    depot_aisle: str | None = Field(default=None, description="depot at this aisle's head")
    zones: dict[str, list[str]] = Field(default_factory=dict,
                                        description="pick zone -> aisles in it")
    blocked: list[BlockedSegment] = Field(default_factory=list)
    one_way: dict[str, Literal["up", "down"]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _aisles_exist(self) -> LayoutConfig:
        names = {f"{self.aisle_prefix}{i:02d}" for i in range(1, self.aisles + 1)}
        referenced = [self.depot_aisle] if self.depot_aisle else []
        referenced += [a for aisles in self.zones.values() for a in aisles]
        referenced += [b.aisle for b in self.blocked] + list(self.one_way)
        unknown = sorted({a for a in referenced if a not in names})
        if unknown:
            raise ValueError(f"unknown aisle(s) {unknown}; aisles are "
                             f"{self.aisle_prefix}01..{self.aisle_prefix}{self.aisles:02d}")
        total = self.blocks * self.bays_per_block
        for seg in self.blocked:
            if seg.from_bay > seg.to_bay or seg.to_bay > total:
                raise ValueError(f"blocked segment of {seg.aisle} needs 1 <= from_bay <= "
                                 f"to_bay <= {total}")
        return self


@dataclass(frozen=True)
class Points:
    """Walking positions: aisle index (column) and y along the aisle, one per location."""

    aisle: IntArray
    y: FloatArray

    def __len__(self) -> int:
        return int(self.aisle.shape[0])


class Layout:
    """A validated layout with its geometry as numpy arrays."""

    def __init__(self, config: LayoutConfig) -> None:
        self.config = config
        c = config
        self.aisle_names = [f"{c.aisle_prefix}{i:02d}" for i in range(1, c.aisles + 1)]
        self._aisle_index = {name: i for i, name in enumerate(self.aisle_names)}
        self.aisle_x: FloatArray = np.arange(c.aisles, dtype=np.float64) * c.aisle_spacing_m
        self.block_length = c.bays_per_block * c.bay_width_m
        pitch = self.block_length + c.cross_aisle_width_m
        self.cross_y: FloatArray = np.arange(c.blocks + 1, dtype=np.float64) * pitch
        self.total_bays = c.blocks * c.bays_per_block
        self.depot_aisle = self._aisle_index[c.depot_aisle] if c.depot_aisle else 0
        self.zone_of_aisle = {a: zone for zone, aisles in c.zones.items() for a in aisles}
        self._parsed: dict[str, tuple[int, int, str]] = {}

    @property
    def rectangular(self) -> bool:
        """True when the closed-form distance holds (no obstacles, no one-way aisles)."""
        return not self.config.blocked and not self.config.one_way

    @property
    def blocks(self) -> int:
        return self.config.blocks

    def bay_y(self, bay: IntArray) -> FloatArray:
        """y of the walking position in front of 1-based bays."""
        c = self.config
        block = (bay - 1) // c.bays_per_block
        within = (bay - 1) % c.bays_per_block
        start = self.cross_y[block] + c.cross_aisle_width_m / 2
        return np.asarray(start + (within + 0.5) * c.bay_width_m, dtype=np.float64)

    def block_of(self, y: FloatArray) -> IntArray:
        """Block index of positions inside aisles (cross-aisle points count as the block above,
        the back cross-aisle as the last block)."""
        idx = np.searchsorted(self.cross_y, y, side="right") - 1
        return np.clip(idx, 0, self.blocks - 1).astype(np.int64)

    def parse(self, code: str) -> tuple[int, int, str]:
        """(aisle index, bay, level) of a location code; InvalidInput/NotFound with the reason.
        Valid codes are remembered (a wave parses thousands, mostly the same ones)."""
        known = self._parsed.get(code)
        if known is not None:
            return known
        parsed = self._parse(code)
        self._parsed[code] = parsed
        return parsed

    def _parse(self, code: str) -> tuple[int, int, str]:
        match = CODE_PATTERN.match(code.strip().upper())
        if match is None:
            raise InvalidInput(f"location {code!r} is not of the form <aisle>-<bay>-<level>, "
                               "e.g. A01-02-A")
        aisle, bay, level = match["aisle"], int(match["bay"]), match["level"]
        if aisle not in self._aisle_index:
            raise NotFound(f"location {code!r}: aisle {aisle} is not in the layout "
                           f"({self.aisle_names[0]}..{self.aisle_names[-1]})")
        if not 1 <= bay <= self.total_bays:
            raise NotFound(f"location {code!r}: bay {bay} is outside 1..{self.total_bays}")
        if ord(level) - ord("A") >= self.config.levels:
            raise NotFound(f"location {code!r}: level {level} is above the top level "
                           f"{chr(ord('A') + self.config.levels - 1)}")
        return self._aisle_index[aisle], bay, level

    def locate(self, codes: list[str]) -> Points:
        """Walking positions of location codes (all validated; the first bad one is reported)."""
        parsed = [self.parse(code) for code in codes]
        aisles = np.fromiter((p[0] for p in parsed), dtype=np.int64, count=len(parsed))
        bays = np.fromiter((p[1] for p in parsed), dtype=np.int64, count=len(parsed))
        return Points(aisles, self.bay_y(bays))

    def depot(self) -> Points:
        return Points(np.array([self.depot_aisle], dtype=np.int64),
                      np.array([self.cross_y[0]], dtype=np.float64))

    def zone_of(self, code: str) -> str | None:
        aisle, _, _ = self.parse(code)
        return self.zone_of_aisle.get(self.aisle_names[aisle])

    def code(self, aisle: int, bay: int, level: int = 0) -> str:
        return f"{self.aisle_names[aisle]}-{bay:02d}-{chr(ord('A') + level)}"


def layout_from_dict(data: Any) -> Layout:
    """Validate a parsed YAML/JSON layout; InvalidInput lists every problem with its field."""
    if not isinstance(data, dict):
        raise InvalidInput("a layout must be a mapping of settings (aisles, bays_per_block, ...)")
    try:
        return Layout(LayoutConfig.model_validate(data))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'layout'}: {err['msg']}"
                             for err in exc.errors())
        raise InvalidInput(f"bad layout: {problems}") from None


def layout_from_yaml(text: str) -> Layout:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"layout is not valid YAML: {exc}") from None
    return layout_from_dict(data)


def load_layout(path: str) -> Layout:
    try:
        with open(path, encoding="utf-8") as handle:
            return layout_from_yaml(handle.read())
    except OSError as exc:
        raise InvalidInput(f"cannot read layout file {path}: {exc.strerror}") from None
