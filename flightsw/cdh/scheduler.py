"""A deterministic rate-group scheduler on a monotonic clock, without drift.

Rate groups run at integer rates (e.g. ADCS 100 Hz, control 10 Hz, housekeeping 1 Hz). The scheduler runs
minor frames at the least common multiple of the rates; minor frame ``k`` is released at ``start + k / rate``,
a deadline computed from the start time and never from accumulated sleeps, so errors of the sleep do not
add up over a long run. In each frame the due groups run in order of decreasing rate.

A frame overruns when its tasks are still running at the next frame's deadline; the frames it swallowed are
skipped (not run late in a burst), and both are counted. The release jitter of each group (actual release
minus its deadline) is kept for percentiles. The clock is injectable: :class:`SimulatedClock` runs tests in
simulated time, where tasks make time pass by calling :meth:`SimulatedClock.advance`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger(__name__)

Task = Callable[[float], None]  # called with the frame's deadline on the monotonic clock

JITTER_WINDOW = 4096  # releases kept per group for the percentiles


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep_until(self, deadline: float) -> None:
        """Return at or after ``deadline`` (early only when woken up to stop)."""


class MonotonicClock:
    """The host's monotonic clock; :meth:`wake` interrupts a sleep (shutdown)."""

    def __init__(self) -> None:
        self._wake = threading.Event()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep_until(self, deadline: float) -> None:
        delay = deadline - time.monotonic()
        if delay > 0:
            self._wake.wait(delay)

    def wake(self) -> None:
        self._wake.set()


class SimulatedClock:
    """Simulated time for tests: sleeping jumps to the deadline; :meth:`advance` models time spent working."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def monotonic(self) -> float:
        return self.now

    def sleep_until(self, deadline: float) -> None:
        self.now = max(self.now, deadline)

    def advance(self, seconds: float) -> None:
        self.now += seconds


class JitterStats:
    """Release jitter (seconds late) of one rate group: recent samples and the all-time maximum."""

    def __init__(self, window: int = JITTER_WINDOW) -> None:
        self._samples: deque[float] = deque(maxlen=window)
        self.max_all = 0.0
        self.count = 0

    def add(self, late: float) -> None:
        self._samples.append(late)
        self.count += 1
        self.max_all = max(self.max_all, late)

    def percentile(self, fraction: float) -> float:
        """Nearest-rank percentile of the window (0.0 when empty)."""
        if not self._samples:
            return 0.0
        ordered = sorted(self._samples)
        rank = max(1, math.ceil(fraction * len(ordered)))
        return ordered[rank - 1]

    def window_max(self) -> float:
        return max(self._samples, default=0.0)

    def clear_window(self) -> None:
        self._samples.clear()

    def summary(self) -> dict[str, float]:
        return {"p50": self.percentile(0.50), "p99": self.percentile(0.99), "max": self.max_all}


@dataclass
class RateGroup:
    name: str
    rate_hz: int
    tasks: list[Task] = field(default_factory=list)
    jitter: JitterStats = field(default_factory=JitterStats)
    runs: int = 0
    overruns: int = 0  # frames this group ran in that overran
    busy_s: float = 0.0

    def __post_init__(self) -> None:
        if self.rate_hz <= 0:
            raise ValueError(f"rate group {self.name}: rate must be a positive integer")


class Scheduler:
    """Runs rate groups in minor frames; see the module docstring."""

    def __init__(self, clock: Clock, groups: list[RateGroup],
                 on_overrun: Callable[[RateGroup, float], None] | None = None) -> None:
        if not groups:
            raise ValueError("a scheduler needs at least one rate group")
        self.clock = clock
        self.groups = sorted(groups, key=lambda g: -g.rate_hz)
        self.frame_rate = math.lcm(*(g.rate_hz for g in self.groups))
        self._every = {g.name: self.frame_rate // g.rate_hz for g in self.groups}
        self.on_overrun = on_overrun
        self.start: float | None = None
        self.frame = 0  # index of the next frame to release
        self.frames_run = 0
        self.frames_skipped = 0
        self.overruns = 0
        self.task_errors = 0
        self.busy_s = 0.0
        self._stop = False

    def group(self, name: str) -> RateGroup:
        for group in self.groups:
            if group.name == name:
                return group
        raise KeyError(name)

    def deadline(self, frame: int) -> float:
        """Release time of minor frame ``frame``: computed from the start, so it never drifts."""
        assert self.start is not None
        return self.start + frame / self.frame_rate

    def stop(self) -> None:
        self._stop = True
        wake = getattr(self.clock, "wake", None)
        if wake is not None:
            wake()

    def run_frame(self) -> None:
        """Wait for the next frame's deadline, run the groups due, account overruns and skipped frames."""
        if self.start is None:
            self.start = self.clock.monotonic()
        deadline = self.deadline(self.frame)
        self.clock.sleep_until(deadline)
        if self._stop:
            return
        frame_start = self.clock.monotonic()
        ran: list[RateGroup] = []
        for group in self.groups:
            if self.frame % self._every[group.name]:
                continue
            released = self.clock.monotonic()
            group.jitter.add(max(0.0, released - deadline))
            for task in group.tasks:
                try:
                    task(deadline)
                except Exception:
                    # The flight loop never dies on a task: count, log with the traceback, go on.
                    self.task_errors += 1
                    log.exception("task of rate group %s failed", group.name)
            group.runs += 1
            group.busy_s += self.clock.monotonic() - released
            ran.append(group)
        end = self.clock.monotonic()
        self.busy_s += end - frame_start
        self.frames_run += 1
        next_frame = self.frame + 1
        if end > self.deadline(next_frame):
            self.overruns += 1
            for group in ran:
                group.overruns += 1
            # Skip the frames whose deadlines already passed rather than run them late in a burst.
            caught_up = math.floor((end - self.deadline(0)) * self.frame_rate) + 1
            self.frames_skipped += caught_up - next_frame
            next_frame = caught_up
            if self.on_overrun is not None and ran:
                self.on_overrun(ran[-1], end - deadline)
        self.frame = next_frame

    def run(self, frames: int | None = None) -> None:
        """Run ``frames`` minor frames, or until :meth:`stop`."""
        self._stop = False
        count = 0
        while not self._stop and (frames is None or count < frames):
            self.run_frame()
            count += 1

    def cpu_load(self) -> float:
        """Fraction of elapsed time spent in tasks since the start."""
        if self.start is None:
            return 0.0
        elapsed = self.clock.monotonic() - self.start
        return self.busy_s / elapsed if elapsed > 0 else 0.0
