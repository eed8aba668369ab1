"""Fixtures of the firmware tests: the netduinoplus2 build, and the node running under QEMU."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flightsw.target.qemu import QemuStm32
from tests.firmware.ground import QEMU_ELF, Ground, build_firmware
from tests.toolchain import require_tools


@pytest.fixture(scope="session")
def qemu_firmware() -> str:
    require_tools("arm-none-eabi-gcc", "qemu-system-arm", "make")
    build_firmware("netduinoplus2")
    return str(QEMU_ELF)


@pytest.fixture
def ground(qemu_firmware: str) -> Iterator[Ground]:
    """A freshly started node (its own QEMU, its own port) and a ground station connected to it."""
    with QemuStm32(qemu_firmware) as target:
        station = Ground(target)
        station.wait_link_up()
        yield station
