"""The C subset as a cffi test module, compiled once per session into a temporary directory."""

from __future__ import annotations

import pytest

from flightsw.ccsds import _cbuild
from tests.csubset.cstack import CStack


@pytest.fixture(scope="session")
def cstack(tmp_path_factory: pytest.TempPathFactory) -> CStack:
    return CStack(_cbuild.build(tmp_path_factory.mktemp("ccsds_c")))
