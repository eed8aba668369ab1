"""ST[01] request verification: the layout of the reports TM[1,1] .. TM[1,8] (ECSS-E-ST-70-41C §6.1).

Every report starts with the request id of the telecommand: its first four octets (packet version, type,
secondary header flag, APID, sequence flags and count; §5.4.11). Progress reports (TM[1,5], TM[1,6]) then
carry the step id. Failure reports (TM[1,2], TM[1,4], TM[1,6], TM[1,8]) end with the failure notice: the
code of :class:`flightsw.cdh.service.FailureCode` and a short ASCII detail. The executive sends the reports
(:mod:`flightsw.cdh.executive`); ground and rig decode them with :func:`decode_report`.
"""

from __future__ import annotations

from dataclasses import dataclass

from flightsw.ccsds.appdata import Field, OctetString, Record, UInt, VarOctetString
from flightsw.cdh.service import FailureCode
from flightsw.errors import DecodeError

SUCCESS_SUBTYPES = (1, 3, 5, 7)  # acceptance, start, progress, completion
FAILURE_SUBTYPES = (2, 4, 6, 8)
PROGRESS_SUBTYPES = (5, 6)
MAX_DETAIL_OCTETS = 120

_REQUEST_ID = Field("request_id", OctetString(4))
_STEP = Field("step", UInt(8))
_NOTICE = [Field("failure_code", UInt(16)), Field("detail", VarOctetString(8, MAX_DETAIL_OCTETS))]

LAYOUTS: dict[int, Record] = {
    1: Record([_REQUEST_ID]),
    3: Record([_REQUEST_ID]),
    5: Record([_REQUEST_ID, _STEP]),
    7: Record([_REQUEST_ID]),
    2: Record([_REQUEST_ID, *_NOTICE]),
    4: Record([_REQUEST_ID, *_NOTICE]),
    6: Record([_REQUEST_ID, _STEP, *_NOTICE]),
    8: Record([_REQUEST_ID, *_NOTICE]),
}


def _detail_octets(detail: str) -> bytes:
    return detail.encode("ascii", "replace")[:MAX_DETAIL_OCTETS]


def encode_success(request_id: bytes, step: int | None = None) -> bytes:
    """Source data of TM[1,1], TM[1,3], TM[1,7], or of TM[1,5] when ``step`` is given."""
    return request_id + (b"" if step is None else bytes([step]))


def encode_failure(request_id: bytes, code: FailureCode, detail: str = "", step: int | None = None) -> bytes:
    """Source data of TM[1,2], TM[1,4], TM[1,8], or of TM[1,6] when ``step`` is given."""
    subtype = 2 if step is None else 6
    values: dict[str, object] = {"request_id": request_id, "failure_code": int(code),
                                 "detail": _detail_octets(detail)}
    if step is not None:
        values["step"] = step
    return LAYOUTS[subtype].encode(values)


@dataclass(frozen=True)
class VerificationReport:
    subtype: int
    apid: int  # of the verified telecommand
    sequence_count: int
    step: int | None = None
    failure_code: FailureCode | int | None = None
    detail: str = ""

    @property
    def success(self) -> bool:
        return self.subtype in SUCCESS_SUBTYPES

    @property
    def stage(self) -> str:
        return {1: "acceptance", 2: "acceptance", 3: "start", 4: "start", 5: "progress", 6: "progress",
                7: "completion", 8: "completion"}[self.subtype]


def decode_report(subtype: int, source_data: bytes) -> VerificationReport:
    """Decode the source data of a TM[1,subtype]."""
    layout = LAYOUTS.get(subtype)
    if layout is None:
        raise DecodeError("unknown_subtype", f"TM[1,{subtype}] is not a verification report")
    values = layout.decode(source_data)
    request_id: bytes = values["request_id"]
    code = values.get("failure_code")
    failure: FailureCode | int | None = None
    if code is not None:
        failure = FailureCode(code) if code in FailureCode._value2member_map_ else code
    return VerificationReport(
        subtype=subtype,
        apid=int.from_bytes(request_id[:2], "big") & 0x07FF,
        sequence_count=int.from_bytes(request_id[2:4], "big") & 0x3FFF,
        step=values.get("step"),
        failure_code=failure,
        detail=values.get("detail", b"").decode("ascii", "replace"),
    )
