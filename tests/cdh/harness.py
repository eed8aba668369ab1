"""Test helpers: an executive with its standard services in simulated time."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from flightsw.ccsds.pus import PusTc, PusTm
from flightsw.cdh.executive import Executive
from flightsw.cdh.scheduler import SimulatedClock
from flightsw.cdh.services import standard_services
from flightsw.cdh.services.s01_verification import VerificationReport, decode_report
from flightsw.dictionary import Dictionary
from flightsw.profile import DEFAULT_PROFILE

TAI_START = 2_100_000_000.0  # an on-board time in 2024, TAI seconds since 1958

_command_sequence = itertools.count(1)


def command_packet(dictionary: Dictionary, name: str, values: dict[str, Any] | None = None,
                   ack: int = 0b1111) -> bytes:
    """The encoded TC of the dictionary's command ``name`` (sequence counts wrap at 14 bits)."""
    command = dictionary.command_by_name[name]
    return PusTc(command.apid, next(_command_sequence) % 16384, ack, command.service, command.subtype,
                 app_data=command.encode(values or {})).encode()


class Harness:
    """An executive with the standard services in simulated time, and helpers to talk to it."""

    def __init__(self, dictionary: Dictionary, state_dir: Path, simulation: bool = False) -> None:
        self.dictionary = dictionary
        self.state_dir = state_dir
        self.clock = SimulatedClock()
        self.executive = Executive(DEFAULT_PROFILE, dictionary, clock=self.clock, state_dir=state_dir,
                                   simulation=simulation, tai_at_start=TAI_START)
        self.services = standard_services()
        for service in self.services:
            self.executive.register(service)
        self.sent: list[PusTm] = []
        self._sequence = 0

    def boot(self) -> Harness:
        self.executive.boot()
        self.collect()
        return self

    def tc(self, service: int, subtype: int, app_data: bytes = b"", *, apid: int = DEFAULT_PROFILE.apids.cdh,
           ack: int = 0b1111) -> PusTc:
        self._sequence += 1
        return PusTc(apid, self._sequence, ack, service, subtype, app_data=app_data)

    def command(self, name: str, values: dict[str, object] | None = None, ack: int = 0b1111) -> PusTc:
        command = self.dictionary.command_by_name[name]
        return self.tc(command.service, command.subtype, command.encode(values or {}), apid=command.apid,
                       ack=ack)

    def send(self, tc: PusTc | bytes) -> list[PusTm]:
        self.executive.handle_packet(tc.encode() if isinstance(tc, PusTc) else tc)
        return self.collect()

    def collect(self) -> list[PusTm]:
        new = [PusTm.decode(packet) for packet, _ in self.executive.take_outbox()]
        self.sent.extend(new)
        return new

    def run(self, seconds: float, step: float = 0.1) -> list[PusTm]:
        """Advance simulated time, ticking the services at the control rate."""
        out: list[PusTm] = []
        for _ in range(round(seconds / step)):
            self.clock.advance(step)
            self.executive.tick(self.clock.now)
            out += self.collect()
        return out


def reports(tms: list[PusTm]) -> list[VerificationReport]:
    return [decode_report(tm.subtype, tm.source_data) for tm in tms if tm.service == 1]


def events(tms: list[PusTm], dictionary: Dictionary) -> list[tuple[str, dict[str, object]]]:
    out = []
    for tm in tms:
        if tm.service == 5:
            event = dictionary.event_by_id[int.from_bytes(tm.source_data[:2], "big")]
            out.append((event.name, event.decode(tm.source_data[2:])))
    return out
