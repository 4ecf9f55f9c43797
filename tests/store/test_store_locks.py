"""Named locks exclude other threads and other processes."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

import pytest

from ml_connector.engine.store import LockTimeout, Store

ROUNDS = 25


def _increment_under_lock(url: str, root: str, counter: str, rounds: int) -> None:
    store = Store.open(url, root=Path(root))
    try:
        for _ in range(rounds):
            with store.lock("counter"):
                value = int(Path(counter).read_text())
                time.sleep(0.001)  # widen the read-modify-write window a race would hit
                Path(counter).write_text(str(value + 1))
    finally:
        store.close()


def test_lock_excludes_across_processes(store: Store, store_url: str, tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    counter.write_text("0")
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_increment_under_lock,
                               args=(store_url, str(tmp_path), str(counter), ROUNDS))
               for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    assert int(counter.read_text()) == 4 * ROUNDS


def test_lock_excludes_across_threads(store: Store) -> None:
    inside, overlaps = [0], []

    def work() -> None:
        for _ in range(20):
            with store.lock("shared"):
                inside[0] += 1
                overlaps.append(inside[0])
                time.sleep(0.0005)
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(overlaps) == 80 and set(overlaps) == {1}


def test_a_held_lock_times_out_for_others_but_not_other_names(store: Store) -> None:
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with store.lock("refresh"):
            held.set()
            release.wait(30)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        held.wait(30)
        with pytest.raises(LockTimeout, match="'refresh'"), store.lock("refresh", timeout=0.2):
            pass
        with store.lock("another name", timeout=5):
            pass
    finally:
        release.set()
        thread.join()
    with store.lock("refresh", timeout=5):
        pass


def test_the_holder_may_take_its_lock_again(store: Store) -> None:
    with store.lock("outer", timeout=1), store.lock("outer", timeout=1):
        pass
    with store.lock("outer", timeout=1):  # fully released afterwards
        pass


def test_odd_names_map_to_distinct_lock_files(tmp_path: Path) -> None:
    with Store.open("sqlite:///state.db", root=tmp_path) as store:
        with store.lock("a/b"), store.lock("a_b"), store.lock("../escape"):
            pass
        files = sorted(p.name for p in (tmp_path / "state.db.locks").iterdir())
    assert len(files) == 3
    assert not (tmp_path / "escape").exists()
