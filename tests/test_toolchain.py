"""The shared rule for tools from outside Python: skip locally, fail under CI=true."""

from __future__ import annotations

import shutil

import pytest

from tests.toolchain import require_tools


def test_missing_tool_skips_locally_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda tool: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="missing tool"):
        require_tools("qemu-aarch64")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="arm-none-eabi-gcc"):
        require_tools("arm-none-eabi-gcc")


def test_present_tools_neither_skip_nor_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda tool: f"/usr/bin/{tool}")
    monkeypatch.setenv("CI", "true")
    require_tools("make", "gcc")
