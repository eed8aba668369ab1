"""cffi build script of the C attitude core (out-of-line API mode).

setup.py names ``ffibuilder_double`` and ``ffibuilder_float``; ``pip install -e .`` builds
``flightsw.adcs._attitude_double`` (att_real = double) and ``flightsw.adcs._attitude_float``
(``-DATT_REAL_FLOAT=1``). The core sources are compiled first with the project's strict flags
(``-std=c99 -O2 -Wall -Wextra -Werror -pedantic``) into position-independent objects that the extension links;
the cffi-generated wrapper itself is compiled with the interpreter's usual flags. Paths are relative to the
repository root, where setup.py runs.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sysconfig
from pathlib import Path

import cffi

ROOT = Path(__file__).resolve().parents[2]
CSRC = ROOT / "csrc" / "attitude"
HEADER = CSRC / "attitude.h"
STRICT_FLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic"]
PRECISIONS = {"double": [], "float": ["-DATT_REAL_FLOAT=1", "-Wdouble-promotion"]}


def _rel(path: Path) -> str:
    try:
        return os.path.relpath(path, Path.cwd())
    except ValueError:
        return str(path)


def core_sources() -> list[Path]:
    return sorted(CSRC.glob("*.c"))


def cdef_text(real: str) -> str:
    """The declarations of attitude.h for cffi: comments, preprocessor lines and C++ guards removed,
    ``att_real`` fixed to ``real``."""
    text = HEADER.read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"#ifdef __cplusplus.*?#endif", "", text, flags=re.S)
    text = re.sub(r"#if defined\(ATT_REAL_FLOAT\).*?#endif", f"typedef {real} att_real;", text, flags=re.S)
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    return "\n".join(lines)


def compile_core(precision: str) -> list[str]:
    """Compile every csrc/attitude/*.c with the strict flags; return the object paths."""
    cc = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    outdir = ROOT / "build" / f"attitude_{precision}"
    outdir.mkdir(parents=True, exist_ok=True)
    objects = []
    for src in core_sources():
        obj = outdir / (src.stem + ".o")
        cmd = [
            *cc,
            *STRICT_FLAGS,
            *PRECISIONS[precision],
            "-fPIC",
            "-I",
            str(CSRC),
            "-c",
            str(src),
            "-o",
            str(obj),
        ]
        subprocess.run(cmd, check=True)
        objects.append(_rel(obj))
    return objects


def make_builder(precision: str) -> cffi.FFI:
    real = "float" if precision == "float" else "double"
    ffi = cffi.FFI()
    ffi.cdef(cdef_text(real))
    macros = [("ATT_REAL_FLOAT", "1")] if precision == "float" else []
    ffi.set_source(
        f"flightsw.adcs._attitude_{precision}",
        '#include "attitude.h"\n',
        include_dirs=[_rel(CSRC)],
        define_macros=macros,
        extra_objects=compile_core(precision),
        libraries=["m"],
        depends=[_rel(p) for p in [HEADER, *core_sources(), *CSRC.glob("*.h")]],
    )
    return ffi


ffibuilder_double = make_builder("double")
ffibuilder_float = make_builder("float")

if __name__ == "__main__":
    ffibuilder_double.compile(verbose=True)
    ffibuilder_float.compile(verbose=True)
