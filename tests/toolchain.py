"""Tools the tests run from outside Python (compilers, emulators, make): a missing one skips the test on a
developer's machine and fails it under CI=true, where every tool must be installed (`make system-deps`)."""

from __future__ import annotations

import os
import shutil

import pytest


def require_tools(*tools: str) -> None:
    """Skip when a tool is not on PATH; under CI=true a missing tool fails the test instead."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if not missing:
        return
    message = f"missing tool(s): {', '.join(missing)} (install them with `make system-deps`)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)
