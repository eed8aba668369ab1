"""Builds of the C subset outside Python: the Cortex-M4F library as the STM32 firmware compiles it (no .data
or .bss: no global mutable state; only the compiler's memory helpers linked from outside; static, small stack
frames) and the host library with warnings as errors. Missing cross tools skip locally and fail under CI."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.toolchain import require_tools

REPO = Path(__file__).resolve().parents[2]
CCSDS = REPO / "csrc" / "ccsds"
# Calls the compiler itself may emit for struct copies and loops over octets; newlib provides them.
COMPILER_HELPERS = {"memcpy", "memmove", "memset"}
MAX_FRAME_STACK_BYTES = 256

pytestmark = pytest.mark.cross


def _make(build: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        ["make", "--no-print-directory", "-C", str(CCSDS), f"BUILD={build}", *targets],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, f"make {' '.join(targets)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def cortex_m4(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    require_tools("make", "arm-none-eabi-gcc", "arm-none-eabi-ar", "arm-none-eabi-size")
    build = tmp_path_factory.mktemp("ccsds_m4")
    proc = _make(build, "cortex-m4")
    return build / "cortex-m4", proc.stdout


def test_cortex_m4_library_has_no_data_or_bss(cortex_m4: tuple[Path, str]) -> None:
    out_dir, size_report = cortex_m4
    for src in CCSDS.glob("*.c"):
        assert (out_dir / f"{src.stem}.o").is_file(), src.name
    assert (out_dir / "libccsds.a").is_file()
    totals = re.search(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+\S+\s+\(TOTALS\)", size_report, re.MULTILINE)
    assert totals, size_report
    text_bytes, data_bytes, bss_bytes = (int(totals.group(i)) for i in (1, 2, 3))
    assert text_bytes > 0
    assert data_bytes == 0 and bss_bytes == 0, size_report


def test_cortex_m4_library_needs_nothing_but_memory_helpers(cortex_m4: tuple[Path, str]) -> None:
    require_tools("arm-none-eabi-nm")
    out_dir, _ = cortex_m4
    objects = sorted(str(p) for p in out_dir.glob("*.o"))
    undefined = subprocess.run(["arm-none-eabi-nm", "-u", *objects], capture_output=True, text=True,
                               check=True).stdout
    defined = subprocess.run(["arm-none-eabi-nm", "--defined-only", *objects], capture_output=True, text=True,
                             check=True).stdout
    names = {line.split()[-1] for line in undefined.splitlines() if line.strip().startswith("U ")}
    own = {line.split()[-1] for line in defined.splitlines() if re.match(r"^[0-9a-f]+ T ", line)}
    outside = names - own
    assert outside <= COMPILER_HELPERS, sorted(outside)  # no malloc, no stdio


def test_cortex_m4_stack_frames_are_static_and_small(cortex_m4: tuple[Path, str]) -> None:
    out_dir, _ = cortex_m4
    lines = [line for su in out_dir.glob("*.su") for line in su.read_text().splitlines() if line]
    entries = [line.split("\t") for line in lines]
    assert entries
    for location, size, kind in entries:
        assert kind == "static", location  # no variable-length arrays or alloca
        assert int(size) <= MAX_FRAME_STACK_BYTES, location


def test_host_library_builds_with_warnings_as_errors(tmp_path: Path) -> None:
    require_tools("make", "gcc", "ar")
    _make(tmp_path, "host")
    assert (tmp_path / "host" / "libccsds.a").is_file()


def test_public_header_stands_alone(tmp_path: Path) -> None:
    require_tools("gcc")
    source = tmp_path / "uses_header.c"
    source.write_text('#include "ccsds.h"\nint main(void) { return (int)CCSDS_OK; }\n')
    subprocess.run(
        ["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I", str(CCSDS), "-fsyntax-only",
         str(source)],
        check=True,
        capture_output=True,
    )
