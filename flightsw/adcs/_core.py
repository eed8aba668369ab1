"""Loading of the compiled attitude core (double and float builds) and the error type of the package."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from flightsw.errors import FlightswError

PRECISIONS = ("double", "float")


class AttitudeError(FlightswError):
    """A call into the C attitude core failed. ``reason`` is the C status name (``"ATT_ERR_NOT_FINITE"``,
    ``"ATT_ERR_BAD_DT"``, ...) and ``code`` its numeric value. The filter state is unchanged."""

    def __init__(self, reason: str, detail: str = "", code: int | None = None, offset: int | None = None):
        super().__init__(reason, detail, offset)
        self.code = code


def load(precision: str) -> ModuleType:
    """The cffi extension module for ``precision`` ("double" or "float")."""
    if precision not in PRECISIONS:
        raise AttitudeError("ATT_ERR_BAD_PARAM", f"precision must be 'double' or 'float', not {precision!r}")
    return importlib.import_module(f"flightsw.adcs._attitude_{precision}")


def status_name(mod: ModuleType, code: int) -> str:
    lib: Any = mod.lib
    ffi: Any = mod.ffi
    return str(ffi.string(lib.att_status_name(code)).decode())


def check(mod: ModuleType, code: int, what: str, offset: int | None = None) -> int:
    """Raise :class:`AttitudeError` for a negative status; return the status otherwise."""
    if code < 0:
        raise AttitudeError(status_name(mod, code), what, code=code, offset=offset)
    return code
