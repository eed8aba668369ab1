"""The ground archive: every TM frame and packet received, with its receive time, in one SQLite file, plus
the decoded parameter samples, events and command outcomes for quick queries; export to CSV, plots
(matplotlib, an optional extra) and replay of a recorded session.

Tables (receive times are Unix seconds on the ground's clock, on-board times TAI seconds since 1958):

* ``frames(received_at, vcid, raw)``: TM transfer frames with a good FECF, without the ASM;
* ``packets(received_at, vcid, apid, service, subtype, raw)``: TM Space Packets as reassembled;
* ``samples(received_at, onboard_time, name, value, display, source)``: parameter values (``value`` numeric);
* ``events(received_at, onboard_time, name, severity, data)``: event reports, auxiliary data as JSON;
* ``commands(sent_at, updated_at, name, arguments, apid, sequence_count, status, reason)``;
* ``meta(key, value)``: dictionary version, link, profile SCID.

Writes come from the session's pump thread; they are committed in batches (at most ``COMMIT_INTERVAL_S``
apart) and on close, so a crash loses at most that much.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path
from typing import Any, TextIO

from flightsw.ccsds.timecode import Cuc
from flightsw.dictionary import Dictionary, load_dictionary
from flightsw.errors import ConfigError
from flightsw.ground.telemetry import Decoded, EventRecord, ParameterSample, display

COMMIT_INTERVAL_S = 0.5

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS frames (id INTEGER PRIMARY KEY, received_at REAL NOT NULL, vcid INTEGER NOT NULL,
    raw BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS packets (id INTEGER PRIMARY KEY, received_at REAL NOT NULL, vcid INTEGER NOT NULL,
    apid INTEGER NOT NULL, service INTEGER, subtype INTEGER, raw BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS samples (id INTEGER PRIMARY KEY, received_at REAL NOT NULL, onboard_time REAL,
    name TEXT NOT NULL, value REAL, display TEXT NOT NULL, source TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS samples_by_name ON samples (name, received_at);
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, received_at REAL NOT NULL, onboard_time REAL,
    name TEXT NOT NULL, severity TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS commands (id INTEGER PRIMARY KEY, sent_at REAL NOT NULL, updated_at REAL NOT NULL,
    name TEXT NOT NULL, arguments TEXT NOT NULL, apid INTEGER NOT NULL, sequence_count INTEGER NOT NULL,
    status TEXT NOT NULL, reason TEXT NOT NULL, UNIQUE (apid, sequence_count, sent_at));
"""


def _json_value(value: Any) -> Any:
    if isinstance(value, IntEnum):
        return value.name
    if isinstance(value, Cuc):
        return value.to_seconds()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, Cuc):
        return value.to_seconds()
    if isinstance(value, bool | int | float):
        return float(value)
    return None


def _pus_type(packet: bytes) -> tuple[int | None, int | None]:
    # PUS-C TM: primary header (6) then version/status, service, subtype (ECSS-E-ST-70-41C §7.4.3.1).
    if len(packet) >= 9 and packet[0] & 0x08:
        return packet[7], packet[8]
    return None, None


class Archive:
    """An archive file open for recording (``Archive(path)``; :meth:`attach` to a session)."""

    def __init__(self, path: str | Path, *, dictionary: Dictionary | None = None) -> None:
        self.path = Path(path)
        self.dictionary = dictionary if dictionary is not None else load_dictionary()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False)
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise ConfigError("archive_unusable", f"{self.path}: {exc}") from None
        self._lock = threading.Lock()
        self._last_commit = time.monotonic()
        self._set_meta("dictionary_version", str(self.dictionary.version))

    def _set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def attach(self, session: Any, link: str = "") -> None:
        """Record everything ``session`` receives from now on."""
        if link:
            self._set_meta("link", link)
        self._set_meta("started_at", str(time.time()))
        session.on_frames(self.record_frame)
        session.on_packets(self.record_packet)
        session.subscribe(self.record)
        session.on_command(self.record_command)

    def record_frame(self, frame: bytes, received_at: float) -> None:
        vcid = (frame[1] >> 1) & 0x07 if len(frame) >= 2 else -1  # 132.0-B-3 §4.1.2.3
        self._insert("INSERT INTO frames (received_at, vcid, raw) VALUES (?, ?, ?)",
                      (received_at, vcid, frame))

    def record_packet(self, vcid: int, packet: bytes, received_at: float) -> None:
        apid = int.from_bytes(packet[:2], "big") & 0x07FF if len(packet) >= 2 else -1
        service, subtype = _pus_type(packet)
        self._insert("INSERT INTO packets (received_at, vcid, apid, service, subtype, raw) "
                     "VALUES (?, ?, ?, ?, ?, ?)", (received_at, vcid, apid, service, subtype, packet))

    def record(self, record: Decoded) -> None:
        if isinstance(record, ParameterSample):
            unit = self._unit(record.name)
            self._insert("INSERT INTO samples (received_at, onboard_time, name, value, display, source) "
                         "VALUES (?, ?, ?, ?, ?, ?)", (record.received_at, record.onboard_time, record.name,
                                                       _number(record.value), display(record.value, unit),
                                                       record.source))
        elif isinstance(record, EventRecord):
            self._insert("INSERT INTO events (received_at, onboard_time, name, severity, data) "
                         "VALUES (?, ?, ?, ?, ?)", (record.received_at, record.onboard_time, record.name,
                                                    record.severity.name.lower(),
                                                    json.dumps(_json_value(record.values))))

    def record_command(self, handle: Any) -> None:
        self._insert(
            "INSERT INTO commands (sent_at, updated_at, name, arguments, apid, sequence_count, status, "
            "reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (apid, sequence_count, sent_at) DO UPDATE SET "
            "updated_at = excluded.updated_at, status = excluded.status, reason = excluded.reason",
            (handle.sent_at, time.time(), handle.name, json.dumps(_json_value(handle.arguments)), handle.apid,
             handle.sequence_count, handle.status.value, handle.reason or handle.describe()))

    def _unit(self, name: str) -> str:
        parameter = self.dictionary.parameter_by_name.get(name)
        return parameter.unit if parameter is not None else ""

    def _insert(self, sql: str, row: Sequence[Any]) -> None:
        with self._lock:
            self._db.execute(sql, row)
            now = time.monotonic()
            if now - self._last_commit >= COMMIT_INTERVAL_S:
                self._db.commit()
                self._last_commit = now

    def close(self) -> None:
        with self._lock:
            self._db.commit()
            self._db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---- reading ----


def open_for_reading(path: str | Path) -> sqlite3.Connection:
    path = Path(path)
    if not path.is_file():
        raise ConfigError("no_archive", f"{path}: no such archive file")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        db.execute("SELECT 1 FROM packets LIMIT 1")
    except sqlite3.Error as exc:
        raise ConfigError("bad_archive", f"{path}: not a flightsw archive ({exc})") from None
    return db


@dataclass(frozen=True)
class SampleRow:
    received_at: float
    onboard_time: float | None
    name: str
    value: float | None
    display: str


def read_samples(path: str | Path, names: Sequence[str]) -> list[SampleRow]:
    """Samples of ``names`` in receive order; an unknown name is an error naming it."""
    db = open_for_reading(path)
    try:
        known = {row[0] for row in db.execute("SELECT DISTINCT name FROM samples")}
        missing = [name for name in names if name not in known]
        if missing:
            raise ConfigError("unknown_parameter", f"{path}: no samples of {', '.join(missing)} "
                              f"(recorded: {', '.join(sorted(known)) or 'none'})")
        marks = ", ".join("?" for _ in names)
        rows = db.execute(f"SELECT received_at, onboard_time, name, value, display FROM samples "
                          f"WHERE name IN ({marks}) ORDER BY received_at, id", list(names)).fetchall()
    finally:
        db.close()
    return [SampleRow(*row) for row in rows]


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def export_csv(path: str | Path, names: Sequence[str], out: TextIO) -> int:
    """Write ``received_utc, onboard_tai_s, parameter, value, display`` rows; returns the row count."""
    rows = read_samples(path, names)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["received_utc", "onboard_tai_s", "parameter", "value", "display"])
    for row in rows:
        writer.writerow([_iso(row.received_at), "" if row.onboard_time is None else f"{row.onboard_time:.6f}",
                         row.name, "" if row.value is None else repr(row.value), row.display])
    return len(rows)


def plot(path: str | Path, names: Sequence[str], output: str | Path,
         dictionary: Dictionary | None = None) -> int:
    """A PNG of ``names`` against receive time, one panel each, with soft/hard limits drawn."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigError("matplotlib_missing",
                          "plots need matplotlib: pip install 'flightsw[plot]'") from None
    dictionary = dictionary if dictionary is not None else load_dictionary()
    rows = read_samples(path, names)
    figure, axes = plt.subplots(len(names), 1, sharex=True, squeeze=False,
                                figsize=(9, 2.4 * len(names) + 0.6))
    start = min((row.received_at for row in rows), default=0.0)
    for axis, name in zip(axes[:, 0], names, strict=True):
        points = [(row.received_at - start, row.value) for row in rows
                  if row.name == name and row.value is not None]
        axis.plot([p[0] for p in points], [p[1] for p in points], marker=".", linewidth=1)
        parameter = dictionary.parameter_by_name.get(name)
        unit = parameter.unit if parameter is not None and parameter.unit not in ("", "1") else ""
        axis.set_ylabel(f"{name}\n[{unit}]" if unit else name, fontsize=8)
        if parameter is not None and parameter.limits is not None:
            for limit, value in parameter.limits.ordered():
                axis.axhline(value, color="red" if limit.startswith("hard") else "orange", linestyle="--",
                             linewidth=0.8, label=limit)
        axis.grid(True, alpha=0.3)
    axes[-1, 0].set_xlabel(f"seconds since {_iso(start)}")
    figure.tight_layout()
    figure.savefig(output, dpi=100)
    plt.close(figure)
    return len(rows)


def replay_packets(path: str | Path) -> Iterator[tuple[float, int, bytes]]:
    """The recorded TM packets in receive order: receive time, virtual channel, octets."""
    db = open_for_reading(path)
    try:
        yield from db.execute("SELECT received_at, vcid, raw FROM packets ORDER BY received_at, id")
    finally:
        db.close()


def summary(path: str | Path) -> dict[str, Any]:
    """Counts and time span of an archive."""
    db = open_for_reading(path)
    try:
        out: dict[str, Any] = {}
        for table in ("frames", "packets", "samples", "events", "commands"):
            out[table] = db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        first, last = db.execute("SELECT MIN(received_at), MAX(received_at) FROM packets").fetchone()
        out["first"] = None if first is None else _iso(first)
        out["last"] = None if last is None else _iso(last)
        out["parameters"] = [row[0] for row in db.execute("SELECT DISTINCT name FROM samples ORDER BY name")]
        out.update({key: value for key, value in db.execute("SELECT key, value FROM meta")})
    finally:
        db.close()
    return out
