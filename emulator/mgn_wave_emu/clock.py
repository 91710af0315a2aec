"""Virtual time: Wait states, retry intervals and task timeouts advance it instead of sleeping.

Threads that would sleep (a Wait state, a retry interval, a task waiting for its token or its
timeout) register a wake-up time and block. A driver thread jumps the clock to the earliest
wake-up — or to the next thing the emulated services will do on their own (replication progress,
a command finishing) — once every thread is blocked and the router is idle. So a 24-hour initial
sync simulates in seconds, and state-transition counts are the ones AWS would see.
"""

from __future__ import annotations

import itertools
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
FOREVER = datetime.max.replace(tzinfo=UTC)
# Real time between re-checks of a blocked sleeper. Wake-ups are notified (advance, VirtualEvent.set);
# the re-check only catches an interrupt set on a plain Event, so it can be slow: with a thousand
# sleeping threads, a short interval would keep the process busy and the clock driver waiting.
_POLL_SECONDS = 1.0


@dataclass(eq=False)
class _Sleeper:
    deadline: datetime
    event: threading.Event
    # Its own condition on the clock's lock: a wake-up reaches only the sleepers it concerns. With
    # one shared condition, each of a thousand task tokens arriving woke all thousand waiters.
    wakeup: threading.Condition

    def ready(self, now: datetime) -> bool:
        return self.event.is_set() or now >= self.deadline


class VirtualClock:
    """A clock that only moves when told to. Listeners see every advance (the MGN emulator uses
    them to progress replication and deliver events)."""

    def __init__(self, start: datetime = EPOCH) -> None:
        self._now = start
        self._lock = threading.RLock()
        self._listeners: list[Callable[[datetime], None]] = []
        self._sleepers: dict[int, _Sleeper] = {}
        self._ids = itertools.count()
        self._busy = 0
        self.last_activity = time.monotonic()

    # -- reading and moving time -------------------------------------------------------------

    def now(self) -> datetime:
        with self._lock:
            return self._now

    @property
    def elapsed(self) -> timedelta:
        return self.now() - EPOCH

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError(f"seconds: must be >= 0, got {seconds}")
        return self.advance_to(self.now() + timedelta(seconds=seconds))

    def advance_to(self, moment: datetime) -> datetime:
        """Move to `moment` (never backwards), tell the listeners, wake the sleepers that are due."""
        with self._lock:
            self._now = max(self._now, moment)
            now = self._now
            listeners = list(self._listeners)
        # Listeners run outside the lock: they may invoke Lambdas that end other threads' waits.
        for listener in listeners:
            listener(now)
        with self._lock:
            self._touch()
            self._notify_ready()
        return now

    def on_advance(self, listener: Callable[[datetime], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    # -- sleeping in virtual time ------------------------------------------------------------

    def sleep(self, seconds: float, interrupt: threading.Event | None = None) -> bool:
        """Block until `seconds` of virtual time have passed or `interrupt` is set.
        Returns whether `interrupt` was set."""
        return self.wait_for(interrupt or threading.Event(), seconds)

    def wait_for(self, event: threading.Event, timeout_seconds: float | None) -> bool:
        """`event.wait(timeout)` with the timeout in virtual seconds."""
        with self._lock:
            deadline = FOREVER if timeout_seconds is None else self._now + timedelta(seconds=timeout_seconds)
            key = next(self._ids)
            sleeper = _Sleeper(deadline, event, threading.Condition(self._lock))
            self._sleepers[key] = sleeper
            self._touch()
            try:
                while not sleeper.ready(self._now):
                    sleeper.wakeup.wait(_POLL_SECONDS)
            finally:
                del self._sleepers[key]
                self._touch()
            return event.is_set()

    def touch(self) -> None:
        """Work in progress (a state transition): the driver waits for quiet again before a jump."""
        with self._lock:
            self._touch()

    def wake(self) -> None:
        """Something a sleeper waits on happened (an event was set): let it re-check now."""
        with self._lock:
            self._touch()
            self._notify_ready()

    def _notify_ready(self) -> None:
        # Called with the lock held; a scan is cheap, waking a thread that must sleep on is not.
        for sleeper in self._sleepers.values():
            if sleeper.ready(self._now):
                sleeper.wakeup.notify()

    # -- what the driver needs ---------------------------------------------------------------

    @contextmanager
    def busy(self) -> Iterator[None]:
        """Mark work in progress (a Lambda invocation): the driver does not move time meanwhile."""
        with self._lock:
            self._busy += 1
            self._touch()
        try:
            yield
        finally:
            with self._lock:
                self._busy -= 1
                self._touch()

    def earliest_wakeup(self) -> datetime | None:
        """The earliest finite deadline of a blocked sleeper, if any thread sleeps and none is busy."""
        with self._lock:
            if self._busy or not self._sleepers:
                return None
            return min(sleeper.deadline for sleeper in self._sleepers.values())

    def _touch(self) -> None:
        self.last_activity = time.monotonic()


class VirtualEvent(threading.Event):
    """A `threading.Event` whose `wait(timeout)` counts the timeout on the virtual clock; used
    where the ASL engine waits for a task token or a task's TimeoutSeconds."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self._clock = clock

    def set(self) -> None:
        super().set()
        self._clock.wake()

    def wait(self, timeout: float | None = None) -> bool:
        return self._clock.wait_for(self, timeout)


class ClockDriver:
    """Moves virtual time when nothing else can: every engine thread is asleep and no Lambda runs.

    `horizons` tell when the emulated services will change state on their own; the clock jumps to
    the earliest of those and the sleepers' deadlines.

    "Everything is blocked" is recognised without instrumenting every engine thread: for
    `quiet_seconds` of real time no sleeper came or went, no Lambda ran, and the process used
    almost no CPU (a thread that is still working — building a client, evaluating a state —
    burns CPU; threads blocked on locks and events do not)."""

    def __init__(
        self,
        clock: VirtualClock,
        horizons: list[Callable[[], datetime | None]],
        quiet_seconds: float = 0.03,
        idle_cpu_share: float = 0.25,
        quiet_windows: int = 3,
    ) -> None:
        self._clock = clock
        self._horizons = horizons
        self._quiet = quiet_seconds
        self._idle_cpu_share = idle_cpu_share
        # Several quiet windows in a row: on a loaded machine a runnable thread may wait for a CPU
        # for a while, and one quiet window could mistake that for "everything is blocked".
        self._quiet_windows = quiet_windows
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="virtual-clock-driver", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        quiet_in_a_row = 0
        while not self._stop.is_set():
            cpu_before, wall_before = time.process_time(), time.monotonic()
            if self._stop.wait(self._quiet):
                return
            cpu_share = (time.process_time() - cpu_before) / (time.monotonic() - wall_before)
            quiet = cpu_share <= self._idle_cpu_share and time.monotonic() - self._clock.last_activity >= self._quiet
            quiet_in_a_row = quiet_in_a_row + 1 if quiet else 0
            if quiet_in_a_row < self._quiet_windows:
                continue
            wakeup = self._clock.earliest_wakeup()
            if wakeup is None:
                continue
            candidates = [wakeup, *(h() for h in self._horizons)]
            target = min(c for c in candidates if c is not None)
            if target < FOREVER:
                # A horizon already due (target <= now) still needs its listeners run.
                self._clock.advance_to(target)
