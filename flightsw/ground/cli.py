"""``flightsw ground``: the operator console, and its non-interactive forms for scripts and shells.

Exit status of ``send``: 0 when the command completed, 1 when it failed or timed out (one line says why);
of ``run``: 0 when the procedure finished, 1 when it raised (one line says what). Errors of the command line
itself (an unknown command, a bad argument, no target on the link) are one line and status 2.
"""

from __future__ import annotations

import argparse
import queue
import runpy
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flightsw.dictionary import load_dictionary
from flightsw.errors import ConfigError, FlightswError
from flightsw.ground.commands import find_command, parse_words
from flightsw.ground.telemetry import Decoded, ParameterSample, display

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_CONNECT_S = 5.0


def configure(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = (
        "The ground console: send telecommands checked against the mission dictionary, follow their\n"
        "verification, watch telemetry, events and the link; record everything with --archive.\n"
        "\n"
        "examples:\n"
        "  flightsw ground --link /dev/ttyUSB0                         interactive console\n"
        "  flightsw ground --link socket://localhost:5000 send set_mode mode=safe\n"
        "  flightsw ground --link /dev/ttyUSB0 watch cdh_mode cdh_cpu_load --count 10\n"
        "  flightsw ground --link /dev/ttyUSB0 run procedures/checkout.py\n"
        "  flightsw ground --replay pass-0420.sqlite                   look at a recorded session"
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--link", metavar="PORT_OR_URL", help="serial device or pyserial URL of the target")
    source.add_argument("--replay", type=Path, metavar="FILE", help="show a recorded archive in the console")
    parser.add_argument("--baud", type=int, default=None, help="line rate (default: the link profile's)")
    parser.add_argument("--archive", type=Path, metavar="FILE", help="record every frame and packet here")
    parser.add_argument("--sdls-keys", type=Path, metavar="FILE",
                        help="SDLS key file (TOML, mode 600) to secure the command VC")
    parser.add_argument("--connect-timeout", type=float, default=DEFAULT_CONNECT_S, metavar="S",
                        help="how long to wait for the target's CLCW when connecting (default %(default)s)")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="replay speed as a multiple of real time; 0 = as fast as possible")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    send = actions.add_parser("send", help="send one command and wait for its verification")
    send.add_argument("telecommand", metavar="COMMAND", help="telecommand name from the dictionary")
    send.add_argument("arguments", nargs="*", metavar="ARG=VALUE")
    send.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="S",
                      help="seconds to wait for completion (default %(default)s)")
    watch = actions.add_parser("watch", help="print parameter values as they arrive")
    watch.add_argument("parameters", nargs="+", metavar="PARAM")
    watch.add_argument("--count", type=int, default=None, help="stop after this many values")
    watch.add_argument("--seconds", type=float, default=None, help="stop after this long")
    run = actions.add_parser("run", help="run a procedure (Python) with a `session` object in scope")
    run.add_argument("procedure", type=Path)
    run.add_argument("procedure_args", nargs=argparse.REMAINDER, metavar="ARGS")


def run(args: argparse.Namespace) -> int:
    dictionary = load_dictionary()
    if args.replay is not None:
        if args.action is not None:
            raise ConfigError("bad_usage", f"{args.action} needs --link, not --replay")
        return _replay_console(args, dictionary)
    if args.action == "send":
        # Check the command and its arguments before touching the link.
        from flightsw.ground.commands import prepare

        command = find_command(dictionary, args.telecommand)
        prepare(command, parse_words(args.arguments, command))
    if args.action == "watch":
        unknown = [p for p in args.parameters if p not in dictionary.parameter_by_name]
        if unknown:
            raise ConfigError("unknown_parameter", f"no telemetry parameter {', '.join(unknown)}")
    if args.action == "run" and not args.procedure.is_file():
        raise ConfigError("no_procedure", f"{args.procedure}: no such file")
    from flightsw.ground.session import Session

    archive = None
    if args.archive is not None:
        from flightsw.ground.archive import Archive

        archive = Archive(args.archive, dictionary=dictionary)
    try:
        wait = args.connect_timeout if args.action is not None else 0.0
        with Session.open(args.link, dictionary=dictionary, sdls_keys=args.sdls_keys, baud=args.baud,
                          wait_initiated=wait, recorder=archive, reconnect=args.action is None,
                          ) as session:
            if args.action == "send":
                return _send(session, args)
            if args.action == "watch":
                return _watch(session, args)
            if args.action == "run":
                return _run_procedure(session, args)
            return _live_console(session, args, dictionary)
    finally:
        if archive is not None:
            archive.close()


def _send(session: Any, args: argparse.Namespace) -> int:
    command = find_command(session.dictionary, args.telecommand)
    handle = session.send(args.telecommand, **parse_words(args.arguments, command))
    finished = handle.wait(args.timeout)
    if finished and handle.completed:
        print(f"{handle.name} #{handle.sequence_count} completed "
              f"({', '.join(r.describe() for r in handle.reports)})")
        return 0
    if not finished:
        seen = (", ".join(r.describe() for r in handle.reports)
                or f"no verification report, link {handle.link}")
        print(f"flightsw ground: {handle.name} not completed within {args.timeout:g} s ({seen})",
              file=sys.stderr)
    else:
        print(f"flightsw ground: {handle.name} failed: {handle.reason}", file=sys.stderr)
    return 1


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _watch(session: Any, args: argparse.Namespace) -> int:
    wanted = set(args.parameters)
    arrivals: queue.Queue[ParameterSample] = queue.Queue()

    def take(record: Decoded) -> None:
        if isinstance(record, ParameterSample) and record.name in wanted:
            arrivals.put(record)

    session.subscribe(take)
    deadline = None if args.seconds is None else time.monotonic() + args.seconds
    printed = 0
    while args.count is None or printed < args.count:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            break
        try:
            sample = arrivals.get(timeout=0.2 if left is None else min(0.2, left))
        except queue.Empty:
            continue
        unit = session.dictionary.parameter_by_name[sample.name].unit
        print(f"{_stamp(sample.received_at)} {sample.name} {display(sample.value, unit)}", flush=True)
        printed += 1
    return 0


def _run_procedure(session: Any, args: argparse.Namespace) -> int:
    path: Path = args.procedure
    saved_argv = sys.argv
    sys.argv = [str(path), *args.procedure_args]
    try:
        runpy.run_path(str(path), init_globals={"session": session}, run_name="__main__")
    except AssertionError as exc:
        print(f"flightsw ground: procedure {path.name} failed: {exc}", file=sys.stderr)
        return 1
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except FlightswError as exc:
        print(f"flightsw ground: procedure {path.name} failed: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        print(f"flightsw ground: procedure {path.name} raised {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        sys.argv = saved_argv
    return 0


def _live_console(session: Any, args: argparse.Namespace, dictionary: Any) -> int:
    from flightsw.ground.console import GroundConsole
    from flightsw.ground.display import TelemetryView

    console = GroundConsole(dictionary, TelemetryView(dictionary), session=session, source=args.link)
    console.say(f"flightsw ground on {args.link}: initiating COP-1; type help, Tab completes, Ctrl-D leaves")
    return console.run()


def _replay_console(args: argparse.Namespace, dictionary: Any) -> int:
    from flightsw.ground.console import run_replay

    return run_replay(args.replay, dictionary, speed=args.speed)
