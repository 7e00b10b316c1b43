"""The enforcement log: dense, ordered, append-only; racing writers cannot share a number."""
from __future__ import annotations

import threading

import pytest
from pynamodb.exceptions import TransactWriteError

from chalicelib.store import base, enforcement_log
from chalicelib.store.enforcement_log import LogEntryModel, add_to, page
from tests.servers import server  # noqa: F401 (the fixture)


def entry(imei: str, action: str = "block", reason: str = "lost", at: int = 1000, **extra):
    return {"imei": imei, "action": action, "reason": reason, "at": at, **extra}


def append(entries: list[dict]) -> None:
    with base.transact_write() as transaction:
        add_to(transaction, entries)


def append_with_retry(entries: list[dict], attempts: int = 50) -> None:
    """What a caller does: a lost race on the head retries the whole move."""
    for _ in range(attempts):
        try:
            append(entries)
            return
        except TransactWriteError as error:
            if not base.transaction_condition_failed(error):
                raise
    raise AssertionError("never won the head")


def test_an_empty_log_pages_nothing_and_keeps_the_cursor(aws):
    assert page(None) == ([], "0")
    assert page("0") == ([], "0")


def test_entries_come_back_in_order_with_a_cursor_that_resumes(aws):
    append([entry("111"), entry("222", msisdn="09121234567", reason="unregistered")])
    append([entry("333", action="unblock")])
    entries, cursor = page(None)
    assert [(e["seq"], e["imei"], e["action"], e["reason"]) for e in entries] == [
        (1, "111", "block", "lost"),
        (2, "222", "block", "unregistered"),
        (3, "333", "unblock", "lost"),
    ]
    assert entries[1]["msisdn"] == "09121234567" and "msisdn" not in entries[0]
    assert page(cursor) == ([], cursor)
    # The same cursor always gives the same entries, before and after more are written.
    first, middle = page(None, limit=1)
    assert [e["imei"] for e in first] == ["111"]
    append([entry("444")])
    again = page(middle)
    assert [e["imei"] for e in again[0]] == ["222", "333", "444"]
    assert page(middle)[0] == again[0]


def test_a_page_spills_into_the_next_bucket(aws, monkeypatch):
    monkeypatch.setattr(enforcement_log, "BUCKET_SIZE", 3)
    for n in range(7):
        append([entry(str(n))])
    # seqs 1-2 in bucket 0, 3-5 in bucket 1, 6-7 in bucket 2
    assert LogEntryModel.get(1, 3).imei == "2"
    entries, cursor = page("1", limit=10)
    assert [e["seq"] for e in entries] == [2, 3, 4, 5, 6, 7]
    assert cursor == "7"
    assert [e["seq"] for e in page("2", limit=2)[0]] == [3, 4]


@pytest.mark.parametrize("cursor", ["-1", "abc", "01", "1.5", " 1", "۱", "1" * 30, ""])
def test_a_malformed_cursor_is_refused(aws, cursor):
    with pytest.raises(ValueError):
        page(cursor)


def test_a_cursor_beyond_the_head_is_refused(aws):
    append([entry("111")])
    page("1")
    with pytest.raises(ValueError):
        page("2")


def test_two_writers_that_read_the_same_head_cannot_both_commit(aws):
    append([entry("000")])
    with pytest.raises(TransactWriteError) as lost:
        with base.transact_write() as second:
            add_to(second, [entry("222"), entry("333")])  # reads head 1
            with base.transact_write() as first:
                add_to(first, [entry("111")])  # reads head 1 too, and commits first
    assert base.transaction_condition_failed(lost.value)
    entries, _ = page(None)
    assert [(e["seq"], e["imei"]) for e in entries] == [(1, "000"), (2, "111")]
    # The loser retries its whole move and lands right after the winner.
    append([entry("222"), entry("333")])
    assert [e["imei"] for e in page("2")[0]] == ["222", "333"]


def test_the_first_two_writers_race_on_a_missing_head(aws):
    with pytest.raises(TransactWriteError) as lost:
        with base.transact_write() as second:
            add_to(second, [entry("222")])
            with base.transact_write() as first:
                add_to(first, [entry("111")])
    assert base.transaction_condition_failed(lost.value)
    assert [e["imei"] for e in page(None)[0]] == ["111"]


@pytest.mark.fresh_backend  # a moto server on the session's emulator: the log from seq 1
def test_racing_threads_leave_a_dense_log_with_every_entry_once(server):  # noqa: F811
    """Against a real moto server: its transactions are atomic across connections."""
    racing_writers()


def racing_writers():
    writers = 6
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            barrier.wait()
            append_with_retry([entry(f"{n}-a"), entry(f"{n}-b")])
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    entries, cursor = page(None)
    assert [e["seq"] for e in entries] == list(range(1, 2 * writers + 1))
    assert sorted(e["imei"] for e in entries) == sorted(
        f"{n}-{p}" for n in range(writers) for p in "ab")
    # A writer's own entries stay side by side: each call is one contiguous run.
    for position in range(0, len(entries), 2):
        a, b = entries[position]["imei"], entries[position + 1]["imei"]
        assert a.endswith("-a") and b == a[:-1] + "b"
    assert cursor == str(2 * writers)


def test_bad_entries_and_oversized_calls_are_refused_before_writing(aws):
    with base.transact_write() as transaction:
        with pytest.raises(ValueError):
            add_to(transaction, [entry("1", action="delete")])
        with pytest.raises(ValueError):
            add_to(transaction, [entry("1", reason="because")])
        with pytest.raises(ValueError):
            add_to(transaction, [entry(str(n)) for n in range(91)])
    assert page(None) == ([], "0")
