"""ST[19] event-action (ECSS-E-ST-70-41C §6.19): an on-board event releases a stored telecommand.

An event-action definition is an event of the dictionary and a complete TC packet (the action), identified by
the event id. When an event is raised and its definition is enabled, the action is put through the executive's
normal uplink path (:meth:`ServiceContext.release_tc`), so it is accepted, routed and verified like a command
from the ground, e.g. ``set_mode`` SAFE on ``monitoring_out_of_limits``.

Actions are released at the next control tick, not from inside the event listener: an action whose execution
raises its own event again then repeats at most once per tick instead of recursing, and the executive is never
re-entered from the middle of the request that raised the event. An event raised again before its action went
out releases it once (:data:`MAX_QUEUED_ACTIONS` bounds the queue). Each action carries its release depth,
one more than that of the request that raised its event, so such a loop stops once the executive's
``MAX_RELEASE_DEPTH`` is passed.

Sub-services (the mission dictionary defines their application data):

- TC[19,1] add event-action definitions. As the standard requires, a new definition starts disabled; one for
  an event that already has a definition, or for an event the dictionary does not know, is refused;
- TC[19,2] delete event-action definitions; an enabled definition cannot be deleted (disable it first);
- TC[19,4] / TC[19,5] enable / disable event-action definitions.

A request with one bad entry changes nothing. Definitions are kept in SQLite in the state directory, so they
survive a restart with their enabled state.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flightsw.ccsds.pus import PusTc
from flightsw.cdh.service import FailureCode, Origin, Request, Service, ServiceContext, ServiceFailure
from flightsw.errors import FlightswError

log = logging.getLogger(__name__)

DATABASE_NAME = "event_action.sqlite3"
MAX_DEFINITIONS = 64
MAX_QUEUED_ACTIONS = 16

_SCHEMA = ("CREATE TABLE IF NOT EXISTS definitions (event_id INTEGER PRIMARY KEY, enabled INTEGER NOT NULL, "
           "request BLOB NOT NULL)")


@dataclass
class EventActionDefinition:
    event_id: int
    request: bytes
    enabled: bool = False
    triggered: int = 0


class EventAction(Service):
    """Event-action definitions of the C&DH."""

    service_type = 19
    apid_roles = ("cdh",)

    def __init__(self, max_definitions: int = MAX_DEFINITIONS) -> None:
        self.max_definitions = max_definitions
        self.definitions: dict[int, EventActionDefinition] = {}
        # Event ids whose actions wait for the next tick, with the release depth of each action.
        self.queue: list[tuple[int, int]] = []
        self.released = 0
        self.overflows = 0

    def attach(self, context: ServiceContext) -> None:
        super().attach(context)
        context.state_dir.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(context.state_dir / DATABASE_NAME)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        with self._db:
            self._db.execute(_SCHEMA)
        rows = self._db.execute("SELECT event_id, enabled, request FROM definitions").fetchall()
        for event_id, enabled, packet in rows:
            self.definitions[event_id] = EventActionDefinition(event_id, bytes(packet), bool(enabled))
        context.add_event_listener(self._on_event)

    # -- requests -------------------------------------------------------------------------------------------

    def handle(self, request: Request) -> None:
        subtype = request.tc.subtype
        entries = request.arguments.get("definitions", [])
        if subtype == 1:
            self._add(entries)
        elif subtype == 2:
            chosen = self._lookup(entries)
            for definition in chosen:
                if definition.enabled:
                    raise ServiceFailure(FailureCode.INVALID_VALUE,
                                         f"event {definition.event_id:#06x}: disable the definition first")
            with self._db:
                self._db.executemany("DELETE FROM definitions WHERE event_id=?",
                                     [(d.event_id,) for d in chosen])
            for definition in chosen:
                del self.definitions[definition.event_id]
        elif subtype in (4, 5):
            chosen = self._lookup(entries)
            with self._db:
                self._db.executemany("UPDATE definitions SET enabled=? WHERE event_id=?",
                                     [(int(subtype == 4), d.event_id) for d in chosen])
            for definition in chosen:
                definition.enabled = subtype == 4
        else:
            super().handle(request)

    def _add(self, entries: Sequence[dict[str, Any]]) -> None:
        new: dict[int, EventActionDefinition] = {}
        for entry in entries:
            event_id = int(entry["event_id"])
            if event_id not in self.ctx.dictionary.event_by_id:
                raise ServiceFailure(FailureCode.UNKNOWN_ID, f"no event {event_id:#06x} in the dictionary")
            if event_id in self.definitions or event_id in new:
                raise ServiceFailure(FailureCode.INVALID_VALUE,
                                     f"event {event_id:#06x} already has an action")
            try:
                PusTc.decode(entry["request"], profile=self.ctx.profile)
            except FlightswError as exc:
                raise ServiceFailure(FailureCode.INVALID_VALUE,
                                     f"event {event_id:#06x}: action is not a PUS TC "
                                     f"({exc.reason})") from None
            new[event_id] = EventActionDefinition(event_id, bytes(entry["request"]))
        if len(self.definitions) + len(new) > self.max_definitions:
            raise ServiceFailure(FailureCode.RESOURCE_UNAVAILABLE,
                                 f"at most {self.max_definitions} event-action definitions")
        with self._db:
            self._db.executemany("INSERT INTO definitions(event_id, enabled, request) VALUES (?, 0, ?)",
                                 [(d.event_id, d.request) for d in new.values()])
        self.definitions.update(new)

    def _lookup(self, entries: Sequence[dict[str, Any]]) -> list[EventActionDefinition]:
        chosen = []
        for entry in entries:
            definition = self.definitions.get(int(entry["event_id"]))
            if definition is None:
                raise ServiceFailure(FailureCode.UNKNOWN_ID,
                                     f"no event-action definition for event {int(entry['event_id']):#06x}")
            chosen.append(definition)
        return chosen

    # -- events and actions ---------------------------------------------------------------------------------

    def _on_event(self, event_id: int, values: Mapping[str, Any]) -> None:
        definition = self.definitions.get(event_id)
        if definition is None or not definition.enabled:
            return
        if any(queued == event_id for queued, _ in self.queue):
            return
        if len(self.queue) >= MAX_QUEUED_ACTIONS:
            self.overflows += 1
            log.warning("event-action queue full: action of event %#06x dropped", event_id)
            return
        self.queue.append((event_id, self.ctx.release_depth + 1))

    def tick(self, now: float) -> None:
        queued, self.queue = self.queue, []
        for event_id, depth in queued:
            definition = self.definitions.get(event_id)
            if definition is None or not definition.enabled:
                continue  # deleted or disabled since the event
            definition.triggered += 1
            self.released += 1
            log.info("event %#06x: releasing its action", event_id)
            self.ctx.release_tc(definition.request, Origin.EVENT_ACTION, depth)

    def shutdown(self) -> None:
        self._db.close()
