"""Polls: each pipeline's latest poll, and a failing streak that a success ends."""

from __future__ import annotations

import threading

from ml_connector.engine.store import Store
from ml_connector.engine.store.polls import BROKE, RECORDS_FAILED, STOPPED


def test_nothing_polled_yet_reads_as_nothing(store: Store) -> None:
    assert store.polls.all() == {} and store.polls.get("invoices") is None


def test_failures_in_a_row_count_up_from_the_first_and_keep_when_it_began(
        store: Store) -> None:
    store.polls.failed("invoices", BROKE, "the source answered HTTP 503")
    first = store.polls.get("invoices")
    store.polls.failed("invoices", STOPPED, "authorisation revoked; run `x auth`")
    latest = store.polls.get("invoices")
    assert first is not None and latest is not None
    assert (latest.failures_in_row, latest.outcome, latest.stopped) == (2, STOPPED, True)
    assert latest.error == "authorisation revoked; run `x auth`"
    assert latest.failing_since == first.failing_since == first.attempted_at
    assert latest.attempted_at >= first.attempted_at and latest.succeeded_at is None


def test_a_poll_that_ran_ends_the_streak_even_when_records_failed(store: Store) -> None:
    store.polls.failed("invoices", BROKE, "boom")
    store.polls.succeeded("invoices", outcome=RECORDS_FAILED)
    record = store.polls.get("invoices")
    assert record is not None and not record.failing
    assert (record.failures_in_row, record.failing_since, record.error) == (0, None, None)
    assert record.succeeded_at == record.attempted_at and record.outcome == RECORDS_FAILED
    store.polls.failed("invoices", BROKE, "boom again")
    again = store.polls.get("invoices")
    assert again is not None and again.failures_in_row == 1
    assert again.succeeded_at == record.succeeded_at      # the last success is remembered


def test_pipelines_are_kept_apart_and_errors_are_redacted(store: Store) -> None:
    store.polls.failed("a", BROKE, "refused Authorization: Bearer abcdef0123456789")
    store.polls.succeeded("b")
    polls = store.polls.all()
    assert sorted(polls) == ["a", "b"]
    assert polls["a"].error is not None and "abcdef0123456789" not in polls["a"].error


def test_failures_recorded_at_once_are_all_counted(store: Store) -> None:
    threads = [threading.Thread(target=store.polls.failed, args=("p", BROKE, "x"))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    record = store.polls.get("p")
    assert record is not None and record.failures_in_row == 8
