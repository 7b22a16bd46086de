"""Errors raised by the edge agent. Each is also the builtin it resembles."""

from __future__ import annotations


class EdgeError(Exception):
    """Base of every edge error."""


class ConfigError(EdgeError, ValueError):
    """A config or firmware profile that cannot be used; the message names file and key."""


class DeviceError(EdgeError, OSError):
    """A peripheral failed or went away."""


class PrinterError(DeviceError):
    """A label could not be printed (offline, paper out)."""


class ScaleProtocolError(EdgeError, ValueError):
    """A frame from a scale that does not follow its dialect."""
