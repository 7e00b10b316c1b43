"""SMS codes (رمز عبور موقت) that prove possession of a SIM: send with limits, verify once.

One OtpItem per number ("otp#<msisdn>") holds the live code (as an HMAC), its attempts,
and the send window as a shift register of send times (store/challenges.py). Sending is
one conditional write that checks the resend timer and the daily cap, shifts the window,
keeps the code it replaces and stores the new one (with the SMS breaker's count, one
TransactWriteItems), then the SNS publish: three calls with the captcha. If SNS refuses,
one more write puts the kept code and window back (conditioned on our send), so the
failed send neither starts the resend timer nor kills the older code. Verifying is two
conditional updates (DESIGN.md): count the attempt while it may still be tried, then
mark it used; only the writer of the second gets to open a session.
"""
from __future__ import annotations

import math
import secrets

from aws_lambda_powertools import Logger
from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib import clock, keys, log, settings, sms
from chalicelib.errors import HamtaError
from chalicelib.identifiers import mask_msisdn
from chalicelib.services import limits
from chalicelib.store.base import condition_failed, lost_race, transact_write
from chalicelib.store.challenges import OtpItem, sent_slot

logger = Logger(service=log.SERVICE, child=True)

LOGIN = "login"
ADD_SIM = "add_sim"
CODE_DIGITS = 6
DAY = 24 * 3600

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
    past OTP_MAX_SENDS_PER_DAY in a rolling 24 h, 503 sms_unavailable if SNS refuses (or
    the SMS breaker is open). Two AWS calls: the write, the publish.
    """
    now = clock.now()
    window = settings.OTP_MAX_SENDS_PER_DAY  # N, the register's length for this write
    if window <= 0:
        raise HamtaError("rate_limited", retry_after=DAY)
    code = new_code()
    send_id = secrets.token_hex(8)
    ttl = settings.OTP_TTL_SECONDS
    for _ in range(3):
        old_shape = _write_send(msisdn, purpose, subject, code, send_id, now, window)
        if old_shape is None:
            break
        _upgrade(msisdn, old_shape)  # once per number, then the send again
    else:
        raise HamtaError("otp_resend_too_soon", retry_after=max(1, settings.OTP_RESEND_SECONDS))

    text = sms.add_sim_text(code) if purpose == ADD_SIM else sms.otp_text(code)
    try:
        sms.send_sms(msisdn, text)
    except sms.SmsUnavailable:
        _undo_send(msisdn, send_id, window)
        raise HamtaError("sms_unavailable") from None
    logger.info("otp sent", extra={"to": mask_msisdn(msisdn), "purpose": purpose})
    return {"msisdn": msisdn, "expires_in": ttl, "resend_in": settings.OTP_RESEND_SECONDS}


def _write_send(msisdn, purpose, subject, code, send_id, now, window) -> dict | None:
    """The send's one write. Returns None when written, or the stored item (raw) when it
    is in the old shape and must be upgraded first; raises the refusals."""
    actions = [kept.set(live | none) for kept, live, none in _KEPT]
    # The register shifts by one, oldest first (each slot is read before it is written,
    # whether DynamoDB evaluates SET left to right or all against the old item).
    actions += [sent_slot(k).set(sent_slot(k - 1) | 0) for k in range(window, 1, -1)]
    actions += [
        sent_slot(1).set(now),
        OtpItem.code_hmac.set(_code_hmac(msisdn, purpose, subject, code)),
        OtpItem.purpose.set(purpose),
        OtpItem.subject.set(subject or ""),
        OtpItem.attempts.set(0),
        OtpItem.used_at.remove(),
        OtpItem.expires_at.set(now + settings.OTP_TTL_SECONDS),
        OtpItem.send_id.set(send_id),
        OtpItem.ttl.set(int(now + max(DAY, settings.OTP_TTL_SECONDS)) + 3600),
    ]
    may_send = (
        (sent_slot(1).does_not_exist() | (sent_slot(1) <= now - settings.OTP_RESEND_SECONDS))
        & (sent_slot(window).does_not_exist() | (sent_slot(window) <= now - DAY))
        & OtpItem.sends.does_not_exist()  # an old-shape window is upgraded first
    )
    breaker = limits.sms_breaker_write()
    try:
        # One call: the code and the send window, and the service-wide SMS count.
        with transact_write() as tx:
            tx.update(OtpItem(_key(msisdn)), actions=actions, condition=may_send,
                      return_values="ALL_OLD")
            if breaker is not None:
                tx.update(breaker[0], actions=breaker[1], condition=breaker[2])
    except TransactWriteError as error:
        reasons = getattr(error, "cancellation_reasons", None) or []
        ours = reasons[0] if reasons else None
        if ours is not None and ours.code == "ConditionalCheckFailed" and ours.raw_item:
            if "sends" in ours.raw_item:
                return ours.raw_item
            raise _refusal(ours.raw_item, now, window) from None
        if len(reasons) > 1 and reasons[1] is not None and reasons[1].code == "ConditionalCheckFailed":
            raise limits.sms_breaker_open() from None
        if not lost_race(error):
            raise
        # A racing send wrote the item at the same moment (TransactionConflict): it won.
        raise HamtaError(
            "otp_resend_too_soon", retry_after=max(1, settings.OTP_RESEND_SECONDS)
        ) from None
    return None


def _slot_time(raw: dict, k: int) -> float:
    value = raw.get(f"s{k}", {}).get("N")
    return float(value) if value is not None else 0.0


def _refusal(raw: dict, now: float, window: int) -> HamtaError:
    """Which limit refused the send, from the item as the write saw it."""
    last = _slot_time(raw, 1)
    if last > now - settings.OTP_RESEND_SECONDS:
        return HamtaError(
            "otp_resend_too_soon",
            retry_after=max(1, math.ceil(last + settings.OTP_RESEND_SECONDS - now)),
        )
    # The N-th newest send inside the last 24 h: the cap frees when it turns 24 h old.
    oldest_counted = _slot_time(raw, window)
    return HamtaError("rate_limited", retry_after=max(1, math.ceil(oldest_counted + DAY - now)))


def _upgrade(msisdn: str, raw: dict) -> None:
    """Turn an old-shape window (a list of send times, read before each write) into the
    shift register, keeping the live code as it is. Conditioned on the revision seen; a
    racing writer's change stands (the send then tries again on what it wrote)."""
    old = OtpItem.from_raw_data(raw)
    times = {float(t) for t in (old.sends or [])}
    if old.last_sent_at is not None:
        times.add(float(old.last_sent_at))
    actions = [sent_slot(k).set(t) for k, t in enumerate(sorted(times, reverse=True), start=1)]
    actions += [OtpItem.sends.remove(), OtpItem.last_sent_at.remove(), OtpItem.revision.remove()]
    seen = OtpItem.sends.exists() & (
        OtpItem.revision == old.revision if old.revision is not None
        else OtpItem.revision.does_not_exist()
    )
    try:
        OtpItem(_key(msisdn)).update(actions=actions, condition=seen)
    except UpdateError as error:
        if not condition_failed(error):
            raise


def _undo_send(msisdn: str, send_id: str, window: int) -> None:
    """Undo a send whose SMS never left: the kept code back as it was (its attempts, its
    use), the register shifted back, unless another send wrote since (then theirs stands)."""
    actions = [live.set(kept) for kept, live, _ in _KEPT]
    actions += [sent_slot(k).set(sent_slot(k + 1)) for k in range(1, window)]
    # What the send shifted out of sN was older than 24 h (else it was refused): it
    # counts for nothing, and 0 says the same.
    actions.append(sent_slot(window).set(0))
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
