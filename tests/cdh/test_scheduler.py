from __future__ import annotations

import pytest

from flightsw.cdh.scheduler import JitterStats, RateGroup, Scheduler, SimulatedClock


class OversleepingClock(SimulatedClock):
    """Wakes up late by a repeating pattern of delays, as a real sleep does."""

    def __init__(self, late: list[float]) -> None:
        super().__init__(start=500.0)
        self.late = late
        self.sleeps = 0

    def sleep_until(self, deadline: float) -> None:
        super().sleep_until(deadline + self.late[self.sleeps % len(self.late)])
        self.sleeps += 1


def test_deadlines_do_not_drift_over_many_periods() -> None:
    clock = OversleepingClock([0.0007, 0.0031, 0.0])
    released: list[float] = []
    scheduler = Scheduler(clock, [RateGroup("adcs", 100, [released.append])])
    scheduler.run(frames=100_000)
    assert len(released) == 100_000
    # Frame k is released for start + k/100 whatever the sleeps did: 1000 s later, still on the grid.
    assert released[-1] - released[0] == pytest.approx(99_999 / 100, abs=1e-9)
    assert scheduler.overruns == 0
    assert clock.now - 500.0 == pytest.approx(999.99, abs=0.004)


def test_rate_groups_run_at_their_rates() -> None:
    clock = SimulatedClock()
    counts = {"adcs": 0, "control": 0, "hk": 0}

    def counter(name: str):  # type: ignore[no-untyped-def]
        def task(now: float) -> None:
            counts[name] += 1
        return task

    groups = [RateGroup(n, r, [counter(n)]) for n, r in (("hk", 1), ("adcs", 100), ("control", 10))]
    scheduler = Scheduler(clock, groups)
    scheduler.run(frames=1000)
    assert counts == {"adcs": 1000, "control": 100, "hk": 10}


def test_overrun_is_counted_and_missed_frames_are_skipped() -> None:
    clock = SimulatedClock(start=0.0)
    deadlines: list[float] = []
    overruns: list[tuple[str, float]] = []

    def task(deadline: float) -> None:
        deadlines.append(deadline)
        if len(deadlines) == 5:
            clock.advance(0.025)  # two and a half frames of work

    scheduler = Scheduler(clock, [RateGroup("adcs", 100, [task])],
                          on_overrun=lambda group, duration: overruns.append((group.name, duration)))
    scheduler.run(frames=10)
    assert scheduler.overruns == 1
    assert scheduler.frames_skipped == 2
    assert scheduler.group("adcs").overruns == 1
    assert overruns == [("adcs", pytest.approx(0.025))]
    # After the overrun the frames stay on the original grid: frames 5 and 6 (t = 0.05, 0.06) were skipped.
    assert deadlines[4] == pytest.approx(0.04)
    assert deadlines[5] == pytest.approx(0.07)
    assert all(round(d * 100, 6) == round(d * 100) for d in deadlines)


def test_jitter_is_measured_against_the_deadline() -> None:
    late = [0.001, 0.002, 0.0005, 0.004]
    clock = OversleepingClock(late)
    scheduler = Scheduler(clock, [RateGroup("adcs", 100, [lambda now: None])])
    scheduler.run(frames=400)
    jitter = scheduler.group("adcs").jitter.summary()
    assert jitter["max"] == pytest.approx(0.004)
    assert jitter["p50"] == pytest.approx(0.001)
    assert jitter["p99"] == pytest.approx(0.004)


def test_jitter_percentiles_nearest_rank() -> None:
    stats = JitterStats()
    for value in range(1, 101):
        stats.add(value / 1000)
    assert stats.percentile(0.5) == pytest.approx(0.050)
    assert stats.percentile(0.99) == pytest.approx(0.099)
    assert stats.max_all == pytest.approx(0.100)


def test_a_failing_task_is_counted_and_the_loop_goes_on() -> None:
    clock = SimulatedClock()
    ran: list[float] = []

    def broken(now: float) -> None:
        raise RuntimeError("defect")

    scheduler = Scheduler(clock, [RateGroup("adcs", 100, [broken, ran.append])])
    scheduler.run(frames=20)
    assert scheduler.task_errors == 20
    assert len(ran) == 20


def test_cpu_load_is_busy_time_over_elapsed_time() -> None:
    clock = SimulatedClock(start=0.0)
    scheduler = Scheduler(clock, [RateGroup("adcs", 100, [lambda now: clock.advance(0.0025)])])
    scheduler.run(frames=100)
    assert scheduler.cpu_load() == pytest.approx(0.25, rel=0.02)


def test_stop_ends_run() -> None:
    clock = SimulatedClock()
    holder: list[Scheduler] = []

    def stopper(now: float) -> None:
        if holder[0].frames_run == 7:
            holder[0].stop()

    scheduler = Scheduler(clock, [RateGroup("adcs", 100, [stopper])])
    holder.append(scheduler)
    scheduler.run()
    assert scheduler.frames_run == 8
