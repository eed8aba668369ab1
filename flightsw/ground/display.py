"""What the console shows, kept apart from how it is typed at: a thread-safe view of the latest telemetry,
the event log and the link, and its rendering with rich (units, soft/hard limit colours, staleness).

A sample is stale when nothing newer arrived for ``STALE_PERIODS`` periods of its housekeeping structure
(or ``DEFAULT_STALE_S`` for a parameter that only comes in parameter reports).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from io import StringIO
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from flightsw.dictionary import Dictionary, Severity
from flightsw.ground.telemetry import Decoded, EventRecord, ParameterSample, display

STALE_PERIODS = 3.0
DEFAULT_STALE_S = 10.0
EVENT_LOG = 200

_SEVERITY_STYLE = {Severity.INFORMATIVE: "", Severity.LOW: "yellow", Severity.MEDIUM: "dark_orange",
                   Severity.HIGH: "bold red"}


@dataclass(frozen=True)
class LinkLine:
    """The link in one line of text (kept as data so plain output and rich output agree)."""

    text: str
    alarm: bool


class TelemetryView:
    """Latest value of each parameter and the recent events; fed from any thread."""

    def __init__(self, dictionary: Dictionary, clock: Callable[[], float] = time.time) -> None:
        self.dictionary = dictionary
        self._clock = clock
        self._lock = threading.Lock()
        self._latest: dict[str, ParameterSample] = {}
        self._events: deque[EventRecord] = deque(maxlen=EVENT_LOG)
        self._stale_after: dict[str, float] = {}
        for structure in dictionary.housekeeping:
            for parameter in structure.parameters:
                period = STALE_PERIODS * structure.period_s
                self._stale_after[parameter.name] = min(self._stale_after.get(parameter.name, period), period)

    def feed(self, record: Decoded) -> None:
        with self._lock:
            if isinstance(record, ParameterSample):
                self._latest[record.name] = record
            elif isinstance(record, EventRecord):
                self._events.append(record)

    def latest(self) -> dict[str, ParameterSample]:
        with self._lock:
            return dict(self._latest)

    def events(self) -> list[EventRecord]:
        with self._lock:
            return list(self._events)

    def age(self, sample: ParameterSample) -> float:
        return max(0.0, self._clock() - sample.received_at)

    def stale(self, sample: ParameterSample) -> bool:
        return self.age(sample) > self._stale_after.get(sample.name, DEFAULT_STALE_S)

    def limit(self, sample: ParameterSample) -> str | None:
        """``hard_low`` .. ``soft_high`` when the value lies beyond a limit of the dictionary, else None."""
        parameter = self.dictionary.parameter_by_name.get(sample.name)
        if parameter is None or parameter.limits is None:
            return None
        value = sample.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return parameter.limits.crossed(value)

    def unit(self, name: str) -> str:
        parameter = self.dictionary.parameter_by_name.get(name)
        return parameter.unit if parameter is not None else ""

    def describe(self, sample: ParameterSample) -> str:
        """Plain text of one sample: value with unit, then limit and staleness marks."""
        text = display(sample.value, self.unit(sample.name))
        limit = self.limit(sample)
        if limit is not None:
            text += f" [{limit.upper()}]"
        if self.stale(sample):
            text += f" (stale {self.age(sample):.0f} s)"
        return text


def _style(view: TelemetryView, sample: ParameterSample) -> str:
    limit = view.limit(sample)
    style = "bold red" if limit and limit.startswith("hard") else "yellow" if limit else "green"
    if view.stale(sample):
        style = "dim " + style
    return style


def telemetry_table(view: TelemetryView, names: Sequence[str] | None = None,
                    title: str = "telemetry") -> Table:
    """Parameters ``names`` (default: every one received) with value, unit, limit crossed and age."""
    latest = view.latest()
    chosen = list(names) if names is not None else sorted(latest)
    table = Table(title=title, title_justify="left", expand=False, pad_edge=False)
    table.add_column("parameter")
    table.add_column("value", justify="right")
    table.add_column("unit")
    table.add_column("limit")
    table.add_column("age", justify="right")
    for name in chosen:
        sample = latest.get(name)
        if sample is None:
            table.add_row(name, Text("-", style="dim"), view.unit(name), "", Text("never", style="dim"))
            continue
        unit = view.unit(name)
        limit = view.limit(sample) or ""
        age = view.age(sample)
        table.add_row(name, Text(display(sample.value), style=_style(view, sample)),
                      "" if unit == "1" else unit, limit,
                      Text(f"{age:.0f} s", style="dim red" if view.stale(sample) else "dim"))
    return table


def event_line(event: EventRecord, dictionary: Dictionary | None = None) -> Text:
    """One line of the event log; parameter ids are shown with their names when ``dictionary`` is given."""
    when = datetime.fromtimestamp(event.received_at, UTC).strftime("%H:%M:%S")

    def shown(key: str, value: Any) -> str:
        if key == "parameter_id" and dictionary is not None and isinstance(value, int):
            known = dictionary.parameter_by_id.get(value) or dictionary.flight_parameter_by_id.get(value)
            if known is not None:
                return f"{known.name}({value:#06x})"
        return display(value)

    values = " ".join(f"{key}={shown(key, value)}" for key, value in event.values.items())
    return Text(f"{when} {event.severity.name.lower():<11} {event.name} {values}".rstrip(),
                style=_SEVERITY_STYLE[event.severity])


def event_log(view: TelemetryView, count: int = 10) -> Group:
    return Group(*[event_line(event, view.dictionary) for event in view.events()[-count:]])


def link_line(stats: dict[str, Any], now: float, last_frame_at: float | None) -> LinkLine:
    """One line of link status: COP-1 state, CLCW flags, frame counters, gaps, CRC errors, SDLS rejections."""
    silent = None if last_frame_at is None else now - last_frame_at
    flags = [name for name in ("lockout", "wait", "retransmit") if stats.get(name)]
    parts = [
        f"FOP {stats.get('fop_state', '?')}",
        f"V(R) {stats.get('report_value', '-')}",
        "CLCW " + (",".join(flags) if flags else "ok"),
        f"TM frames {stats.get('tm_frames', 0)}",
        f"gaps {stats.get('frame_gaps', 0)}",
        f"CRC err {stats.get('crc_errors', 0)}",
        f"TC frames {stats.get('tc_frames', 0)}",
        f"retx {stats.get('tc_retransmissions', 0)}",
        f"SDLS rej {stats.get('flight_sdls_rejections', '-')}",
        "no TM yet" if silent is None else f"last TM {silent:.1f} s ago",
    ]
    alarm = bool(flags and "lockout" in flags) or silent is None or silent > DEFAULT_STALE_S
    return LinkLine(" | ".join(parts), alarm)


def to_ansi(renderable: Any, width: int = 100) -> str:
    """A rich renderable as ANSI text (for prompt_toolkit's toolbar, or a plain stream)."""
    buffer = StringIO()
    console = Console(file=buffer, width=width, force_terminal=True, color_system="standard")
    console.print(renderable)
    return buffer.getvalue()


def to_plain(renderable: Any, width: int = 100) -> str:
    buffer = StringIO()
    console = Console(file=buffer, width=width, force_terminal=False, color_system=None)
    console.print(renderable)
    return buffer.getvalue()
