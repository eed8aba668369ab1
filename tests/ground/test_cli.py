"""``flightsw ground`` and ``flightsw archive`` as an operator's shell uses them, against the real
``flightsw fly`` (and, for a target that never answers, the minimal flight side)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flight_side import MiniFlight
from fly_target import FlyTarget
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from flightsw.dictionary import load_dictionary
from flightsw.ground.console import run_replay
from flightsw.link import PtyPair

DICTIONARY = load_dictionary()


def flightsw(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flightsw.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlyTarget]:
    with FlyTarget(tmp_path_factory.mktemp("fly")) as fly:
        yield fly


def test_send_completed_and_failed(target: FlyTarget) -> None:
    ok = flightsw("ground", "--link", target.ground_link, "--connect-timeout", "15", "send", "are_you_alive")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("are_you_alive #0 completed (acceptance, start, completion)")
    failed = flightsw("ground", "--link", target.ground_link, "send", "hk_report_one_shot", "structures=42")
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines() == [
        "flightsw ground: hk_report_one_shot failed: start failed: unknown_id (16): "
        "no housekeeping structure 42"]


def test_send_refuses_bad_arguments_before_connecting() -> None:
    # loop:// has no target behind it: the argument check must come first and say what is wrong.
    result = flightsw("ground", "--link", "loop://", "send", "time_report_rate", "exponent=9")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "flightsw ground: bad_argument: time_report_rate: exponent: 9 outside [0, 8]"]
    unknown = flightsw("ground", "--link", "loop://", "send", "set_mode", "mood=safe")
    assert unknown.returncode == 2 and "mood: unknown argument (arguments: mode)" in unknown.stderr


def test_send_times_out_with_one_line(tmp_path: Path) -> None:
    with PtyPair(tmp_path / "link") as pair, MiniFlight(pair.master(), silent=True) as flight:
        result = flightsw("ground", "--link", str(pair.link_path), "send", "are_you_alive", "--timeout", "1")
        assert flight.received, "the command was sent"
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "flightsw ground: are_you_alive not completed within 1 s (no verification report, link uplinked)"]


def test_watch_record_export_plot_replay(target: FlyTarget, tmp_path: Path) -> None:
    archive = tmp_path / "pass.sqlite"
    watch = flightsw("ground", "--link", target.ground_link, "--archive", str(archive), "watch", "cdh_uptime",
                     "cdh_mode", "--count", "4")
    assert watch.returncode == 0, watch.stderr
    lines = watch.stdout.strip().splitlines()
    assert len(lines) == 4
    uptimes = [line.split() for line in lines if " cdh_uptime " in line]
    assert uptimes and all(parts[3] == "s" and parts[2].isdigit() for parts in uptimes)

    out = tmp_path / "uptime.csv"
    export = flightsw("archive", "export", str(archive), "--param", "cdh_uptime", "-o", str(out))
    assert export.returncode == 0, export.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    # What was printed while watching is in the archive, in order (which records from the first byte,
    # before the watch began).
    archived = [r["value"] for r in rows]
    printed = [f"{float(p[2])!r}" for p in uptimes]
    assert any(archived[i:i + len(printed)] == printed for i in range(len(archived)))

    png = tmp_path / "uptime.png"
    plotted = flightsw("archive", "plot", str(archive), "cdh_uptime", "-o", str(png))
    assert plotted.returncode == 0, plotted.stderr
    assert png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_size > 10_000

    missing = flightsw("archive", "export", str(archive), "--param", "nonsense")
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1

    # Replay into the console: type at it through a pipe, read what it printed.
    screen = io.StringIO()
    console_out = Console(file=screen, width=140, force_terminal=False, color_system=None)
    with create_pipe_input() as keys:
        status: list[int] = []
        runner = threading.Thread(target=lambda: status.append(run_replay(
            archive, DICTIONARY, speed=0, out=console_out, input=keys, output=DummyOutput())))
        runner.start()
        keys.send_text("set_mode mode=sleepy\r")
        keys.send_text("set_mode mode=safe\r")
        keys.send_text("quit\r")
        runner.join(timeout=20)
    assert status == [0]
    text = screen.getvalue()
    assert f"replaying {archive}: " in text
    assert "set_mode: mode: 'sleepy'" in text  # commands are still checked during a replay
    assert "not sent: replaying" in text


def test_run_procedure(target: FlyTarget, tmp_path: Path) -> None:
    good = tmp_path / "good.py"
    good.write_text(
        "import sys\n"
        "session.send_and_assert('set_mode', mode=sys.argv[1], timeout=5)\n"
        "session.assert_telemetry('cdh_mode', sys.argv[1], timeout=5)\n"
        "print('mode is', session.latest('cdh_mode').value.name)\n")
    result = flightsw("ground", "--link", target.ground_link, "run", str(good), "nominal")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "mode is nominal"
    bad = tmp_path / "bad.py"
    bad.write_text("session.send_and_assert('set_mode', mode='nominal', timeout=5)\n")
    failed = flightsw("ground", "--link", target.ground_link, "run", str(bad))
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines() == [
        "flightsw ground: procedure bad.py failed: set_mode: start failed: illegal_mode_transition (17): "
        "NOMINAL to NOMINAL is not allowed"]
