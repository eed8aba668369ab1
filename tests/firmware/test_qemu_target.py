"""flightsw.target.qemu: QEMU is always stopped, the client socket has TCP_NODELAY, bad set-ups fail clearly,
and the foreground runner behind `make qemu` takes QEMU down with it on SIGTERM."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flightsw.errors import ConfigError
from flightsw.target.qemu import QemuStm32, free_port
from tests.firmware.ground import REPO

pytestmark = [pytest.mark.cross, pytest.mark.timeout(60)]


def test_qemu_is_stopped_when_the_body_fails(qemu_firmware: str) -> None:
    target = QemuStm32(qemu_firmware)
    process: subprocess.Popen[bytes] | None = None
    with pytest.raises(RuntimeError), target:
        assert target.sock is not None
        assert target.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        process = target.process
        assert process is not None and target.running
        raise RuntimeError("test body failed")
    assert process is not None and process.poll() is not None
    assert target.process is None and target.sock is None
    target.stop()  # idempotent


def test_missing_firmware_or_emulator_is_a_config_error(tmp_path: Path, qemu_firmware: str) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        QemuStm32(tmp_path / "absent.elf").start()
    with pytest.raises(ConfigError, match="not installed"):
        QemuStm32(qemu_firmware, binary="qemu-system-absent").start()


def _connectable(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


def test_foreground_runner_stops_qemu_on_sigterm(qemu_firmware: str) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    runner = subprocess.Popen([sys.executable, "-m", "flightsw.target.qemu", "--firmware", qemu_firmware,
                               "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while not _connectable(port):
            assert time.monotonic() < deadline, "QEMU never listened"
            assert runner.poll() is None
            time.sleep(0.05)
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(timeout=10) != 0
        time.sleep(0.2)
        assert not _connectable(port)  # QEMU went with it
    finally:
        # Whatever happened, nothing of the runner's process group (QEMU included) outlives the test.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(runner.pid, signal.SIGKILL)
        runner.wait()
