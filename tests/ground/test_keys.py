"""SDLS key files: permissions, format, and a secured session that works only with the flight's key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flight_side import MiniFlight
from fly_target import FlyTarget

from flightsw.ccsds.endpoints import flight_security
from flightsw.errors import ConfigError
from flightsw.ground.keys import load_keys, security_from_file
from flightsw.ground.session import Session, VerificationFailed
from flightsw.link import PtyPair

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


def key_file(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


def one_key(key: bytes, spi: int = 1, key_id: int = 1) -> str:
    return f"[[key]]\nspi = {spi}\nkey_id = {key_id}\nkey = \"{key.hex()}\"\n"


def test_private_key_file_loads(tmp_path: Path) -> None:
    path = key_file(tmp_path / "keys.toml", one_key(KEY, key_id=7))
    (key,) = load_keys(path)
    assert (key.spi, key.key_id, key.key) == (1, 7, KEY)
    assert KEY.hex() not in repr(key)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o602])
def test_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = key_file(tmp_path / "keys.toml", one_key(KEY), mode)
    with pytest.raises(ConfigError) as info:
        load_keys(path)
    assert info.value.reason == "key_file_too_open"
    assert f"{mode:04o}" in str(info.value) and "chmod 600" in str(info.value)


@pytest.mark.parametrize(("text", "why"), [
    ("", r"no \[\[key\]\] table"),
    ("[[key]]\nkey = \"zz\"\n", "not hex"),
    ("[[key]]\nkey = \"0011\"\n", "key of 2 octets"),
    ("[[key]]\nspi = 0\nkey = \"" + KEY.hex() + "\"\n", "spi must be"),
    ("[[key]]\nkey = \"" + KEY.hex() + "\"\ncolour = 1\n", "unknown field colour"),
    ("[[key\n", "bad_key_file"),
])
def test_malformed_key_files(tmp_path: Path, text: str, why: str) -> None:
    path = key_file(tmp_path / "keys.toml", text)
    with pytest.raises(ConfigError, match=why):
        load_keys(path)


def test_cli_refuses_open_key_file_with_one_line(tmp_path: Path) -> None:
    path = key_file(tmp_path / "keys.toml", one_key(KEY), 0o644)
    result = subprocess.run([sys.executable, "-m", "flightsw.cli", "ground", "--link", "loop://",
                             "--sdls-keys", str(path), "send", "are_you_alive"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "key_file_too_open" in lines[0]


def test_secured_session_with_the_flight_key(tmp_path: Path) -> None:
    path = key_file(tmp_path / "keys.toml", one_key(KEY))
    security_from_file(path)  # parses to an operational association
    with PtyPair(tmp_path / "link") as pair, \
            MiniFlight(pair.master(), sdls=flight_security(KEY)) as flight, \
            Session.open(str(pair.link_path), sdls_keys=path) as session:
        session.send_and_assert("are_you_alive", timeout=5)
        assert flight.endpoint.stats.get("sdls_accepted", 0) >= 2  # the initiation directive and the TC


def test_wrong_key_commands_are_not_delivered(tmp_path: Path) -> None:
    path = key_file(tmp_path / "keys.toml", one_key(OTHER_KEY))
    with PtyPair(tmp_path / "link") as pair, \
            MiniFlight(pair.master(), sdls=flight_security(KEY)) as flight, \
            Session.open(str(pair.link_path), sdls_keys=path, t1_initial=0.2,
                         transmission_limit=2) as session:
        with pytest.raises(VerificationFailed, match="not delivered: purged by FOP-1 alert t1"):
            session.send_and_assert("are_you_alive", timeout=10)
        assert not flight.received
        assert flight.endpoint.stats.get("sdls_rejected_bad_mac", 0) >= 2
        assert session.link_statistics().get("fop_alert_t1", 0) == 1


def test_secured_link_to_flightsw_fly(tmp_path: Path) -> None:
    """The flight software with SDLS on (its key in its configuration) and the ground with a key file."""
    (tmp_path / "tc_key.hex").write_text(KEY.hex())
    os.chmod(tmp_path / "tc_key.hex", 0o600)
    config = tmp_path / "flight.toml"
    config.write_text('[sdls]\nkey_file = "tc_key.hex"\n')
    good = key_file(tmp_path / "keys.toml", one_key(KEY))
    with FlyTarget(tmp_path, ("--config", str(config))) as fly:
        with Session.open(fly.ground_link, sdls_keys=good, wait_initiated=15.0) as session:
            session.send_and_assert("are_you_alive", timeout=5)
        wrong = key_file(tmp_path / "wrong.toml", one_key(OTHER_KEY))
        with Session.open(fly.ground_link, sdls_keys=wrong, t1_initial=0.3, transmission_limit=2) as session:
            with pytest.raises(VerificationFailed, match="not delivered"):
                session.send_and_assert("are_you_alive", timeout=10)
            # The flight side counts the rejections and reports them in its link telemetry.
            sample = session.assert_telemetry("link_sdls_rejections", lambda n: n >= 2, timeout=10)
            assert session.link_statistics()["flight_sdls_rejections"] == sample.value
