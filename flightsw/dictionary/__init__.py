"""The mission dictionary: telecommands, telemetry parameters, housekeeping structures, events and flight
parameters, written once as TOML (``mission.toml``) and loaded, validated and turned into C and Markdown here.

    from flightsw.dictionary import load_dictionary
    dictionary = load_dictionary()
    command = dictionary.command_by_name["set_mode"]
    app_data = command.encode({"mode": "safe"})
"""

from flightsw.dictionary.loader import (
    MISSION_DICTIONARY,
    dictionary_from_dict,
    dictionary_from_toml,
    load_dictionary,
)
from flightsw.dictionary.model import (
    Argument,
    DataType,
    Dictionary,
    Enumeration,
    EnumValue,
    Event,
    FlightParameter,
    HousekeepingStructure,
    Limits,
    Severity,
    Telecommand,
    TelemetryParameter,
)

__all__ = [
    "MISSION_DICTIONARY",
    "Argument",
    "DataType",
    "Dictionary",
    "EnumValue",
    "Enumeration",
    "Event",
    "FlightParameter",
    "HousekeepingStructure",
    "Limits",
    "Severity",
    "Telecommand",
    "TelemetryParameter",
    "dictionary_from_dict",
    "dictionary_from_toml",
    "load_dictionary",
]
