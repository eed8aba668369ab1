"""The fuzz harness: a brief smoke run over every target, and proof that it catches what it is meant to."""

from __future__ import annotations

import io
import random
import sys
import types
from collections.abc import Callable

import pytest

from flightsw.ccsds import fuzz as fuzz_module
from flightsw.ccsds.fuzz import (
    Mutator,
    Target,
    build_targets,
    chunks,
    fuzz,
    length_prefixed,
    pack_units,
    print_violation,
    run_one,
    with_crc,
)
from flightsw.ccsds.spacepacket import SpacePacket
from flightsw.errors import DecodeError

EXPECTED_TARGETS = {
    "space_packet", "packet_stream", "pus_tc", "pus_tm", "timecode", "appdata", "tm_frame", "clcw",
    "tm_demux", "tc_frame", "stream_sync", "cltu_decoder", "farm1", "fop1", "sdls", "decode_cli",
}


def test_smoke_run_exercises_every_target_without_violation() -> None:
    targets = build_targets()
    assert {t.name for t in targets} == EXPECTED_TARGETS
    report = fuzz(targets, seconds=3.0, seed=20261127)
    assert [v.target for v in report.violations] == [], "\n".join(v.traceback for v in report.violations)
    for target in targets:
        # Beyond the seeds: mutated and random inputs reached every target.
        assert report.executions[target.name] > len(target.seeds), target.name


def test_valid_seeds_pass_every_target() -> None:
    for target in build_targets():
        for data in target.seeds:
            assert run_one(target, data) is None, target.name


def test_planted_index_error_is_a_violation_with_its_input() -> None:
    def broken_decoder(data: bytes) -> None:
        if len(data) > 4 and data[0] == 0x18:
            raise DecodeError("wrong_type", "a reason the stack would give")
        _ = data[len(data)]  # the kind of slip a strict decoder must never let out

    healthy = Target("healthy", lambda data: None, [b"\x01\x02"])
    planted = Target("planted", broken_decoder, [b"\x18\x00\x00\x00\x00\x00"])
    seen: list[str] = []
    report = fuzz([planted, healthy], seconds=0.5, seed=1, on_violation=lambda v: seen.append(v.target))
    assert seen == ["planted"]
    (violation,) = report.violations
    assert violation.kind == "exception"
    assert "IndexError" in violation.traceback
    # The recorded input reproduces the fault on its own.
    with pytest.raises(IndexError):
        broken_decoder(violation.data)
    assert report.executions["healthy"] > report.executions["planted"]


def test_flightsw_errors_are_not_violations() -> None:
    def refuses(data: bytes) -> None:
        raise DecodeError("truncated", "always")

    report = fuzz([Target("refuses", refuses, [b"\x00"])], seconds=0.2, seed=3)
    assert report.violations == []
    assert report.executions["refuses"] > 1


def test_broken_invariant_is_a_violation(monkeypatch: pytest.MonkeyPatch) -> None:
    (target,) = [t for t in build_targets() if t.name == "space_packet"]
    # A decoder that accepts octets it does not re-encode to (here: encode drops the last octet).
    monkeypatch.setattr(SpacePacket, "encode", lambda self: self.header.encode() + self.data[:-1])
    violation = run_one(target, target.seeds[0])
    assert violation is not None
    assert "InvariantViolation" in violation.traceback


def test_hang_is_caught_by_the_watchdog() -> None:
    def spins(data: bytes) -> None:
        while True:
            pass

    report = fuzz([Target("spins", spins, [b"\x00"])], seconds=0.1, seed=4, input_cpu_limit_s=0.2)
    (violation,) = report.violations
    assert violation.kind == "hang"
    assert violation.data == b"\x00"


def test_violation_report_prints_the_input_hex_and_traceback() -> None:
    target = Target("planted", lambda data: [][0], [b"\xab\xcd"])
    violation = run_one(target, b"\xab\xcd")
    assert violation is not None
    out = io.StringIO()
    print_violation(violation, out)
    text = out.getvalue()
    assert "input hex: abcd" in text
    assert "IndexError" in text


def test_command_line_run_and_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--seconds", "0.3", "--seed", "5", "--target", "clcw", "--target", "tc_frame"]
    assert fuzz_module.main(argv) == 0
    out = capsys.readouterr().out
    assert "clcw" in out and "tc_frame" in out and "0 violation(s)" in out
    assert "space_packet" not in out
    with pytest.raises(SystemExit):
        fuzz_module.main(["--target", "no_such_target"])


def test_command_line_exits_1_on_a_violation(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    planted = Target("planted", lambda data: data[1 << 20], [b"\x00"])
    monkeypatch.setattr(fuzz_module, "build_targets", lambda: [planted])
    assert fuzz_module.main(["--seconds", "0.1", "--seed", "6"]) == 1
    out = capsys.readouterr().out
    assert "VIOLATION in planted" in out and "input hex: " in out


def test_same_seed_same_inputs() -> None:
    seeds = [bytes(range(40)), b"\x18\x10\xc0\x00"]
    a, b, c = Mutator(random.Random(9)), Mutator(random.Random(9)), Mutator(random.Random(10))
    first = [a.generate(seeds) for _ in range(200)]
    assert first == [b.generate(seeds) for _ in range(200)]
    assert first != [c.generate(seeds) for _ in range(200)]


def test_input_splitting_is_lossless_and_reproducible() -> None:
    data = random.Random(1).randbytes(5000)
    assert b"".join(chunks(data)) == data
    assert list(chunks(data)) == list(chunks(data))
    units = [b"\x01", b"", bytes(300)]
    assert list(length_prefixed(pack_units(units, [False, True, False]))) == [
        (False, units[0]), (True, units[1]), (False, units[2])
    ]


def test_crc_fixup_gives_a_unit_that_checks() -> None:
    from flightsw.ccsds.crc import crc16_ok

    assert crc16_ok(with_crc(b"\x18\x10\xc0\x00\x00\x00\x00"))


def test_violating_input_is_minimised() -> None:
    def fails_on_marker(data: bytes) -> None:
        if b"\xde\xad" in data:
            raise IndexError("marker")

    target = Target("marker", fails_on_marker, [bytes(100) + b"\xde\xad" + bytes(100)])
    report = fuzz([target], seconds=0.1, seed=8)
    (violation,) = report.violations
    assert violation.signature == "IndexError"
    assert violation.minimised == b"\xde\xad"


def test_atheris_engine_dispatches_on_the_first_octet(monkeypatch: pytest.MonkeyPatch) -> None:
    # atheris is optional and not installed here: a stand-in module records how the harness drives it.
    calls: dict[str, object] = {}

    class FakeAtheris(types.ModuleType):
        def instrument_all(self) -> None:
            calls["instrumented"] = True

        def Setup(self, argv: list[str], test_one_input: Callable[[bytes], None]) -> None:
            calls["argv"], calls["test_one_input"] = argv, test_one_input

        def Fuzz(self) -> None:
            calls["fuzzed"] = True

    monkeypatch.setitem(sys.modules, "atheris", FakeAtheris("atheris"))
    seen: list[tuple[str, bytes]] = []

    def refuses(data: bytes) -> None:
        seen.append(("refuses", data))
        raise DecodeError("truncated", "always")

    def crashes(data: bytes) -> None:
        seen.append(("crashes", data))
        raise IndexError("a real fault")

    targets = [Target("refuses", refuses, []), Target("crashes", crashes, [])]
    assert fuzz_module.run_atheris(targets, 7.5) == 0
    assert calls["instrumented"] is True and calls["fuzzed"] is True
    assert "-max_total_time=7" in calls["argv"]  # type: ignore[operator]
    one_input = calls["test_one_input"]
    assert callable(one_input)
    one_input(b"\x00abc")  # target 0: a FlightswError is the accepted outcome
    with pytest.raises(IndexError):  # target 1: anything else goes to libFuzzer as a crash
        one_input(b"\x01xyz")
    one_input(b"")
    assert seen == [("refuses", b"abc"), ("crashes", b"xyz")]
