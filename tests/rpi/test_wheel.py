"""The linux_aarch64 wheel builder (targets/rpi/wheel.py): ELF checks on the wheel's extensions, the
aarch64 sysconfig data pointed into the sysroot, and the cross environment."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest

from tests.rpi.rpi_targets import load

wheel = load("wheel")

EM_X86_64 = 62


def elf_header(machine: int, *, little_endian: bool = True) -> bytes:
    """The first 64 octets of an ELF64 shared object (ELF spec: e_ident, e_type, e_machine)."""
    order = "<" if little_endian else ">"
    ident = b"\x7fELF" + bytes([2, 1 if little_endian else 2, 1]) + bytes(9)
    return ident + struct.pack(f"{order}HH", 3, machine) + bytes(44)


def test_elf_machine_reads_e_machine() -> None:
    assert wheel.elf_machine(elf_header(183)) == 183
    assert wheel.elf_machine(elf_header(EM_X86_64)) == EM_X86_64
    assert wheel.elf_machine(elf_header(183, little_endian=False)) == 183
    assert wheel.elf_machine(b"#!/bin/sh\n" + bytes(60)) is None
    assert wheel.elf_machine(b"\x7fELF") is None  # truncated


def _wheel(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_an_aarch64_wheel_passes(tmp_path: Path) -> None:
    built = _wheel(tmp_path / "flightsw-0.1.0-cp311-cp311-linux_aarch64.whl", {
        "flightsw/__init__.py": b"",
        "flightsw/adcs/_attitude_double.abi3.so": elf_header(183),
        "flightsw/adcs/_attitude_float.abi3.so": elf_header(183),
    })
    assert wheel.check_wheel(built) == [
        "flightsw/adcs/_attitude_double.abi3.so",
        "flightsw/adcs/_attitude_float.abi3.so",
    ]


@pytest.mark.parametrize(
    ("name", "members", "message"),
    [
        ("flightsw-0.1.0-cp311-cp311-linux_aarch64.whl",
         {"flightsw/adcs/_attitude_double.abi3.so": elf_header(183),
          "flightsw/adcs/_attitude_float.abi3.so": elf_header(EM_X86_64)}, "not aarch64"),
        ("flightsw-0.1.0-cp311-cp311-linux_aarch64.whl", {"flightsw/__init__.py": b""}, "no compiled"),
        ("flightsw-0.1.0-cp311-cp311-linux_x86_64.whl",
         {"flightsw/adcs/_attitude_double.abi3.so": elf_header(183)}, "not tagged linux_aarch64"),
    ],
)
def test_a_wrong_wheel_is_refused(tmp_path: Path, name: str, members: dict[str, bytes], message: str) -> None:
    with pytest.raises(wheel.CrossBuildError, match=message):
        wheel.check_wheel(_wheel(tmp_path / name, members))


def test_cross_sysconfig_points_the_includes_into_the_sysroot(tmp_path: Path) -> None:
    sysroot = tmp_path / "sysroot"
    data = sysroot / "usr/lib/python3.11" / f"{wheel.SYSCONFIGDATA}.py"
    data.parent.mkdir(parents=True)
    data.write_text("build_time_vars = {'INCLUDEPY': '/usr/include/python3.11', "
                    "'CONFINCLUDEPY': '/usr/include/python3.11', "
                    "'EXT_SUFFIX': '.cpython-311-aarch64-linux-gnu.so', 'CC': 'aarch64-linux-gnu-gcc'}\n")
    out = wheel.cross_sysconfig(sysroot, tmp_path / "sysconfig")
    namespace: dict[str, object] = {}
    exec((out / f"{wheel.SYSCONFIGDATA}.py").read_text(), namespace)
    variables = namespace["build_time_vars"]
    assert variables == {
        "INCLUDEPY": f"{sysroot}/usr/include/python3.11",
        "CONFINCLUDEPY": f"{sysroot}/usr/include/python3.11",
        "EXT_SUFFIX": ".cpython-311-aarch64-linux-gnu.so",
        "CC": "aarch64-linux-gnu-gcc",
    }


def test_cross_sysconfig_needs_the_sysroot(tmp_path: Path) -> None:
    with pytest.raises(wheel.CrossBuildError, match="sysroot-arm64"):
        wheel.cross_sysconfig(tmp_path / "missing", tmp_path / "sysconfig")


def test_cross_environment_targets_linux_aarch64(tmp_path: Path) -> None:
    env = wheel.cross_environment(tmp_path / "sysroot", tmp_path / "sysconfig")
    assert env["CC"] == "aarch64-linux-gnu-gcc"
    assert env["LDSHARED"] == "aarch64-linux-gnu-gcc -shared"
    assert env["_PYTHON_HOST_PLATFORM"] == "linux-aarch64"
    assert env["_PYTHON_SYSCONFIGDATA_NAME"] == "_sysconfigdata__linux_aarch64-linux-gnu"
    assert env["PYTHONPATH"].split(":")[0] == str(tmp_path / "sysconfig")
    assert f"-I{tmp_path}/sysroot/usr/include/python3.11" in env["CFLAGS"].split()


def test_source_copy_leaves_host_builds_behind(tmp_path: Path) -> None:
    wheel.copy_sources(tmp_path / "src")
    copied = {p.name for p in (tmp_path / "src").rglob("*")}
    assert "setup.py" in copied and "attitude.h" in copied
    assert not [n for n in copied if n.endswith((".so", ".o", ".pyc"))]
