"""The firmware builds for both boards with warnings as errors and reports its footprint; the images have a
vector table a Cortex-M4 can boot from (initial stack pointer at the top of SRAM, reset handler in flash,
Thumb bit set) and fit their part's memories."""

from __future__ import annotations

import re
import struct

import pytest

from tests.firmware.ground import BUILD_DIR, build_firmware
from tests.toolchain import require_tools

pytestmark = [pytest.mark.cross, pytest.mark.timeout(300)]

FLASH_BASE = 0x0800_0000
SRAM_BASE = 0x2000_0000
# Part memories (RM0090 STM32F405RG, RM0390 STM32F446RE): flash and SRAM in octets.
BOARDS = {"netduinoplus2": (1024 * 1024, 128 * 1024), "nucleo-f446re": (512 * 1024, 128 * 1024)}
FOOTPRINT = re.compile(r"^(\S+): flash (\d+) B, RAM (\d+) B \(static (\d+) B \+ stack (\d+) B\)$", re.M)
WORST_STACK = re.compile(r"worst stack (\d+) B of (\d+) B")


@pytest.fixture(scope="module")
def build_output() -> str:
    require_tools("arm-none-eabi-gcc", "make")
    return build_firmware().stdout


def test_both_boards_report_flash_ram_and_stack(build_output: str) -> None:
    found = {m.group(1): tuple(int(v) for v in m.groups()[1:]) for m in FOOTPRINT.finditer(build_output)}
    assert set(found) == set(BOARDS)
    for board, (flash, ram, static, stack) in found.items():
        flash_size, ram_size = BOARDS[board]
        assert 0 < flash <= flash_size
        assert ram == static + stack <= ram_size
    worst = [(int(need), int(reserved)) for need, reserved in WORST_STACK.findall(build_output)]
    assert len(worst) == len(BOARDS)
    assert all(0 < need <= reserved == found["netduinoplus2"][3] for need, reserved in worst)


@pytest.mark.parametrize("board", sorted(BOARDS))
def test_vector_table_boots(build_output: str, board: str) -> None:
    image = (BUILD_DIR / board / "adcs-node.bin").read_bytes()
    flash_size, ram_size = BOARDS[board]
    assert len(image) <= flash_size
    initial_sp, reset = struct.unpack_from("<II", image, 0)
    assert initial_sp == SRAM_BASE + ram_size
    assert reset & 1 == 1  # Thumb
    assert FLASH_BASE <= reset & ~1 < FLASH_BASE + len(image)
