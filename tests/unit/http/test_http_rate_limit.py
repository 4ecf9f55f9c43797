"""RateLimiter: token buckets space requests, a cap bounds concurrency, penalties hold all."""

from __future__ import annotations

import itertools
import threading

import pytest

from ml_connector.engine.http import RateLimiter


def acquire_times(limiter: RateLimiter, clock, count: int) -> list[float]:
    times = []
    for _ in range(count):
        with limiter.acquire():
            times.append(clock())
    return times


def test_token_bucket_spaces_requests_at_the_rate(clock) -> None:
    limiter = RateLimiter(per_second=5, clock=clock, sleep=clock.sleep)
    times = acquire_times(limiter, clock, 10)
    assert clock.now >= 1.8 - 1e-9
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= 0.2 - 1e-9


def test_burst_lets_requests_go_back_to_back_after_an_idle_spell(clock) -> None:
    limiter = RateLimiter(per_second=5, burst=5, clock=clock, sleep=clock.sleep)
    times = acquire_times(limiter, clock, 6)
    assert times[:5] == [0.0] * 5
    assert times[5] >= 0.2 - 1e-9


def test_tokens_do_not_pile_up_beyond_the_burst_while_idle(clock) -> None:
    limiter = RateLimiter(per_second=5, burst=2, clock=clock, sleep=clock.sleep)
    clock.now = 1000.0
    times = acquire_times(limiter, clock, 3)
    assert times[:2] == [1000.0, 1000.0]
    assert times[2] >= 1000.2 - 1e-9


def test_per_minute_and_per_second_limits_both_hold(clock) -> None:
    limiter = RateLimiter(per_second=10, per_minute=30, clock=clock, sleep=clock.sleep)
    acquire_times(limiter, clock, 4)
    assert clock.now >= 6.0 - 1e-9  # 30/min is the stricter rule: one every 2 s


def test_penalise_blocks_every_caller_until_the_deadline(clock) -> None:
    limiter = RateLimiter(per_second=100, burst=10, clock=clock, sleep=clock.sleep)
    limiter.penalise(30)
    entered: list[float] = []

    def worker() -> None:
        with limiter.acquire():
            entered.append(clock())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(entered) == 4
    assert min(entered) >= 30


def test_a_shorter_penalty_does_not_cut_a_longer_one(clock) -> None:
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    limiter.penalise(60)
    limiter.penalise(5)
    with limiter.acquire():
        assert clock() >= 60


def test_no_limits_means_no_waiting(clock) -> None:
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    acquire_times(limiter, clock, 50)
    assert clock.sleeps == []


def test_concurrency_slot_is_released_even_when_the_request_fails() -> None:
    limiter = RateLimiter(max_concurrency=1)
    with pytest.raises(RuntimeError), limiter.acquire():
        raise RuntimeError("send failed")
    done = threading.Event()

    def worker() -> None:
        with limiter.acquire():
            done.set()

    thread = threading.Thread(target=worker)
    thread.start()
    assert done.wait(timeout=30)
    thread.join(timeout=30)


def test_no_more_than_max_concurrency_callers_hold_a_slot() -> None:
    limiter = RateLimiter(max_concurrency=2)
    holding, peak, changed = 0, 0, threading.Condition()
    release = threading.Event()

    def worker() -> None:
        nonlocal holding, peak
        with limiter.acquire():
            with changed:
                holding += 1
                peak = max(peak, holding)
                changed.notify_all()
            release.wait(timeout=30)
            with changed:
                holding -= 1

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    with changed:
        assert changed.wait_for(lambda: holding == 2, timeout=30)
    release.set()
    for thread in threads:
        thread.join(timeout=30)
    assert peak == 2


@pytest.mark.parametrize("kwargs", [{"per_second": 0}, {"per_minute": -1}, {"burst": 0},
                                    {"max_concurrency": 0}])
def test_nonsensical_limits_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        RateLimiter(**kwargs)


def test_the_limiter_acquired_is_charged_last_when_the_request_leaves(clock) -> None:
    endpoint = RateLimiter(per_second=10, clock=clock, sleep=clock.sleep)
    overall = RateLimiter(per_second=1, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(2):
        with endpoint.acquire(overall):
            times.append(clock())
    with endpoint.acquire():
        times.append(clock())
    assert times[:2] == [0.0, 1.0]
    # The second request left at 1.0, held back by `overall`; `endpoint`, waited for last,
    # counts it then and not at the 0.1 it could have allowed, so the third is still
    # spaced 0.1 from it.
    assert times[2] >= 1.1 - 1e-9


def test_limiters_acquired_together_wait_for_the_slowest(clock) -> None:
    fast = RateLimiter(per_second=100, clock=clock, sleep=clock.sleep)
    slow = RateLimiter(per_second=2, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(3):
        with fast.acquire(slow, fast):
            times.append(clock())
    assert times[-1] >= 1.0 - 1e-9


def test_limiters_acquired_together_honour_each_penalty(clock) -> None:
    overall = RateLimiter(clock=clock, sleep=clock.sleep)
    endpoint = RateLimiter(clock=clock, sleep=clock.sleep)
    endpoint.penalise(7)
    with overall.acquire(endpoint):
        assert clock() >= 7


def test_limiters_on_different_clocks_cannot_be_combined(clock) -> None:
    with pytest.raises(ValueError, match="share one clock"):
        RateLimiter(clock=clock).acquire(RateLimiter())
