"""A pseudo-terminal pair standing in for a serial cable: the flight side opens the slave through a stable
symlink as if it were ``/dev/ttyUSB0``; the ground side (or the rig) uses the master.

Both ends are raw (no echo, no line discipline, no CR/LF translation), so binary frames cross unchanged.
:meth:`PtyPair.disappear` closes the pair and removes the symlink, as when a USB adapter is unplugged: the
slave's reader gets an error and reopening the path fails. :meth:`PtyPair.reappear` makes a new pair behind
the same symlink, as when it is plugged back in.
"""

from __future__ import annotations

import contextlib
import os
import select
import tempfile
import termios
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from flightsw.errors import FlightswError

_T = TypeVar("_T")


class PtyPair:
    """A raw pty pair with a symlink ``link_path`` to its slave; a context manager that cleans up.

    ``link_path`` defaults to ``link`` inside a fresh temporary directory (removed on close)."""

    def __init__(self, link_path: str | os.PathLike[str] | None = None) -> None:
        self._own_dir: str | None = None
        if link_path is None:
            self._own_dir = tempfile.mkdtemp(prefix="flightsw-pty-")
            link_path = os.path.join(self._own_dir, "link")
        self.link_path = Path(link_path)
        self.master_fd = -1
        self._slave_fd = -1
        self.slave_name = ""
        self.generation = 0  # counts the pairs made, so a transport on an old master cannot use a new one
        self.lock = threading.RLock()  # held while descriptors change and while a transport uses one
        self._open()

    def _open(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave, termios.TCSANOW)
        # setraw leaves the receiver on and carrier detect honoured; a cable has neither issue, so ignore
        # modem lines (CLOCAL) as pyserial does for a serial port.
        attrs = termios.tcgetattr(slave)
        attrs[2] |= termios.CLOCAL | termios.CREAD
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        os.set_blocking(master, False)
        self.master_fd, self._slave_fd = master, slave
        self.generation += 1
        self.slave_name = os.ttyname(slave)
        if self.link_path.is_symlink() or self.link_path.exists():
            self.link_path.unlink()
        self.link_path.symlink_to(self.slave_name)

    @property
    def present(self) -> bool:
        return self.master_fd >= 0

    @property
    def path(self) -> str:
        """The path the flight side opens (a symlink to the current slave)."""
        return str(self.link_path)

    def disappear(self) -> None:
        """Close both ends and remove the symlink: the device is unplugged."""
        with self.lock:
            for fd in (self.master_fd, self._slave_fd):
                if fd >= 0:
                    os.close(fd)
            self.master_fd = self._slave_fd = -1
            if self.link_path.is_symlink():
                self.link_path.unlink()

    def reappear(self) -> None:
        """A new pty pair behind the same symlink: the device is plugged back in."""
        with self.lock:
            if self.present:
                self.disappear()
            self._open()

    def master(self, *, follow: bool = False) -> MasterTransport:
        """A transport on the master end: of the current pair only, or with ``follow`` of whichever pair
        is behind the symlink (see :class:`MasterTransport`)."""
        if not self.present and not follow:
            raise FlightswError("link_absent", "the pty pair is closed")
        return MasterTransport(self, follow=follow)

    def close(self) -> None:
        self.disappear()
        if self._own_dir is not None:
            with contextlib.suppress(OSError):  # someone left a file there; not ours to delete
                os.rmdir(self._own_dir)
            self._own_dir = None

    def __enter__(self) -> PtyPair:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MasterTransport:
    """The master end of a :class:`PtyPair` as a :class:`~flightsw.link.transport.Transport`.

    It does not own the descriptor (the pair does); ``close`` only stops its use. Writes wait at most
    ``write_timeout_s`` for room and return how much the pty took.

    Once the pair has disappeared, a plain transport raises :class:`OSError` from read and write, as a device
    that is gone does. With ``follow`` it behaves as the far end of a cable instead: while the pair is
    absent reads time out empty and writes are lost (return 0), and after :meth:`PtyPair.reappear` it
    carries on with the new pair. Safe to use from another thread than the one unplugging the pair."""

    def __init__(self, pair: PtyPair, *, follow: bool = False, write_timeout_s: float = 1.0) -> None:
        self._pair = pair
        self._generation = pair.generation
        self._follow = follow
        self._closed = False
        self.write_timeout_s = write_timeout_s

    def _current(self) -> tuple[int, int] | None:
        """(descriptor, generation) to use now, or None while a followed pair is absent."""
        if self._closed:
            raise OSError("the transport is closed")
        pair = self._pair
        with pair.lock:
            if pair.present and (self._follow or pair.generation == self._generation):
                return pair.master_fd, pair.generation
        if self._follow:
            return None
        raise OSError("the pty pair is gone")

    def _io(self, generation: int, op: Callable[[int], _T]) -> _T | None:
        """Run ``op`` on the master descriptor unless the pair changed since ``generation`` was taken."""
        pair = self._pair
        with pair.lock:
            if not pair.present or pair.generation != generation:
                if self._follow:
                    return None
                raise OSError("the pty pair is gone")
            return op(pair.master_fd)

    def read(self, max_octets: int, timeout: float) -> bytes:
        current = self._current()
        if current is None:
            time.sleep(max(0.0, timeout))
            return b""
        fd, generation = current
        if max_octets <= 0:
            return b""
        try:
            ready, _, _ = select.select([fd], [], [], max(0.0, timeout))
        except (OSError, ValueError):  # closed under us by the unplugging thread
            ready = []
        if not ready:
            return self._check_gone(b"")
        try:
            data = self._io(generation, lambda f: os.read(f, max_octets))
        except BlockingIOError:
            return b""
        return b"" if data is None else data

    def write(self, data: bytes) -> int:
        current = self._current()
        if current is None:
            return 0
        fd, generation = current
        view = memoryview(data)
        done = 0
        while done < len(view):
            try:
                _, ready, _ = select.select([], [fd], [], self.write_timeout_s)
            except (OSError, ValueError):
                ready = []
            if not ready:
                self._check_gone(None)
                break
            try:
                rest = view[done:]
                n = self._io(generation, lambda f: os.write(f, rest))  # noqa: B023 - called at once
            except BlockingIOError:
                continue
            if n is None:
                break
            done += n
        return done

    def _check_gone(self, value: _T) -> _T:
        """Raise if a pair this (non-following) transport used has gone; else pass ``value`` through."""
        if not self._follow:
            self._current()
        return value

    def close(self) -> None:
        self._closed = True
