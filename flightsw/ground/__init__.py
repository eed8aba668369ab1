"""The ground segment: the scripting session (:class:`Session`), the operator console, the archive and
SDLS key files. See :mod:`flightsw.ground.session` for the API procedures and the HIL suite use."""

from flightsw.ground.commands import ArgumentError
from flightsw.ground.session import (
    CommandHandle,
    CommandStatus,
    LinkStatus,
    Session,
    StageReport,
    TelemetryAssertion,
    VerificationFailed,
)
from flightsw.ground.telemetry import EventRecord, ParameterSample

__all__ = [
    "ArgumentError",
    "CommandHandle",
    "CommandStatus",
    "EventRecord",
    "LinkStatus",
    "ParameterSample",
    "Session",
    "StageReport",
    "TelemetryAssertion",
    "VerificationFailed",
]
