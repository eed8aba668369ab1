"""``flightsw install-service``: run ``flightsw fly`` as a systemd service on a Raspberry Pi (or any systemd
Linux board with a UART).

What it installs:

- a system user ``flightsw`` in the ``dialout`` group (the group that owns the serial devices);
- ``/etc/flightsw/flight.toml``, the flight configuration (kept when it exists, so operator edits survive a
  re-install), readable by root and the service's group only;
- ``/var/lib/flightsw``, mode 0700, owned by the service user: flight parameters, on-board storage and the
  SDLS key file (systemd's ``StateDirectory=`` keeps owner and mode right at every start);
- ``/etc/systemd/system/flightsw.service`` (:func:`render_unit`): restart on failure, the hardening that
  leaves the serial device reachable; then ``systemctl daemon-reload`` and ``enable``.

The work is a plan of actions (:func:`plan`) applied by :func:`apply`, so ``--dry-run`` prints exactly what
would happen and ``--root DIR`` writes the files under a scratch root without touching users or systemd.
"""

from __future__ import annotations

import argparse
import grp
import os
import pwd
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TextIO

from flightsw.errors import ConfigError, FlightswError

SERVICE_NAME = "flightsw"
SERVICE_USER = "flightsw"
SERIAL_GROUP = "dialout"
DEFAULT_LINK = "/dev/serial0"
DEFAULT_PREFIX = PurePosixPath("/opt/flightsw")
UNIT_PATH = PurePosixPath(f"/etc/systemd/system/{SERVICE_NAME}.service")
CONFIG_DIR = PurePosixPath(f"/etc/{SERVICE_NAME}")
CONFIG_PATH = CONFIG_DIR / "flight.toml"
# systemd's StateDirectory=flightsw is /var/lib/flightsw for a system service.
STATE_DIR = PurePosixPath(f"/var/lib/{SERVICE_NAME}")
NOLOGIN = "/usr/sbin/nologin"
# Drivers of the UARTs a board exposes, as /proc/devices names them: PL011 (ttyAMA, /dev/serial0 on a Pi
# with Bluetooth moved off it), the Pi's mini UART (ttyS), USB adapters (ttyUSB, ttyACM).
SERIAL_DRIVERS = ("ttyAMA", "ttyS", "ttyUSB", "ttyACM")
_UNSAFE_IN_COMMAND = re.compile(r"[\s\"'\\;$`]")


@dataclass(frozen=True)
class ServiceSettings:
    """Where the installation lives and what the service runs."""

    prefix: PurePosixPath = DEFAULT_PREFIX
    link: str = DEFAULT_LINK
    user: str = SERVICE_USER

    def __post_init__(self) -> None:
        if not self.prefix.is_absolute():
            raise ConfigError("bad_service_setting", f"prefix must be an absolute path, not {self.prefix}")
        for name, value in (("prefix", str(self.prefix)), ("link", self.link)):
            if not value or _UNSAFE_IN_COMMAND.search(value):
                raise ConfigError("bad_service_setting",
                                  f"{name} {value!r} has characters that do not belong in a unit's ExecStart")
        if not (self.link.startswith("/dev/") or "://" in self.link):
            raise ConfigError("bad_service_setting",
                              f"link {self.link!r} is neither a /dev/ device nor a pyserial URL")
        if not re.fullmatch(r"[a-z_][a-z0-9_-]{0,31}", self.user):
            raise ConfigError("bad_service_setting", f"{self.user!r} is not a valid system user name")

    @property
    def executable(self) -> PurePosixPath:
        return self.prefix / "bin" / "flightsw"


def _systemd_escape(value: str) -> str:
    """``%`` introduces a specifier in unit files (systemd.unit(5), "Specifiers")."""
    return value.replace("%", "%%")


def render_unit(settings: ServiceSettings) -> str:
    """The systemd unit of the flight software."""
    under_home = settings.prefix.is_relative_to("/home") or settings.prefix.is_relative_to("/root")
    exec_start = (f"{_systemd_escape(str(settings.executable))} fly --link {_systemd_escape(settings.link)} "
                  f"--config {CONFIG_PATH}")
    device_allow = "".join(f"DeviceAllow=char-{driver} rw\n" for driver in SERIAL_DRIVERS)
    return f"""\
# flightsw on-board flight software; written by `flightsw install-service`.
# Local changes belong in a drop-in (`systemctl edit {SERVICE_NAME}`), which a re-install keeps.
[Unit]
Description=flightsw on-board flight software (C&DH executive and ADCS on {settings.link})
After=local-fs.target
# Give up after 10 failed starts within 2 minutes instead of restarting forever.
StartLimitIntervalSec=120
StartLimitBurst=10

[Service]
Type=simple
User={settings.user}
Group={settings.user}
# The serial devices belong to the dialout group.
SupplementaryGroups={SERIAL_GROUP}
ExecStart={exec_start}
Restart=on-failure
RestartSec=5
# SIGTERM makes `flightsw fly` finish its frame, store queued telemetry and flush its files.
KillSignal=SIGTERM
TimeoutStopSec=30
Environment=PYTHONUNBUFFERED=1
SyslogIdentifier={SERVICE_NAME}
# Storage, flight parameters and keys: /var/lib/{SERVICE_NAME}, owned by the service user, mode 0700.
StateDirectory={SERVICE_NAME}
StateDirectoryMode=0700
WorkingDirectory=%S/{SERVICE_NAME}
UMask=0077

# Hardening. Not used, because each would cut the service off its UART: PrivateDevices= (hides
# /dev/serial0), PrivateUsers= (the dialout group would not map into the service's user namespace).
DevicePolicy=closed
{device_allow}NoNewPrivileges=yes
CapabilityBoundingSet=
ProtectSystem=strict
ProtectHome={"read-only" if under_home else "yes"}
PrivateTmp=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native

[Install]
WantedBy=multi-user.target
"""


def render_config() -> str:
    """The flight configuration the unit points at (keys as in ``flightsw/cdh/config.py``)."""
    return f"""\
# flightsw flight configuration, read by `flightsw fly --config`. Every key is optional; unknown keys are
# errors. The link profile defaults (SCID, frame sizes, 115200 baud, ...) apply unless overridden in [link].

[flight]
# Flight parameters and on-board storage (the service's StateDirectory, mode 0700).
state_dir = "{STATE_DIR}"

# SDLS on TC VC0: uncomment after placing the AES-256 key (64 hex digits) there, owned by
# {SERVICE_USER} with mode 0600.
# [sdls]
# key_file = "{STATE_DIR}/tc_key.hex"
"""


@dataclass(frozen=True)
class WriteFile:
    path: PurePosixPath
    content: str
    mode: int
    group: str | None = None
    replace: bool = True


@dataclass(frozen=True)
class MakeDirectory:
    path: PurePosixPath
    mode: int
    owner: str | None = None


@dataclass(frozen=True)
class RunCommand:
    argv: tuple[str, ...]


Action = WriteFile | MakeDirectory | RunCommand


def plan(settings: ServiceSettings, *, user_exists: bool, enable: bool = True,
         replace_config: bool = False) -> list[Action]:
    """Everything an installation does, in order."""
    actions: list[Action] = []
    if user_exists:
        actions.append(RunCommand(("usermod", "--append", "--groups", SERIAL_GROUP, settings.user)))
    else:
        actions.append(RunCommand(("useradd", "--system", "--user-group", "--groups", SERIAL_GROUP,
                                   "--home-dir", str(STATE_DIR), "--no-create-home", "--shell", NOLOGIN,
                                   settings.user)))
    actions += [
        MakeDirectory(CONFIG_DIR, 0o755),
        WriteFile(CONFIG_PATH, render_config(), 0o640, group=settings.user, replace=replace_config),
        MakeDirectory(STATE_DIR, 0o700, owner=settings.user),
        WriteFile(UNIT_PATH, render_unit(settings), 0o644),
        RunCommand(("systemctl", "daemon-reload")),
    ]
    if enable:
        actions.append(RunCommand(("systemctl", "enable", f"{SERVICE_NAME}.service")))
    return actions


def describe(action: Action) -> str:
    if isinstance(action, WriteFile):
        extra = f", group {action.group}" if action.group else ""
        keep = "" if action.replace else " unless it exists"
        return f"write {action.path} (mode {action.mode:04o}{extra}){keep}"
    if isinstance(action, MakeDirectory):
        extra = f", owner {action.owner}" if action.owner else ""
        return f"create directory {action.path} (mode {action.mode:04o}{extra})"
    return "run " + " ".join(action.argv)


def _under(root: Path, path: PurePosixPath) -> Path:
    return root / path.relative_to("/")


def _chown(path: Path, user: str | None, group: str | None) -> str:
    """Give ``path`` to ``user``/``group`` where they exist and we may; returns a note when we could not."""
    if user is None and group is None:
        return ""
    try:
        uid = pwd.getpwnam(user).pw_uid if user else -1
        gid = grp.getgrnam(group).gr_gid if group else -1
    except KeyError:
        return f" (ownership not set: no {user or group} here)"
    if os.geteuid() != 0:
        return " (ownership not set: not root)"
    os.chown(path, uid, gid)
    return ""


def apply(actions: Sequence[Action], root: Path, *, run_commands: bool, out: TextIO) -> None:
    """Carry out ``actions`` with every path taken under ``root``; commands run only when ``run_commands``
    (an installation on the live system), else they are reported as skipped."""
    for action in actions:
        if isinstance(action, RunCommand):
            if not run_commands:
                print(f"skipped: {describe(action)} (not the live system)", file=out)
                continue
            proc = subprocess.run(list(action.argv), capture_output=True, text=True)
            if proc.returncode != 0:
                command = " ".join(action.argv)
                raise FlightswError("command_failed",
                                    f"{command} exited {proc.returncode}: {proc.stderr.strip()}")
            print(f"done: {describe(action)}", file=out)
        elif isinstance(action, MakeDirectory):
            path = _under(root, action.path)
            path.mkdir(parents=True, exist_ok=True)
            path.chmod(action.mode)
            print(f"done: {describe(action)}{_chown(path, action.owner, action.owner)}", file=out)
        else:
            path = _under(root, action.path)
            if path.exists() and not action.replace:
                print(f"kept: {action.path} exists (--replace-config overwrites it)", file=out)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.new")
            # Created with its final mode, so a secret-bearing file is never readable by others even briefly.
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, action.mode)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(action.content)
            os.chmod(temporary, action.mode)
            note = _chown(temporary, None, action.group)
            os.replace(temporary, path)
            print(f"done: {describe(action)}{note}", file=out)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Install `flightsw fly` as a systemd service: a system user in the dialout group, "
        f"{CONFIG_PATH}, the state directory {STATE_DIR} (mode 0700) and {UNIT_PATH}; then reload and "
        "enable it. Needs root on the live system."
    )
    parser.add_argument("--prefix", type=PurePosixPath, default=PurePosixPath(sys.prefix),
                        help="installation prefix holding bin/flightsw, e.g. the venv "
                             "(default: this interpreter's, %(default)s)")
    parser.add_argument("--link", default=DEFAULT_LINK,
                        help="serial device or pyserial URL the service flies on (default: %(default)s)")
    parser.add_argument("--user", default=SERVICE_USER, help="service user (default: %(default)s)")
    parser.add_argument("--root", type=Path, default=Path("/"),
                        help="write files under this directory instead of / and run no command "
                             "(for packaging and tests)")
    parser.add_argument("--dry-run", action="store_true", help="print what would be done and change nothing")
    parser.add_argument("--no-enable", action="store_true", help="do not enable the service at boot")
    parser.add_argument("--replace-config", action="store_true",
                        help=f"overwrite an existing {CONFIG_PATH}")
    parser.add_argument("--print-unit", action="store_true", help="print the unit file and exit")


def run(args: argparse.Namespace) -> int:
    settings = ServiceSettings(prefix=args.prefix, link=args.link, user=args.user)
    if args.print_unit:
        print(render_unit(settings), end="")
        return 0
    live = args.root.resolve() == Path("/")
    actions = plan(settings, user_exists=_user_exists(settings.user), enable=not args.no_enable,
                   replace_config=args.replace_config)
    if args.dry_run:
        for action in actions:
            print(f"would {describe(action)}")
        return 0
    if not Path(settings.executable).is_file():
        raise ConfigError("no_executable", f"{settings.executable} does not exist; install the package into "
                                           "that prefix or give --prefix")
    if live and os.geteuid() != 0:
        raise FlightswError("not_root", "installing a system service needs root (run it with sudo)")
    apply(actions, args.root, run_commands=live, out=sys.stdout)
    if live:
        print(f"start it with `systemctl start {SERVICE_NAME}`; "
              f"follow it with `journalctl -u {SERVICE_NAME} -f`")
    return 0
