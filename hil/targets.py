"""The targets the HIL suite runs against, behind one interface: start, restart and stop a target, get a
byte transport to its serial link, and encode truth-simulated sensor samples as its injection packets.

- ``sim``: ``flightsw fly --sim`` in a subprocess on the slave of a pty pair; the rig holds the master.
- ``qemu-stm32``: the STM32 ADCS node firmware under ``qemu-system-arm`` (:mod:`flightsw.target.qemu`).
- ``serial:PORT[,BAUD]``: a real board on a UART; the rig only opens the port (flashing is ``make flash``).

Each target declares its :data:`capabilities`; a test that needs one the target lacks is skipped with the
reason, never silently passed. A target that cannot be started or does not send a single octet within
:data:`FIRST_OCTETS_TIMEOUT_S` raises :class:`TargetUnreachable` with one line saying why.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from flightsw.ccsds.pus import PusTc
from flightsw.cdh.adcs import injection_command
from flightsw.errors import FlightswError
from flightsw.ground.commands import prepare
from flightsw.link import PtyPair, Transport, open_link
from flightsw.profile import DEFAULT_PROFILE, LinkProfile

REPO = Path(__file__).resolve().parents[1]
FIRMWARE_DIR = REPO / "csrc" / "firmware" / "stm32f4"
QEMU_FIRMWARE = REPO / "build" / "firmware" / "netduinoplus2" / "adcs-node.elf"
FIRST_OCTETS_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 5.0

# Capabilities a test may require.
LINK = "link"  # CCSDS link with COP-1 and an are-you-alive test
HOUSEKEEPING = "housekeeping"  # ST[03] periodic reports with commandable periods
PARAMETERS = "parameters"  # ST[20] flight parameters
MODES = "modes"  # C&DH modes and FDIR (set_mode, SAFE on faults)
INJECTION = "injection"  # HIL sensor injection on TC VC1, estimate reported in adcs_* telemetry
SDLS = "sdls"  # SDLS on the command VC can be configured
NOISE_MODEL = "noise_model"  # the estimator takes its sensor noise model from the adcs_*_sigma parameters

class TargetUnreachable(FlightswError):
    """The target could not be started or reached."""


class _QemuTransport:
    """:class:`flightsw.target.qemu.QemuStm32`'s socket as a :class:`~flightsw.link.Transport`."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def read(self, max_octets: int, timeout: float) -> bytes:
        self._sock.settimeout(max(timeout, 1e-3))
        try:
            data = self._sock.recv(max_octets)
        except TimeoutError:
            return b""
        if not data:
            raise OSError("QEMU closed the serial connection")
        return data

    def write(self, data: bytes) -> int:
        self._sock.sendall(data)
        return len(data)

    def close(self) -> None:
        """The socket belongs to the QEMU runner, which closes it when the target stops."""


def _wait_first_octets(transport: Transport, timeout: float,
                       alive: Callable[[], bool] | None = None) -> bytes:
    """The first octets the target sends; b"" when nothing arrives in ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = transport.read(4096, 0.2)
        if data:
            return data
        if alive is not None and not alive():
            return b""
    return b""


class Target(ABC):
    """One target; :meth:`start` gives the transport to its link, :meth:`stop` always cleans up."""

    name: str
    capabilities: frozenset[str]
    alive_command: str
    # The rate the target's estimator steps at (the flight ADCS rate group; the node's adcs_update_period).
    sample_rate_hz: float = 100.0

    def __init__(self, profile: LinkProfile = DEFAULT_PROFILE) -> None:
        self.profile = profile
        self._sequence = 0
        self.sdls_key_file: Path | None = None
        self._injection = injection_command(profile.apids.simulation)

    @abstractmethod
    def start(self, workdir: Path) -> Transport: ...

    @abstractmethod
    def stop(self) -> None: ...

    def restart(self, workdir: Path) -> Transport:
        self.stop()
        return self.start(workdir)

    def log_tail(self) -> str:
        return ""

    def missing(self, *needed: str) -> list[str]:
        return [c for c in needed if c not in self.capabilities]

    def injection_app_data(self, gyr: npt.NDArray[np.float64], acc: npt.NDArray[np.float64],
                           mag: npt.NDArray[np.float64]) -> list[bytes]:
        """Application data of TC[128,1] ``sim_imu_sample`` (as the executive defines it, and the node
        mirrors it): one packet per sample, nine binary64 values."""
        out = []
        for g, a, m in zip(gyr, acc, mag, strict=True):
            arguments = {f"{sensor}_{axis}": float(value)
                         for sensor, vector in (("gyr", g), ("acc", a), ("mag", m))
                         for axis, value in zip("xyz", vector, strict=True)}
            out.append(prepare(self._injection, arguments)[1])
        return out

    def injection_packets(self, gyr: npt.ArrayLike, acc: npt.ArrayLike, mag: npt.ArrayLike) -> list[bytes]:
        """Complete TC packets for TC VC1 (APID simulation; no verification requested, samples are a
        stream whose effect the attitude telemetry shows)."""
        out = []
        command = self._injection
        for app_data in self.injection_app_data(np.asarray(gyr, dtype=np.float64),
                                                np.asarray(acc, dtype=np.float64),
                                                np.asarray(mag, dtype=np.float64)):
            tc = PusTc(self.profile.apids.simulation, self._sequence, 0, command.service, command.subtype,
                       self.profile.pus.ground_id, app_data)
            self._sequence = (self._sequence + 1) % (1 << 14)
            out.append(tc.encode(profile=self.profile))
        return out


class SimTarget(Target):
    """``flightsw fly --sim`` on a pty pair; with ``sdls_key`` it runs with SDLS on the command VC."""

    name = "sim"
    capabilities = frozenset({LINK, HOUSEKEEPING, PARAMETERS, MODES, INJECTION, SDLS, NOISE_MODEL})
    alive_command = "are_you_alive"

    def __init__(self, profile: LinkProfile = DEFAULT_PROFILE, *, sdls_key: bytes | None = None) -> None:
        super().__init__(profile)
        self.sdls_key = sdls_key
        self.pair: PtyPair | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None

    def start(self, workdir: Path) -> Transport:
        workdir.mkdir(parents=True, exist_ok=True)
        self.pair = PtyPair(workdir / "flight-link")
        command = [sys.executable, "-m", "flightsw.cli", "fly", "--link", self.pair.path, "--sim",
                   "--state-dir", str(workdir / "state"), "--log-level", "WARNING"]
        if self.sdls_key is not None:
            command += ["--config", str(self._write_sdls_config(workdir))]
        self.log_path = workdir / "fly.log"
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                            stdin=subprocess.DEVNULL, start_new_session=True, cwd=REPO)
        transport = self.pair.master()
        process = self.process
        if not _wait_first_octets(transport, FIRST_OCTETS_TIMEOUT_S, lambda: process.poll() is None):
            tail = self.log_tail()
            self.stop()
            raise TargetUnreachable("target_unreachable",
                                    f"flightsw fly sent nothing within {FIRST_OCTETS_TIMEOUT_S:g} s: {tail}")
        return transport

    def _write_sdls_config(self, workdir: Path) -> Path:
        assert self.sdls_key is not None
        key_path = workdir / "tc_key.hex"
        key_path.write_text(self.sdls_key.hex(), encoding="ascii")
        key_path.chmod(0o600)
        self.sdls_key_file = workdir / "ground_keys.toml"
        self.sdls_key_file.write_text(f'[[key]]\nspi = {self.profile.sdls.spi}\nkey_id = 1\n'
                                      f'key = "{self.sdls_key.hex()}"\n', encoding="ascii")
        self.sdls_key_file.chmod(0o600)
        config = workdir / "flight.toml"
        config.write_text('[sdls]\nkey_file = "tc_key.hex"\n', encoding="ascii")
        return config

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, 9)
                process.wait()
        if self.pair is not None:
            self.pair.close()
            self.pair = None

    def log_tail(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        lines = self.log_path.read_text(errors="replace").strip().splitlines()
        return lines[-1] if lines else "no output"


class QemuStm32Target(Target):
    """The ADCS node firmware under QEMU; each start is a fresh QEMU on a free port."""

    name = "qemu-stm32"
    capabilities = frozenset({LINK, HOUSEKEEPING, PARAMETERS, INJECTION})
    alive_command = "adcs_are_you_alive"

    def __init__(self, profile: LinkProfile = DEFAULT_PROFILE, firmware: Path = QEMU_FIRMWARE) -> None:
        super().__init__(profile)
        self.firmware = firmware
        self.qemu: object = None

    def start(self, workdir: Path) -> Transport:
        from flightsw.target.qemu import QemuStm32, find_qemu

        if find_qemu() is None or shutil.which("arm-none-eabi-gcc") is None:
            raise TargetUnreachable("target_unreachable", "qemu-system-arm or arm-none-eabi-gcc is not "
                                    "installed (make system-deps)")
        # make is incremental: a firmware image older than its sources is rebuilt, a current one kept.
        build = subprocess.run(["make", "--no-print-directory", "-C", str(FIRMWARE_DIR), "netduinoplus2"],
                               capture_output=True, text=True, timeout=600)
        if build.returncode != 0 or not self.firmware.is_file():
            last = (build.stderr or build.stdout).strip().splitlines()[-1:] or ["no output"]
            raise TargetUnreachable("target_unreachable", f"firmware build failed: {last[0]}")
        qemu = QemuStm32(self.firmware)
        try:
            qemu.start()
        except FlightswError as exc:
            raise TargetUnreachable("target_unreachable", f"QEMU: {exc}") from None
        self.qemu = qemu
        assert qemu.sock is not None
        transport = _QemuTransport(qemu.sock)
        # The node sends its first frame once its UART is up; until then QEMU drops what it receives.
        if not _wait_first_octets(transport, FIRST_OCTETS_TIMEOUT_S, lambda: qemu.running):
            tail = qemu.log_tail().splitlines()[-1:] or ["no output"]
            self.stop()
            raise TargetUnreachable("target_unreachable", f"the firmware sent nothing within "
                                    f"{FIRST_OCTETS_TIMEOUT_S:g} s: {tail[0]}")
        return transport

    def stop(self) -> None:
        from flightsw.target.qemu import QemuStm32

        qemu, self.qemu = self.qemu, None
        if isinstance(qemu, QemuStm32):
            qemu.stop()


class SerialTarget(Target):
    """A real board on ``port``: the flight software of a Pi (without simulation mode) or any target that
    speaks the mission link; only what every such board serves is declared."""

    capabilities = frozenset({LINK, HOUSEKEEPING, PARAMETERS})
    alive_command = "are_you_alive"

    def __init__(self, port: str, baud: int, profile: LinkProfile = DEFAULT_PROFILE) -> None:
        super().__init__(profile)
        self.port = port
        self.baud = baud
        self.name = f"serial:{port}"
        self.transport: Transport | None = None

    def start(self, workdir: Path) -> Transport:
        try:
            transport = open_link(self.port, self.baud)
        except (FlightswError, OSError) as exc:
            raise TargetUnreachable("target_unreachable", f"cannot open {self.port}: {exc}") from None
        if not _wait_first_octets(transport, FIRST_OCTETS_TIMEOUT_S):
            transport.close()
            raise TargetUnreachable("target_unreachable",
                                    f"nothing received on {self.port} at {self.baud} baud within "
                                    f"{FIRST_OCTETS_TIMEOUT_S:g} s (is the board powered and flashed?)")
        self.transport = transport
        return transport

    def stop(self) -> None:
        transport, self.transport = self.transport, None
        if transport is not None:
            transport.close()


def parse_target(spec: str, profile: LinkProfile = DEFAULT_PROFILE) -> Target:
    """A target from its ``--target`` spelling."""
    if spec == "sim":
        return SimTarget(profile)
    if spec == "qemu-stm32":
        return QemuStm32Target(profile)
    if spec.startswith("serial:"):
        port, _, baud = spec.removeprefix("serial:").partition(",")
        if not port:
            raise FlightswError("bad_target", f"{spec!r}: expected serial:PORT[,BAUD]")
        try:
            rate = int(baud) if baud else profile.baud
        except ValueError:
            raise FlightswError("bad_target", f"{spec!r}: baud {baud!r} is not a number") from None
        return SerialTarget(port, rate, profile)
    raise FlightswError("bad_target", f"unknown target {spec!r}: sim, qemu-stm32 or serial:PORT[,BAUD]")


def target_names(specs: Sequence[str]) -> list[str]:
    return [parse_target(s).name for s in specs]
