"""ST[03] housekeeping: periodic and one-shot reports TM[3,25] of the dictionary's report structures.

Each structure has an enabled flag and a collection interval, initially those of the dictionary. Reports are
due on a grid computed from the time the structure was (re)enabled or its interval changed, so a period does
not drift by the executive's tick. TC[3,5]/[3,6] enable/disable periodic generation, TC[3,27] reports once,
TC[3,31] changes intervals (not below the ``hk_min_period`` flight parameter). A request naming an unknown
structure fails as a whole and changes nothing.

A parameter that no on-board function has published yet has no valid value: it is reported as NaN when it
is a real number (the ground sees "not valid"), else as zero (the first code of an enumeration, false, an
epoch time, zero octets), so the report keeps its layout.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from flightsw.ccsds.timecode import Cuc, CucFormat
from flightsw.cdh.bounds import argument_type, within_bounds
from flightsw.cdh.service import FailureCode, Request, Service, ServiceContext, ServiceFailure
from flightsw.dictionary import HousekeepingStructure
from flightsw.dictionary.model import HOUSEKEEPING_ID_TYPE, TelemetryParameter
from flightsw.errors import EncodeError

log = logging.getLogger(__name__)


def not_valid_value(parameter: TelemetryParameter, cuc_format: CucFormat) -> Any:
    """What a report carries for a parameter without a valid value yet (see the module docstring)."""
    kind = parameter.type.kind
    if parameter.enumeration is not None:
        return parameter.enumeration.values[0].value
    if kind == "float":
        return math.nan
    if kind == "bool":
        return False
    if kind == "cuc":
        return Cuc(0, 0, cuc_format)
    if kind == "octets":
        return bytes(parameter.type.bits // 8)
    if kind == "varoctets":
        return b""
    return 0


@dataclass
class _Schedule:
    structure: HousekeepingStructure
    enabled: bool
    period_s: float
    origin: float = 0.0  # monotonic time the grid starts from
    reports: int = 0  # periodic reports generated since ``origin``


class Housekeeping(Service):
    service_type = 3

    def attach(self, context: ServiceContext) -> None:
        super().attach(context)
        self._format = CucFormat.from_profile(context.profile)
        now = self.ctx.monotonic()
        self.schedules = {s.id: _Schedule(s, s.enabled, s.period_s, now)
                          for s in self.ctx.dictionary.housekeeping}
        self.reports_sent = 0
        self.encode_errors = 0

    def _structures(self, request: Request) -> list[_Schedule]:
        ids = [item["structure_id"] for item in request.arguments["structures"]]
        unknown = [i for i in ids if i not in self.schedules]
        if unknown:
            raise ServiceFailure(FailureCode.UNKNOWN_ID, f"no housekeeping structure {unknown[0]}")
        return [self.schedules[i] for i in ids]

    def handle(self, request: Request) -> None:
        subtype = request.tc.subtype
        now = self.ctx.monotonic()
        if subtype in (5, 6):
            for schedule in self._structures(request):
                schedule.enabled = subtype == 5
                schedule.origin, schedule.reports = now, 0
        elif subtype == 27:
            for schedule in self._structures(request):
                self.report(schedule.structure)
        elif subtype == 31:
            minimum = float(self.ctx.get_parameter("hk_min_period"))
            period_type = argument_type(request.command, "structures", "period")
            changes = [(self._structures_of(item["structure_id"]), float(item["period"]))
                       for item in request.arguments["structures"]]
            for _, period in changes:
                # The period travels in its wire type: 0.01 arrives as 0.0099999998, which is still 0.01.
                if not within_bounds(period, period_type, low=minimum):
                    raise ServiceFailure(FailureCode.INVALID_VALUE,
                                         f"period {period} s below hk_min_period {minimum} s")
            for schedule, period in changes:
                schedule.period_s = period
                schedule.origin, schedule.reports = now, 0
        else:
            super().handle(request)

    def _structures_of(self, structure_id: int) -> _Schedule:
        schedule = self.schedules.get(structure_id)
        if schedule is None:
            raise ServiceFailure(FailureCode.UNKNOWN_ID, f"no housekeeping structure {structure_id}")
        return schedule

    def report(self, structure: HousekeepingStructure) -> None:
        """Send one TM[3,25] of ``structure`` with the current parameter values."""
        self.ctx.refresh_telemetry()
        values = {}
        for parameter in structure.parameters:
            value = self.ctx.get_parameter(parameter.name)
            values[parameter.name] = value if value is not None else not_valid_value(parameter, self._format)
        try:
            data = structure.record.encode(values)
        except EncodeError as exc:
            self.encode_errors += 1
            log.error("housekeeping structure %s not reported: %s", structure.name, exc)
            return
        self.ctx.emit_tm(3, 25, structure.id.to_bytes(HOUSEKEEPING_ID_TYPE.bits // 8, "big") + data)
        self.reports_sent += 1

    def tick(self, now: float) -> None:
        for schedule in self.schedules.values():
            if not schedule.enabled:
                continue
            due = schedule.origin + (schedule.reports + 1) * schedule.period_s
            if now + 1e-9 < due:
                continue
            self.report(schedule.structure)
            # Late by several periods (link down, overload): report once and rejoin the grid.
            schedule.reports = max(schedule.reports + 1,
                                   math.floor((now - schedule.origin) / schedule.period_s + 1e-9))
