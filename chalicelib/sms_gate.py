"""The one door of every SMS (API.md "SMS"): classes, budget and caps, then the provider.

Two classes. A *code* is an SMS a person waits for; a *notice* is any other. Both count on
the service-wide budget of the window (SMS_MAX_PER_WINDOW per SMS_WINDOW_SECONDS); notices
may take at most SMS_NOTICE_PERCENT of it, so codes always have room. On top of it:
- a notice: NOTICES_PER_NUMBER_PER_DAY to one number (`send_notice`, dropped past it);
- a warning: OPERATOR_WARNINGS_PER_DAY per operator key (`send_warning`, held: the caller
  keeps the pair unwarned and tries again later);
- an answer to a person's SMS to 7777: ANSWERS_PER_DAY to one sender (`send_answer`);
- a customs code: CUSTOMS_SMS_PER_DAY per customs key (`customs_write`, 429 in the
  registration's own transaction, so nothing is stored).

Every count is ONE conditional write: the budget alone (a code), or the budget and the
cap's counter in one TransactWriteItems (a notice), or riding in the caller's own
transaction (a sign-in code, a traveller's code: no call of its own). The counters are
sharded, window x shard, so that no item is hot at national scale (docs/sms.md); a write
that meets another transaction on its shard is tried again on another (retry_on_race).
Every send, drop and refusal is counted as a CloudWatch metric (EMF) by class and cause.
"""
from __future__ import annotations

import math
import os
import random
from typing import Callable, NamedTuple

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from pynamodb.exceptions import PynamoDBException, TransactWriteError, UpdateError

from chalicelib import clock, log, settings, sms_providers
from chalicelib.errors import HamtaError
from chalicelib.identifiers import mask_msisdn
from chalicelib.store.base import (
    RaceLost,
    condition_failed,
    failed_condition,
    lost_race,
    retry_on_race,
    transact_write,
)
from chalicelib.store.challenges import CounterItem

logger = Logger(service=log.SERVICE, child=True)

CODE, NOTICE, WARNING, ANSWER = "code", "notice", "warning", "answer"
DAY = 24 * 3600
ANSWERS_PER_DAY = 20  # answers to one sender's SMS to 7777 (API.md "USSD and SMS to 7777")
# A counter is split in shards of at least this many SMS of its budget, at most MAX_SHARDS:
# a small budget (a test's 3) stays one exact item, a national one spreads its writes.
SHARD_MIN_BUDGET = 1000
MAX_SHARDS = 50
PROVIDER_RETRY_AFTER = 60  # a code the provider did not take: the person tries again then
# Iran's day (UTC+03:30, clock.TEHRAN): the per-day caps turn at Tehran's midnight.
TEHRAN_OFFSET = 12600
METRICS_NAMESPACE = "Hamta"


class Unavailable(Exception):
    """An answer to 7777 the provider did not take (the Lambda's retry tries again)."""


class _Held(Exception):
    """The gate holds a send back; `cause` names why."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


class Write(NamedTuple):
    """One counter's conditional update, for the gate's or a caller's transaction."""

    item: CounterItem
    actions: list
    condition: object
    notice: bool = False  # it counts on the budget's notices too


# ---- counters ------------------------------------------------------------------------------


def _shards(budget: int) -> int:
    return max(1, min(MAX_SHARDS, budget // SHARD_MIN_BUDGET))


def _counter(name: str, window: int, ends: float, budget: int, notice_share: int | None = None) -> Write:
    """Count one on a random shard of `name`'s counter of this window, under the shard's
    part of `budget` (and, for a notice on the service-wide budget, of `notice_share`
    percent of it)."""
    shards = _shards(budget)
    shard = random.randrange(shards)
    part = budget // shards + (1 if shard < budget % shards else 0)
    item = CounterItem(f"{name}#{window}#{shard}")
    actions = [
        CounterItem.count.add(1),
        CounterItem.expires_at.set(ends),
        CounterItem.ttl.set(int(ends) + 3600),
    ]
    condition = CounterItem.count.does_not_exist() | (CounterItem.count < part)
    if notice_share is not None:
        notices = part * notice_share // 100
        actions.append(CounterItem.notices.add(1))
        condition &= CounterItem.notices.does_not_exist() | (CounterItem.notices < notices)
    return Write(item, actions, condition, notice_share is not None)


def _budget_window(now: float) -> tuple[int, float]:
    seconds = max(1, settings.SMS_WINDOW_SECONDS)
    number = int(now // seconds)
    return number, (number + 1) * seconds


def _day(now: float) -> tuple[int, float]:
    number = int((now + TEHRAN_OFFSET) // DAY)
    return number, (number + 1) * DAY - TEHRAN_OFFSET


def budget_write(klass: str = CODE) -> Write | None:
    """The service-wide budget's count of one SMS of `klass`; None when the budget is off
    (SMS_MAX_PER_WINDOW = 0). Notices are refused at once when their share is 0."""
    budget = settings.SMS_MAX_PER_WINDOW
    if budget <= 0:
        return None
    window, ends = _budget_window(clock.now())
    share = None if klass == CODE else max(0, settings.SMS_NOTICE_PERCENT)
    return _counter("sms", window, ends, budget, share)


def code_write() -> Write | None:
    """A code's count, for a caller that writes it in its own transaction (otp.py,
    travellers.py); past the budget its condition fails: answer `budget_refusal()`."""
    return budget_write(CODE)


def budget_refusal() -> HamtaError:
    """503 sms_unavailable until the budget's window ends."""
    _, ends = _budget_window(clock.now())
    _metric("SmsRefused", CODE, "budget")
    return HamtaError("sms_unavailable", retry_after=max(1, math.ceil(ends - clock.now())))


def _day_write(name: str, cap: int) -> Write | None:
    """A per-day cap's count (None: the cap lets nothing through)."""
    if cap <= 0:
        return None
    day, ends = _day(clock.now())
    return _counter(name, day, ends, cap)


def customs_write(office: str) -> Write | None:
    """A customs key's daily count of codes, for the registration's own transaction;
    None when CUSTOMS_SMS_PER_DAY is 0 (answer `customs_refusal()` at once)."""
    return _day_write(f"sms#customs#{office}", settings.CUSTOMS_SMS_PER_DAY)


def customs_refusal() -> HamtaError:
    """429 rate_limited until Tehran's next day."""
    _, ends = _day(clock.now())
    _metric("SmsRefused", CODE, "customs_cap")
    return HamtaError("rate_limited", retry_after=max(1, math.ceil(ends - clock.now())))


def _give_back(writes: list[Write]) -> None:
    """Un-count a send the provider did not take (never below zero)."""
    for write in writes:
        actions = [CounterItem.count.add(-1)]
        if write.notice:
            actions.append(CounterItem.notices.add(-1))
        try:
            write.item.update(actions=actions, condition=CounterItem.count > 0)
        except UpdateError as error:
            if not condition_failed(error):
                logger.warning("sms count not given back", extra={"key": write.item.pk})


# ---- the classes ---------------------------------------------------------------------------


def send_code(msisdn: str, text: str) -> None:
    """A code: counted on the budget (one UpdateItem), then sent. 503 sms_unavailable with
    Retry-After when the budget is spent or the provider did not take it."""
    def count() -> Write | None:
        write = budget_write(CODE)  # a new shard each try
        if write is not None:
            try:
                write.item.update(actions=write.actions, condition=write.condition)
            except UpdateError as error:
                if condition_failed(error):
                    raise budget_refusal() from None
                if lost_race(error):  # a transaction on that shard at that moment
                    raise RaceLost() from None
                raise
        return write

    deliver_code(msisdn, text, retry_on_race(count, exhausted=lambda: HamtaError("sms_unavailable")))


def deliver_code(msisdn: str, text: str, spent: Write | None) -> None:
    """A code its caller counted in its own transaction (`spent`, from code_write): the
    provider only; 503 sms_unavailable (and the count given back) when it is not taken."""
    cause = _deliver(msisdn, text)
    if cause is None:
        _metric("SmsSent", CODE, "sent")
        return
    _metric("SmsRefused", CODE, cause)
    if spent is not None:
        _give_back([spent])
    raise HamtaError("sms_unavailable", retry_after=PROVIDER_RETRY_AFTER)


def send_notice(msisdn: str, text: str) -> bool:
    """A notice: at most NOTICES_PER_NUMBER_PER_DAY to one number. Never raises; False when
    the gate held it back (dropped and counted: the act it tells of stands) or the
    provider did not take it."""
    cap = _day_write(f"sms#notices#{msisdn}", settings.NOTICES_PER_NUMBER_PER_DAY)
    return _send_counted(NOTICE, msisdn, text, cap, "number_cap")


def send_warning(msisdn: str, text: str, operator: str) -> bool:
    """An operator's warning: at most OPERATOR_WARNINGS_PER_DAY per operator key. False
    when held (the caller keeps the pair unwarned and tries again later) or not taken."""
    cap = _day_write(f"sms#warnings#{operator or '-'}", settings.OPERATOR_WARNINGS_PER_DAY)
    return _send_counted(WARNING, msisdn, text, cap, "operator_cap")


def send_answer(msisdn: str, compose: Callable[[], str]) -> str | None:
    """An answer to a person's SMS to 7777: its own cap, ANSWERS_PER_DAY to one sender,
    counted before `compose` looks anything up. The text sent, None when held;
    Unavailable when the provider did not take it (the inbound delivery is retried)."""
    cap = _day_write(f"sms#answers#{msisdn}", ANSWERS_PER_DAY)
    sent: list[str] = []

    def text() -> str:
        sent.append(compose())
        return sent[0]

    try:
        return sent[0] if _send_counted(ANSWER, msisdn, text, cap, "answer_cap", quiet=False) else None
    except sms_providers.NotSent:
        raise Unavailable() from None


def prepare() -> None:
    """Make the provider's client before threads share it (observations' batch)."""
    sms_providers.current().prepare()


def _send_counted(klass: str, msisdn: str, text: str | Callable[[], str], cap: Write | None,
                  cap_cause: str, quiet: bool = True) -> bool:
    """Count on the budget (notices' share) and on `cap` in ONE transaction, then send
    (`text` may be made only once counted)."""
    if cap is None:
        _metric("SmsDropped", klass, cap_cause)
        return False

    def count() -> list[Write]:
        budget = budget_write(klass)  # a new shard each try
        writes = [w for w in (budget, cap) if w is not None]
        kinds = {"update": len(writes)}
        try:
            with transact_write() as tx:
                for write in writes:
                    tx.update(write.item, actions=write.actions, condition=write.condition)
        except TransactWriteError as error:
            if budget is not None and failed_condition(error, kinds, "update", 0):
                raise _Held("budget") from None
            if failed_condition(error, kinds, "update", len(writes) - 1):
                raise _Held(cap_cause) from None
            if lost_race(error):  # another transaction on a counter at that moment
                raise RaceLost() from None
            raise _Held("store") from None  # throttled: nothing counted, nothing sent
        return writes

    try:
        writes = retry_on_race(count, exhausted=lambda: _Held("store"))
    except (_Held, PynamoDBException) as held:
        cause = held.cause if isinstance(held, _Held) else "store"
        _metric("SmsDropped", klass, cause)
        logger.info("sms held back", extra={"to": mask_msisdn(msisdn), "class": klass, "cause": cause})
        return False
    cause = _deliver(msisdn, text() if callable(text) else text)
    if cause is None:
        _metric("SmsSent", klass, "sent")
        return True
    _metric("SmsRefused", klass, cause)
    _give_back(writes)
    if not quiet:
        raise sms_providers.NotSent(cause)
    return False


def _deliver(msisdn: str, text: str) -> str | None:
    """The provider's one send: None when taken, else the cause."""
    try:
        sms_providers.current().send(msisdn, text)
    except sms_providers.NotSent as error:
        logger.warning("sms not sent", extra={"to": mask_msisdn(msisdn), "cause": error.cause})
        return error.cause
    return None


def _metric(name: str, klass: str, cause: str) -> None:
    """One EMF line: SmsSent / SmsDropped / SmsRefused by Stage, Class and Cause; a code not
    sent also counts on CodesRefused (the alarm's metric, by Stage only). Powertools'
    POWERTOOLS_METRICS_DISABLED=true silences them (the benches' stdout is their result)."""
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":
        return
    with single_metric(name=name, unit=MetricUnit.Count, value=1, namespace=METRICS_NAMESPACE) as metric:
        metric.add_dimension(name="Stage", value=settings.STAGE)
        metric.add_dimension(name="Class", value=klass)
        metric.add_dimension(name="Cause", value=cause)
    if klass == CODE and name != "SmsSent":
        with single_metric(name="CodesRefused", unit=MetricUnit.Count, value=1,
                           namespace=METRICS_NAMESPACE) as metric:
            metric.add_dimension(name="Stage", value=settings.STAGE)
