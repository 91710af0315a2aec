"""Virtual time: Wait states, retry intervals and task timeouts advance it instead of sleeping.

The clock moves only when it *knows* that nothing can act without it. Every actor is accounted
for explicitly, never inferred from CPU use or from real-time quiet:

- an **actor** is a thread of the emulated engine (counted from the `start()` that creates it to
  the end of its run), or any thread inside `busy()` (a Lambda invocation, the clock driver
  moving time, a delayed call of the fault plan);
- an actor is **runnable** unless it waits on the clock (`wait_for`, `sleep`, `VirtualEvent.wait`,
  `ActorThread.join`): a wait that ends when virtual time reaches its deadline or when another
  actor sets its event;
- whoever ends a wait hands the waiter its runnability *before* the waiter runs again (the setter
  of the event, or the clock when the deadline comes), so the count never reads zero while a
  woken thread has yet to be scheduled — on an idle machine or a busy one alike.

A thread blocked on anything else (a lock, a subprocess) stays runnable: the clock waits for it.
That can only make the clock wait longer, never jump under a thread that is about to act.

The driver jumps the clock to the earliest wake-up — or to the next thing the emulated services
will do on their own (replication progress, a command finishing) — the moment the runnable count
reaches zero while something sleeps. So a 24-hour initial sync simulates in seconds, and
state-transition counts are the ones AWS would see.
"""

from __future__ import annotations

import itertools
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
FOREVER = datetime.max.replace(tzinfo=UTC)
# Real seconds between the driver's re-reads of the horizons when every sleeper waits forever and
# no horizon is set: only a thread outside the emulation (a test's own call) can change that, and
# it does not notify the clock. Never used to decide that the emulation is blocked.
_STUCK_RECHECK_SECONDS = 0.05


@dataclass(eq=False)
class _Sleeper:
    deadline: datetime
    event: threading.Event
    # Its own condition on the clock's lock: a wake-up reaches only the sleeper it concerns.
    wakeup: threading.Condition
    # An actor's wait: its runnability is taken while it sleeps and handed back by its waker.
    counted: bool
    woken: bool = False


class VirtualClock:
    """A clock that only moves when told to, and that counts who can still act. Listeners see
    every advance (the MGN emulator uses them to progress replication and deliver events)."""

    def __init__(self, start: datetime = EPOCH) -> None:
        self._now = start
        self._lock = threading.RLock()
        self._listeners: list[Callable[[datetime], None]] = []
        self._sleepers: dict[int, _Sleeper] = {}
        self._waiting_on: dict[int, set[int]] = {}  # id(event) -> sleeper keys
        self._ids = itertools.count()
        self._runnable = 0
        self._actor = threading.local()  # .depth > 0 while this thread is an actor
        # The driver waits on it for "nothing can act and something sleeps".
        self._quiet = threading.Condition(self._lock)

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
            for sleeper in self._sleepers.values():
                if now >= sleeper.deadline:
                    self._wake(sleeper)
        return now

    def on_advance(self, listener: Callable[[datetime], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    # -- actors --------------------------------------------------------------------------------

    @property
    def runnable(self) -> int:
        """Actors that can act now (not waiting on the clock)."""
        with self._lock:
            return self._runnable

    def spawning(self) -> None:
        """A thread is about to start an actor thread: count it runnable from this moment, so
        there is no instant between `start()` and the new thread's first step that looks idle."""
        with self._lock:
            self._runnable += 1

    def spawn_failed(self) -> None:
        with self._lock:
            self._release()

    @contextmanager
    def spawned(self) -> Iterator[None]:
        """The body of an actor thread counted by `spawning()`."""
        self._actor.depth = 1
        try:
            yield
        finally:
            self._actor.depth = 0
            with self._lock:
                self._release()

    @contextmanager
    def busy(self) -> Iterator[None]:
        """Mark this thread an actor while the block runs (a Lambda invocation, a delayed call):
        the clock does not move meanwhile unless the thread itself waits on it."""
        depth = getattr(self._actor, "depth", 0)
        if depth == 0:
            with self._lock:
                self._runnable += 1
        self._actor.depth = depth + 1
        try:
            yield
        finally:
            self._actor.depth = depth
            if depth == 0:
                with self._lock:
                    self._release()

    def _release(self) -> None:
        # With the lock held: one runnable actor fewer.
        self._runnable -= 1
        if self._runnable < 0:
            raise RuntimeError("virtual clock: more actors finished than started")
        if self._runnable == 0:
            self._quiet.notify_all()

    # -- sleeping in virtual time ------------------------------------------------------------

    def sleep(self, seconds: float, interrupt: threading.Event | None = None) -> bool:
        """Block until `seconds` of virtual time have passed or `interrupt` (a VirtualEvent of
        this clock) is set. Returns whether `interrupt` was set."""
        return self.wait_for(interrupt or VirtualEvent(self), seconds)

    def wait_for(self, event: threading.Event, timeout_seconds: float | None) -> bool:
        """`event.wait(timeout)` with the timeout in virtual seconds. `event` must be set through
        this clock (a VirtualEvent): a plain Event's `set()` would not wake the sleeper."""
        if not isinstance(event, VirtualEvent):
            raise TypeError("wait_for needs a VirtualEvent: a plain Event's set() does not reach the clock")
        with self._lock:
            if event.is_set():
                return True
            if timeout_seconds is not None and timeout_seconds <= 0:
                return False
            deadline = FOREVER if timeout_seconds is None else self._now + timedelta(seconds=timeout_seconds)
            key = next(self._ids)
            counted = getattr(self._actor, "depth", 0) > 0
            sleeper = _Sleeper(deadline, event, threading.Condition(self._lock), counted)
            self._sleepers[key] = sleeper
            self._waiting_on.setdefault(id(event), set()).add(key)
            if counted:
                self._release()
            else:
                self._quiet.notify_all()  # a new sleeper: the driver may have something to do
            try:
                while not sleeper.woken:
                    sleeper.wakeup.wait()
            finally:
                del self._sleepers[key]
                keys = self._waiting_on[id(event)]
                keys.discard(key)
                if not keys:
                    del self._waiting_on[id(event)]
            return event.is_set()

    def event_set(self, event: threading.Event) -> None:
        """`event` was set: wake its sleepers, each runnable again before it is scheduled."""
        with self._lock:
            for key in self._waiting_on.get(id(event), ()):
                self._wake(self._sleepers[key])

    def _wake(self, sleeper: _Sleeper) -> None:
        # With the lock held. The waker hands the runnability over, so the count stays exact.
        if sleeper.woken:
            return
        sleeper.woken = True
        if sleeper.counted:
            self._runnable += 1
        sleeper.wakeup.notify()

    # -- what the driver needs ---------------------------------------------------------------

    def wait_until_blocked(self, stop: threading.Event, recheck_seconds: float | None = None) -> datetime | None:
        """Block until no actor can act and something sleeps; return the earliest sleeper's
        deadline (None when `stop` is set or `recheck_seconds` passed first)."""
        with self._lock:
            while not stop.is_set():
                # A woken sleeper that has yet to leave is no longer waiting on the clock.
                deadlines = [sleeper.deadline for sleeper in self._sleepers.values() if not sleeper.woken]
                if self._runnable == 0 and deadlines:
                    return min(deadlines)
                if not self._quiet.wait(recheck_seconds) and recheck_seconds is not None:
                    return None
            return None

    def stop_waiting(self) -> None:
        with self._lock:
            self._quiet.notify_all()


class VirtualEvent(threading.Event):
    """A `threading.Event` whose `wait(timeout)` counts the timeout on the virtual clock and whose
    `set()` hands the waiters back their runnability; used wherever the ASL engine waits."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self._clock = clock

    def set(self) -> None:
        super().set()
        self._clock.event_set(self)

    def wait(self, timeout: float | None = None) -> bool:
        return self._clock.wait_for(self, timeout)


def actor_thread_class(clock: VirtualClock) -> type[threading.Thread]:
    """`threading.Thread` for the engine: each thread is an actor of `clock` from `start()` to
    the end of its run, and `join(timeout)` waits on the clock (the timeout in virtual seconds)."""

    class ActorThread(threading.Thread):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._finished = VirtualEvent(clock)

        def start(self) -> None:
            clock.spawning()
            try:
                super().start()
            except BaseException:
                clock.spawn_failed()
                raise

        def run(self) -> None:
            with clock.spawned():
                try:
                    super().run()
                finally:
                    # Joiners become runnable before this thread stops counting as one.
                    self._finished.set()

        def join(self, timeout: float | None = None) -> None:
            if self._finished.wait(timeout):
                # Finished in virtual time: wait out the last real instructions of the thread, so
                # that is_alive() says what the virtual join said.
                super().join()

    return ActorThread


class ClockDriver:
    """Moves virtual time when nothing else can: no actor is runnable and something sleeps.

    `horizons` tell when the emulated services will change state on their own; the clock jumps to
    the earliest of those and the sleepers' deadlines."""

    def __init__(self, clock: VirtualClock, horizons: list[Callable[[], datetime | None]]) -> None:
        self._clock = clock
        self._horizons = horizons
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="virtual-clock-driver", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._clock.stop_waiting()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        recheck: float | None = None
        while not self._stop.is_set():
            wakeup = self._clock.wait_until_blocked(self._stop, recheck)
            if wakeup is None:
                continue
            # The horizons are read outside the clock's lock: they take the services' own locks.
            candidates = [wakeup, *(horizon() for horizon in self._horizons)]
            target = min(c for c in candidates if c is not None)
            if target >= FOREVER:
                recheck = _STUCK_RECHECK_SECONDS
                continue
            recheck = None
            # The driver is an actor while time moves: the listeners' work (replication progress,
            # event deliveries that invoke Lambdas) finishes before the next jump is considered.
            # A horizon already due (target <= now) still needs its listeners run.
            with self._clock.busy():
                self._clock.advance_to(target)
