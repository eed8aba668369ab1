"""The rig between the suite and a target: an impairment proxy on the link, the ground session on the far
side of it, an injector that feeds truth-simulated sensor samples in real time, and measurement files the
report reads.

    target transport ⇄ UplinkTap ⇄ ImpairmentProxy ⇄ pty pair ⇄ Session (ground)

The proxy is clean unless a test asks for impairment; the tap keeps the octets sent to the target so a
test can replay a recorded CLTU.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from flightsw.ground.session import Session
from flightsw.link import Impairment, ImpairmentConfig, ImpairmentProxy, PtyPair, Transport
from flightsw.sim.scenarios import Scenario
from hil.targets import Target

SESSION_OPEN_TIMEOUT_S = 10.0
TAP_KEEP_OCTETS = 256 * 1024


class UplinkTap:
    """The target's transport, keeping a copy of the last octets written to it (the uplink)."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.uplink = bytearray()
        self._lock = threading.Lock()

    def read(self, max_octets: int, timeout: float) -> bytes:
        return self.transport.read(max_octets, timeout)

    def write(self, data: bytes) -> int:
        with self._lock:
            self.uplink += data
            del self.uplink[:-TAP_KEEP_OCTETS]
        return self.transport.write(data)

    def write_raw(self, data: bytes) -> int:
        """Octets straight to the target, bypassing the proxy (a replayed or forged unit)."""
        return self.transport.write(data)

    def recorded(self) -> bytes:
        with self._lock:
            return bytes(self.uplink)


@dataclass
class InjectionLog:
    """When each sample left the rig: index into the scenario and monotonic send time."""

    indices: list[int] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)

    def last_sent_before(self, at: float) -> int | None:
        """Index of the last sample sent at or before ``at`` (monotonic), None if none was."""
        position = int(np.searchsorted(np.asarray(self.sent_at), at, side="right")) - 1
        return self.indices[position] if position >= 0 else None


class Injector:
    """Feeds ``scenario`` samples from ``start`` to the target in real time, on a thread; ``pause`` stops the
    stream (a sensor dropout) and ``resume`` carries on from where it was."""

    def __init__(self, session: Session, target: Target, scenario: Scenario, *, start: int = 0,
                 period_s: float = 0.05) -> None:
        self.session = session
        self.target = target
        self.scenario = scenario
        self.index = start
        self.period_s = period_s
        self.log = InjectionLog()
        self.errors: list[BaseException] = []
        self._running = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hil-injector", daemon=True)

    @property
    def finished(self) -> bool:
        return self.index >= self.scenario.n_samples

    def start(self) -> Injector:
        self._running.set()
        self._thread.start()
        return self

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()
        self._thread.join(timeout=5.0)

    def __enter__(self) -> Injector:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_finished(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.finished and time.monotonic() < deadline and not self.errors:
            time.sleep(0.05)
        return self.finished

    def _run(self) -> None:
        s = self.scenario
        rate = self.target.sample_rate_hz
        simulation_vc = self.session.profile.tc.vc_simulation
        started = time.monotonic()
        owed = 0.0  # samples due but not yet sent, fractional
        try:
            while not self._stop.is_set() and not self.finished:
                if not self._running.wait(0.1):
                    started = time.monotonic()
                    owed = 0.0
                    continue
                now = time.monotonic()
                owed += (now - started) * rate
                started = now
                count = min(int(owed), s.n_samples - self.index)
                if count > 0:
                    owed -= count
                    stop = self.index + count
                    packets = self.target.injection_packets(s.gyr[self.index:stop], s.acc[self.index:stop],
                                                            s.mag[self.index:stop])
                    # Sensor samples are a stream: Type-BD on the simulation VC, outside COP-1 and
                    # without verification.
                    for packet in packets:
                        self.session.send_raw(packet, vcid=simulation_vc)
                    sent = time.monotonic()
                    self.log.indices.extend(range(self.index, stop))
                    self.log.sent_at.extend([sent] * count)
                    self.index = stop
                time.sleep(self.period_s)
        except BaseException as exc:  # reported by the test that owns the injector
            self.errors.append(exc)


class Rig:
    """One target's link as the suite sees it; :meth:`session` opens a ground session through the proxy.
    Its receive times (``received_at``, ``since``) are ``time.monotonic()`` seconds."""

    def __init__(self, target: Target, transport: Transport, workdir: Path, out_dir: Path) -> None:
        self.target = target
        self.tap = UplinkTap(transport)
        self.workdir = workdir
        self.out_dir = out_dir
        self.proxy: ImpairmentProxy | None = None
        self._sessions = 0

    def reset(self) -> None:
        """Restart the target: a fresh process or emulator, state directory kept."""
        self.tap = UplinkTap(self.target.restart(self.workdir))

    @contextlib.contextmanager
    def session(self, *, uplink: ImpairmentConfig | None = None, downlink: ImpairmentConfig | None = None,
                seed: int = 0, sdls_keys: Path | None = None) -> Iterator[Session]:
        """A ground session through the proxy, with the given impairment per direction (clean by default)."""
        self._sessions += 1
        pair = PtyPair(self.workdir / f"ground-link-{self._sessions}")
        up = Impairment(uplink or ImpairmentConfig(), seed=seed)
        down = Impairment(downlink or ImpairmentConfig(), seed=seed + 1)
        proxy = ImpairmentProxy(self.tap, pair.master(), down, up)
        proxy.start()
        self.proxy = proxy
        try:
            opened = Session.open(pair.path, sdls_keys=sdls_keys, wait_initiated=SESSION_OPEN_TIMEOUT_S,
                                  profile=self.target.profile, clock=time.monotonic)
            with opened:
                yield opened
        finally:
            proxy.stop()
            pair.close()
            self.proxy = None

    @property
    def impairment_counters(self) -> dict[str, dict[str, int]]:
        if self.proxy is None:
            return {}
        return {"uplink": vars(self.proxy.b_to_a.counters).copy(),
                "downlink": vars(self.proxy.a_to_b.counters).copy()}

    def record(self, test: str, kind: str, data: dict[str, Any]) -> Path:
        """A measurement for the report: ``kind`` is attitude, latency or link."""
        folder = self.out_dir / "data"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{test}.{kind}.json"
        path.write_text(json.dumps({"test": test, "kind": kind, "target": self.target.name, **data},
                                   default=float), encoding="utf-8")
        return path
