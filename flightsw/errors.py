"""The project's one exception family.

Every decoder raises :class:`DecodeError` (or a subclass) with a machine-readable ``reason`` in snake_case
(``"bad_crc"``, ``"truncated"``, ``"wrong_version"``, ...), a human ``detail`` and, where known, the byte
``offset`` of the fault. Encoders raise :class:`EncodeError` when a value does not fit its field.
Callers catch :class:`FlightswError` and never see ``IndexError`` or ``struct.error`` from a decoder.
"""

from __future__ import annotations


class FlightswError(Exception):
    """Base of every error the project raises on purpose."""

    def __init__(self, reason: str, detail: str = "", offset: int | None = None) -> None:
        self.reason = reason
        self.detail = detail
        self.offset = offset
        text = reason if not detail else f"{reason}: {detail}"
        if offset is not None:
            text += f" (at offset {offset})"
        super().__init__(text)

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"reason": self.reason, "detail": self.detail}
        if self.offset is not None:
            out["offset"] = self.offset
        return out


class DecodeError(FlightswError):
    """Bytes that do not form a valid unit of the layer being decoded."""


class EncodeError(FlightswError, ValueError):
    """A value that does not fit the field it is meant for."""


class ConfigError(FlightswError):
    """A configuration, profile or dictionary that is invalid."""
