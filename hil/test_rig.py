"""The rig's own parts that need no target: target specs, the injection log, injection packets, the report."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from flightsw.ccsds.pus import PusTc
from flightsw.cdh.adcs import injection_command
from flightsw.errors import FlightswError
from flightsw.profile import DEFAULT_PROFILE
from hil.report import Outcome, write_junit, write_markdown
from hil.rig import InjectionLog
from hil.targets import QemuStm32Target, SerialTarget, SimTarget, parse_target


def test_target_specs() -> None:
    assert isinstance(parse_target("sim"), SimTarget)
    assert isinstance(parse_target("qemu-stm32"), QemuStm32Target)
    serial = parse_target("serial:/dev/ttyUSB0,57600")
    assert isinstance(serial, SerialTarget) and (serial.port, serial.baud) == ("/dev/ttyUSB0", 57600)
    default_baud = parse_target("serial:/dev/ttyACM0")
    assert isinstance(default_baud, SerialTarget) and default_baud.baud == DEFAULT_PROFILE.baud
    for bad in ("qemu", "serial:", "serial:/dev/ttyUSB0,fast"):
        with pytest.raises(FlightswError):
            parse_target(bad)


def test_injection_log_finds_the_last_sample_sent() -> None:
    log = InjectionLog([0, 1, 2, 3], [10.0, 10.0, 10.5, 11.0])
    assert log.last_sent_before(9.9) is None
    assert log.last_sent_before(10.0) == 1
    assert log.last_sent_before(10.7) == 2
    assert log.last_sent_before(99.0) == 3


def test_injection_packets_decode_as_the_executive_defines_them() -> None:
    target = SimTarget()
    gyr, acc, mag = np.array([[0.1, -0.2, 0.3]]), np.array([[0.0, 0.5, 9.8]]), np.array([[20.0, 1.0, -40.0]])
    first, second = target.injection_packets(np.vstack([gyr, gyr]), np.vstack([acc, acc]),
                                             np.vstack([mag, mag]))
    tc = PusTc.decode(first, profile=DEFAULT_PROFILE)
    command = injection_command(DEFAULT_PROFILE.apids.simulation)
    assert (tc.apid, tc.service, tc.subtype) == (DEFAULT_PROFILE.apids.simulation, command.service,
                                                 command.subtype)
    assert tc.ack_flags == 0
    values = np.frombuffer(bytes(tc.app_data), dtype=">f8")
    assert np.array_equal(values, np.concatenate([gyr[0], acc[0], mag[0]]))
    assert PusTc.decode(second, profile=DEFAULT_PROFILE).sequence_count == tc.sequence_count + 1


def test_report_files(tmp_path: Path) -> None:
    outcomes = [Outcome("hil/test_a.py::test_one[sim]", "sim", "passed", 1.5, ""),
                Outcome("hil/test_a.py::test_two[sim]", "sim", "failed", 0.5, "assert 1 == 2"),
                Outcome("hil/test_b.py::test_three[sim]", "sim", "skipped", 0.0, "sim does not declare x")]
    write_junit(tmp_path / "junit.xml", "sim", outcomes)
    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "1")
    failed = [c for c in suite if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["test_two[sim]"]

    data = tmp_path / "data"
    data.mkdir()
    (data / "t.latency.json").write_text('{"test": "t", "kind": "latency", "latencies_s": [0.01, 0.03]}')
    (data / "t.link.json").write_text('{"test": "t", "kind": "link", "counters": {"crc_errors": 2, '
                                      '"report_value": 7, "clcws_age_s": 0.1}}')
    report = write_markdown(tmp_path, "sim", outcomes, 12.0).read_text()
    assert "3 tests: 1 passed, 1 failed, 0 errors, 1 skipped" in report
    assert "crc_errors 2" in report and "report_value" not in report
    assert "2 commands, median 20 ms, p95 30 ms" in report
    assert (tmp_path / "command_latency.png").stat().st_size > 0
    assert (tmp_path / "link_counters.png").stat().st_size > 0
