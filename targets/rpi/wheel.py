"""Cross-build a ``linux_aarch64`` wheel of flightsw that installs on a Raspberry Pi without a compiler.

The cffi extensions (``flightsw.adcs._attitude_double`` and ``_attitude_float``) are compiled with
``aarch64-linux-gnu-gcc`` against the Python headers of the arm64 sysroot (``sysroot.py``): the build runs
the ordinary setuptools/cffi build of the package with the sysroot's aarch64 ``_sysconfigdata`` (so the
compiler, flags and extension suffix are those of Debian's arm64 Python), ``_PYTHON_HOST_PLATFORM`` set to
``linux-aarch64`` (the wheel's platform tag) and the include paths pointed into the sysroot.

The build runs in a copy of the sources under ``build/arm64/src`` so that it never mixes its aarch64
objects with the host build of the same tree. Every shared object in the wheel is checked to be an aarch64
ELF file.

    python targets/rpi/wheel.py [--build-dir build/arm64] [--dist dist]
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BUILD_DIR = REPO / "build" / "arm64"
CROSS_CC = "aarch64-linux-gnu-gcc"
PLATFORM = "linux-aarch64"
MULTIARCH = "aarch64-linux-gnu"
SYSCONFIGDATA = f"_sysconfigdata__linux_{MULTIARCH}"
EM_AARCH64 = 183  # ELF e_machine of AArch64 (ELF for the Arm 64-bit Architecture, §5.1)
# What a source distribution of the package holds; nothing built (no *.so, *.o, generated cffi C).
SOURCE_ITEMS = ("pyproject.toml", "setup.py", "README.md", "flightsw", "csrc")
SOURCE_IGNORE = shutil.ignore_patterns("*.so", "*.o", "*.pyc", "__pycache__", "_attitude_*.c", "*.egg-info")


class CrossBuildError(RuntimeError):
    """The wheel could not be built or is not an aarch64 wheel."""


def _log(message: str) -> None:
    print(f"wheel-arm64: {message}", flush=True)


def elf_machine(data: bytes) -> int | None:
    """e_machine of an ELF image, or None when ``data`` is not ELF."""
    if len(data) < 20 or data[:4] != b"\x7fELF":
        return None
    byte_order = "<" if data[5] == 1 else ">"
    machine: int = struct.unpack_from(f"{byte_order}H", data, 18)[0]
    return machine


def cross_sysconfig(sysroot: Path, out_dir: Path) -> Path:
    """A copy of the sysroot's aarch64 sysconfig data whose include directories point into the sysroot
    (the original names the Pi's ``/usr/include/python3.11``, which here is the host's)."""
    source = sysroot / "usr" / "lib" / "python3.11" / f"{SYSCONFIGDATA}.py"
    if not source.is_file():
        raise CrossBuildError(f"{source} is missing; run `make sysroot-arm64`")
    namespace: dict[str, object] = {}
    exec(compile(source.read_text(), str(source), "exec"), namespace)
    variables = dict(namespace["build_time_vars"])  # type: ignore[call-overload]
    include = (sysroot / "usr" / "include" / "python3.11").as_posix()
    for key in ("INCLUDEPY", "CONFINCLUDEPY"):
        variables[key] = include
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{SYSCONFIGDATA}.py"
    target.write_text("# aarch64 build variables with the sysroot's include paths\n"
                      f"build_time_vars = {variables!r}\n")
    return out_dir


def cross_environment(sysroot: Path, sysconfig_dir: Path) -> dict[str, str]:
    include = sysroot / "usr" / "include"
    # Debian's pyconfig.h dispatches on the target to <aarch64-linux-gnu/python3.11/pyconfig.h>; searching
    # the sysroot's include directory after the cross compiler's own keeps libc headers the toolchain's.
    cflags = f"-I{include / 'python3.11'} -idirafter {include}"
    return {
        **os.environ,
        "CC": CROSS_CC,
        "LDSHARED": f"{CROSS_CC} -shared",
        "CFLAGS": cflags,
        "_PYTHON_HOST_PLATFORM": PLATFORM,
        "_PYTHON_SYSCONFIGDATA_NAME": SYSCONFIGDATA,
        "PYTHONPATH": os.pathsep.join(p for p in (str(sysconfig_dir), os.environ.get("PYTHONPATH", "")) if p),
    }


def copy_sources(dest: Path) -> None:
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for item in SOURCE_ITEMS:
        path = REPO / item
        if path.is_dir():
            shutil.copytree(path, dest / item, ignore=SOURCE_IGNORE)
        else:
            shutil.copy2(path, dest / item)


def check_wheel(wheel: Path) -> list[str]:
    """The shared objects of ``wheel``; raises unless there is at least one and all are aarch64."""
    with zipfile.ZipFile(wheel) as archive:
        shared = [n for n in archive.namelist() if n.endswith(".so")]
        wrong = [n for n in shared if elf_machine(archive.read(n)[:64]) != EM_AARCH64]
    if not shared:
        raise CrossBuildError(f"{wheel.name} holds no compiled extension")
    if wrong:
        raise CrossBuildError(f"not aarch64 in {wheel.name}: {', '.join(wrong)}")
    if not wheel.name.endswith("linux_aarch64.whl"):
        raise CrossBuildError(f"{wheel.name} is not tagged linux_aarch64")
    return shared


def build(build_dir: Path, dist: Path, python: str = sys.executable) -> Path:
    sysroot = build_dir / "sysroot"
    if shutil.which(CROSS_CC) is None:
        raise CrossBuildError(f"{CROSS_CC} not found (`make system-deps` installs gcc-aarch64-linux-gnu)")
    if not (sysroot / "usr" / "include" / MULTIARCH / "python3.11" / "pyconfig.h").is_file():
        raise CrossBuildError(f"no aarch64 Python headers in {sysroot}; run `make sysroot-arm64`")
    source = build_dir / "src"
    copy_sources(source)
    env = cross_environment(sysroot, cross_sysconfig(sysroot, build_dir / "sysconfig"))
    out = build_dir / "wheelhouse"
    shutil.rmtree(out, ignore_errors=True)
    _log(f"building with {CROSS_CC} against {sysroot / 'usr' / 'include' / 'python3.11'}")
    proc = subprocess.run(
        [python, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(out), "."],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise CrossBuildError(f"pip wheel failed:\n{proc.stdout[-4000:]}{proc.stderr[-4000:]}")
    wheels = sorted(out.glob("flightsw-*.whl"))
    if len(wheels) != 1:
        raise CrossBuildError(f"expected one wheel in {out}, found {[w.name for w in wheels]}")
    shared = check_wheel(wheels[0])
    dist.mkdir(parents=True, exist_ok=True)
    target = dist / wheels[0].name
    shutil.copy2(wheels[0], target)
    _log(f"{target.relative_to(REPO) if target.is_relative_to(REPO) else target}: {', '.join(shared)}")
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", type=Path, default=DEFAULT_BUILD_DIR)
    parser.add_argument("--dist", type=Path, default=REPO / "dist")
    args = parser.parse_args(argv)
    try:
        build(args.build_dir.resolve(), args.dist.resolve())
    except CrossBuildError as exc:
        print(f"wheel-arm64: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
