from __future__ import annotations

from pathlib import Path

import pytest

from flightsw.dictionary import Dictionary, load_dictionary
from tests.cdh.harness import Harness


@pytest.fixture(scope="session")
def dictionary() -> Dictionary:
    return load_dictionary()


@pytest.fixture
def harness(dictionary: Dictionary, tmp_path: Path) -> Harness:
    return Harness(dictionary, tmp_path / "state").boot()
