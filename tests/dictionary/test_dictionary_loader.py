"""The mission dictionary loads, covers the services of the executive, and every validation rule refuses a
crafted bad dictionary with one ConfigError naming the file, the entry and the problem."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from flightsw.dictionary import MISSION_DICTIONARY, load_dictionary
from flightsw.dictionary.generate import c_header
from flightsw.dictionary.model import Severity
from flightsw.errors import ConfigError
from flightsw.profile import DEFAULT_PROFILE, Apids, LinkProfile

# A small valid dictionary; each case below appends to it or edits it.
BASE = """
[dictionary]
version = 1

[[enumeration]]
name = "mode"
type = "enum8"
value = [{ name = "safe", value = 0 }, { name = "nominal", value = 1 }]

[[parameter]]
id = 0x0101
name = "cdh_mode"
type = "enum8"
enum = "mode"

[[parameter]]
id = 0x0102
name = "cpu_load"
type = "float32"
limits = { soft_high = 0.8, hard_high = 0.95 }

[[flight_parameter]]
id = 0x0801
name = "gain"
type = "float32"
default = 0.5
min = 0.0
max = 1.0

[[housekeeping]]
id = 1
name = "essential"
period_s = 1.0
enabled = true
parameters = ["cdh_mode", "cpu_load"]

[[event]]
id = 1
name = "mode_changed"
severity = "informative"

[[telecommand]]
name = "set_mode"
service = 8
subtype = 1
function_id = 1
apid = "cdh"
argument = [{ name = "mode", type = "enum8", enum = "mode" }]

[[telecommand]]
name = "are_you_alive"
service = 17
subtype = 1
apid = "cdh"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "crafted.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_base_of_the_crafted_dictionaries_is_valid(tmp_path: Path) -> None:
    d = load_dictionary(write(tmp_path, BASE))
    assert [p.name for p in d.parameters] == ["cdh_mode", "cpu_load"]
    assert d.housekeeping[0].parameters == d.parameters


# (text appended to BASE or (old, new) replacement, reason, entry named, problem named)
CASES = [
    pytest.param('\n[[parameter]]\nid = 0x0101\nname = "other"\ntype = "uint8"\n',
                 "duplicate_id", "parameter 'other'", "0x0101 already used by parameter 'cdh_mode'",
                 id="duplicate-parameter-id"),
    pytest.param('\n[[flight_parameter]]\nid = 0x0102\nname = "kd"\ntype = "uint8"\ndefault = 1\nmin = 0\n'
                 'max = 2\n', "duplicate_id", "flight_parameter 'kd'", "already used by parameter 'cpu_load'",
                 id="flight-parameter-id-shared-with-telemetry"),
    pytest.param('\n[[parameter]]\nid = 0x0199\nname = "cdh_mode"\ntype = "uint8"\n',
                 "duplicate_name", "parameter 'cdh_mode'", "already used", id="duplicate-parameter-name"),
    pytest.param('\n[[flight_parameter]]\nid = 0x0802\nname = "cpu_load"\ntype = "bool"\ndefault = true\n',
                 "duplicate_name", "flight_parameter 'cpu_load'", "already used by parameter 'cpu_load'",
                 id="flight-parameter-name-shared-with-telemetry"),
    pytest.param('\n[[event]]\nid = 1\nname = "other_event"\nseverity = "low"\n',
                 "duplicate_id", "event 'other_event'", "0x0001", id="duplicate-event-id"),
    pytest.param('\n[[housekeeping]]\nid = 1\nname = "second"\nperiod_s = 2.0\nenabled = false\n'
                 'parameters = ["cdh_mode"]\n', "duplicate_id", "housekeeping 'second'", "id 1",
                 id="duplicate-housekeeping-id"),
    pytest.param('\n[[telecommand]]\nname = "are_you_alive"\nservice = 17\nsubtype = 3\napid = "cdh"\n',
                 "duplicate_name", "telecommand 'are_you_alive'", "defined twice",
                 id="duplicate-command-name"),
    pytest.param('\n[[parameter]]\nid = 0x0103\nname = "odd"\ntype = "uint12"\n',
                 "unknown_type", "parameter 'odd'", "'uint12'", id="unknown-parameter-type"),
    pytest.param('\n[[telecommand]]\nname = "half"\nservice = 20\nsubtype = 3\napid = "cdh"\n'
                 'argument = [{ name = "value", type = "float16" }]\n',
                 "unknown_type", "telecommand 'half' argument 'value'", "'float16'",
                 id="unknown-argument-type"),
    pytest.param(("default = 0.5", "default = 1.5"), "default_out_of_bounds", "flight_parameter 'gain'",
                 "default 1.5 outside [0.0, 1.0]", id="default-outside-bounds"),
    pytest.param(("min = 0.0\nmax = 1.0", "min = 1.0\nmax = 0.0"), "bounds_not_ordered",
                 "flight_parameter 'gain'", "min 1.0 is above max 0.0", id="bounds-not-ordered"),
    pytest.param(("soft_high = 0.8, hard_high = 0.95", "soft_high = 0.95, hard_high = 0.8"),
                 "limits_not_ordered", "parameter 'cpu_load' limits",
                 "soft_high 0.95 must be below hard_high 0.8",
                 id="soft-limit-outside-hard"),
    pytest.param(("soft_high = 0.8, hard_high = 0.95", "soft_low = 0.8, soft_high = 0.8"),
                 "limits_not_ordered", "parameter 'cpu_load' limits", "soft_low 0.8 must be below soft_high",
                 id="empty-soft-band"),
    pytest.param(("soft_high = 0.8, hard_high = 0.95", "soft_high = 0.8, hard_hi = 0.95"),
                 "unknown_key", "parameter 'cpu_load' limits", "'hard_hi'", id="unknown-limit-key"),
    pytest.param(('parameters = ["cdh_mode", "cpu_load"]', 'parameters = ["cdh_mode", "cpu_lod"]'),
                 "unknown_parameter", "housekeeping 'essential'", "'cpu_lod'", id="hk-unknown-parameter"),
    pytest.param(('parameters = ["cdh_mode", "cpu_load"]', 'parameters = ["cdh_mode", "gain"]'),
                 "unknown_parameter", "housekeeping 'essential'", "a flight parameter",
                 id="hk-names-a-flight-parameter"),
    pytest.param(('{ name = "nominal", value = 1 }', '{ name = "nominal", value = 256 }'),
                 "enum_out_of_range", "enumeration 'mode' value #2", "nominal = 256 does not fit enum8",
                 id="enum-value-too-wide"),
    pytest.param(('{ name = "nominal", value = 1 }', '{ name = "mro", value = 1 }'),
                 "bad_name", "enumeration 'mode'", "'mro'", id="enum-value-name-python-refuses"),
    pytest.param(('{ name = "nominal", value = 1 }', '{ name = "nominal", value = 0 }'),
                 "duplicate_value", "enumeration 'mode' value #2", "code 0 already used by 'safe'",
                 id="enum-code-twice"),
    pytest.param(('{ name = "mode", type = "enum8"', '{ name = "mode", type = "enum16"'),
                 "type_mismatch", "telecommand 'set_mode' argument 'mode'", "enum16 differs",
                 id="enum-width-mismatch"),
    pytest.param(('enum = "mode" }]', 'enum = "modes" }]'), "unknown_enumeration",
                 "telecommand 'set_mode' argument 'mode'", "'modes'", id="unknown-enumeration"),
    pytest.param('\n[[telecommand]]\nname = "ping"\nservice = 17\nsubtype = 1\napid = "cdh"\n',
                 "duplicate_service_subtype", "telecommand 'ping'",
                 "TC[17,1] to cdh already defined by telecommand 'are_you_alive'",
                 id="duplicate-service-subtype"),
    pytest.param('\n[[telecommand]]\nname = "other_mode"\nservice = 8\nsubtype = 1\nfunction_id = 1\n'
                 'apid = "cdh"\n', "duplicate_service_subtype", "telecommand 'other_mode'", "function 1",
                 id="duplicate-function-id"),
    pytest.param(("function_id = 1\n", ""), "missing_key", "telecommand 'set_mode'", "function_id",
                 id="function-without-id"),
    pytest.param(('subtype = 1\napid = "cdh"\n', 'subtype = 1\napid = "payload"\n'),
                 "unknown_apid_role", "telecommand 'are_you_alive'", "'payload'", id="unknown-apid-role"),
    pytest.param(('subtype = 1\napid = "cdh"\n', 'subtype = 1\napid = "idle"\n'),
                 "unknown_apid_role", "telecommand 'are_you_alive'", "does not accept telecommands",
                 id="idle-apid-is-no-destination"),
    pytest.param(('subtype = 1\napid = "cdh"\n', "subtype = 1\napid = 0x010\n"),
                 "wrong_type", "telecommand 'are_you_alive'", "apid must be a string", id="apid-as-number"),
    pytest.param(('name = "cpu_load"\ntype = "float32"', 'name = "cpu_load"\ntype = "float32"\nunits = "1"'),
                 "unknown_key", "parameter 'cpu_load'", "'units'", id="unknown-key"),
    pytest.param("\n[[payload]]\nname = 'x'\n", "unknown_key", "top level", "'payload'",
                 id="unknown-section"),
    pytest.param(('severity = "informative"', 'severity = "fatal"'),
                 "bad_severity", "event 'mode_changed'", "'fatal'", id="bad-severity"),
    pytest.param('\n[[telecommand]]\nname = "rate"\nservice = 9\nsubtype = 1\napid = "cdh"\n'
                 'argument = [{ name = "exponent", type = "uint8", max = 300 }]\n',
                 "out_of_range", "telecommand 'rate' argument 'exponent'", "max 300 does not fit type uint8",
                 id="bound-outside-type"),
    pytest.param('\n[[parameter]]\nid = 0x0104\ntype = "uint8"\n', "missing_key", "parameter #3", "'name'",
                 id="missing-key"),
    pytest.param('\n[[parameter]]\nid = 0x0104\nname = "Bad Name"\ntype = "uint8"\n', "bad_name",
                 "parameter 'Bad Name'", "lower-case identifier", id="bad-name"),
    pytest.param("\n[[parameter]]\nid = \n", "bad_toml", "", "line", id="toml-syntax"),
]


@pytest.mark.parametrize(("edit", "reason", "entry", "problem"), CASES)
def test_bad_dictionary_is_refused_naming_file_entry_and_problem(
    tmp_path: Path, edit: str | tuple[str, str], reason: str, entry: str, problem: str
) -> None:
    if isinstance(edit, tuple):
        old, new = edit
        assert old in BASE, old
        text = BASE.replace(old, new, 1)
    else:
        text = BASE + edit
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_dictionary(path)
    message = str(caught.value)
    assert caught.value.reason == reason, message
    assert str(path) in message
    assert entry in message
    assert problem in message


def test_c_name_collision_is_refused(tmp_path: Path) -> None:
    # Enumeration "a" value "b_c" and enumeration "a_b" value "c" would both be FSW_ENUM_A_B_C.
    text = BASE + ('\n[[enumeration]]\nname = "a"\ntype = "enum8"\nvalue = [{ name = "b_c", value = 0 }]\n'
                   '\n[[enumeration]]\nname = "a_b"\ntype = "enum8"\nvalue = [{ name = "c", value = 0 }]\n')
    path = write(tmp_path, text)
    dictionary = load_dictionary(path)
    with pytest.raises(ConfigError) as caught:
        c_header(dictionary)
    assert caught.value.reason == "duplicate_name"
    assert "FSW_ENUM_A_B_C" in str(caught.value) and str(path) in str(caught.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"absent\.toml"):
        load_dictionary(tmp_path / "absent.toml")


# -- the shipped dictionary ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mission():
    return load_dictionary()


def test_shipped_dictionary_loads_from_the_package(mission) -> None:
    assert Path(mission.source) == MISSION_DICTIONARY
    assert mission.telecommands and mission.parameters and mission.events
    assert mission.housekeeping and mission.flight_parameters


@pytest.mark.parametrize(
    ("service", "subtypes"),
    [(3, {5, 6, 27, 31}), (5, {5, 6}), (8, {1}), (9, {1}), (11, {1, 2, 4, 5}), (12, {1, 2, 7, 15, 16}),
     (15, {1, 2, 9}), (17, {1}), (19, {1, 2, 4, 5}), (20, {1, 3})],
)
def test_services_of_the_executive_are_covered(mission, service: int, subtypes: set[int]) -> None:
    present = {subtype for (s, subtype) in mission.commands_by_service if s == service}
    assert subtypes <= present


def test_functions_and_destinations(mission) -> None:
    apids = DEFAULT_PROFILE.apids
    functions = {c.name: c for c in mission.commands_by_service[(8, 1)]}
    assert {"set_mode", "adcs_reset", "adcs_slew"} <= set(functions)
    assert functions["set_mode"].apid == apids.cdh
    assert functions["adcs_slew"].apid == apids.adcs
    mode_values = {v.name for v in functions["set_mode"].arguments[0].enumeration.values}
    assert {"safe", "nominal"} <= mode_values
    slew = mission.command_for(apids.adcs, 8, 1, functions["adcs_slew"].function_id)
    assert slew is functions["adcs_slew"]
    assert [a.name for a in slew.arguments] == ["q_w", "q_x", "q_y", "q_z", "rate"]
    assert mission.command_for(apids.cdh, 8, 1, 999) is None


def test_apids_come_from_the_link_profile() -> None:
    profile = LinkProfile(apids=dataclasses.replace(Apids(), cdh=0x111, adcs=0x222))
    d = load_dictionary(profile=profile)
    assert d.command_by_name["set_mode"].apid == 0x111
    assert d.command_by_name["adcs_slew"].apid == 0x222
    assert d.command_for(0x222, 17, 1) is d.command_by_name["adcs_are_you_alive"]


def test_lookup_tables_agree(mission) -> None:
    for p in mission.parameters:
        assert mission.parameter_by_id[p.id] is p and mission.parameter_by_name[p.name] is p
    for f in mission.flight_parameters:
        assert mission.flight_parameter_by_id[f.id] is f and f.id not in mission.parameter_by_id
        assert f.accepts(f.default)
    for e in mission.events:
        assert mission.event_by_id[e.id] is e and mission.event_by_name[e.name] is e
    for s in mission.housekeeping:
        assert mission.housekeeping_by_id[s.id] is s
    for c in mission.telecommands:
        assert mission.command_for(*c.key) is c and c in mission.commands_by_service[(c.service, c.subtype)]


def test_content_expected_by_the_field(mission) -> None:
    names = set(mission.parameter_by_name)
    assert {"adcs_q_w", "adcs_q_x", "adcs_q_y", "adcs_q_z", "cdh_mode", "cdh_cpu_load",
            "cdh_scheduler_overruns", "cdh_scheduler_jitter_max", "link_crc_errors", "link_farm_state",
            "link_farm_lockouts", "link_sdls_rejections", "storage_fill", "adcs_attitude_error"} <= names
    assert {e.severity for e in mission.events} == set(Severity)
    # Limits exist where they mean something and are within the parameter type.
    assert mission.parameter_by_name["platform_battery_voltage"].limits.hard_low is not None
    assert any(s.enabled for s in mission.housekeeping) and not all(s.enabled for s in mission.housekeeping)
    gain = mission.flight_parameter_by_name["adcs_gain_kp"]
    assert gain.minimum <= gain.default <= gain.maximum
    assert not gain.accepts(gain.maximum * 2) and not gain.accepts(float("nan"))
