"""Virtual time: Wait states and timeouts advance it instead of sleeping."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class VirtualClock:
    """A clock that only moves when told to. Listeners see every advance (the MGN emulator
    uses them to progress replication)."""

    def __init__(self, start: datetime = EPOCH) -> None:
        self._now = start
        self._lock = threading.RLock()
        self._listeners: list[Callable[[datetime], None]] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError(f"seconds: must be >= 0, got {seconds}")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            now = self._now
            listeners = list(self._listeners)
        for listener in listeners:
            listener(now)
        return now

    def on_advance(self, listener: Callable[[datetime], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    @property
    def elapsed(self) -> timedelta:
        return self.now() - EPOCH
