"""A bounded thread pool fed from a lazy iterator (a DynamoDB Query), for the jobs.

At most a few items per worker wait in memory, whatever the size of the Query, and a
worker's crash (a bug, not an AWS fault the job counts) stops the run loudly.

    pool = WorkPool(workers=8, name="expire_sims")
    try:
        if not pool.feed(SimModel.by_cleanup.query("0"), tidy_one, stop_at):
            ...  # the deadline came before every item was handed out
        pool.wait()
    finally:
        pool.close()
"""
from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from typing import Callable, Iterable, TypeVar

from chalicelib import clock

Item = TypeVar("Item")


@dataclass
class Outcome:
    """How a slice of work went: any item failed, or work left undone by the deadline."""

    failed: bool = False
    unfinished: bool = False


class WorkPool:
    """Hands items to `workers` threads; `feed` blocks while every worker has 4 waiting."""

    def __init__(self, workers: int, name: str = "job") -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._slots = threading.BoundedSemaphore(workers * 4)
        self._lock = threading.Lock()
        self._pending: set[Future] = set()
        self._crash: BaseException | None = None

    def feed(self, items: Iterable[Item], work: Callable[[Item], None], stop_at: float) -> bool:
        """Hand every item to a worker; False if the deadline (clock time) came first."""
        for item in items:
            if clock.now() >= stop_at:
                return False
            self._slots.acquire()
            self._raise_crash()
            future = self._executor.submit(work, item)
            with self._lock:
                self._pending.add(future)
            future.add_done_callback(self._done)
        return True

    def _done(self, future: Future) -> None:
        with self._lock:
            self._pending.discard(future)
            error = None if future.cancelled() else future.exception()
            if error is not None and self._crash is None:
                self._crash = error
        self._slots.release()

    def _raise_crash(self) -> None:
        if self._crash is not None:
            self._slots.release()
            raise self._crash

    def wait(self) -> None:
        """Until every item handed out is done; re-raises a worker's crash."""
        with self._lock:
            pending = list(self._pending)
        wait_futures(pending)
        if self._crash is not None:
            raise self._crash

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
