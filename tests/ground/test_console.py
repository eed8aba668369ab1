"""The console driven end to end against the real ``flightsw fly`` over ptys: typed keys go through
prompt_toolkit (a pipe input, a dummy output), completion comes from the dictionary, arguments are refused
before sending, and each command's verification is printed as it arrives."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from fly_target import FlyTarget
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from flightsw.dictionary import load_dictionary
from flightsw.ground.console import DictionaryCompleter, GroundConsole
from flightsw.ground.display import TelemetryView, to_plain
from flightsw.ground.session import Session

DICTIONARY = load_dictionary()


class Screen(io.StringIO):
    """What the console printed, safe to read while it prints from the session's thread."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def write(self, text: str) -> int:
        with self.lock:
            return super().write(text)

    def text(self) -> str:
        with self.lock:
            return self.getvalue()


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@contextmanager
def running_console(session: Session) -> Iterator[tuple[GroundConsole, Screen, Callable[[str], None]]]:
    screen = Screen()
    console = GroundConsole(DICTIONARY, TelemetryView(DICTIONARY), session=session,
                            out=Console(file=screen, width=140, force_terminal=False, color_system=None))
    with create_pipe_input() as keys:
        result: list[int] = []
        thread = threading.Thread(target=lambda: result.append(console.run(input=keys,
                                                                          output=DummyOutput())))
        thread.start()
        assert wait_until(lambda: console.prompt is not None and console.prompt.app.is_running)

        def type_keys(text: str) -> None:
            keys.send_text(text)

        try:
            yield console, screen, type_keys
        finally:
            keys.send_text("quit\r")
            thread.join(timeout=10)
        assert result == [0]


def buffer_text(console: GroundConsole) -> str:
    assert console.prompt is not None
    return console.prompt.app.current_buffer.text


@pytest.fixture
def fly_session(fly: FlyTarget) -> Iterator[Session]:
    with Session.open(fly.ground_link, wait_initiated=15.0) as session:
        yield session


def test_console_end_to_end(fly_session: Session) -> None:
    with running_console(fly_session) as (console, screen, type_keys):
        # Completion of a command name, then of an argument name and an enumeration value, by Tab.
        type_keys("set_mo")
        assert wait_until(lambda: buffer_text(console) == "set_mo")
        type_keys("\t")
        assert wait_until(lambda: buffer_text(console).startswith("set_mode"))
        type_keys(" mo")
        assert wait_until(lambda: buffer_text(console).endswith(" mo"))
        type_keys("\t")
        assert wait_until(lambda: buffer_text(console).endswith("mode="))
        type_keys("nom")
        assert wait_until(lambda: buffer_text(console).endswith("mode=nom"))
        type_keys("\t")
        assert wait_until(lambda: buffer_text(console) == "set_mode mode=nominal")
        type_keys("\r")
        # The command is sent and followed to its completion.
        assert wait_until(lambda: "✔ set_mode #0 completed" in screen.text()), screen.text()
        text = screen.text()
        assert "→ set_mode #0 sent" in text
        assert "set_mode #0: acceptance" in text and "set_mode #0: start" in text
        assert "mode_changed previous=safe current=nominal" in text

        # Validation before sending: nothing goes out, the error names the argument.
        sent_before = fly_session.link_statistics()["commands"]
        type_keys("set_mode mode=sleepy\r")
        type_keys("adcs_slew q_w=1 q_x=0 q_y=0 q_z=0 rate=0.5\r")
        assert wait_until(lambda: "adcs_slew: rate: 0.5 outside [0.0, 0.1] rad/s" in screen.text())
        assert "set_mode: mode: 'sleepy': expected one of safe|nominal" in screen.text()
        assert fly_session.link_statistics()["commands"] == sent_before

        # A command the flight software refuses shows the failure with its code and reason.
        type_keys("hk_report_one_shot structures=1,77\r")
        assert wait_until(lambda: "✘ hk_report_one_shot #1 failed" in screen.text()), screen.text()
        assert "unknown_id (16): no housekeeping structure 77" in screen.text()

        # Telemetry with units and the live panel with the link status.
        assert wait_until(lambda: console.view.latest().get("cdh_mode") is not None
                          and console.view.latest()["cdh_mode"].value.name == "nominal")
        type_keys("tm cdh_uptime\r")
        assert wait_until(lambda: "cdh_uptime" in screen.text() and "│ s " in screen.text())
        panel = to_plain(console.panel(), width=160)
        assert "cdh_mode" in panel and "nominal" in panel
        assert "FOP active" in panel and "CLCW ok" in panel


def test_completer_offers_dictionary_names() -> None:
    completer = DictionaryCompleter(DICTIONARY)

    def complete(text: str) -> list[str]:
        return [c.text for c in completer.get_completions(Document(text), CompleteEvent())]

    assert complete("set_mo") == ["set_mode"]
    assert "storage_enable" in complete("stor") and "tm" not in complete("stor")
    assert complete("adcs_slew q_w=1 ") == ["q_x=", "q_y=", "q_z=", "rate="]
    assert complete("adcs_reset scope=") == ["estimator", "node"]
    assert complete("set_mode mode=s") == ["safe"]
    assert complete("tm cdh_cpu") == ["cdh_cpu_load"]
    assert complete("no_such_command x") == []
