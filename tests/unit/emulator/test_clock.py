"""The virtual clock moves only when every actor waits on it: it never guesses from CPU use or
real-time quiet, so a thread that is slow to get a CPU is never jumped over."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from mgn_wave_emu.clock import EPOCH, ClockDriver, VirtualClock, VirtualEvent, actor_thread_class

if TYPE_CHECKING:
    from collections.abc import Iterator

# Real seconds a thread stays runnable without touching the clock: far longer than any quiet
# window a heuristic would use, as a thread starved of CPU on a busy machine would.
STARVED = 0.4


@pytest.fixture
def clock() -> Iterator[VirtualClock]:
    clock = VirtualClock()
    driver = ClockDriver(clock, horizons=[])
    driver.start()
    yield clock
    driver.stop()


def _actor(clock: VirtualClock, target: object) -> threading.Thread:
    thread = actor_thread_class(clock)(target=target, daemon=True)
    thread.start()
    return thread


def _actors(clock: VirtualClock, *targets: object) -> list[threading.Thread]:
    # Started together: the test's thread is not an actor, and between two starts the first
    # actors could be all asleep.
    with clock.busy():
        return [_actor(clock, target) for target in targets]


def test_a_runnable_thread_that_gets_no_cpu_is_not_jumped_over(clock: VirtualClock) -> None:
    # Given: one actor sleeps 60 virtual seconds while another is runnable but makes no progress
    seen: dict[str, object] = {}

    def sleeper() -> None:
        clock.sleep(60)
        seen["woke_at"] = clock.now()

    def starved() -> None:
        time.sleep(STARVED)  # runnable, no CPU used, no clock call: what a loaded machine looks like
        seen["starved_saw"] = clock.now()

    threads = _actors(clock, sleeper, starved)
    # When
    for thread in threads:
        thread.join()
    # Then: time stood still until the starved thread was done
    assert seen["starved_saw"] == EPOCH
    assert seen["woke_at"] == EPOCH + timedelta(seconds=60)


def test_a_woken_thread_is_runnable_before_it_is_scheduled(clock: VirtualClock) -> None:
    # Given: A waits for an event; B sets it and at once sleeps an hour on the clock
    event = VirtualEvent(clock)
    seen: dict[str, object] = {}

    def waiter() -> None:
        event.wait()
        time.sleep(STARVED)  # woken, but slow to run
        seen["waiter_saw"] = clock.now()

    def setter() -> None:
        event.set()
        clock.sleep(3600)
        seen["setter_woke_at"] = clock.now()

    threads = _actors(clock, waiter, setter)
    for thread in threads:
        thread.join()
    # Then: the hour did not pass while the woken waiter had yet to run
    assert seen["waiter_saw"] == EPOCH
    assert seen["setter_woke_at"] == EPOCH + timedelta(hours=1)


def test_join_with_a_timeout_counts_virtual_seconds(clock: VirtualClock) -> None:
    # Given: a child that sleeps two virtual hours, joined with a one-hour timeout
    results: dict[str, object] = {}

    def child() -> None:
        clock.sleep(7200)

    def parent() -> None:
        worker = _actor(clock, child)
        worker.join(timeout=3600)
        results["alive_after_timeout"] = worker.is_alive()
        results["at"] = clock.now()
        worker.join()
        results["alive_after_join"] = worker.is_alive()
        results["joined_at"] = clock.now()

    _actor(clock, parent).join()
    assert results == {
        "alive_after_timeout": True,
        "at": EPOCH + timedelta(hours=1),
        "alive_after_join": False,
        "joined_at": EPOCH + timedelta(hours=2),
    }


def test_a_wait_on_a_lock_is_not_a_wait_on_the_clock(clock: VirtualClock) -> None:
    # Given: an actor holds a lock for a while (real time); another needs it, a third sleeps
    lock = threading.Lock()
    holding = threading.Event()
    seen: dict[str, object] = {}

    def holder() -> None:
        with lock:
            holding.set()
            time.sleep(STARVED)

    def contender() -> None:
        holding.wait()
        with lock:
            seen["contender_saw"] = clock.now()

    def sleeper() -> None:
        clock.sleep(5)

    threads = _actors(clock, holder, contender, sleeper)
    for thread in threads:
        thread.join()
    assert seen["contender_saw"] == EPOCH
    assert clock.now() == EPOCH + timedelta(seconds=5)


def test_busy_work_holds_the_clock_and_the_count_returns_to_zero(clock: VirtualClock) -> None:
    # Given: a sleeper, and the test's own thread doing work marked busy (a Lambda invocation)
    with clock.busy():
        sleeper = _actor(clock, lambda: clock.sleep(10))
        with clock.busy():  # nested: still one actor
            time.sleep(STARVED)
            assert clock.now() == EPOCH
    sleeper.join()
    assert clock.now() == EPOCH + timedelta(seconds=10)
    assert clock.runnable == 0


def test_wait_for_refuses_a_plain_event() -> None:
    with pytest.raises(TypeError, match="VirtualEvent"):
        VirtualClock().wait_for(threading.Event(), 1)
