from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from flight_side import MiniFlight
from fly_target import FlyTarget

from flightsw.ground.session import Session
from flightsw.link import PtyPair


@pytest.fixture
def pty_pair(tmp_path: Path) -> Iterator[PtyPair]:
    with PtyPair(tmp_path / "link") as pair:
        yield pair


@pytest.fixture
def mini_flight(pty_pair: PtyPair) -> Iterator[MiniFlight]:
    with MiniFlight(pty_pair.master()) as flight:
        yield flight


@pytest.fixture
def session(pty_pair: PtyPair, mini_flight: MiniFlight) -> Iterator[Session]:
    with Session.open(str(pty_pair.link_path), wait_initiated=5.0) as opened:
        yield opened


@pytest.fixture
def fly(tmp_path: Path) -> Iterator[FlyTarget]:
    """The real flight software behind a device path (``fly.ground_link``)."""
    with FlyTarget(tmp_path) as target:
        yield target
