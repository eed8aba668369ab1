from __future__ import annotations

import json
from pathlib import Path

import pytest

from flightsw.cdh.config import FlightConfig, load_config
from flightsw.cdh.modes import TRANSITIONS, Mode, ModeManager
from flightsw.cdh.parameters import FILE_NAME, FlightParameterStore
from flightsw.cdh.service import FailureCode, ServiceFailure
from flightsw.dictionary import Dictionary
from flightsw.errors import ConfigError

# -- modes ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("previous", list(Mode))
@pytest.mark.parametrize("target", list(Mode))
def test_only_the_listed_transitions_are_allowed(previous: Mode, target: Mode) -> None:
    modes = ModeManager()
    modes.mode = previous
    allowed = {(Mode.BOOT, Mode.SAFE), (Mode.BOOT, Mode.NOMINAL), (Mode.SAFE, Mode.NOMINAL),
               (Mode.NOMINAL, Mode.SAFE)}
    if (previous, target) in allowed:
        transition = modes.change(target)
        assert (transition.previous, transition.current, modes.mode) == (previous, target, target)
    else:
        with pytest.raises(ServiceFailure) as failure:
            modes.change(target)
        assert failure.value.code is FailureCode.ILLEGAL_MODE_TRANSITION
        assert modes.mode is previous
    assert allowed == set(TRANSITIONS)


def test_a_guard_vetoes_a_transition() -> None:
    modes = ModeManager()
    modes.change(Mode.SAFE)
    modes.add_guard(lambda current, target: "sensor lost" if target is Mode.NOMINAL else None)
    with pytest.raises(ServiceFailure, match="sensor lost"):
        modes.change(Mode.NOMINAL)
    assert modes.mode is Mode.SAFE and modes.transitions == 1


def test_mode_codes_are_those_of_the_dictionary(dictionary: Dictionary) -> None:
    codes = {value.name: value.value for value in dictionary.enumeration_by_name["mode"].values}
    assert codes == {"safe": Mode.SAFE, "nominal": Mode.NOMINAL}


def test_unknown_cause_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        ModeManager().change(Mode.SAFE, "bad luck")


# -- parameters --------------------------------------------------------------------------------------------


def test_defaults_set_and_reload(dictionary: Dictionary, tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    store = FlightParameterStore(dictionary, path)
    assert store.get("cdh_boot_mode") == 0  # "safe", by name in the dictionary
    assert store.get("fdir_safe_on_lockout") is True
    store.set("adcs_gain_kp", 0.5)
    store.set(dictionary.flight_parameter_by_name["storage_fill_dump_threshold"].id, 42)
    assert json.loads(path.read_text())["values"]["adcs_gain_kp"] == 0.5
    again = FlightParameterStore(dictionary, path)
    assert again.get("adcs_gain_kp") == 0.5 and again.get("storage_fill_dump_threshold") == 42
    assert not list(tmp_path.glob(".flight_parameters.*"))  # no temporary file left behind


def test_refused_values_change_nothing(dictionary: Dictionary, tmp_path: Path) -> None:
    store = FlightParameterStore(dictionary, tmp_path / FILE_NAME)
    with pytest.raises(ValueError):
        store.set_many({"adcs_gain_kp": 0.5, "adcs_gain_kd": 99.0})
    assert store.get("adcs_gain_kp") == 0.01
    assert not (tmp_path / FILE_NAME).exists()
    with pytest.raises(KeyError):
        store.set("no_such_parameter", 1)


def test_stored_values_the_dictionary_no_longer_accepts_are_dropped(dictionary: Dictionary,
                                                                    tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    values = {"adcs_gain_kp": 7.0, "gone": 1, "adcs_gain_kd": 1.0}
    path.write_text(json.dumps({"version": 1, "values": values}))
    store = FlightParameterStore(dictionary, path)
    assert store.get("adcs_gain_kp") == 0.01 and store.get("adcs_gain_kd") == 1.0


def test_a_corrupt_parameter_file_is_one_clear_error(dictionary: Dictionary, tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    path.write_text("{not json")
    with pytest.raises(ConfigError, match=FILE_NAME):
        FlightParameterStore(dictionary, path)


# -- configuration -----------------------------------------------------------------------------------------


def test_configuration_file(tmp_path: Path) -> None:
    (tmp_path / "key.hex").write_text("00" * 32 + "\n")
    path = tmp_path / "flight.toml"
    path.write_text('[link]\nbaud = 9600\n[link.tm]\nrandomise = true\n'
                    '[flight]\nstate_dir = "st"\nadcs_rate_hz = 50\ncontrol_rate_hz = 5\n'
                    '[sdls]\nkey_file = "key.hex"\n')
    config = load_config(path)
    assert config.profile.baud == 9600 and config.profile.tm.randomise
    assert config.state_dir == tmp_path / "st"
    assert (config.adcs_rate_hz, config.control_rate_hz, config.housekeeping_rate_hz) == (50, 5, 1)
    assert config.profile.sdls.enabled and config.sdls_key() == bytes(32)


@pytest.mark.parametrize(("text", "problem"), [
    ("[flight]\nadcs_rate = 10\n", "adcs_rate"),
    ("[flights]\n", "flights"),
    ("[flight]\nadcs_rate_hz = 100\ncontrol_rate_hz = 30\n", "divide"),
    ("[link]\nscid = 5000\n", "scid"),
    ("[flight\n", "flight.toml"),
])
def test_bad_configuration_names_the_problem(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "flight.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=problem):
        load_config(path)


def test_bad_key_file(tmp_path: Path) -> None:
    (tmp_path / "key.hex").write_text("abcd")
    config = FlightConfig(sdls_key_file=tmp_path / "key.hex")
    with pytest.raises(ConfigError, match="2 octets"):
        config.sdls_key()
