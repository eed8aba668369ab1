"""The flight parameter store: the dictionary's flight parameters with their current values, bounds checked,
persisted atomically to a JSON file in the state directory so that they survive a restart (or a ``kill -9``).

Atomicity: the new content goes to a temporary file in the same directory, is flushed and fsynced, then
replaces the old file with ``os.replace`` (atomic on POSIX); the directory is fsynced so the rename itself is
durable. A reader therefore sees the old or the new file, never a torn one.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from flightsw.dictionary import Dictionary, FlightParameter
from flightsw.errors import ConfigError

FILE_NAME = "flight_parameters.json"
_FORMAT_VERSION = 1

log = logging.getLogger(__name__)


def _default(parameter: FlightParameter) -> int | float | bool:
    value = parameter.default
    if isinstance(value, str):  # an enumeration default written by name
        if parameter.enumeration is None:
            raise ConfigError("bad_dictionary", f"{parameter.name}: default {value!r} without an enumeration")
        return parameter.enumeration.by_name[value].value
    return value


class FlightParameterStore:
    """Current values of the flight parameters. ``path`` None keeps them in memory only."""

    def __init__(self, dictionary: Dictionary, path: Path | None) -> None:
        self.dictionary = dictionary
        self.path = path
        self._values: dict[str, int | float | bool] = {
            p.name: _default(p) for p in dictionary.flight_parameters}
        self.writes = 0
        if path is not None and path.exists():
            self._load(path)

    def _load(self, path: Path) -> None:
        """Take the stored values that are still valid; a value the dictionary no longer accepts is dropped
        with a warning (the default applies), so a dictionary update never bricks the executive."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError("bad_state", f"{path}: {exc}") from None
        if not isinstance(data, dict) or data.get("version") != _FORMAT_VERSION:
            raise ConfigError("bad_state",
                              f"{path}: not a flight parameter file of version {_FORMAT_VERSION}")
        values = data.get("values", {})
        if not isinstance(values, dict):
            raise ConfigError("bad_state", f"{path}: 'values' must be a table")
        for name, value in values.items():
            parameter = self.dictionary.flight_parameter_by_name.get(name)
            if parameter is None or not parameter.accepts(value):
                log.warning("flight parameter %s=%r from %s ignored (unknown or out of bounds)",
                            name, value, path)
                continue
            self._values[name] = value

    def lookup(self, name_or_id: str | int) -> FlightParameter:
        """The dictionary entry; ``KeyError`` when there is none."""
        if isinstance(name_or_id, int):
            return self.dictionary.flight_parameter_by_id[name_or_id]
        return self.dictionary.flight_parameter_by_name[name_or_id]

    def get(self, name_or_id: str | int) -> int | float | bool:
        return self._values[self.lookup(name_or_id).name]

    def values(self) -> dict[str, int | float | bool]:
        return dict(self._values)

    def set(self, name_or_id: str | int, value: Any) -> None:
        """Set one value after checking it against the dictionary (``ValueError`` when refused), then
        persist."""
        self.set_many({self.lookup(name_or_id).name: value})

    def set_many(self, values: dict[str, Any]) -> None:
        """Set several values at once: all are checked before any changes, and one write persists them."""
        for name, value in values.items():
            parameter = self.lookup(name)
            if not parameter.accepts(value):
                raise ValueError(f"{name}={value!r} is not acceptable")
        self._values.update(values)
        self.save()

    def save(self) -> None:
        if self.path is None:
            return
        payload = json.dumps({"version": _FORMAT_VERSION, "values": self._values}, indent=1, sort_keys=True)
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".flight_parameters.", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp_name, self.path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        self.writes += 1
