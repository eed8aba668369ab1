"""The interactive operator console (``flightsw ground --link PORT``): a prompt with completion from the
mission dictionary, each command checked before it is sent and followed to its verification, printed
telemetry, events and link happenings above the prompt, and a live panel (watched parameters with units,
limit colours and staleness, and the link status) in the bottom toolbar.

Typed at the prompt::

    set_mode mode=safe                 send a telecommand (Tab completes names, ARG= and enumeration values)
    tm [NAME|PREFIX ...]               the latest telemetry as a table
    watch NAME ...                     parameters of the live panel (``watch`` alone lists them)
    events [N]                         the last N events
    link                               link counters (CLCW, COP-1, frames, gaps, CRC errors, SDLS)
    commands                           commands sent and their verification
    help [COMMAND]                     console verbs, or a command's arguments
    quit                               leave (also Ctrl-D)

With ``--replay FILE`` the console shows a recorded session instead of a live link; nothing can be sent.
"""

from __future__ import annotations

import shlex
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import ANSI
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output
from prompt_toolkit.patch_stdout import patch_stdout
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from flightsw.dictionary import Dictionary
from flightsw.errors import FlightswError
from flightsw.ground.commands import describe, find_command, parse_words, prepare
from flightsw.ground.display import (
    LinkLine,
    TelemetryView,
    event_line,
    event_log,
    link_line,
    telemetry_table,
    to_ansi,
)
from flightsw.ground.session import CommandHandle, CommandStatus, Session
from flightsw.ground.telemetry import Decoded, EventRecord

VERBS: dict[str, str] = {
    "tm": "tm [NAME|PREFIX ...]  latest telemetry",
    "watch": "watch NAME ...  parameters of the live panel",
    "events": "events [N]  the last N events",
    "link": "link  link counters",
    "commands": "commands  commands sent and their verification",
    "help": "help [COMMAND]  this list, or a command's arguments",
    "quit": "quit  leave the console (also Ctrl-D)",
}
PARAMETER_VERBS = ("tm", "watch")
DEFAULT_WATCH = ("cdh_mode", "cdh_uptime", "cdh_cpu_load", "link_farm_state", "adcs_estimator_state",
                 "adcs_attitude_error", "platform_battery_voltage")


class DictionaryCompleter(Completer):
    """Completes console verbs and command names, then ``ARG=`` names and enumeration or boolean values."""

    def __init__(self, dictionary: Dictionary) -> None:
        self.dictionary = dictionary

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        text = document.text_before_cursor
        words = text.split()
        if text.endswith(" ") or not words:
            words.append("")
        current = words[-1]
        if len(words) == 1:
            for verb, meta in VERBS.items():
                if verb.startswith(current):
                    yield Completion(verb, -len(current), display_meta=meta.split("  ")[-1])
            for command in self.dictionary.telecommands:
                if command.name.startswith(current):
                    yield Completion(command.name, -len(current), display_meta=command.description[:60])
            return
        first = words[0]
        if first in PARAMETER_VERBS:
            for parameter in self.dictionary.parameters:
                if parameter.name.startswith(current):
                    yield Completion(parameter.name, -len(current), display_meta=parameter.unit)
            return
        if first == "help":
            for command in self.dictionary.telecommands:
                if command.name.startswith(current):
                    yield Completion(command.name, -len(current))
            return
        found = self.dictionary.command_by_name.get(first)
        if found is None:
            return
        command = found
        if "=" in current:
            name, _, partial = current.partition("=")
            argument = next((a for a in command.arguments if a.name == name), None)
            if argument is None:
                return
            if argument.enumeration is not None:
                choices: Sequence[str] = list(argument.enumeration.by_name)
            elif argument.type.kind == "bool":
                choices = ("true", "false")
            elif argument.type.kind == "cuc":
                choices = ("now", "now+")
            else:
                return
            for choice in choices:
                if choice.startswith(partial):
                    yield Completion(choice, -len(partial))
            return
        used = {word.partition("=")[0] for word in words[1:-1]}
        for argument in command.arguments:
            if argument.name not in used and argument.name.startswith(current):
                yield Completion(f"{argument.name}=", -len(current), display=f"{argument.name}=",
                                 display_meta=describe(argument))


class GroundConsole:
    """The console's logic, independent of the terminal: :meth:`execute` runs one typed line; :meth:`run`
    reads lines from a prompt until quit. ``session`` is None when replaying (nothing can be sent)."""

    def __init__(
        self,
        dictionary: Dictionary,
        view: TelemetryView,
        *,
        session: Session | None = None,
        out: Console | None = None,
        watched: Sequence[str] = DEFAULT_WATCH,
        source: str = "",
        link_status: Callable[[], str] | None = None,
    ) -> None:
        self.dictionary = dictionary
        self.view = view
        self.session = session
        self.out = out if out is not None else Console(highlight=False)
        self.watched = [name for name in watched if name in dictionary.parameter_by_name]
        self.source = source
        self._link_status = link_status
        self._print_lock = threading.Lock()
        self._reported: dict[int, int] = {}  # id(handle) -> reports already printed
        self._finished: set[int] = set()
        self.prompt: PromptSession[str] | None = None  # while :meth:`run` runs
        if session is not None:
            session.subscribe(self.show)
            session.on_command(self._command_update)
            session.on_link(lambda text: self.say(Text(f"link: {text}", style="yellow")))

    # -- output -------------------------------------------------------------------------------------

    def say(self, renderable: Any) -> None:
        with self._print_lock:
            self.out.print(renderable)

    def show(self, record: Decoded) -> None:
        """Take a decoded record into the view; print it when it is an event."""
        self.view.feed(record)
        if isinstance(record, EventRecord):
            self.say(event_line(record, self.dictionary))

    def _command_update(self, handle: CommandHandle) -> None:
        key = id(handle)
        shown = self._reported.get(key, 0)
        for report in handle.reports[shown:]:
            style = "green" if report.success else "bold red"
            self.say(Text(f"  {handle.name} #{handle.sequence_count}: {report.describe()}", style=style))
        self._reported[key] = len(handle.reports)
        if handle.status is not CommandStatus.PENDING and key not in self._finished:
            self._finished.add(key)
            if handle.completed:
                self.say(Text(f"✔ {handle.name} #{handle.sequence_count} completed", style="bold green"))
            else:
                self.say(Text(f"✘ {handle.name} #{handle.sequence_count} failed: {handle.reason}",
                              style="bold red"))

    def link_status(self) -> LinkLine:
        if self._link_status is not None:
            return LinkLine(self._link_status(), False)
        if self.session is None:
            return LinkLine(self.source, False)
        return link_line(self.session.link_statistics(), time.time(), self.session.link.last_frame_at)

    def panel(self) -> Group:
        """The live panel: watched telemetry and the link line (red on lockout or silence)."""
        line = self.link_status()
        return Group(telemetry_table(self.view, self.watched, title="watched"),
                     Text(line.text, style="bold red" if line.alarm else "cyan"))

    # -- commands -----------------------------------------------------------------------------------

    def execute(self, line: str) -> bool:
        """Run one typed line; False when the console should stop."""
        try:
            words = shlex.split(line)
        except ValueError as exc:
            self.say(Text(f"error: {exc}", style="red"))
            return True
        if not words:
            return True
        verb, rest = words[0], words[1:]
        try:
            if verb in ("quit", "exit"):
                return False
            if verb == "help":
                self._help(rest)
            elif verb == "tm":
                self._tm(rest)
            elif verb == "watch":
                self._watch(rest)
            elif verb == "events":
                count = int(rest[0]) if rest else 20
                self.say(event_log(self.view, count))
            elif verb == "link":
                self._link()
            elif verb == "commands":
                self._commands()
            else:
                self._send(verb, rest)
        except FlightswError as exc:
            self.say(Text(f"error: {exc}", style="bold red"))
        except ValueError as exc:
            self.say(Text(f"error: {exc}", style="bold red"))
        return True

    def _send(self, name: str, words: Sequence[str]) -> None:
        command = find_command(self.dictionary, name)
        values = parse_words(words, command)
        if self.session is None:
            # Still check the arguments, so a replay can be used to rehearse a procedure's commands.
            prepare(command, values)
            self.say(Text(f"not sent: replaying {self.source}, there is no link", style="yellow"))
            return
        handle = self.session.send(name, **values)
        self.say(Text(f"→ {name} #{handle.sequence_count} sent", style="cyan"))

    def _help(self, words: Sequence[str]) -> None:
        if words:
            command = find_command(self.dictionary, words[0])
            table = Table(title=f"{command.name}: TC[{command.service},{command.subtype}] "
                                f"{command.description}", title_justify="left")
            table.add_column("argument")
            table.add_column("type / range")
            table.add_column("description")
            for argument in command.arguments:
                table.add_row(argument.name, describe(argument), argument.description)
            self.say(table)
            return
        for text in VERBS.values():
            self.say(text)
        count = len(self.dictionary.telecommands)
        self.say(f"any of {count} telecommands: NAME ARG=VALUE ... (Tab completes)")

    def _tm(self, words: Sequence[str]) -> None:
        latest = self.view.latest()
        if words:
            names = [n for n in self.dictionary.parameter_by_name if any(n.startswith(w) for w in words)]
            if not names:
                raise FlightswError("unknown_parameter", f"no parameter matches {' '.join(words)}")
        else:
            names = sorted(latest)
        self.say(telemetry_table(self.view, names))

    def _watch(self, words: Sequence[str]) -> None:
        if words:
            unknown = [w for w in words if w not in self.dictionary.parameter_by_name]
            if unknown:
                raise FlightswError("unknown_parameter", f"no parameter {', '.join(unknown)}")
            self.watched = list(words)
        self.say("watching: " + ", ".join(self.watched))

    def _link(self) -> None:
        if self.session is None:
            self.say(self.link_status().text)
            return
        stats = self.session.link_statistics()
        table = Table(title="link", title_justify="left")
        table.add_column("counter")
        table.add_column("value", justify="right")
        for key in sorted(stats):
            table.add_row(key, str(stats[key]))
        self.say(table)

    def _commands(self) -> None:
        if self.session is None:
            self.say("no commands: replay")
            return
        for handle in self.session.commands():
            self.say(f"#{handle.sequence_count} {handle.describe()}")

    # -- the prompt ---------------------------------------------------------------------------------

    def toolbar(self) -> ANSI:
        return ANSI(to_ansi(self.panel(), width=self.out.width).rstrip("\n"))

    def run(self, *, input: Input | None = None, output: Output | None = None) -> int:
        prompt: PromptSession[str] = PromptSession(
            completer=DictionaryCompleter(self.dictionary),
            complete_while_typing=True,
            history=InMemoryHistory(),
            bottom_toolbar=self.toolbar,
            refresh_interval=0.5,
            input=input,
            output=output,
        )
        self.prompt = prompt
        with patch_stdout(raw=True):
            while True:
                try:
                    line = prompt.prompt("ground> ")
                except KeyboardInterrupt:
                    continue
                except EOFError:
                    return 0
                if not self.execute(line):
                    return 0


def run_replay(path: Path, dictionary: Dictionary, *, speed: float = 1.0, out: Console | None = None,
               input: Input | None = None, output: Output | None = None) -> int:
    """The console on a recorded archive: packets are replayed (at ``speed`` × real time, 0 = at once)
    into the view while the operator looks at them; staleness runs on the replay's clock."""
    from flightsw.ground.archive import replay_packets, summary

    info = summary(path)
    total = info["packets"]
    replay_time = [0.0]
    done = [0]
    view = TelemetryView(dictionary, clock=lambda: replay_time[0])

    def status() -> str:
        at = datetime.fromtimestamp(replay_time[0], UTC).strftime("%Y-%m-%d %H:%M:%S") if done[0] else "-"
        return f"replay of {path}: {done[0]}/{total} packets, at {at}"

    console = GroundConsole(dictionary, view, out=out, source=str(path), link_status=status)

    def feed(record: Decoded) -> None:
        replay_time[0] = max(replay_time[0], getattr(record, "received_at", 0.0))
        console.show(record)

    def progress(count: int) -> None:
        done[0] = count

    stop = threading.Event()
    worker = threading.Thread(target=replay_into, args=(feed, replay_packets(path), dictionary),
                              kwargs={"speed": speed, "stop": stop, "progress": progress}, daemon=True)
    console.say(f"replaying {path}: {total} packets from {info['first']} to {info['last']}")
    worker.start()
    try:
        return console.run(input=input, output=output)
    finally:
        stop.set()
        worker.join(timeout=2)


def replay_into(view_feed: Callable[[Decoded], None], packets: Iterable[tuple[float, int, bytes]],
                dictionary: Dictionary, *, speed: float, stop: threading.Event,
                progress: Callable[[int], None] | None = None) -> int:
    """Decode recorded packets into ``view_feed`` (receive times kept), paced at ``speed`` × real time
    (0: as fast as possible); returns the packets replayed."""
    from flightsw.ground.telemetry import TelemetryDecoder

    decoder = TelemetryDecoder(dictionary)
    first: float | None = None
    started = time.monotonic()
    count = 0
    for received_at, _vcid, packet in packets:
        if stop.is_set():
            break
        if first is None:
            first = received_at
        if speed > 0:
            due = started + (received_at - first) / speed
            delay = due - time.monotonic()
            if delay > 0 and stop.wait(delay):
                break
        for record in decoder.decode(bytes(packet), received_at):
            view_feed(record)
        count += 1
        if progress is not None:
            progress(count)
    return count
