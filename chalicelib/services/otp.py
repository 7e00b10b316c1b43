"""SMS codes (رمز عبور موقت) that prove possession of a SIM: send with limits, verify once.

One OtpItem per number ("otp#<msisdn>") holds the live code (as an HMAC), its attempts,
and the send window (send times in the last 24 h, the last send, a revision). Sending is
read -> write conditioned on the revision read -> SNS publish; if SNS refuses, the item
read is put back (conditioned on our revision), so the failed send neither starts the
resend timer nor kills the older code. Verifying is two conditional updates (DESIGN.md):
count the attempt while it may still be tried, then mark it used; only the writer of the
second gets to open a session.
"""
from __future__ import annotations

import math
import secrets

from aws_lambda_powertools import Logger
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, TransactWriteError, UpdateError

from chalicelib import clock, keys, log, settings, sms
from chalicelib.errors import HamtaError
from chalicelib.identifiers import mask_msisdn
from chalicelib.services import limits
from chalicelib.store.base import condition_failed, lost_race, transact_write
from chalicelib.store.challenges import OtpItem

logger = Logger(service=log.SERVICE, child=True)

LOGIN = "login"
ADD_SIM = "add_sim"
CODE_DIGITS = 6
DAY = 24 * 3600


def _key(msisdn: str) -> str:
    return "otp#" + msisdn


def _code_hmac(msisdn: str, purpose: str, subject: str | None, code: str) -> str:
    # Bound to the number, the purpose and who asked: a login code adds no SIM.
    return keys.keyed_hash("otp", f"{msisdn}:{purpose}:{subject or ''}:{code}")


def new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))


def _read(msisdn: str) -> OtpItem | None:
    try:
        return OtpItem.get(_key(msisdn), consistent_read=True)
    except DoesNotExist:
        return None


def send_code(msisdn: str, purpose: str, subject: str | None = None) -> dict:
    """Send a new code to `msisdn`; return {msisdn, expires_in, resend_in}.

    429 otp_resend_too_soon inside OTP_RESEND_SECONDS of the last send, 429 rate_limited
    past OTP_MAX_SENDS_PER_DAY in a rolling 24 h, 503 sms_unavailable if SNS refuses.
    """
    now = clock.now()
    previous = _read(msisdn)
    sends = [float(t) for t in (previous.sends or [])] if previous else []
    sends = [t for t in sends if t > now - DAY]
    last = previous.last_sent_at if previous else None
    if last is not None and now - last < settings.OTP_RESEND_SECONDS:
        raise HamtaError(
            "otp_resend_too_soon",
            retry_after=max(1, math.ceil(last + settings.OTP_RESEND_SECONDS - now)),
        )
    if len(sends) >= settings.OTP_MAX_SENDS_PER_DAY:
        raise HamtaError("rate_limited", retry_after=max(1, math.ceil(min(sends) + DAY - now)))

    code = new_code()
    revision = int(previous.revision or 0) + 1 if previous else 1
    ttl = settings.OTP_TTL_SECONDS
    item = OtpItem(
        pk=_key(msisdn),
        code_hmac=_code_hmac(msisdn, purpose, subject, code),
        purpose=purpose,
        subject=subject,
        attempts=0,
        expires_at=now + ttl,
        sends=sends + [now],
        last_sent_at=now,
        revision=revision,
        ttl=int(now + DAY) + 3600,
    )
    if previous is None:
        written_if = OtpItem.pk.does_not_exist()
    else:
        written_if = OtpItem.revision == int(previous.revision or 0)
    breaker = limits.sms_breaker_write()
    try:
        # One call: the code and the send window, and the service-wide SMS count.
        with transact_write() as tx:
            tx.save(item, condition=written_if)
            if breaker is not None:
                tx.update(breaker[0], actions=breaker[1], condition=breaker[2])
    except TransactWriteError as error:
        reasons = getattr(error, "cancellation_reasons", None) or []
        if len(reasons) > 1 and reasons[1] is not None and reasons[1].code == "ConditionalCheckFailed":
            raise limits.sms_breaker_open() from None
        if not lost_race(error):
            raise
        # A racing request sent a code between our read and write: it won.
        raise HamtaError(
            "otp_resend_too_soon", retry_after=max(1, settings.OTP_RESEND_SECONDS)
        ) from None

    text = sms.add_sim_text(code) if purpose == ADD_SIM else sms.otp_text(code)
    try:
        sms.send_sms(msisdn, text)
    except sms.SmsUnavailable:
        _restore(msisdn, previous, revision)
        raise HamtaError("sms_unavailable") from None
    logger.info("otp sent", extra={"to": mask_msisdn(msisdn), "purpose": purpose})
    return {"msisdn": msisdn, "expires_in": ttl, "resend_in": settings.OTP_RESEND_SECONDS}


def _restore(msisdn: str, previous: OtpItem | None, our_revision: int) -> None:
    """Undo a send whose SMS never left: put back what was there, unless someone wrote
    since (then theirs stands)."""
    try:
        if previous is None:
            OtpItem(pk=_key(msisdn)).delete(condition=OtpItem.revision == our_revision)
        else:
            previous.save(condition=OtpItem.revision == our_revision)
    except (PutError, DeleteError) as error:
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
        & OtpItem.used_at.does_not_exist()
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
        OtpItem.used_at.does_not_exist() & (OtpItem.code_hmac == expected) & (OtpItem.expires_at > now),
    )
