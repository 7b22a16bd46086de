"""Mettler Toledo MT-SICS frame parser (pure).

Frames are CR LF terminated ASCII lines such as ``S S     100.00 g``. They are parsed by
whitespace split, never by fixed columns, because the width of the weight field differs
between balances.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from edge.core.readings import ScaleError, WeightReading
from edge.core.scale_dialect import to_grams

_ERROR_FRAMES: dict[str, ScaleError] = {"ES": "syntax", "ET": "transmission", "EL": "logical"}
_STATUS_ERRORS: dict[str, ScaleError] = {
    "I": "not_executable",
    "+": "overload",
    "-": "underload",
}
_WEIGHT_COMMANDS = frozenset({"S", "SI", "SIR", "SU", "SIU"})


@dataclass(frozen=True)
class MtSicsResponse:
    """One answer line split into its parts.

    ``command`` is the echoed command (``S``, ``Z``, ``I4`` ...) or the error frame itself
    (``ES``/``ET``/``EL``); ``status`` is the status letter (``S``, ``D``, ``A``, ``I``, ``+``,
    ``-``) or None; ``args`` are the remaining fields with quotes stripped.
    """

    command: str
    status: str | None
    args: tuple[str, ...]
    error: ScaleError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def text(self) -> str | None:
        """The first argument, e.g. the serial number of an ``I4 A "..."`` answer."""
        return self.args[0] if self.args else None


def _decode(line: bytes) -> str | None:
    try:
        text = line.decode("ascii")
    except UnicodeDecodeError:
        return None
    text = text.replace("\t", " ").strip("\r\n ")
    if not text or any(not (ch.isprintable()) for ch in text):
        return None
    return text


_FIELD = re.compile(r'"([^"]*)"?|(\S+)')


def _split(text: str) -> list[str]:
    """Whitespace split that keeps a quoted field (``"0123 456"``) in one piece."""
    return [m.group(1) if m.group(1) is not None else m.group(2)
            for m in _FIELD.finditer(text)]


def parse_response(line: bytes) -> MtSicsResponse:
    """Split any MT-SICS answer line; unreadable input gives ``error='garbage'``."""
    text = _decode(line)
    if text is None:
        return MtSicsResponse(command="", status=None, args=(), error="garbage")
    fields = _split(text)
    if not fields:
        return MtSicsResponse(command="", status=None, args=(), error="garbage")
    head = fields[0]
    if head in _ERROR_FRAMES and len(fields) == 1:
        return MtSicsResponse(command=head, status=None, args=(), error=_ERROR_FRAMES[head])
    if not head.isalnum() and head != "@":
        return MtSicsResponse(command="", status=None, args=(), error="garbage")
    if len(fields) == 1:
        return MtSicsResponse(command=head, status=None, args=(), error="garbage")
    status = fields[1]
    args = tuple(fields[2:])
    error = _STATUS_ERRORS.get(status)
    if error is None and status not in ("S", "D", "A", "B"):
        error = "garbage"
    return MtSicsResponse(command=head, status=status, args=args, error=error)


def _weight(args: tuple[str, ...]) -> tuple[float, str, bool] | None:
    """Value, unit and net flag from the fields after the status; None if unusable."""
    fields = list(args)
    if len(fields) >= 2 and fields[0] in ("+", "-"):
        fields = [fields[0] + fields[1], *fields[2:]]
    if len(fields) < 2:
        return None
    try:
        value = float(fields[0])
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    unit = fields[1]
    net = any(f.upper() in ("N", "NET") for f in fields[2:])
    return value, unit, net


def parse_weight(line: bytes) -> WeightReading:
    """Turn one answer to ``S``/``SI`` into a reading (errors included, never raises)."""
    resp = parse_response(line)
    if resp.error is not None and resp.status is None:
        return WeightReading(grams=None, stable=False, error=resp.error)
    if resp.command not in _WEIGHT_COMMANDS:
        return WeightReading(grams=None, stable=False, error="garbage")
    if resp.error is not None:
        return WeightReading(grams=None, stable=False, error=resp.error)
    parsed = _weight(resp.args)
    if parsed is None:
        return WeightReading(grams=None, stable=False, error="garbage")
    value, unit, net = parsed
    grams = to_grams(value, unit)
    if grams is None:
        return WeightReading(grams=None, stable=False, value=value, unit=unit, error="garbage")
    stable = resp.status in ("S", "A")
    return WeightReading(
        grams=grams,
        stable=stable,
        value=value,
        unit=unit,
        net=net,
        error=None if stable else "motion",
    )


def format_weight(command: str, status: str, value: float, unit: str = "g",
                  decimals: int = 2) -> bytes:
    """Build an answer frame the way a balance prints it (10-char right-aligned field)."""
    return f"{command} {status} {value:>10.{decimals}f} {unit}\r\n".encode("ascii")
