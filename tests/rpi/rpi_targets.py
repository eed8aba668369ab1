"""Import the Raspberry Pi tooling scripts of ``targets/rpi`` (plain scripts, not a package) for testing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
TARGETS = REPO / "targets" / "rpi"


def load(name: str) -> ModuleType:
    """``targets/rpi/<name>.py`` as module ``rpi_<name>`` (cached, so dataclasses resolve their module)."""
    module_name = f"rpi_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, TARGETS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
