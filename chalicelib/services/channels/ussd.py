"""USSD *7777# (API.md "USSD *7777# and SMS to 7777"): what a person typed -> a Persian reply.

Stateless on purpose: the answer depends only on `text` (all that was typed since dialling)
and on the dialling number, which the operator's gateway vouches for. A session id is never
a key to anything, so a session that skips steps or is replayed proves only what its text
proves (an activation code, the cartable's password). Every action is the service the web
route calls: inquiry, activation (with its limits), listing, sale; only parsing and the
wording differ. Wrong input is a reply, never an HTTP error.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable

import jdatetime
from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from chalicelib import clock, log, sms, sms_gate
from chalicelib.errors import MESSAGES, HamtaError
from chalicelib.identifiers import Parsed, mask_msisdn, normalize_digits, parse_code, parse_imei
from chalicelib.services.devices import activation, devices, transfer
from chalicelib.services.registry import inquiry
from chalicelib.services.sims import sim_records
from chalicelib.services.signin import sessions
from chalicelib.services.signin.callers import SimCartable
from chalicelib.store.devices import DeviceModel
from chalicelib.store.read_ahead import NOTHING, ReadAhead, Wanted
from chalicelib.store.sims import SimModel

logger = Logger(service=log.SERVICE, child=True)

MAX_REPLY = 160  # what a USSD page shows
MAX_TEXT = 182  # the most a USSD string carries (GSM 03.90); longer is no person's typing

# The replies. Digits are ASCII, as on the keypad (sms.py's rule for a message without a
# secret); a reply that holds a sale's code keeps the code its one ASCII number.
MENU = "سامانه همتا\n1- استعلام اصالت\n2- فعالسازی\n3- انتقال مالکیت"
ASK_IMEI = "شناسه 15 رقمی دستگاه (IMEI) را وارد کنید (با *#06# دیده می‌شود):"
ASK_CODE = "کد فعالسازی دستگاه را وارد کنید:"
ASK_ROW = "ردیف دستگاهی را که می‌فروشید وارد کنید:"
ASK_PASSWORD = "رمز عبور کارتابل کد ملی را وارد کنید:"
WRONG_CHOICE = "گزینه نامعتبر است. دوباره *7777# را شماره‌گیری کنید."
WRONG_INPUT = "ورودی نامعتبر است. دوباره *7777# را شماره‌گیری کنید."
WRONG_ROW = "ردیف دستگاه نامعتبر است. برای دیدن فهرست، *7777*3# را شماره‌گیری کنید."
NO_DEVICES = "دستگاهی در کارتابل این سیم کارت نیست."
NEEDS_NID_CARTABLE = (
    "برای فروش با *7777# ابتدا در سایت همتا کارتابل کد ملی تشکیل دهید و رمز عبور تعیین کنید."
)
ACTIVATED = "دستگاه {name} با شناسه {imei} در کارتابل سیم کارت {msisdn} فعال شد."
UNAVAILABLE = MESSAGES["service_unavailable"][1]
WAIT_MINUTES = "تعداد تلاش‌ها بیش از حد مجاز است. {minutes} دقیقه دیگر دوباره تلاش کنید."

# What a refusal of a service reads like in each branch; other codes read as errors.MESSAGES.
ACTIVATION_REFUSALS = {"not_found": "شناسه دستگاه یا کد فعالسازی اشتباه است."}
SALE_REFUSALS = {
    "invalid_credentials": "رمز عبور کارتابل کد ملی اشتباه است.",
    "not_found": WRONG_ROW,
    "password_required": NEEDS_NID_CARTABLE,
}
HELD_UNTIL = "پس از بازیابی رمز عبور، فروش تا {until} ممکن نیست."


@dataclass
class Reply:
    text: str
    end: bool  # True: the gateway closes the session after showing it


def prefetch(msisdn: str | None, text: str | None) -> Wanted:
    """What a step reads first, for the route to fetch with the partner key: the SIM and
    the device of an activation (2*<imei>*<code>), the SIM of a listing or sale (3...);
    nothing for any other step or bad input (`msisdn`: parsed, None if it was bad)."""
    if not msisdn or not text or len(text) > MAX_TEXT:
        return []
    head, star, rest = text.partition("*")
    fields = rest.split("*", 1)
    if normalize_digits(head) == "2" and len(fields) == 2:
        imei = Parsed(parse_imei, fields[0]).value
        return [(SimModel, [msisdn]), (DeviceModel, [imei])] if imei else []
    if normalize_digits(head) == "3":
        return [(SimModel, [msisdn])]
    return []


def answer(msisdn: str, text: str, ahead: ReadAhead = NOTHING) -> Reply:
    """POST /ussd: the reply to `text` typed on `msisdn` (09XXXXXXXXX). `ahead`: what the
    route read ahead with the partner key (`prefetch`)."""
    if len(text) > MAX_TEXT:
        return Reply(WRONG_INPUT, True)
    head, star, rest = text.partition("*")
    choice = normalize_digits(head)
    if choice == "" and not star:
        return Reply(MENU, False)
    branch = BRANCHES.get(choice)
    if branch is None:
        return Reply(WRONG_CHOICE, True)
    steps, run, refusals = branch
    # The last field takes the rest as typed: a password may hold a "*".
    fields = rest.split("*", steps - 1) if star else []
    try:
        reply = run(msisdn, fields, ahead)
    except HamtaError as error:
        reply = Reply(_refusal(error, refusals), True)
    except (BotoCoreError, ClientError, PynamoDBException):
        # Every write is conditional or one transaction: nothing is half done. Say so in
        # Persian rather than have the gateway show the phone a bare network error.
        logger.exception("ussd: aws unavailable", extra={"msisdn": mask_msisdn(msisdn)})
        reply = Reply(UNAVAILABLE, True)
    return Reply(_fit(reply.text), reply.end)


def _inquiry(msisdn: str, fields: list[str], ahead: ReadAhead) -> Reply:
    if not fields:
        return Reply(ASK_IMEI, False)
    # Counted per dialling number: every USSD request comes from the gateway's address.
    return Reply(sms.inquiry_text(inquiry.inquire(fields[0], f"ussd#{msisdn}")), True)


def _activation(msisdn: str, fields: list[str], ahead: ReadAhead) -> Reply:
    if not fields:
        return Reply(ASK_IMEI, False)
    if len(fields) == 1:
        parse_imei(fields[0])  # a mistyped IMEI is told now, not after the code
        return Reply(ASK_CODE, False)
    imei = Parsed(parse_imei, fields[0])  # told after the SIM is ensured, as ever
    caller, ahead = _sim_caller(msisdn, True, ahead, also=devices.prefetch(imei.value))
    assert caller is not None
    device = activation.activate(caller, imei.get(), parse_code(fields[1], "activation_code"), ahead=ahead)
    name = sms.device_name(device["brand"], device["model"])
    text = sms.fit_name(lambda n: ACTIVATED.format(name=n, imei=device["imeis"][0], msisdn=msisdn), name, _fits)
    return Reply(text, True)


def _sale(msisdn: str, fields: list[str], ahead: ReadAhead) -> Reply:
    caller, _ = _sim_caller(msisdn, False, ahead)
    rows = devices.list_devices(caller) if caller is not None else []
    if not fields:
        return _device_list(rows)
    row = _row(fields[0], rows)
    national_id = caller.linked_national_id() if caller is not None else None
    if national_id is None:
        return Reply(NEEDS_NID_CARTABLE, True)
    if len(fields) == 1:
        return Reply(ASK_PASSWORD, False)
    assert caller is not None
    # The web sale's rules (services/devices/transfer.py): THE password check, the reset hold; a
    # device already on sale answers its code and nothing is sent again.
    offer = transfer.offer(caller, row["imeis"][0], fields[1], tell_self=False)
    text = sms.sale_code_text(offer["activation_code"], _jalali(offer["expires_at"]))
    if not offer["replayed"]:
        try:
            sms_gate.send_code(msisdn, text)
        except HamtaError:
            pass  # the reply itself carries the code; the gate has counted and logged it
    # The reply names the device too, its IMEI in Persian digits: the code stays the one
    # ASCII number, as in the SMS.
    imei_fa = sms.persian_digits(row["imeis"][0])
    name = sms.device_name(row["brand"], row["model"])
    return Reply(sms.fit_name(lambda n: f"{imei_fa} {n}\n{text}", name, _fits), True)


# choice -> (fields after it, the branch, how its refusals read)
BRANCHES: dict[str, tuple[int, Callable[[str, list[str], ReadAhead], Reply], dict[str, str]]] = {
    "1": (1, _inquiry, {}),
    "2": (2, _activation, ACTIVATION_REFUSALS),
    "3": (2, _sale, SALE_REFUSALS),
}


def _sim_caller(
    msisdn: str, create: bool, ahead: ReadAhead, also: Wanted = (),
) -> tuple[SimCartable | None, ReadAhead]:
    """The dialling SIM's cartable (its current ownership), opened as a SIM session over it
    is (sessions.dialled), and `also` [(model, keys)] read in the same call, as
    `sessions.resolve_with` does: (the caller, `also` as read ahead for the service).
    Whatever the route read ahead with the partner key is taken, not read again.

    Activation creates an unheld record for a number the operator has not told us about,
    as a SIM login does; listing and sale need nothing that does not exist.
    """
    found = ahead.take([(SimModel, [msisdn]), *also])
    sim = (found.pop(SimModel, None) or [None])[0]
    if sim is None and create:
        sim = sim_records.ensure_sim(msisdn)
    read = ReadAhead(also, found) if also else NOTHING
    return (sessions.dialled(sim) if sim is not None else None), read


def _device_list(rows: list[dict]) -> Reply:
    """The numbered devices, with whole model names when every row fits in one reply; else
    the names shortened together, and then rows left off."""
    if not rows:
        return Reply(NO_DEVICES, True)
    for limit in (None, sms.DEVICE_NAME_MAX, 20, 16):
        lines = [f"\n{number}- {row['imeis'][0]} {sms.device_name(row['brand'], row['model'], limit)}"
                 for number, row in enumerate(rows, start=1)]
        if len(ASK_ROW) + sum(len(line) for line in lines) <= MAX_REPLY:
            return Reply(ASK_ROW + "".join(lines), False)
    text = ASK_ROW
    for line in lines:
        if len(text) + len(line) > MAX_REPLY - 2:
            text += "\n…"  # later rows can still be chosen by number
            break
        text += line
    return Reply(text, False)


def _row(typed: str, rows: list[dict]) -> dict:
    digits = normalize_digits(typed)
    if not re.fullmatch(r"[0-9]{1,4}", digits) or not 1 <= int(digits) <= len(rows):
        raise HamtaError("not_found")  # reads as WRONG_ROW in the sale branch
    return rows[int(digits) - 1]


def _jalali(iso_instant: str) -> str:
    """`2026-12-02T10:00:00Z` -> `1405/09/11` (Tehran's calendar day of that instant)."""
    from datetime import datetime, timedelta, timezone

    moment = datetime.fromisoformat(iso_instant.replace("Z", "+00:00"))
    tehran = moment.astimezone(timezone(timedelta(hours=3, minutes=30)))
    return jdatetime.date.fromgregorian(date=tehran.date()).strftime("%Y/%m/%d")


def _refusal(error: HamtaError, overrides: dict[str, str]) -> str:
    if error.code == "rate_limited" and error.retry_after:
        return WAIT_MINUTES.format(minutes=max(1, math.ceil(error.retry_after / 60)))
    if error.code == "reset_hold" and error.retry_after:
        return HELD_UNTIL.format(until=sms.jalali_time(clock.now() + error.retry_after))
    return overrides.get(error.code) or MESSAGES[error.code][1]


def _fits(text: str) -> bool:
    return len(text) <= MAX_REPLY


def _fit(text: str) -> str:
    return text if len(text) <= MAX_REPLY else text[: MAX_REPLY - 1] + "…"
