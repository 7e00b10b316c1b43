"""SMS codes (رمز عبور موقت) that prove possession of a SIM: send with limits, verify once.

One OtpItem per number ("otp#<msisdn>") holds the live code (as an HMAC), its attempts,
and the send window, its send times newest first (store/challenges.py). Sending is one
conditional write that checks the resend timer and the daily cap, puts its time in front
of the window, keeps the code it replaces and stores the new one (with the SMS gate's
count: one TransactWriteItems), then the provider's send: three calls with the captcha. If
the provider refuses, one more write puts the kept code back and takes its time out (conditioned on
our send), so the failed send neither starts the resend timer nor kills the older code.
Verifying is two conditional updates (DESIGN.md): count the attempt while it may still be
tried, then mark it used; only the writer of the second gets to open a session.
"""
from __future__ import annotations

import math
import secrets

from aws_lambda_powertools import Logger
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.condition import size

from chalicelib import clock, keys, log, settings, sms, sms_gate
from chalicelib.errors import HamtaError
from chalicelib.identifiers import mask_msisdn
from chalicelib.sms_gate import Write
from chalicelib.store.base import (
    RaceLost,
    cancellation_reason,
    condition_failed,
    failed_condition,
    lost_race,
    retry_on_race,
    transact_write,
)
from chalicelib.store.challenges import OtpItem

logger = Logger(service=log.SERVICE, child=True)

LOGIN = "login"
ADD_SIM = "add_sim"
CODE_DIGITS = 6
DAY = 24 * 3600
# The window list is tidied (sends older than a day dropped) once it holds this many more
# than the cap: one extra write every TIDY_SLACK sends at most, and a bounded item.
TIDY_SLACK = 16
# The window keeps at most this many send times (~12 bytes each, far below DynamoDB's
# 400 KB item): a cap set higher (a test stage switching it off) counts as no cap.
WINDOW_MAX = 1000

# What a send keeps of the code it replaces, and the "none" it keeps for an absence.
_KEPT = (
    (OtpItem.prev_code_hmac, OtpItem.code_hmac, ""),
    (OtpItem.prev_purpose, OtpItem.purpose, ""),
    (OtpItem.prev_subject, OtpItem.subject, ""),
    (OtpItem.prev_attempts, OtpItem.attempts, 0),
    (OtpItem.prev_used_at, OtpItem.used_at, 0),
    (OtpItem.prev_expires_at, OtpItem.expires_at, 0),
)


def _key(msisdn: str) -> str:
    return "otp#" + msisdn


def _code_hmac(msisdn: str, purpose: str, subject: str | None, code: str) -> str:
    # Bound to the number, the purpose and who asked: a login code adds no SIM.
    return keys.keyed_hash("otp", f"{msisdn}:{purpose}:{subject or ''}:{code}")


def new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))


def _unused():
    # 0 is what an undone send puts back for "never used" (SET cannot restore an absence).
    return OtpItem.used_at.does_not_exist() | (OtpItem.used_at == 0)


def send_code(msisdn: str, purpose: str, subject: str | None = None) -> dict:
    """Send a new code to `msisdn`; return {msisdn, expires_in, resend_in}.

    429 otp_resend_too_soon inside OTP_RESEND_SECONDS of the last send, 429 rate_limited
    past OTP_MAX_SENDS_PER_DAY in a rolling 24 h, 503 sms_unavailable (with Retry-After) if
    the provider refuses or the SMS gate's budget is spent. Two AWS calls: the write, the
    send (two more now and then, to tidy the window first).
    """
    now = clock.now()
    cap = settings.OTP_MAX_SENDS_PER_DAY
    if cap <= 0:
        raise HamtaError("rate_limited", retry_after=DAY)
    code = new_code()
    send_id = secrets.token_hex(8)
    ttl = settings.OTP_TTL_SECONDS
    def attempt() -> Write | None:
        written, spent = _write_send(msisdn, purpose, subject, code, send_id, now, cap)
        if not written:
            _tidy(msisdn, spent, now)  # now and then, then the send again
            raise RaceLost()
        return spent

    spent = retry_on_race(attempt, attempts=3, exhausted=lambda: HamtaError(
        "otp_resend_too_soon", retry_after=max(1, settings.OTP_RESEND_SECONDS)))
    text = sms.add_sim_text(code) if purpose == ADD_SIM else sms.otp_text(code)
    try:
        sms_gate.deliver_code(msisdn, text, spent)
    except HamtaError:
        _undo_send(msisdn, send_id)
        raise
    logger.info("otp sent", extra={"to": mask_msisdn(msisdn), "purpose": purpose})
    return {"msisdn": msisdn, "expires_in": ttl, "resend_in": settings.OTP_RESEND_SECONDS}


def _write_send(msisdn, purpose, subject, code, send_id, now, cap) -> tuple[bool, object]:
    """The send's one write. Returns (True, the gate's count it carried) when written, or
    (False, the stored item, raw) when it must be tidied first (old shape, or a window
    list grown long); raises the refusals, and RaceLost when it met another write."""
    actions = [kept.set(live | none) for kept, live, none in _KEPT]
    actions += [
        OtpItem.sent.set((OtpItem.sent | []).prepend([now])),
        OtpItem.code_hmac.set(_code_hmac(msisdn, purpose, subject, code)),
        OtpItem.purpose.set(purpose),
        OtpItem.subject.set(subject or ""),
        OtpItem.attempts.set(0),
        OtpItem.used_at.remove(),
        OtpItem.expires_at.set(now + settings.OTP_TTL_SECONDS),
        OtpItem.send_id.set(send_id),
        OtpItem.ttl.set(int(now + max(DAY, settings.OTP_TTL_SECONDS)) + 3600),
    ]
    newest, nth = OtpItem.sent[0], OtpItem.sent[cap - 1]
    may_send = (
        (newest.does_not_exist() | (newest <= now - settings.OTP_RESEND_SECONDS))
        & (nth.does_not_exist() | (nth <= now - DAY))  # fewer than `cap` in 24 h
        & (OtpItem.sent.does_not_exist() | (size(OtpItem.sent) < min(cap, WINDOW_MAX) + TIDY_SLACK))
        & OtpItem.sends.does_not_exist()  # an old-shape window is moved to `sent` first
    )
    budget = sms_gate.code_write()
    kinds = {"update": 2 if budget is not None else 1}
    try:
        # One call: the code and the send window, and the SMS gate's count of this code.
        with transact_write() as tx:
            tx.update(OtpItem(_key(msisdn)), actions=actions, condition=may_send,
                      return_values="ALL_OLD")
            if budget is not None:
                tx.update(budget.item, actions=budget.actions, condition=budget.condition)
    except TransactWriteError as error:
        ours = cancellation_reason(error, kinds, "update", 0)
        if ours is not None and ours.code == "ConditionalCheckFailed" and ours.raw_item:
            refusal = _refusal(OtpItem.from_raw_data(ours.raw_item), now, cap)
            if refusal is not None:
                raise refusal from None
            return False, ours.raw_item
        if budget is not None and failed_condition(error, kinds, "update", 1):
            raise sms_gate.budget_refusal() from None
        if not lost_race(error):
            raise
        # TransactionConflict: a racing send, or a verify's count on the same item, wrote
        # it at that moment. Nothing was written: write again, judged on what is there then
        # (a racing send that won makes it a plain 429 with its true Retry-After).
        raise RaceLost() from None
    return True, budget


def _send_times(item: OtpItem) -> list[float]:
    """Newest first, in either shape."""
    if item.sends is not None or item.last_sent_at is not None:
        times = {float(t) for t in (item.sends or [])}
        if item.last_sent_at is not None:
            times.add(float(item.last_sent_at))
        return sorted(times, reverse=True)
    return [float(t) for t in (item.sent or [])]


def _refusal(item: OtpItem, now: float, cap: int) -> HamtaError | None:
    """Which limit refuses a send, from the item as the write's condition saw it; None
    when none does (the item only needs tidying)."""
    times = _send_times(item)
    if times and times[0] > now - settings.OTP_RESEND_SECONDS:
        return HamtaError(
            "otp_resend_too_soon",
            retry_after=max(1, math.ceil(times[0] + settings.OTP_RESEND_SECONDS - now)),
        )
    if len(times) >= cap and times[cap - 1] > now - DAY:
        # The cap-th newest send frees a place when it turns 24 h old.
        return HamtaError("rate_limited", retry_after=max(1, math.ceil(times[cap - 1] + DAY - now)))
    return None


def _tidy(msisdn: str, raw: dict, now: float) -> None:
    """Rewrite the send window as `sent`, keeping only the last 24 h (and at most the
    newest WINDOW_MAX): once for an item in the old shape, and whenever `sent` has grown
    TIDY_SLACK past the cap (older sends count for nothing). The live code stays as it is.
    Conditioned on the item as read; a racing writer's change stands (the send then tries
    again on what it wrote)."""
    item = OtpItem.from_raw_data(raw)
    recent = [t for t in _send_times(item) if t > now - DAY][:WINDOW_MAX]
    actions = [
        OtpItem.sent.set(recent),
        OtpItem.sends.remove(),
        OtpItem.last_sent_at.remove(),
        OtpItem.revision.remove(),
    ]
    if item.sends is not None:
        as_read = OtpItem.revision == item.revision if item.revision is not None else OtpItem.sends.exists()
    else:
        # The same send last, and no undo since (an undo takes one time out).
        as_read = (size(OtpItem.sent) == len(item.sent or [])) & (
            OtpItem.send_id == item.send_id if item.send_id else OtpItem.send_id.does_not_exist()
        )
    try:
        OtpItem(_key(msisdn)).update(actions=actions, condition=as_read)
    except UpdateError as error:
        if not condition_failed(error):
            raise


def _undo_send(msisdn: str, send_id: str) -> None:
    """Undo a send whose SMS never left: the kept code back as it was (its attempts, its
    use) and its time out of the window, unless another send wrote since (then theirs
    stands)."""
    actions = [live.set(kept) for kept, live, _ in _KEPT] + [OtpItem.sent[0].remove()]
    try:
        OtpItem(_key(msisdn)).update(actions=actions, condition=OtpItem.send_id == send_id)
    except UpdateError as error:
        if not condition_failed(error):
            raise


def verify_code(msisdn: str, code: str, purpose: str, subject: str | None = None) -> None:
    """Accept the live code of `msisdn` once; otherwise 401 otp_invalid.

    Wrong, expired, used, replaced by a newer code, of another purpose, or past
    OTP_MAX_ATTEMPTS wrong tries (then even the right code): all 401 otp_invalid.
    """
    item, actions, condition = check_code(msisdn, code, purpose, subject)
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as error:
        if condition_failed(error):
            raise HamtaError("otp_invalid") from None
        raise


def check_code(msisdn: str, code: str, purpose: str, subject: str | None = None) -> tuple:
    """Step 1 of verify_code: count the attempt, then compare (401 otp_invalid). Returns
    step 2, (item, actions, condition) that mark this very code used, for the caller to
    write alone or in its own transaction (a SIM login stores its session with it); a
    failed condition there is otp_invalid too."""
    now = clock.now()
    item = OtpItem(pk=_key(msisdn))
    may_try = (
        OtpItem.code_hmac.exists()
        & _unused()
        & (OtpItem.expires_at > now)
        & (OtpItem.attempts < settings.OTP_MAX_ATTEMPTS)
        & (OtpItem.purpose == purpose)
    )
    if subject is not None:
        may_try &= OtpItem.subject == subject
    try:
        # Step 1: the attempt counts before the code is compared (no free guesses).
        item.update(actions=[OtpItem.attempts.add(1)], condition=may_try)
    except UpdateError as error:
        if condition_failed(error):
            raise HamtaError("otp_invalid") from None
        raise
    expected = _code_hmac(msisdn, purpose, subject, code)
    if not keys.same(expected, item.code_hmac or ""):
        raise HamtaError("otp_invalid")
    # Step 2: only one request marks this very code used (a newer code has another HMAC).
    return (
        item,
        [OtpItem.used_at.set(now)],
        _unused() & (OtpItem.code_hmac == expected) & (OtpItem.expires_at > now),
    )
