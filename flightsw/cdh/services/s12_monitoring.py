"""ST[12] on-board monitoring (ECSS-E-ST-70-41C §6.12): limit checks of telemetry parameters.

Every telemetry parameter of the mission dictionary that declares limits gets a parameter monitoring
definition (identified by the parameter id), enabled, with those limits and :data:`DEFAULT_REPETITION`. Each
definition is checked once per monitoring interval (:data:`DEFAULT_INTERVAL_S`) at the control tick while the
monitoring function is enabled.

Checking status of a definition: ``unchecked``, ``invalid`` (no numeric value), ``within_limits`` or the limit
crossed: ``hard_low`` / ``soft_low`` below a low limit, ``soft_high`` / ``hard_high`` above a high limit (the
most severe one wins; the dictionary's soft limits warn and hard limits act). The status changes only once the
same new result came out of ``repetition`` successive checks (the repetition number of the standard's limit
check), which filters single noisy samples. The changes of one check cycle go into one TM[12,12] check
transition report, and a change to a crossed limit raises the ``monitoring_out_of_limits`` event (ST[5]), to
which an ST[19] event-action or an on-board function may respond.

A limit may belong to a flight parameter of the dictionary (:data:`LIMIT_PARAMETERS`): the hard high limit of
``adcs_attitude_error`` is ``mon_attitude_error_high``, the attitude error above which FDIR stops a slew.
The definition takes the parameter's value at start and whenever ST[20] changes it (the definition then
restarts ``unchecked``, as after TC[12,7]); a TC[12,7] that changes such a limit sets the flight parameter
too (within its bounds, persisted), so the two never disagree. A soft limit beyond the hard one it comes to
lie behind is pulled back to it.

Sub-services (the mission dictionary defines their application data):

- TC[12,1] / TC[12,2] enable / disable parameter monitoring definitions; either resets the definition to
  ``unchecked`` with its repetition counter cleared;
- TC[12,7] modify parameter monitoring definitions: new limits, checked for the order
  ``hard_low <= soft_low < soft_high <= hard_high`` (and a limit owned by a flight parameter against that
  parameter's bounds); the definition restarts ``unchecked``;
- TC[12,15] / TC[12,16] enable / disable the parameter monitoring function.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from flightsw.ccsds.appdata import AbsoluteTime, Enumerated, Field, Real, Record, Repeated, UInt
from flightsw.ccsds.timecode import Cuc, CucFormat
from flightsw.cdh.service import FailureCode, Request, Service, ServiceContext, ServiceFailure
from flightsw.dictionary import Limits

log = logging.getLogger(__name__)

DEFAULT_REPETITION = 3  # successive identical results before a status changes
DEFAULT_INTERVAL_S = 1.0  # the housekeeping rate: monitoring sees every value the ground sees
OUT_OF_LIMITS_EVENT = "monitoring_out_of_limits"
CHECK_TRANSITION_REPORT = 12  # TM[12,12]
# Flight parameters that own a limit of a monitoring definition: parameter -> (monitored parameter, limit).
LIMIT_PARAMETERS: Mapping[str, tuple[str, str]] = {
    "mon_attitude_error_high": ("adcs_attitude_error", "hard_high"),
}


class CheckingStatus(IntEnum):
    """Checking status of a limit check. Codes 0..3 are those of the dictionary's ``limit_crossed``
    enumeration (a status names the limit crossed); the others are the statuses without a crossing."""

    HARD_LOW = 0
    SOFT_LOW = 1
    SOFT_HIGH = 2
    HARD_HIGH = 3
    WITHIN_LIMITS = 16
    UNCHECKED = 17
    INVALID = 18

    @property
    def crossed(self) -> bool:
        return self <= CheckingStatus.HARD_HIGH


# TM[12,12]: N x (parameter id, value checked, previous status, current status, transition time).
TRANSITION_RECORD = Record([Field("transitions", Repeated(UInt(8), (
    Field("parameter_id", UInt(16)),
    Field("value", Real(64)),
    Field("previous_status", Enumerated(8, CheckingStatus)),
    Field("current_status", Enumerated(8, CheckingStatus)),
    Field("transition_time", AbsoluteTime()),
)))])


@dataclass
class MonitoringDefinition:
    parameter_id: int
    name: str
    limits: Limits
    repetition: int = DEFAULT_REPETITION
    interval_s: float = DEFAULT_INTERVAL_S
    enabled: bool = True
    status: CheckingStatus = CheckingStatus.UNCHECKED
    candidate: CheckingStatus | None = None
    candidate_count: int = 0
    next_check: float = field(default=-math.inf)

    def reset(self) -> None:
        self.status = CheckingStatus.UNCHECKED
        self.candidate = None
        self.candidate_count = 0
        self.next_check = -math.inf

    def check(self, value: Any) -> tuple[CheckingStatus, float] | None:
        """Check one sample; the previous status and the value when the status changed, else None."""
        result, number = _evaluate(self.limits, value)
        if result == self.status:
            self.candidate, self.candidate_count = None, 0
            return None
        if result == self.candidate:
            self.candidate_count += 1
        else:
            self.candidate, self.candidate_count = result, 1
        if self.candidate_count < self.repetition:
            return None
        previous = self.status
        self.status, self.candidate, self.candidate_count = result, None, 0
        return previous, number


def _evaluate(limits: Limits, value: Any) -> tuple[CheckingStatus, float]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return CheckingStatus.INVALID, math.nan
    number = float(value)
    crossed = limits.crossed(number)
    return (CheckingStatus[crossed.upper()] if crossed else CheckingStatus.WITHIN_LIMITS), number


def _with_limit(limits: Limits, which: str, value: float) -> Limits:
    """``limits`` with one limit set; a soft limit left beyond its new hard limit is pulled back to it."""
    changed = dataclasses.replace(limits, **{which: value})
    if which == "hard_high" and changed.soft_high is not None and changed.soft_high > value:
        changed = dataclasses.replace(changed, soft_high=value)
    elif which == "hard_low" and changed.soft_low is not None and changed.soft_low < value:
        changed = dataclasses.replace(changed, soft_low=value)
    return changed


def _check_order(hard_low: float, soft_low: float, soft_high: float, hard_high: float) -> str | None:
    """Why new limits are not usable, or None (NaN and infinities are refused: a check must be decidable)."""
    if not all(math.isfinite(value) for value in (hard_low, soft_low, soft_high, hard_high)):
        return "limits must be finite"
    if not hard_low <= soft_low < soft_high <= hard_high:
        return "need hard_low <= soft_low < soft_high <= hard_high"
    return None


class OnboardMonitoring(Service):
    """Parameter monitoring of the C&DH."""

    service_type = 12
    apid_roles = ("cdh",)

    def __init__(self, repetition: int = DEFAULT_REPETITION, interval_s: float = DEFAULT_INTERVAL_S,
                 monitored: Iterable[str] | None = None,
                 limit_parameters: Mapping[str, tuple[str, str]] = LIMIT_PARAMETERS) -> None:
        """``monitored`` names the parameters to define checks for (default: every parameter with limits);
        a parameter that no on-board function publishes would only ever be checked at its initial value.
        ``limit_parameters``: flight parameters owning a limit (see the module docstring)."""
        if repetition < 1 or interval_s <= 0:
            raise ValueError("repetition must be at least 1 and the interval positive")
        self.repetition = repetition
        self.interval_s = interval_s
        self.monitored = None if monitored is None else frozenset(monitored)
        self.function_enabled = True
        self.definitions: dict[int, MonitoringDefinition] = {}
        self.limit_parameters = dict(limit_parameters)
        # Monitored parameter id and limit name -> owning flight parameter, and the value last applied.
        self._owners: dict[tuple[int, str], str] = {}
        self._applied: dict[str, float] = {}

    def attach(self, context: ServiceContext) -> None:
        super().attach(context)
        self._format = CucFormat.from_profile(context.profile)
        for parameter in context.dictionary.parameters:
            wanted = self.monitored is None or parameter.name in self.monitored
            if wanted and parameter.limits is not None and parameter.type.is_numeric:
                self.definitions[parameter.id] = MonitoringDefinition(
                    parameter.id, parameter.name, parameter.limits, self.repetition, self.interval_s)
        for owner, (monitored_name, which) in self.limit_parameters.items():
            if owner not in context.dictionary.flight_parameter_by_name:
                raise ValueError(f"limit owner {owner} is no flight parameter of the dictionary")
            monitored_parameter = context.dictionary.parameter_by_name[monitored_name]
            if monitored_parameter.id in self.definitions:
                self._owners[(monitored_parameter.id, which)] = owner
        self._follow_limit_parameters()

    def _follow_limit_parameters(self) -> None:
        """Apply the flight parameters owning a limit that changed since they were last applied."""
        for (parameter_id, which), owner in self._owners.items():
            value = float(self.ctx.get_parameter(owner))
            if self._applied.get(owner) == value:
                continue
            self._applied[owner] = value
            definition = self.definitions[parameter_id]
            definition.limits = _with_limit(definition.limits, which, value)
            definition.reset()
            log.info("monitoring of %s: %s = %g from %s", definition.name, which, value, owner)

    # -- requests -------------------------------------------------------------------------------------------

    def handle(self, request: Request) -> None:
        subtype = request.tc.subtype
        if subtype in (1, 2):
            chosen = self._lookup([entry["parameter_id"] for entry in request.arguments["definitions"]])
            for definition in chosen:
                definition.enabled = subtype == 1
                definition.reset()
        elif subtype == 7:
            self._modify(request.arguments["definitions"])
        elif subtype in (15, 16):
            self.function_enabled = subtype == 15
            if not self.function_enabled:
                for definition in self.definitions.values():
                    definition.reset()
        else:
            super().handle(request)

    def _lookup(self, parameter_ids: Sequence[int]) -> list[MonitoringDefinition]:
        chosen = []
        for parameter_id in parameter_ids:
            definition = self.definitions.get(int(parameter_id))
            if definition is None:
                raise ServiceFailure(FailureCode.UNKNOWN_ID,
                                     f"no monitoring definition for parameter {int(parameter_id):#06x}")
            chosen.append(definition)
        return chosen

    def _modify(self, entries: Sequence[dict[str, Any]]) -> None:
        """TC[12,7]: every entry is checked before any definition changes."""
        chosen = self._lookup([entry["parameter_id"] for entry in entries])
        new_limits = []
        owned: dict[str, float] = {}
        for definition, entry in zip(chosen, entries, strict=True):
            limits = Limits(soft_low=entry["soft_low"], soft_high=entry["soft_high"],
                            hard_low=entry["hard_low"], hard_high=entry["hard_high"])
            why = _check_order(entry["hard_low"], entry["soft_low"], entry["soft_high"], entry["hard_high"])
            if why is not None:
                raise ServiceFailure(FailureCode.INVALID_VALUE, f"{definition.name}: {why}")
            for which in ("hard_low", "soft_low", "soft_high", "hard_high"):
                owner = self._owners.get((definition.parameter_id, which))
                if owner is None:
                    continue
                flight_parameter = self.ctx.dictionary.flight_parameter_by_name[owner]
                if not flight_parameter.accepts(float(entry[which])):
                    bounds = f"[{flight_parameter.minimum}, {flight_parameter.maximum}]"
                    raise ServiceFailure(FailureCode.INVALID_VALUE, f"{definition.name}: {which} "
                                         f"{entry[which]!r} outside the bounds of {owner} {bounds}")
                owned[owner] = float(entry[which])
            new_limits.append(limits)
        for owner, value in owned.items():
            self.ctx.set_flight_parameter(owner, value)
            self._applied[owner] = value
        for definition, limits in zip(chosen, new_limits, strict=True):
            definition.limits = limits
            definition.reset()

    # -- checking -------------------------------------------------------------------------------------------

    def tick(self, now: float) -> None:
        self._follow_limit_parameters()
        if not self.function_enabled:
            return
        transitions: list[dict[str, Any]] = []
        events: list[tuple[int, float, CheckingStatus]] = []
        for definition in self.definitions.values():
            if not definition.enabled or now < definition.next_check:
                continue
            # Next check one interval after this one's due time (no drift), or after now when the executive
            # paused longer than an interval (no burst of catch-up checks).
            following = definition.next_check + definition.interval_s
            definition.next_check = following if following > now else now + definition.interval_s
            try:
                value = self.ctx.get_parameter(definition.parameter_id)
            except KeyError:
                value = None
            change = definition.check(value)
            if change is None:
                continue
            previous, number = change
            current = definition.status
            if previous is CheckingStatus.UNCHECKED and current is CheckingStatus.WITHIN_LIMITS:
                continue  # the first good check is no news
            transitions.append({"parameter_id": definition.parameter_id, "value": number,
                                "previous_status": previous, "current_status": current,
                                "transition_time": self._now_cuc()})
            if current.crossed:
                events.append((definition.parameter_id, number, current))
        if transitions:
            self.ctx.emit_tm(self.service_type, CHECK_TRANSITION_REPORT,
                             TRANSITION_RECORD.encode({"transitions": transitions}))
        for parameter_id, number, status in events:
            self.ctx.raise_event(OUT_OF_LIMITS_EVENT, {"parameter_id": parameter_id, "value": number,
                                                      "limit": status.name.lower()})

    def _now_cuc(self) -> Cuc:
        return Cuc.from_seconds(max(0.0, self.ctx.onboard_time()), self._format)
