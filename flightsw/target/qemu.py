"""Run the STM32 firmware of the ADCS node under ``qemu-system-arm -M netduinoplus2`` with its UART on TCP.

The first serial port of the machine (USART1) goes to a chardev socket in server mode: QEMU listens on
``host:port`` and, with ``wait=on``, holds the guest until a client connects, so no byte the firmware sends at
start is lost. ``nodelay=on`` on QEMU's side and TCP_NODELAY on the client's keep small replies from waiting
behind Nagle's algorithm.

    with QemuStm32(firmware) as target:          # starts QEMU, connects, always stops QEMU on exit
        target.write(cltu)
        data = target.read(timeout=0.5)

``python -m flightsw.target.qemu --firmware ELF --port 5555`` (``make qemu``) starts QEMU alone and waits for
a console to connect, e.g. with pyserial ``socket://localhost:5555``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from flightsw.errors import ConfigError, FlightswError

QEMU_BINARY = "qemu-system-arm"
MACHINE = "netduinoplus2"
DEFAULT_HOST = "127.0.0.1"
CONNECT_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
_PORT_ATTEMPTS = 3


class QemuError(FlightswError):
    """QEMU could not be started or reached."""


def find_qemu(binary: str = QEMU_BINARY) -> str | None:
    """Path of the QEMU system emulator, or None when it is not installed."""
    return shutil.which(binary)


def free_port(host: str = DEFAULT_HOST) -> int:
    """A TCP port the kernel just handed out (bind to port 0); another process may still take it first."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def qemu_command(firmware: Path, port: int, *, host: str = DEFAULT_HOST, binary: str = QEMU_BINARY,
                 wait_for_client: bool = True) -> list[str]:
    """The QEMU command line: the machine, the firmware, USART1 on a TCP server socket, no display."""
    wait = "on" if wait_for_client else "off"
    return [
        binary,
        "-M", MACHINE,
        "-kernel", str(firmware),
        "-display", "none",
        "-monitor", "none",
        "-chardev", f"socket,id=link,host={host},port={port},server=on,wait={wait},nodelay=on",
        "-serial", "chardev:link",
    ]


class QemuStm32:
    """QEMU running the firmware, and a TCP connection to its first serial port."""

    def __init__(self, firmware: Path | str, *, host: str = DEFAULT_HOST, port: int | None = None,
                 binary: str = QEMU_BINARY, connect_timeout: float = CONNECT_TIMEOUT_S) -> None:
        self.firmware = Path(firmware)
        self.host = host
        self.port = port
        self.binary = binary
        self.connect_timeout = connect_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.sock: socket.socket | None = None
        self._log: tempfile._TemporaryFileWrapper[bytes] | None = None

    # -- lifecycle --

    def start(self) -> None:
        """Start QEMU and connect; on any failure QEMU is stopped and QemuError raised."""
        if not self.firmware.is_file():
            raise ConfigError("not_found", f"firmware image {self.firmware} does not exist")
        if find_qemu(self.binary) is None:
            raise ConfigError("not_found", f"{self.binary} is not installed")
        fixed_port = self.port
        last_error = ""
        for _ in range(1 if fixed_port is not None else _PORT_ATTEMPTS):
            self.port = fixed_port if fixed_port is not None else free_port(self.host)
            try:
                self._spawn()
                self._connect()
                return
            except QemuError as exc:
                last_error = str(exc)
                self.stop()
        raise QemuError("qemu_unreachable", last_error)

    def _spawn(self) -> None:
        assert self.port is not None
        self._log = tempfile.NamedTemporaryFile(prefix="qemu-stm32-", suffix=".log")  # noqa: SIM115
        self.process = subprocess.Popen(
            qemu_command(self.firmware, self.port, host=self.host, binary=self.binary),
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def _connect(self) -> None:
        deadline = time.monotonic() + self.connect_timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise QemuError("qemu_exited", f"QEMU exited with status {self.process.returncode}: "
                                f"{self.log_tail()}")
            try:
                sock = socket.create_connection((self.host, self.port or 0), timeout=0.5)
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise QemuError("qemu_unreachable", f"no connection to {self.host}:{self.port}: {exc}") \
                        from exc
                time.sleep(0.05)
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock = sock
            return

    def stop(self) -> None:
        """Close the connection and stop QEMU (SIGTERM, then SIGKILL); safe to call more than once."""
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
            self.sock = None
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> QemuStm32:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- I/O --

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def write(self, data: bytes) -> None:
        if self.sock is None:
            raise QemuError("not_connected", "QEMU target is not started")
        self.sock.sendall(data)

    def read(self, timeout: float = 0.1, max_octets: int = 65536) -> bytes:
        """What the firmware sent, waiting up to ``timeout`` seconds for the first octets; b"" if none."""
        if self.sock is None:
            raise QemuError("not_connected", "QEMU target is not started")
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(max_octets)
        except (TimeoutError, BlockingIOError):  # the latter with timeout 0 (non-blocking poll)
            return b""
        if not data:
            raise QemuError("connection_closed", f"QEMU closed the serial connection: {self.log_tail()}")
        return data

    def log_tail(self, octets: int = 2000) -> str:
        """The end of QEMU's own output (errors, guest errors), for messages."""
        if self._log is None:
            return ""
        try:
            text = Path(self._log.name).read_bytes()[-octets:]
        except OSError:
            return ""
        return text.decode(errors="replace").strip()


def serve(firmware: Path, port: int, host: str = DEFAULT_HOST, binary: str = QEMU_BINARY) -> int:
    """Run QEMU in the foreground until it exits or is interrupted; a console connects to host:port."""
    if not firmware.is_file():
        raise ConfigError("not_found", f"firmware image {firmware} does not exist (make firmware)")
    if find_qemu(binary) is None:
        raise ConfigError("not_found", f"{binary} is not installed (make system-deps)")
    print(f"QEMU {MACHINE}: firmware {firmware}; connect the console to socket://{host}:{port} "
          "(the firmware starts when it does)", file=sys.stderr)
    command = qemu_command(firmware, port, host=host, binary=binary)

    def stop_on_signal(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop_on_signal)
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
    try:
        return process.wait()
    except KeyboardInterrupt:
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the ADCS node firmware under QEMU, UART on TCP.")
    parser.add_argument("--firmware", type=Path, required=True, help="ELF image of the netduinoplus2 build")
    parser.add_argument("--port", type=int, default=5555, help="TCP port of the UART (default 5555)")
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (default 127.0.0.1)")
    args = parser.parse_args(argv)
    try:
        return serve(args.firmware, args.port, args.host)
    except FlightswError as exc:
        print(f"qemu: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
