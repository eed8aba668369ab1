"""The archive round trip: record a session, export CSV, plot a PNG, replay into the console's view."""

from __future__ import annotations

import csv
import io
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from flight_side import TAI_NOW, MiniFlight

from flightsw.ccsds.sync import StreamSynchroniser
from flightsw.dictionary import load_dictionary
from flightsw.errors import ConfigError
from flightsw.ground.archive import Archive, export_csv, plot, replay_packets, summary
from flightsw.ground.console import replay_into
from flightsw.ground.display import TelemetryView
from flightsw.ground.session import Session
from flightsw.link import PtyPair

DICTIONARY = load_dictionary()


SEEN: dict[Path, dict[str, int]] = {}


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    """An archive of a short session: housekeeping every 50 ms, one mode change."""
    path = tmp_path / "pass.sqlite"
    with PtyPair(tmp_path / "link") as pair, MiniFlight(pair.master(), hk_period=0.05), \
            Archive(path, dictionary=DICTIONARY) as archive, \
            Session.open(str(pair.link_path), recorder=archive) as session:
        session.send_and_assert("set_mode", mode="safe", timeout=5)
        session.assert_event("mode_changed", timeout=3, since=0)
        session.assert_telemetry("cdh_mode", "safe", timeout=3)
        deadline = time.monotonic() + 5
        while len(session.telemetry_history("cdh_cpu_load")) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
    # The session is closed: its history is final and is exactly what the archive could see.
    SEEN[path] = {name: len(session.telemetry_history(name)) for name in ("cdh_cpu_load", "cdh_mode")}
    return path


def test_every_frame_and_packet_recorded(recorded: Path) -> None:
    db = sqlite3.connect(recorded)
    frames = [bytes(row[0]) for row in db.execute("SELECT raw FROM frames ORDER BY id")]
    packets = db.execute("SELECT service, subtype, apid FROM packets").fetchall()
    times = [row[0] for row in db.execute("SELECT received_at FROM packets ORDER BY id")]
    commands = db.execute("SELECT name, status FROM commands").fetchall()
    db.close()
    assert frames and all(len(f) == 256 for f in frames)
    # Re-synchronising the recorded frames (ASM prepended) accepts every one: FECFs intact.
    sync = StreamSynchroniser()
    assert len(sync.feed(b"".join(bytes.fromhex("1ACFFC1D") + f for f in frames))) == len(frames)
    kinds = {(s, t) for s, t, _ in packets}
    assert {(1, 1), (1, 3), (1, 7), (3, 25), (5, 1)} <= kinds
    assert times == sorted(times)
    assert commands == [("set_mode", "completed")]


def test_export_csv(recorded: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    with open(out, "w", newline="") as handle:
        count = export_csv(recorded, ["cdh_cpu_load", "cdh_mode"], handle)
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    loads = [r for r in rows if r["parameter"] == "cdh_cpu_load"]
    modes = [r for r in rows if r["parameter"] == "cdh_mode"]
    assert count == len(rows) >= 16
    # Every sample the session saw was recorded, from the first one on.
    assert (len(loads), len(modes)) == (SEEN[recorded]["cdh_cpu_load"], SEEN[recorded]["cdh_mode"])
    assert {float(r["value"]) for r in loads} == {0.25}  # what the flight side sent
    assert {r["display"] for r in modes} <= {"nominal", "safe"} and modes[-1]["display"] == "safe"
    assert modes[-1]["value"] == "0.0"
    assert all(float(r["onboard_tai_s"]) == pytest.approx(TAI_NOW) for r in rows)
    assert all(r["received_utc"].endswith("Z") for r in rows)
    with pytest.raises(ConfigError, match="no samples of nonsense"):
        export_csv(recorded, ["nonsense"], io.StringIO())


def test_plot_png(recorded: Path, tmp_path: Path) -> None:
    image_module = pytest.importorskip("matplotlib.image")
    out = tmp_path / "plot.png"
    count = plot(recorded, ["cdh_cpu_load", "cdh_uptime"], out, DICTIONARY)
    assert count >= 16
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 10_000
    pixels = image_module.imread(out)
    assert pixels.shape[0] > 300 and pixels.shape[1] > 600
    assert pixels.std() > 0.05  # axes, a curve and limit lines, not a blank canvas


def test_replay_into_the_console_view(recorded: Path) -> None:
    info = summary(recorded)
    assert info["packets"] > 0 and "cdh_cpu_load" in info["parameters"]
    replay_clock = [0.0]
    view = TelemetryView(DICTIONARY, clock=lambda: replay_clock[0])

    def feed(record: object) -> None:
        replay_clock[0] = max(replay_clock[0], getattr(record, "received_at", 0.0))
        view.feed(record)  # type: ignore[arg-type]

    count = replay_into(feed, replay_packets(recorded), DICTIONARY, speed=0, stop=threading.Event())
    assert count == info["packets"]
    latest = view.latest()
    assert latest["cdh_mode"].value.name == "safe"
    assert latest["cdh_cpu_load"].value == 0.25
    assert not view.stale(latest["cdh_cpu_load"])  # staleness on the replay's clock
    assert [e.name for e in view.events()] == ["mode_changed"]


def test_replay_paced_by_speed(recorded: Path) -> None:
    stop = threading.Event()
    stop.set()  # a stopped replay delivers nothing
    assert replay_into(lambda r: None, replay_packets(recorded), DICTIONARY, speed=1.0, stop=stop) == 0


def test_not_an_archive(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.sqlite"
    bogus.write_bytes(b"not a database at all" * 100)
    with pytest.raises(ConfigError, match="bad_archive"):
        summary(bogus)
    with pytest.raises(ConfigError, match="no_archive"):
        summary(tmp_path / "missing.sqlite")


def test_plot_without_matplotlib_says_so(recorded: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    with pytest.raises(ConfigError) as info:
        plot(recorded, ["cdh_cpu_load"], tmp_path / "x.png", DICTIONARY)
    assert info.value.reason == "matplotlib_missing"
    assert "pip install 'flightsw[plot]'" in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "x.png").exists()
