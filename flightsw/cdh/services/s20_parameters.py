"""ST[20] on-board parameter management: TC[20,1] reports parameter values (TM[20,2]), TC[20,3] sets flight
parameters (ECSS-E-ST-70-41C §6.20).

Values travel as binary64, as TC[20,3] carries them: TM[20,2] is a count (uint8) then, per parameter, its id
(uint16) and value (float64); booleans are 0 or 1, enumerations their code, a CUC time its TAI seconds.
Telemetry parameters can be reported, only flight parameters set. TC[20,3] checks every value (type, bounds,
enumeration) before it sets any, so a request either applies whole or fails whole; set values are persisted.
Telemetry that no on-board function has published yet is reported as NaN (not valid).
"""

from __future__ import annotations

import math
from typing import Any

from flightsw.ccsds.appdata import Field, Real, Record, Repeated, UInt
from flightsw.ccsds.timecode import Cuc
from flightsw.cdh.service import FailureCode, Request, Service, ServiceFailure
from flightsw.errors import EncodeError

REPORT_LAYOUT = Record([Field("parameters", Repeated(UInt(8), (Field("parameter_id", UInt(16)),
                                                                Field("value", Real(64)))))])


def wire_value(value: Any) -> float:
    """A parameter value as TM[20,2] carries it; NaN for telemetry not yet valid (never published)."""
    if value is None:
        return math.nan
    if isinstance(value, Cuc):
        return float(value.seconds)
    return float(value)


class ParameterManagement(Service):
    service_type = 20

    def handle(self, request: Request) -> None:
        subtype = request.tc.subtype
        ids = [item["parameter_id"] for item in request.arguments["parameters"]]
        dictionary = self.ctx.dictionary
        if subtype == 1:
            report = []
            for parameter_id in ids:
                try:
                    value = self.ctx.get_parameter(parameter_id)
                except KeyError:
                    raise ServiceFailure(FailureCode.UNKNOWN_ID,
                                         f"no parameter {parameter_id:#06x}") from None
                report.append({"parameter_id": parameter_id, "value": wire_value(value)})
            self.ctx.emit_tm(20, 2, REPORT_LAYOUT.encode({"parameters": report}))
        elif subtype == 3:
            typed: list[tuple[int, Any]] = []
            for item in request.arguments["parameters"]:
                parameter = dictionary.flight_parameter_by_id.get(item["parameter_id"])
                if parameter is None:
                    raise ServiceFailure(FailureCode.UNKNOWN_ID,
                                         f"no flight parameter {item['parameter_id']:#06x}")
                try:
                    typed.append((parameter.id, parameter.from_wire(item["value"])))
                except EncodeError as exc:
                    raise ServiceFailure(FailureCode.INVALID_VALUE, exc.detail) from None
            for parameter_id, value in typed:
                self.ctx.set_flight_parameter(parameter_id, value)
        else:
            super().handle(request)
