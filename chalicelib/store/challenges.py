"""The challenges table: short-lived secrets and counters, each kind under its own key prefix.

Every item has `expires_at` (checked by code, always) and `ttl` (DynamoDB deletes the item
some hours after; code never counts on that having happened). Each item kind is its own
PynamoDB model over the same table.
"""
from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.models import Model

from chalicelib.store.base import table_meta


class ChallengeModel(Model):
    """The table itself (what create_tables and infra/ declare), and the base of each item
    kind below: they share its table, key, TTL and `expires_at`."""

    SHORT_NAME = "challenges"
    TTL_ATTRIBUTE = "ttl"

    Meta = table_meta(SHORT_NAME)

    pk = UnicodeAttribute(hash_key=True)
    ttl = NumberAttribute(null=True)  # epoch seconds; DynamoDB TTL deletes lazily
    expires_at = NumberAttribute(null=True)


class CaptchaItem(ChallengeModel):
    """pk "captcha#<id>"."""

    answer_hmac = UnicodeAttribute()
    used_at = NumberAttribute(null=True)


class OtpItem(ChallengeModel):
    """pk "otp#<msisdn>": the SIM's one live code and its SMS send window.

    One item per number, so a newer code replaces the older one, and the resend timer
    and daily cap hold across every purpose (login, adding a SIM to a cartable).

    `sent` holds the send times newest first: a send puts its time in front, so one
    conditional write checks the timer (`sent[0]`) and the cap (`sent[N-1]`, N =
    OTP_MAX_SENDS_PER_DAY, older than 24 h) without reading the item, whatever N is.
    The code a send replaced is kept in `prev_*`, so a send whose SMS never left is
    undone without a read. 0 (or "") stands for "none" in what a send copies: DynamoDB's
    SET cannot copy an absence.
    """

    code_hmac = UnicodeAttribute(null=True)
    purpose = UnicodeAttribute(null=True)  # "login" | "add_sim"
    subject = UnicodeAttribute(null=True)  # the national ID adding the SIM, for add_sim
    attempts = NumberAttribute(default=0)
    used_at = NumberAttribute(null=True)  # absent or 0: not used
    sent = ListAttribute(of=NumberAttribute, null=True)  # send times, newest first
    send_id = UnicodeAttribute(null=True)  # which send wrote the live code (for the undo)
    prev_code_hmac = UnicodeAttribute(null=True)
    prev_purpose = UnicodeAttribute(null=True)
    prev_subject = UnicodeAttribute(null=True)
    prev_attempts = NumberAttribute(null=True)
    prev_used_at = NumberAttribute(null=True)
    prev_expires_at = NumberAttribute(null=True)
    # The old shape (send times oldest first, read before each write): read once, to
    # turn it into `sent`.
    sends = ListAttribute(of=NumberAttribute, null=True)
    last_sent_at = NumberAttribute(null=True)
    revision = NumberAttribute(null=True)


class SessionItem(ChallengeModel):
    """pk "session#<sha256 of the token>"."""

    kind = UnicodeAttribute()  # "sim" | "national_id"
    msisdn = UnicodeAttribute(null=True)
    ownership = NumberAttribute(null=True)
    national_id = UnicodeAttribute(null=True)
    # When it was opened: the person's session_epoch (national ID) or the SIM's (SIM login).
    epoch = NumberAttribute(null=True)
    must_change_password = BooleanAttribute(default=False)
    created_at = NumberAttribute()


class CounterItem(ChallengeModel):
    """pk "<what>#<key>": failures in a row and a lock (logins, activations, recovery),
    or requests in a fixed window (per-address limits, the SMS gate's counters)."""

    failures = NumberAttribute(default=0)
    locked_until = NumberAttribute(null=True)
    window_start = NumberAttribute(null=True)
    count = NumberAttribute(null=True)
    notices = NumberAttribute(null=True)  # the SMS gate's budget: the window's notices


class PartnerKeyItem(ChallengeModel):
    """pk "partner#<sha256 of the key>": an operator's or a registrar's API key."""

    role = UnicodeAttribute()  # "operator" | "registrar" | "customs"
    name = UnicodeAttribute(null=True)
    created_at = NumberAttribute(null=True)


class RegistrationItem(ChallengeModel):
    """pk "registration#<imei>": who registered a device and what they sent, so the same
    registration sent again (a retry after a lost answer) gets the same activation code."""

    registrar = UnicodeAttribute()
    fingerprint = UnicodeAttribute()  # imei2, brand, model and source as sent


class CheckpointItem(ChallengeModel):
    """pk "job#<name>": where a scheduled job stopped, so the next run carries on."""

    cursor = UnicodeAttribute(null=True)
    last_run_started_at = NumberAttribute(null=True)
    last_run_finished_at = NumberAttribute(null=True)
    updated_at = NumberAttribute(null=True)
    # enforce (per operator): pairs due and queued by then were counted by a run whose
    # blocks passed the safety rail
    approved_until = NumberAttribute(null=True)
    # A person's release of a held rail, for one run: it may go past the rail up to this
    # many (SIMs to detach, or one operator's blocks); docs/rails.md
    rail_allow = NumberAttribute(null=True)


ITEM_MODELS: list[type[Model]] = [
    CaptchaItem,
    OtpItem,
    SessionItem,
    CounterItem,
    PartnerKeyItem,
    CheckpointItem,
    RegistrationItem,
]
