"""cffi builder of a test-only module of the C link/protocol subset (``csrc/ccsds``).

The differential tests build it into a temporary directory once per session (:func:`build`) and compare it
with the Python stack; it is not installed with the package. The library sources are compiled first with the
project's strict flags into objects that the extension links; the cffi-generated wrapper is compiled with
the interpreter's usual flags.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sysconfig
from pathlib import Path
from types import ModuleType

import cffi

ROOT = Path(__file__).resolve().parents[2]
CSRC = ROOT / "csrc" / "ccsds"
HEADER = CSRC / "ccsds.h"
PROFILE_HEADER = ROOT / "csrc" / "generated" / "link_profile.h"
MODULE_NAME = "flightsw_ccsds_c_test"
STRICT_FLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic"]

_DEFINE = re.compile(r"^\s*#define\s+([A-Z_][A-Z0-9_]*)\s+(.+?)\s*$")


def library_sources() -> list[Path]:
    return sorted(CSRC.glob("*.c"))


def _integer_macros(path: Path) -> list[str]:
    """Object-like macros of ``path`` whose value is an integer expression (not floats, not initialisers)."""
    names = []
    text = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
    for line in text.splitlines():
        match = _DEFINE.match(line)
        if not match:
            continue
        name, value = match.groups()
        if "{" in value or re.search(r"\d\.\d", value) or value.startswith('"'):
            continue
        names.append(name)
    return names


def cdef_text() -> str:
    """The declarations of ccsds.h for cffi: comments, preprocessor lines and C++ guards removed, array sizes
    that are macros left for the compiler (``[...]``), integer macros of both headers exposed as constants."""
    text = HEADER.read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"#ifdef __cplusplus.*?#endif", "", text, flags=re.S)
    text = re.sub(r"\\\n", " ", text)
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    body = "\n".join(lines)
    body = re.sub(r"\[([A-Z_][A-Z0-9_]*)\]", "[...]", body)
    header_macros = [n for n in _integer_macros(HEADER) if n != "CCSDS_H"]
    macros = header_macros + _integer_macros(PROFILE_HEADER)
    return body + "\n" + "\n".join(f"#define {name} ..." for name in macros) + "\n"


def _compile_objects(outdir: Path) -> list[str]:
    cc = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    objects = []
    for src in library_sources():
        obj = outdir / (src.stem + ".o")
        cmd = [*cc, *STRICT_FLAGS, "-fPIC", "-I", str(CSRC), "-c", str(src), "-o", str(obj)]
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        objects.append(str(obj))
    return objects


def make_builder(outdir: Path, module_name: str = MODULE_NAME) -> cffi.FFI:
    """A cffi builder whose extension links the library objects compiled into ``outdir``."""
    ffi = cffi.FFI()
    ffi.cdef(cdef_text())
    ffi.set_source(
        module_name,
        '#include "ccsds.h"\n',
        include_dirs=[str(CSRC)],
        extra_objects=_compile_objects(outdir),
    )
    return ffi


def build(tmpdir: str | Path, module_name: str = MODULE_NAME) -> ModuleType:
    """Compile the library and its cffi wrapper into ``tmpdir`` and import the module from there."""
    outdir = Path(tmpdir)
    outdir.mkdir(parents=True, exist_ok=True)
    library = make_builder(outdir, module_name).compile(tmpdir=str(outdir))
    spec = importlib.util.spec_from_file_location(module_name, library)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {library}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
