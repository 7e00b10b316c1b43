"""A pair's one warning SMS (API.md "Network enforcement"): its cut-off, its place on the
deadline index, the one function that sends it, and the claim that makes it go once.

The cut-off is the later of first_seen + ENFORCEMENT_GRACE_SECONDS and the send +
ENFORCEMENT_MIN_NOTICE_SECONDS, so nobody is blocked on a date they were not told in
time. A warning not sent (the provider, or the SMS gate's per-operator budget)
leaves the pair unwarned, never blocked: its claim is given back, it is due at once on
today's slot (a day the enforcement job has yet to read), and the job's next run or the
next sighting sends it, with a cut-off counted from then.
"""
from __future__ import annotations

from pynamodb.exceptions import UpdateError

from chalicelib import settings, sms, sms_gate
from chalicelib.jobs import runtime
from chalicelib.store.base import condition_failed
from chalicelib.store.observations import PENDING, ObservationModel, deadline_slot


def cut_off(first_seen: float, sent_at: float) -> float:
    return max(first_seen + settings.ENFORCEMENT_GRACE_SECONDS, sent_at + settings.ENFORCEMENT_MIN_NOTICE_SECONDS)


def slot(imei: str, msisdn: str, cutoff: float, now: float) -> str:
    """The pair's by_deadline key: the later of its cut-off's day and today."""
    return deadline_slot(max(runtime.day_of(cutoff), runtime.day_of(now)), imei, msisdn)


def claim_fields(imei: str, msisdn: str, first_seen: float, now: float) -> dict:
    """A warning claimed at `now`: its cut-off, slot, and the claim itself."""
    cutoff = cut_off(first_seen, now)
    return {
        "grace_until": cutoff,
        "deadline_slot": slot(imei, msisdn, cutoff, now),
        "queued_at": now,
        "warned_at": now,
    }


def send_warning(msisdn: str, text: str, operator: str | None) -> bool:
    """The one way a warning leaves: True when it went out (False: the provider, or the
    SMS gate's per-operator budget, held it back)."""
    return sms_gate.send_warning(msisdn, text, operator or "")


def warn(item: ObservationModel, why: str, now: float) -> bool | None:
    """Claim a pending, unwarned pair's warning (its cut-off from now) and send it.
    None when another writer claimed it first; else whether it went out."""
    fields = claim_fields(item.imei, item.msisdn, float(item.first_seen or now), now)
    try:
        item.update(
            actions=[getattr(ObservationModel, name).set(value) for name, value in fields.items()]
            + [ObservationModel.reason.set(why)],
            condition=ObservationModel.warned_at.does_not_exist() & (ObservationModel.state == PENDING),
        )
    except UpdateError as error:
        if condition_failed(error):
            return None
        raise
    return deliver(item, why, now)


def deliver(item: ObservationModel, why: str, now: float) -> bool:
    """Send a claimed warning (its cut-off is item.grace_until); if it did not go out,
    give the claim back and make the pair due now, on today's slot, so the next run of the
    job (or a later sighting) tries again; unwarned, it is never blocked."""
    text = sms.warning_text(item.imei, why, float(item.grace_until))
    if send_warning(item.msisdn, text, item.operator):
        return True
    try:
        item.update(
            actions=[
                ObservationModel.warned_at.remove(),
                # Due just after now: the run that held it back does not meet it again today.
                ObservationModel.grace_until.set(now + 1),
                ObservationModel.deadline_slot.set(slot(item.imei, item.msisdn, now, now)),
            ],
            condition=ObservationModel.warned_at == now,
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
    return False
