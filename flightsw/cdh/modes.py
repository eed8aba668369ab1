"""Spacecraft modes and their guarded transitions: BOOT → SAFE → NOMINAL, and back to SAFE on faults (FDIR).

BOOT lasts from start-up until the executive has loaded its state; it is left once, to the boot mode of the
flight parameters. SAFE and NOMINAL are the commandable modes of the dictionary's ``mode`` enumeration. Every
change is reported by the caller as a ``mode_changed`` event (``safe_mode_entered`` too, with its cause).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from flightsw.cdh.service import FailureCode, ServiceFailure


class Mode(IntEnum):
    """Codes of SAFE and NOMINAL are those of the dictionary's ``mode`` enumeration; BOOT is internal."""

    SAFE = 0
    NOMINAL = 1
    BOOT = 0xFF


# Allowed transitions; anything else fails with ILLEGAL_MODE_TRANSITION.
TRANSITIONS: frozenset[tuple[Mode, Mode]] = frozenset({
    (Mode.BOOT, Mode.SAFE),
    (Mode.BOOT, Mode.NOMINAL),
    (Mode.SAFE, Mode.NOMINAL),
    (Mode.NOMINAL, Mode.SAFE),
})

# Causes of an entry into SAFE, the codes of the dictionary's ``safe_cause`` enumeration.
SAFE_CAUSES = ("commanded", "monitoring", "watchdog", "link_lockout", "estimator", "adcs_node")


@dataclass(frozen=True)
class Transition:
    previous: Mode
    current: Mode
    cause: str


Guard = Callable[[Mode, Mode], str | None]  # returns why the transition is refused, or None


class ModeManager:
    """The current mode and the rules to change it. Guards veto a legal transition with a reason (e.g. NOMINAL
    needs an attitude estimate that has not diverged)."""

    def __init__(self) -> None:
        self.mode = Mode.BOOT
        self.transitions = 0
        self._guards: list[Guard] = []

    def add_guard(self, guard: Guard) -> None:
        self._guards.append(guard)

    def check(self, target: Mode) -> None:
        """Raise :class:`ServiceFailure` when the current mode may not change to ``target``."""
        if (self.mode, target) not in TRANSITIONS:
            raise ServiceFailure(FailureCode.ILLEGAL_MODE_TRANSITION,
                                 f"{self.mode.name} to {target.name} is not allowed")
        for guard in self._guards:
            why = guard(self.mode, target)
            if why is not None:
                raise ServiceFailure(FailureCode.ILLEGAL_MODE_TRANSITION,
                                     f"{self.mode.name} to {target.name}: {why}")

    def change(self, target: Mode, cause: str = "commanded") -> Transition:
        """Change mode after :meth:`check`; returns what happened for the caller to report."""
        if cause not in SAFE_CAUSES:
            raise ValueError(f"unknown cause {cause!r}")
        self.check(target)
        transition = Transition(self.mode, target, cause)
        self.mode = target
        self.transitions += 1
        return transition
